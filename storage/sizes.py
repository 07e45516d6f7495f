"""How big the database is: rows and bytes per table (`lexwatch db stats`).

Bytes include the table's indexes (and, on PostgreSQL, its TOAST data). On SQLite they come
from the ``dbstat`` virtual table; a SQLite built without it reports rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)


@dataclass(frozen=True, kw_only=True, slots=True)
class TableSize:
    name: str
    rows: int
    bytes: int | None  # None when the database cannot tell


@dataclass(frozen=True, kw_only=True, slots=True)
class DatabaseSize:
    tables: tuple[TableSize, ...]
    total_bytes: int | None  # the whole database file / database, free pages included


def table_names() -> list[str]:
    """lexwatch's own tables, in schema order."""
    return list(SQLModel.metadata.tables)


def database_size(engine: Engine) -> DatabaseSize:
    """Rows and bytes of every lexwatch table, and the size of the whole database."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            table_bytes, total = _postgres_bytes(connection)
        else:
            table_bytes, total = _sqlite_bytes(connection)
        tables = tuple(
            TableSize(name=name, rows=_rows(connection, name), bytes=table_bytes.get(name))
            for name in table_names()
        )
    return DatabaseSize(tables=tables, total_bytes=total)


def _rows(connection: Connection, table: str) -> int:
    # ``table`` comes from our own metadata, never from input.
    return int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def _sqlite_bytes(connection: Connection) -> tuple[dict[str, int], int | None]:
    pages = connection.execute(text("PRAGMA page_count")).scalar_one()
    page_size = connection.execute(text("PRAGMA page_size")).scalar_one()
    total = int(pages) * int(page_size)
    try:
        rows = connection.execute(
            text(
                "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat AS d"
                " LEFT JOIN sqlite_master AS m ON m.name = d.name"
                " GROUP BY coalesce(m.tbl_name, d.name)"
            )
        ).all()
    except OperationalError:  # SQLite compiled without SQLITE_ENABLE_DBSTAT_VTAB
        return {}, total
    return {str(name): int(size) for name, size in rows}, total


def _postgres_bytes(connection: Connection) -> tuple[dict[str, int], int | None]:
    sizes = {}
    for name in table_names():
        size = connection.execute(
            text("SELECT pg_total_relation_size(to_regclass(:name))"), {"name": name}
        ).scalar_one()
        if size is not None:
            sizes[name] = int(size)
    total = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return sizes, int(total)
