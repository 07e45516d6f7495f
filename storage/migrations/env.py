"""Alembic environment: runs on the connection lexwatch hands it (see storage.db.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        # Only for `alembic` run by hand: lexwatch always passes its own connection.
        url = context.config.get_main_option("sqlalchemy.url") or "sqlite:///lexwatch.db"
        with create_engine(url).connect() as fresh:
            _run(fresh)
        return
    _run(connection)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
