"""Faults a year of service will meet: a killed process, a busy or vanished database, a full disk.

Each test runs the real thing: `lexwatch check` processes against the loopback replay server,
a real SQLite file or PostgreSQL database, a real TCP proxy in front of PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from monitor.cli import main
from monitor.types import CheckOutcome, CheckRecord, Source
from storage import db
from storage.db import is_transient, retrying
from storage.queries import ChangeFilter
from storage.store import Store
from tests.servers.replay import ReplayServer

ROOT = Path(__file__).resolve().parents[1]


def feed(source: int, version: int) -> str:
    """An RSS feed whose version v lists notices 0..v (each version publishes one more)."""
    items = "".join(
        f"<item><guid>{item_key(source, k)}</guid><title>Notice {k} of feed {source}</title>"
        f"<link>{item_key(source, k)}</link><description>Publication number {k} on the AI"
        f" Act.</description><pubDate>Mon, 0{1 + k % 9} Sep 2025 08:00:00 GMT</pubDate></item>"
        for k in range(version, -1, -1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Feed {source}</title><link>https://example.eu/</link>{items}"
        "</channel></rss>"
    )


def item_key(source: int, k: int) -> str:
    return f"https://example.eu/{source}/n/{k}"


def write_config(
    path: Path,
    database_url: str,
    server: ReplayServer,
    sources: dict[str, str],
    parser: str = "feed",
) -> Path:
    lines = [
        f'database_url = "{database_url}"',
        "builtin_catalog = false",
        "[http]",
        'contact = "mailto:tests@example.org"',
        "retries = 0",
        "read_timeout = 5",
        "per_host_spacing = 0",
        "per_host_concurrency = 32",
        "global_concurrency = 32",
        "respect_robots = false",
        "allow_private_addresses = true",
    ]
    for key, url_path in sources.items():
        lines += [f"[sources.{key}]", f'url = "{server.url(url_path)}"', f'parser = "{parser}"']
    path.write_text("\n".join(lines) + "\n")
    return path


def lexwatch_process(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def run_to_end(config: Path, *args: str) -> tuple[int, str, str]:
    process = lexwatch_process(config, *args)
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout, stderr


# -- SIGKILL at random points of a check cycle --------------------------------------------------

SOURCES, VERSIONS, ROUNDS = 24, 6, 7


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_check_killed_at_random_points_loses_and_duplicates_no_change(
    tmp_path: Path, database_url: str, replay_server: ReplayServer
):
    rng = random.Random(int(os.environ.get("LEXWATCH_FAULT_SEED", "8")))
    for i in range(SOURCES):
        replay_server.add(
            f"/feed/{i}",
            *(feed(i, v) for v in range(VERSIONS + 1)),
            content_type="application/rss+xml",
        )
    config = write_config(
        tmp_path / "lexwatch.toml",
        database_url,
        replay_server,
        {f"s{i:02}": f"/feed/{i}" for i in range(SOURCES)},
    )
    started = time.monotonic()
    assert run_to_end(config, "check", "--all")[0] == 0  # the baseline: version 0
    # Kill within the time a whole run takes here (start-up included), whatever its speed.
    run_seconds = time.monotonic() - started
    versions = [0] * SOURCES
    killed, partial, stored = 0, 0, checks_stored(database_url)
    for _ in range(ROUNDS):
        for i in range(SOURCES):
            if rng.random() < 0.6 and versions[i] < VERSIONS:
                versions[i] += 1
                replay_server.set_version(f"/feed/{i}", versions[i])
            if rng.random() < 0.3:  # some answers are slow: the kill lands mid-fetch too
                replay_server.fault(f"/feed/{i}", "timeout", delay=rng.uniform(0.05, 1.0))
        killed += kill_after(
            lexwatch_process(config, "check", "--all"), rng.uniform(0.3, 1.0) * run_seconds
        )
        before, stored = stored, checks_stored(database_url)
        partial += 0 < stored - before < SOURCES  # killed while storing the checks
    for i in range(SOURCES):
        replay_server.set_version(f"/feed/{i}", VERSIONS)
    code, _, stderr = run_to_end(config, "check", "--all")
    assert code == 0, stderr
    assert killed >= ROUNDS // 2, "too few runs were killed to prove anything"
    print(f"{killed} of {ROUNDS} runs killed, {partial} of them part-way through storing")
    assert_every_change_stored_once(database_url)
    # And a further run finds nothing new.
    code, stdout, _ = run_to_end(config, "check", "--all", "--json")
    assert code == 0 and all(not r["changes"] for r in json.loads(stdout))


def kill_after(process: subprocess.Popen[str], seconds: float) -> bool:
    """SIGKILL ``process`` after ``seconds``; False when it had already finished."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.communicate()
        return True


def checks_stored(database_url: str) -> int:
    store = Store.open(database_url, migrate=False)
    try:
        return store.counts()["checks"]
    finally:
        store.close()


def assert_every_change_stored_once(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        rows = store.changes(ChangeFilter(limit=100_000))
        found = Counter((row.source_key, row.item_key) for row in rows)
        expected = {
            (f"s{i:02}", item_key(i, k)) for i in range(SOURCES) for k in range(1, VERSIONS + 1)
        }
        duplicated = {key: n for key, n in found.items() if n > 1}
        assert not duplicated, f"changes stored more than once: {duplicated}"
        assert set(found) == expected, (
            f"lost: {sorted(expected - set(found))[:5]},"
            f" unexpected: {sorted(set(found) - expected)[:5]}"
        )
        if database_url.startswith("sqlite"):
            with store.engine.connect() as connection:
                assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        store.close()


# -- SQLite busy ------------------------------------------------------------------------------


def hold_write_lock(path: Path, seconds: float) -> tuple[threading.Thread, threading.Event]:
    """Another connection takes SQLite's write lock and keeps it for ``seconds``; the event
    returned is set once it has released the lock."""
    taken, released = threading.Event(), threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE sources SET last_error = last_error")
        taken.set()
        time.sleep(seconds)
        connection.execute("COMMIT")
        connection.close()
        released.set()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(10)
    return thread, released


def test_a_check_waits_for_a_busy_sqlite_database(tmp_path: Path, replay_server: ReplayServer):
    replay_server.add("/feed/0", feed(0, 0), feed(0, 1), content_type="application/rss+xml")
    database = tmp_path / "lexwatch.db"
    config = write_config(
        tmp_path / "lexwatch.toml", f"sqlite:///{database}", replay_server, {"s00": "/feed/0"}
    )
    assert run_to_end(config, "check", "--all")[0] == 0
    replay_server.set_version("/feed/0", 1)
    thread, released = hold_write_lock(database, 4.0)
    code, stdout, stderr = run_to_end(config, "check", "--all", "--json")
    # It waited for the lock instead of failing: it ended after the lock was released.
    assert released.is_set()
    thread.join()
    assert code == 0, stderr
    [result] = json.loads(stdout)
    assert result["outcome"] == "changed" and len(result["changes"]) == 1


def test_a_locked_database_is_retried_not_fatal(tmp_path: Path, caplog, monkeypatch):
    """Even with SQLite's own busy wait off, a Store call is retried until the lock goes."""
    database = tmp_path / "lexwatch.db"
    store = Store.open(f"sqlite:///{database}")
    _store_source(store)
    store.close()

    def no_busy_wait(connection, record) -> None:
        original(connection, record)
        connection.execute("PRAGMA busy_timeout=0")

    original = db._sqlite_pragmas
    monkeypatch.setattr(db, "_sqlite_pragmas", no_busy_wait)
    store = Store.open(f"sqlite:///{database}")
    thread, _ = hold_write_lock(database, 1.5)
    with pytest.raises(Exception) as failure:  # what a single attempt meets
        store.engine.dispose()
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE sources SET failure_streak = 0"))
    assert is_transient(failure.value)
    with caplog.at_level(logging.WARNING, logger="storage.db"):
        check = store.record(_failed_check(), None)  # every Store method retries by itself
    thread.join()
    assert check.id is not None and store.checks("s00")[0].outcome == "failed"
    assert "Store.record failed, retry 1" in caplog.text and "database is locked" in caplog.text
    store.close()


def _store_source(store: Store) -> None:
    store.sync_sources(
        [Source(key="s00", title="s00", url="https://example.eu/", parser="feed", interval=3600)]
    )


def _failed_check() -> CheckRecord:
    return CheckRecord(
        source_key="s00",
        started_at=datetime.now(UTC),
        duration_ms=5,
        outcome=CheckOutcome.FAILED,
        error="HTTP 500",
    )


def test_errors_that_waiting_cannot_cure_are_not_retried(tmp_path: Path):
    calls = []

    def broken() -> None:
        calls.append(1)
        sqlite3.connect(tmp_path / "x.db").execute("SELECT * FROM no_such_table")

    with pytest.raises(sqlite3.OperationalError):
        retrying(broken, seconds=5)
    assert len(calls) == 1


# -- PostgreSQL briefly unavailable ---------------------------------------------------------------


class FlakyProxy:
    """A TCP proxy to PostgreSQL on 127.0.0.1 that can refuse connections for a while.

    Refusing means not listening at all (the client's connect gets ECONNREFUSED, exactly as
    when the server is down); ``outage`` also cuts the connections already open.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.pipes: list[socket.socket] = []
        self.listening = False
        self.accepted = 0

    def serve_after(self, seconds: float) -> None:
        """Refuse now; start forwarding after ``seconds``."""
        threading.Timer(seconds, self._listen).start()

    def _listen(self) -> None:
        if self.sock.fileno() == -1:
            self.sock = socket.socket()
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.listening = True
        threading.Thread(target=self._accept, args=(self.sock,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self.accepted += 1
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.pipes += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()

    def outage(self, seconds: float) -> None:
        """Drop every connection and refuse new ones for ``seconds``."""
        self.listening = False
        self.sock.close()
        for pipe in self.pipes:
            _close(pipe)
        self.pipes.clear()
        self.serve_after(seconds)

    def close(self) -> None:
        self.sock.close()
        for pipe in self.pipes:
            _close(pipe)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    _close(sink)
    _close(source)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def flaky_postgres(postgres_url: str) -> Iterator[tuple[FlakyProxy, str]]:
    """A proxy in front of a fresh, migrated database, and the URL through the proxy."""
    Store.open(postgres_url).close()
    rest = postgres_url.split("://", 1)[1]
    credentials, _, after = rest.rpartition("@")
    host_port, _, name = after.partition("/")
    proxy = FlakyProxy(int(host_port.rpartition(":")[2] or 5432))
    prefix = f"{credentials}@" if credentials else ""
    yield proxy, f"postgresql://{prefix}127.0.0.1:{proxy.port}/{name}"
    proxy.close()


@pytest.mark.postgres
def test_a_check_waits_for_postgres_to_come_back(
    tmp_path: Path, replay_server: ReplayServer, flaky_postgres
):
    proxy, url = flaky_postgres
    replay_server.add("/feed/0", feed(0, 0), content_type="application/rss+xml")
    config = write_config(tmp_path / "lexwatch.toml", url, replay_server, {"s00": "/feed/0"})
    # PostgreSQL is down when the check starts; it comes back once lexwatch has said so.
    process = lexwatch_process(config, "check", "--all", "--json")
    assert process.stderr is not None
    said = process.stderr.readline()
    assert "connecting to PostgreSQL failed, retry 1" in said, said
    proxy.serve_after(1.0)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, said + stderr
    assert json.loads(stdout)[0]["outcome"] == "baseline"
    assert proxy.accepted >= 1


@pytest.mark.postgres
def test_the_store_rides_out_a_postgres_outage_between_checks(flaky_postgres):
    proxy, url = flaky_postgres
    proxy.serve_after(0)
    time.sleep(0.2)
    store = Store.open(url)
    _store_source(store)
    store.record(_failed_check(), None)
    proxy.outage(2.0)  # open connections cut, new ones refused for 2 s
    store.record(_failed_check(), None)
    assert len(store.checks("s00")) == 2
    assert proxy.accepted >= 2  # a new connection after the outage
    store.close()


def test_the_retry_gives_up_on_a_database_that_stays_away(caplog):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    port = sock.getsockname()[1]
    engine = db.make_engine(f"postgresql://nobody@127.0.0.1:{port}/x", retry_seconds=1.0)
    with caplog.at_level(logging.WARNING, logger="storage.db"):
        with pytest.raises(Exception) as failure:
            with engine.connect():
                pass
    assert "connecting to PostgreSQL failed, retry 1 in" in caplog.text  # it waited first
    assert "refused" in str(failure.value).lower()
    sock.close()


def test_the_retry_backs_off_and_stops_when_its_time_is_up():
    now, slept, calls = [0.0], [], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    def refused() -> None:
        calls.append(now[0])
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with pytest.raises(OperationalError):
        retrying(refused, seconds=1.0, sleep=sleep, clock=lambda: now[0])
    # Doubling from 50 ms, the last wait cut to what is left of the second; then one last try.
    assert slept == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.25])
    assert len(calls) == 6 and calls[-1] == pytest.approx(1.0)


# -- a full disk ------------------------------------------------------------------------------

LIMIT: dict[str, int | None] = {"pages": None}


def big_page(version: int) -> str:
    rng = random.Random(version)
    sections = "".join(
        f"<h2>Section {n}</h2><p>{' '.join(f'{rng.getrandbits(64):x}' for _ in range(60))}</p>"
        for n in range(120)
    )
    return f"<html><body><main><h1>Guidance v{version}</h1>{sections}</main></body></html>"


def test_a_full_disk_fails_the_check_cleanly_and_the_next_one_recovers(
    tmp_path: Path, replay_server: ReplayServer, monkeypatch
):
    replay_server.add("/page", big_page(0), big_page(1))
    database = tmp_path / "lexwatch.db"
    config = write_config(
        tmp_path / "lexwatch.toml",
        f"sqlite:///{database}",
        replay_server,
        {"guide": "/page"},
        parser="html",
    )
    original = db._sqlite_pragmas

    def limited(connection, record) -> None:
        original(connection, record)
        if LIMIT["pages"] is not None:  # SQLite's own "database or disk is full"
            connection.execute(f"PRAGMA max_page_count={LIMIT['pages']}")

    monkeypatch.setattr(db, "_sqlite_pragmas", limited)
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(config), "check", "guide"]).exit_code == 0
    before = counts(database)
    replay_server.set_version("/page", 1)
    LIMIT["pages"] = page_count(database) + 12  # room for a failure row, not a snapshot
    full = runner.invoke(main, ["--config", str(config), "check", "guide"])
    assert full.exit_code == 3, full.output
    assert "database or disk is full" in " ".join(full.output.split())
    after = counts(database)
    assert (after["snapshots"], after["changes"], after["blobs"]) == (
        before["snapshots"],
        before["changes"],
        before["blobs"],
    )  # nothing half-written
    failed = latest_check(database)
    assert failed["outcome"] == "failed" and "could not store this check" in failed["error"]
    LIMIT["pages"] = None  # space freed
    again = runner.invoke(main, ["--config", str(config), "check", "guide"])
    assert again.exit_code == 0, again.output
    assert latest_check(database)["outcome"] == "changed"
    assert counts(database)["changes"] > before["changes"]


def page_count(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute("PRAGMA page_count").fetchone()[0])


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("checks", "snapshots", "changes", "blobs")
        }


def latest_check(database: Path) -> dict[str, str]:
    with sqlite3.connect(database) as connection:
        outcome, error = connection.execute(
            "SELECT outcome, error FROM checks ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return {"outcome": outcome, "error": error or ""}
