"""lms_bridge: the application (settings, database, domain services) between LMSs and BPSDM."""
