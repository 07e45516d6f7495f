"""Alembic run by hand on a test's database: to leave it at an older revision, or to step it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from storage.db import alembic_config, make_engine

if TYPE_CHECKING:
    from alembic.config import Config


@contextmanager
def alembic_on(database_url: str) -> Iterator[tuple[Config, Connection]]:
    """Alembic's config bound to one transaction on ``database_url`` (committed at the end),
    and that transaction's connection, for rows written at the revision it leaves."""
    engine = make_engine(database_url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            yield config, connection
    finally:
        engine.dispose()
