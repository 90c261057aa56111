"""What operators watch: readiness, Prometheus metrics, JSON log lines with a request id."""
