"""Shared fixtures: real components on loopback, the real recorded EU documents, clean env."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.servers.replay import replay_server  # noqa: F401  (fixture)

# Fake Slack and a real SMTP server, as fixtures for every test module.
from tests.servers.slack import slack_server  # noqa: F401
from tests.servers.smtp import make_smtp_server, smtp_ca, smtp_server  # noqa: F401

SHARED = Path(__file__).resolve().parents[2] / "shared"
if os.environ.get("LEXWATCH_SHARED_DIR"):
    SHARED = Path(os.environ["LEXWATCH_SHARED_DIR"])


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow first, in their order, then the rest in theirs.

    With `--maxschedchunk 1` (addopts) pytest-xdist hands each worker its next test as it
    becomes free, in this order: the long tests start first, spread over the workers, instead
    of one of them being handed out last and running alone at the end while the other
    workers are idle. After pytest's own ordering by fixture scope (trylast), which this keeps
    for everything not marked slow.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def real_fixtures() -> Path:
    """../shared/fixtures/real, or a skip with the reason when that folder is absent."""
    path = SHARED / "fixtures" / "real"
    if not path.is_dir():
        pytest.skip(f"real recorded EU documents not found at {path} (../shared is absent)")
    return path


def _clean_lexwatch_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LEXWATCH_") and name not in ("LEXWATCH_SHARED_DIR",):
            monkeypatch.delenv(name)
    # Every test server listens on 127.0.0.1, which the SSRF guard refuses by default;
    # tests/test_ssrf.py removes this to test the default.
    monkeypatch.setenv("LEXWATCH_HTTP__ALLOW_PRIVATE_ADDRESSES", "true")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No LEXWATCH_* setting from the developer's shell leaks into a test."""
    _clean_lexwatch_environ(monkeypatch)
    yield


# PostgreSQL: read before clean_environ runs. In CI (CI=true) it is mandatory, never skipped.
POSTGRES_URL = os.environ.get(
    "LEXWATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
POSTGRES_REQUIRED = (
    os.environ.get("CI") == "true" or os.environ.get("LEXWATCH_REQUIRE_POSTGRES") == "1"
)


def _postgres_admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if POSTGRES_REQUIRED:
            pytest.fail(f"PostgreSQL is required (CI) but unreachable at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}")


def _create_postgres_database() -> str:
    name = f"lexwatch_t_{uuid.uuid4().hex[:12]}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_postgres_database(name: str) -> None:
    with _postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _PostgresDatabases:
    """Empty databases for one worker's tests, made one ahead and dropped after use by a
    thread of their own: a test waits for neither (PostgreSQL's CREATE DATABASE copies
    template1 and syncs; DROP waits for every backend to release the database's files).

    Each test still gets a database created from template1 for it alone and never used
    before, the same as one created in its set-up; a failure to create one fails or skips
    the test as before, and a failure to drop one fails the session's end.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres-databases")
        self._next: Future[str] | None = None
        self._drops: list[Future[None]] = []

    def take(self) -> str:
        ahead, self._next = self._next, None
        name = (ahead or self._thread.submit(_create_postgres_database)).result()
        self._next = self._thread.submit(_create_postgres_database)  # the next test's
        return name

    def give_back(self, name: str) -> None:
        self._drops.append(self._thread.submit(_drop_postgres_database, name))

    def close(self) -> None:
        if self._next is not None:
            try:
                self.give_back(self._next.result())
            except BaseException:  # it could not be made (as a test was told): nothing to drop
                pass
        self._thread.shutdown(wait=True)
        for dropped in self._drops:
            dropped.result()


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[_PostgresDatabases]:
    databases = _PostgresDatabases()
    yield databases
    databases.close()


@contextmanager
def _fresh_postgres_database(databases: _PostgresDatabases) -> Iterator[str]:
    name = databases.take()
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        databases.give_back(name)


@pytest.fixture
def postgres_url(_postgres_databases: _PostgresDatabases) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with _fresh_postgres_database(_postgres_databases) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test against a SQLite file and a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lexwatch.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shared_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``database_url`` for a whole module: one database per backend (each xdist worker makes
    its own), which a module-scoped fixture seeds once for the tests that only read it.

    The LEXWATCH_* environment is cleaned for as long as it lives, as for one test, so what is
    seeded into it is built as a test's own fixture would build it.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clean_lexwatch_environ(monkeypatch)
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path_factory.mktemp('shared') / 'lexwatch.db'}"
        else:
            databases = request.getfixturevalue("_postgres_databases")
            with _fresh_postgres_database(databases) as url:
                yield url
