"""The schema revision: the newest one (from the migration files) and the one a database is
at, read with the database's own driver, without SQLAlchemy or Alembic.

A `lexwatch check --all` with nothing to check (run by cron every few minutes) needs no more
than this, and loading SQLAlchemy and the models would cost it most of its time.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from contextlib import closing
from pathlib import Path

from monitor.errors import StorageError

MIGRATIONS = Path(__file__).parent / "migrations"

_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?(\w+)", re.MULTILINE)


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the files in migrations/versions/.

    Read by hand rather than through Alembic's ScriptDirectory, which costs a tenth of a
    second at every start (tests check that both agree).
    """
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text()))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision"))
    heads = revisions - parents
    if len(heads) > 1:
        raise StorageError(f"the migrations have several heads: {sorted(heads)}")
    return heads.pop() if heads else None


# The revision a database is at (Alembic's table), also read by storage.db.current_revision.
REVISION_QUERY = "SELECT version_num FROM alembic_version"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_current(database_url: str) -> bool:
    """True when the database at ``database_url`` exists and is at the newest revision.

    False whenever that cannot be told here: another URL form than the plain ones below, no
    such file, an unreachable server, an error. The caller then opens the database the full
    way (``storage.db``), which migrates it, waits for it, or says what is wrong.
    """
    try:
        stored = _stored_revision(normalise_url(database_url))
    except (sqlite3.Error, OSError, ImportError, ValueError):
        return False
    return stored is not None and stored == head_revision()


_PSYCOPG = "postgresql+psycopg://"


def _stored_revision(url: str) -> str | None:
    if url.startswith("sqlite:///") and "?" not in url:
        return _sqlite_revision(url.removeprefix("sqlite:///"))
    if url.startswith(_PSYCOPG):
        return _postgresql_revision("postgresql://" + url.removeprefix(_PSYCOPG))
    return None


def _sqlite_revision(path: str) -> str | None:
    if path in ("", ":memory:") or path.startswith("~") or not Path(path).is_file():
        return None
    # Never creates the file (rw, not rwc); reading takes no write lock. Not read-only: a
    # read-only connection to a WAL database leaves its -wal and -shm files behind.
    uri = f"{Path(path).absolute().as_uri()}?mode=rw"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        row = connection.execute(REVISION_QUERY).fetchone()
    return str(row[0]) if row else None


def _postgresql_revision(conninfo: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(conninfo, connect_timeout=5, autocommit=True) as connection:
            row = connection.execute(REVISION_QUERY).fetchone()
    except psycopg.Error:  # unreachable, no alembic_version table yet, ...
        return None
    return str(row[0]) if row else None
