"""The Alembic migrations of the schema, oldest first in ``versions/`` (see storage.db)."""
