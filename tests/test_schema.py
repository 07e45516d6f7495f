"""A new database is built from the models (storage.db.create_schema); one with tables is
migrated. Both ways must end with the same schema, on SQLite and on PostgreSQL, and a built
one must take the migrations as a migrated one does."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from storage.db import (
    create_schema,
    current_revision,
    make_engine,
    upgrade,
)
from storage.revision import head_revision
from storage.store import Store
from tests.conftest import _fresh_postgres_database, _PostgresDatabases
from tests.migrations import alembic_on

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two new, empty databases of the same backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
        return
    databases: _PostgresDatabases = request.getfixturevalue("_postgres_databases")
    with _fresh_postgres_database(databases) as one, _fresh_postgres_database(databases) as two:
        yield one, two


def schema(engine: Engine) -> dict[str, Any]:
    """Every table's columns, indexes and constraints, as the database reports them (not as
    the models say): column order aside, two equal answers are the same schema."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            return _sqlite_schema(connection)
        return {
            name: sorted(tuple(row) for row in connection.execute(text(query)))
            for name, query in _POSTGRES_CATALOG.items()
        }


def _sqlite_schema(connection: Any) -> dict[str, Any]:
    def rows(pragma: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in connection.exec_driver_sql(pragma)]

    def columns_of(index: str) -> list[str]:
        return [info[2] for info in rows(f"PRAGMA index_info('{index}')")]

    tables = [row[0] for row in rows("SELECT name FROM sqlite_master WHERE type = 'table'")]
    described = {}
    for table in tables:
        indexes = [
            (name, unique, origin, partial, columns_of(name))
            for _, name, unique, origin, partial in rows(f"PRAGMA index_list('{table}')")
        ]
        described[table] = (
            sorted(row[1:] for row in rows(f"PRAGMA table_info('{table}')")),
            sorted(indexes),
            sorted(row[2:] for row in rows(f"PRAGMA foreign_key_list('{table}')")),
        )
    return described


_POSTGRES_CATALOG = {
    "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default,"
    " character_maximum_length FROM information_schema.columns WHERE table_schema = 'public'",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    # Names included: a migration drops a constraint by its name.
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
    " FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
    "sequences": "SELECT sequence_name, data_type FROM information_schema.sequences"
    " WHERE sequence_schema = 'public'",
}


def test_the_migrations_build_exactly_the_models(database_url: str):
    engine = make_engine(database_url)
    assert upgrade(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        assert context.get_current_revision() == head_revision()
    engine.dispose()


def test_a_new_database_is_built_as_the_migrations_build_it(two_databases: tuple[str, str]):
    built_url, migrated_url = two_databases
    Store.open(built_url).close()  # new and empty: built from the models
    built, migrated = make_engine(built_url), make_engine(migrated_url)
    upgrade(migrated)
    try:
        assert current_revision(built) == head_revision()
        assert schema(built) == schema(migrated)
        with built.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    finally:
        built.dispose()
        migrated.dispose()


def test_a_built_database_takes_the_migrations_down_and_up(database_url: str):
    """What a later migration will do to it: Alembic reads its version table, finds each
    constraint under the name the migrations gave it, and steps it back and forth."""
    Store.open(database_url).close()
    with alembic_on(database_url) as (config, _):
        command.downgrade(config, "0008")  # 0010 and 0009: they drop named constraints
        command.upgrade(config, "head")
    engine = make_engine(database_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.parametrize("existing", [False, True], ids=["new", "current"])
def test_opening_a_new_or_current_database_loads_no_alembic(tmp_path: Path, existing: bool):
    """Alembic costs a tenth of a second of a start: only a due migration loads it (a new
    database is built in 0.03 s of CPU)."""
    url = f"sqlite:///{tmp_path / 'lexwatch.db'}"
    if existing:
        Store.open(url).close()
    code = (
        "import sys; from storage.store import Store; Store.open(sys.argv[1]).close();"
        " print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]", done.stdout
    assert current_revision(engine := make_engine(url)) == head_revision()
    engine.dispose()


def test_a_database_that_holds_other_tables_is_migrated_and_they_stay(database_url: str):
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE someone_elses (id INTEGER PRIMARY KEY)"))
        connection.execute(text("INSERT INTO someone_elses (id) VALUES (7)"))
    assert not create_schema(engine)  # not empty: left to the migrations
    Store.open(database_url).close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM someone_elses")).scalar_one() == 7
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.parametrize("start", [None, "0008"], ids=["new", "older"])
def test_processes_starting_at_once_all_start(database_url: str, tmp_path: Path, start: str):
    """On a new database each one builds the schema or finds it built, on an older one each
    migrates it or finds it migrated (the schema's lock): none fails on a table or a column
    another one made. Processes, as in life (Alembic is not thread-safe), each loaded and
    waiting for one signal before it opens the database."""
    if start is not None:
        with alembic_on(database_url) as (config, _):
            command.upgrade(config, start)
    code = (
        "import sys, time; from pathlib import Path; from storage.store import Store\n"
        "Path(sys.argv[3]).touch()\n"
        "while not Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
        "Store.open(sys.argv[1]).close()"
    )
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{n}" for n in range(3)]
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", code, database_url, str(go), str(path)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in ready
    ]
    while not all(path.exists() for path in ready):
        if any(process.poll() is not None for process in starting):
            break  # one failed to load: its error is asserted below
        time.sleep(0.01)
    go.touch()
    errors = [process.communicate(timeout=120)[1] for process in starting]
    assert [process.returncode for process in starting] == [0, 0, 0], errors
    engine = make_engine(database_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
