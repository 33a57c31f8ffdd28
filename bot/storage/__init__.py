"""The app's records: conversations, messages, escalations and feedback (SQLAlchemy; SQLite by default)."""
