"""Metrics and logs: what operators see of the running service."""
