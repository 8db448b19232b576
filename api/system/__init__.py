"""Health, readiness and metrics endpoints, served by every process."""
