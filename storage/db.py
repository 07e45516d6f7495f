"""Engines, sessions and schema migrations, for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import contextvars
import inspect
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    CursorResult,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy import inspect as schema_of
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from monitor.errors import ConfigError, StorageError
from storage.revision import MIGRATIONS, REVISION_QUERY, head_revision, normalise_url

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# How long a busy SQLite file or an unreachable PostgreSQL server is waited for before the
# error is reported: long enough for a restart of PostgreSQL or a long write elsewhere.
RETRY_SECONDS = 30.0
_FIRST_DELAY, _MAX_DELAY = 0.05, 2.0

# What waiting can cure. SQLite: another connection holds the write lock (SQLITE_BUSY,
# including the BUSY_SNAPSHOT the busy timeout does not wait for). PostgreSQL: the server is
# down, restarting or dropped the connection; a serialization failure or deadlock.
_TRANSIENT_SQLITE = ("SQLITE_BUSY", "SQLITE_LOCKED")
_TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "40001", "40P01")
_TRANSIENT_MESSAGES = (
    "database is locked",
    "database table is locked",
    "connection refused",
    "could not connect",
    "connection failed",
    "server closed the connection",
    "connection reset",
    "connection is closed",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "terminating connection",
    "consuming input failed",
    "timeout expired",
)


def make_engine(url: str, *, retry_seconds: float = RETRY_SECONDS) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout.

    New PostgreSQL connections are retried for ``retry_seconds`` while the server is
    unreachable, so a restart of the database is waited out wherever a connection is opened.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"database_url {url!r} is not a database URL: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(f"database_url {url!r}: use sqlite:///FILE or postgresql://...")
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    event.listen(engine, "do_connect", _connect_retrying(retry_seconds))
    return engine


# False inside a ``not_retried`` Store method: its caller would rather fail at once.
_CONNECT_RETRIED = contextvars.ContextVar("lexwatch_connect_retried", default=True)


def _connect_retrying(seconds: float) -> Callable[..., Any]:
    def connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        if not _CONNECT_RETRIED.get():
            return dialect.connect(*cargs, **cparams)
        return retrying(
            lambda: dialect.connect(*cargs, **cparams),
            seconds=seconds,
            what="connecting to PostgreSQL",
        )

    return connect


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) is a database error that waiting can cure."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if _transient_driver_error(seen):
            return True
        seen = seen.orig if isinstance(seen, DBAPIError) else seen.__cause__
    return False


def _transient_driver_error(exc: BaseException) -> bool:
    name = getattr(exc, "sqlite_errorname", None)
    if isinstance(name, str):
        return name.startswith(_TRANSIENT_SQLITE)
    state = getattr(exc, "sqlstate", None)
    if isinstance(state, str) and state.startswith(_TRANSIENT_SQLSTATES):
        return True
    if not type(exc).__name__.endswith("OperationalError"):
        return False
    message = str(exc).lower()
    return any(part in message for part in _TRANSIENT_MESSAGES)


def retrying(
    fn: Callable[[], T],
    *,
    seconds: float = RETRY_SECONDS,
    what: str = "database call",
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``fn()``, called again with backoff while it fails transiently, for up to ``seconds``.

    ``fn`` must be one whole transaction (a failed one was rolled back), so running it again
    is safe. Other errors, and a transient one that outlasts ``seconds``, are raised.
    """
    deadline = clock() + seconds
    delay, attempt = _FIRST_DELAY, 0
    while True:
        try:
            return fn()
        except Exception as exc:
            remaining = deadline - clock()
            if not is_transient(exc) or remaining <= 0:
                raise
            attempt, wait = attempt + 1, min(delay, remaining)
            logger.warning(
                "%s failed, retry %d in %.2f s: %s", what, attempt, wait, _first_line(exc)
            )
            sleep(wait)
            delay = min(delay * 2, _MAX_DELAY)


def retried(method: Callable[P, T]) -> Callable[P, T]:
    """Decorate a Store method that runs one transaction: see ``retrying``."""

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return retrying(lambda: method(*args, **kwargs), what=f"Store.{method.__name__}")

    return wrapper


C = TypeVar("C", bound=type)


def not_retried(method: Callable[P, T]) -> Callable[P, T]:
    """A Store method whose caller has a better answer to failure than waiting: it is tried
    once, and so is connecting to the database for it (``retried_methods`` leaves it alone).
    """

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        token = _CONNECT_RETRIED.set(False)
        try:
            return method(*args, **kwargs)
        finally:
            _CONNECT_RETRIED.reset(token)

    wrapper.__lexwatch_not_retried__ = True  # type: ignore[attr-defined]
    return wrapper


def retried_methods(cls: C) -> C:
    """Class decorator: every public method of ``cls`` (one transaction each) is ``retried``.

    Class and static methods (``Store.open``: connecting is retried by the engine),
    ``close`` and methods marked ``not_retried`` are left alone.
    """
    for name, member in list(vars(cls).items()):
        if (
            name.startswith("_")
            or name == "close"
            or not inspect.isfunction(member)
            or getattr(member, "__lexwatch_not_retried__", False)
        ):
            continue
        setattr(cls, name, retried(member))
    return cls


def upsert_insert(dialect: str) -> Callable[..., Any]:
    """The ``insert`` of ``dialect`` (``postgresql`` or ``sqlite``), for ON CONFLICT clauses.

    Imported when first used: a process on SQLite never loads the PostgreSQL dialect (a
    twentieth of a second at every start).
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def inserted_id(result: CursorResult[Any]) -> int:
    """The id of the row a one-row INSERT wrote."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot use the SQLite database {database}: its folder {folder}"
                f" cannot be created ({exc.strerror or exc}); set database_url"
                " to a file in a folder lexwatch can write"
            ) from exc
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


# Not monitor.service.cluster's start lock: cluster.start holds that one while it migrates.
_MIGRATION_LOCK = 7310312567


def upgrade(engine: Engine) -> str | None:
    """Apply every pending migration; return the revision the database is now at."""
    # Alembic (and its templates) load only when a migration is due: every command opens
    # the database, and most find it current (``migrate``).
    from alembic import command

    config = alembic_config()
    try:
        with engine.begin() as connection:
            _lock_for_schema(connection)  # processes starting together: one migrates
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database {_safe(engine)}: {exc.orig}") from exc
    return current_revision(engine)


def migrate_schema(engine: Engine) -> str | None:
    """Bring the schema to the head revision, unless it is there already (plain SQL).

    A new, empty database is created from the models (``create_schema``) rather than by
    replaying every migration: 0.03 s of CPU instead of 0.14 s (and Alembic's import).
    """
    revision = current_revision(engine)
    if revision == head_revision():
        return revision
    if revision is None and create_schema(engine):
        return head_revision()
    return upgrade(engine)


# Alembic's own version table, as its MigrationContext defines it: written here so that a
# new database needs neither Alembic nor its migration scripts loaded.
_VERSIONS = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def create_schema(engine: Engine) -> bool:
    """Create the newest schema in an empty database, at the head revision; False, and
    nothing done, when the database holds any table (then the migrations decide).

    Alembic's cookbook way for a new database ("create_all", then stamp the head); tests
    check that it builds what the migrations build, table by table. Two processes that start
    on the same new database at once take turns: the second finds the tables and goes on.
    """
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

    try:
        with engine.begin() as connection:
            _lock_for_schema(connection)
            if schema_of(connection).get_table_names():
                return False
            SQLModel.metadata.create_all(connection)
            _VERSIONS.create(connection)
            connection.execute(_VERSIONS.insert().values(version_num=head_revision()))
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database {_safe(engine)}: {exc.orig}") from exc
    return True


def _lock_for_schema(connection: Connection) -> None:
    """Hold the schema's lock until the transaction ends, so that of processes starting
    together one builds or migrates and the others then find it done. SQLite: its write
    lock, taken now (the sqlite3 module would run the DDL outside any transaction, and a
    second process would fail on a table the first made); PostgreSQL: an advisory lock."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database (None: a new, empty database)."""
    try:
        with engine.connect() as connection:
            if not schema_of(connection).has_table("alembic_version"):
                return None
            return connection.execute(text(REVISION_QUERY)).scalar_one_or_none()
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot use the database {_safe(engine)}: {_cause(exc)}") from exc


def _cause(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig) if orig is not None else _first_line(exc)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise StorageError(f"database error on {_safe(engine)}: {exc}") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _safe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
