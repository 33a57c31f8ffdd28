"""The advisors' console at /console: escalation queue, conversations, replies, admin and statistics."""
