"""The tamper-evident audit trail (:mod:`lms_bridge.audit.trail`): every decision, correction,
identity mapping and sign-in, append-only, each record hash-chained to the one before it."""
