"""Alembic migrations of the app's database (SQLite by default, PostgreSQL in production)."""
