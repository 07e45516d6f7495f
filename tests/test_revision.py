"""Whether a database is at the newest schema, told without SQLAlchemy (storage.revision):
true only when it surely is, so that anything else is opened, migrated or reported the full
way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.revision import head_revision, is_current
from storage.store import Store


def test_a_migrated_sqlite_database_is_current_and_an_older_one_is_not(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'lexwatch.db'}"
    assert not is_current(url)  # no file yet
    assert not (tmp_path / "lexwatch.db").exists()  # and the probe made none
    Store.open(url).close()
    assert is_current(url)
    with sqlite3.connect(tmp_path / "lexwatch.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    connection.close()
    assert not is_current(url)


def test_a_relative_path_is_read_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    Store.open("sqlite:///lexwatch.db").close()
    assert is_current("sqlite:///lexwatch.db")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["lexwatch.db"]  # no -wal left


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",  # in memory: nothing stored to read
        "sqlite:///:memory:",
        "mysql://root@127.0.0.1/test",
        "not a url",
    ],
)
def test_what_it_cannot_read_is_not_current(url: str):
    assert not is_current(url)


def test_a_file_that_is_not_a_database_is_not_current(tmp_path: Path):
    (tmp_path / "lexwatch.db").write_text("not a database")
    assert not is_current(f"sqlite:///{tmp_path / 'lexwatch.db'}")


@pytest.mark.postgres
def test_postgresql_current_after_migrating_and_not_before(postgres_url: str):
    assert not is_current(postgres_url)  # an empty database: no alembic_version table
    Store.open(postgres_url).close()
    assert is_current(postgres_url)
    assert is_current(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    assert head_revision() is not None


@pytest.mark.postgres
def test_an_unreachable_server_is_not_current():
    assert not is_current("postgresql://postgres@127.0.0.1:9/test")
