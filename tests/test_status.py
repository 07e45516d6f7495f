"""`lexwatch status`: what runs, what is due, what fails, what waits to be delivered."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func
from sqlmodel import select

from monitor.service.status import ServiceState, read_status, render, status_json
from monitor.types import ServiceProcess
from storage.checks import CHECKED_ELSEWHERE
from storage.db import session_scope
from storage.models import CheckRow, DeliveryRow, SourceRow
from storage.store import Store
from tests.processes import clean_env
from tests.servers.replay import ReplayServer

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PAGE = "<html><body><main><h1>Guidance</h1><p>Draft guidelines in June.</p></main></body></html>"


def add_source(
    store: Store,
    key: str,
    *,
    interval: int = 3600,
    last_check: datetime | None = None,
    streak: int = 0,
    error: str | None = None,
) -> None:
    with session_scope(store.engine) as session:
        session.add(
            SourceRow(
                key=key,
                title=key,
                url=f"https://example.eu/{key}",
                parser="html",
                interval_seconds=interval,
                last_check_at=last_check,
                failure_streak=streak,
                last_error=error,
            )
        )
        session.flush()
        if last_check is not None:
            session.add(
                CheckRow(
                    source_key=key,
                    started_at=last_check,
                    duration_ms=10,
                    outcome="failed" if streak else "not_modified",
                    change_count=0,
                )
            )


def add_delivery(store: Store, status: str, created: datetime) -> None:
    with session_scope(store.engine) as session:
        count = session.exec(select(func.count()).select_from(DeliveryRow)).one()
        session.add(
            DeliveryRow(
                subscription="team",
                channel="slack",
                mode="instant",
                kind="change",
                dedupe_key=f"change:{count}",
                source_key="fresh",
                status=status,
                created_at=created,
            )
        )


@pytest.fixture
def store(database_url: str):
    opened = Store.open(database_url)
    yield opened
    opened.close()


def test_status_shows_due_overdue_failing_and_the_outbox(store: Store):
    add_source(store, "fresh", last_check=NOW - timedelta(minutes=10))
    add_source(store, "late", last_check=NOW - timedelta(hours=3))
    add_source(
        store,
        "broken",
        last_check=NOW - timedelta(minutes=5),
        streak=4,
        error="HTTP 503 from https://example.eu/broken",
    )
    add_source(store, "new")
    add_source(store, "unconfigured", last_check=NOW - timedelta(days=30))
    add_delivery(store, "pending", NOW - timedelta(minutes=30))
    add_delivery(store, "pending", NOW - timedelta(minutes=1))
    add_delivery(store, "dead", NOW - timedelta(days=1))
    add_delivery(store, "sent", NOW - timedelta(days=2))

    status = read_status(store, ["fresh", "late", "broken", "new"], NOW)

    assert status.state is ServiceState.BEHIND
    assert [due.key for due in status.sources] == ["new", "late", "fresh", "broken"]
    assert [due.key for due in status.overdue] == ["late"]
    assert status.sources[1].next_due_at == NOW - timedelta(hours=2)
    assert [(d.key, d.failure_streak) for d in status.failing] == [("broken", 4)]
    assert status.last_failed == []
    assert status.recent.checks == 2 and status.recent.failed == 1
    assert status.outbox.by_status == {"pending": 2, "dead": 1, "sent": 1}
    assert status.outbox.oldest_pending_at == NOW - timedelta(minutes=30)
    as_json = status_json(status)
    assert as_json["service"]["state"] == "behind" and as_json["overdue"] == ["late"]
    json.dumps(as_json)  # serialisable as it is


def test_a_check_skipped_because_it_ran_elsewhere_is_no_failure(store: Store):
    add_source(store, "fresh", last_check=NOW - timedelta(minutes=10))
    with session_scope(store.engine) as session:
        session.add(
            CheckRow(
                source_key="fresh",
                started_at=NOW - timedelta(minutes=10),
                duration_ms=10,
                outcome="skipped",
                error=CHECKED_ELSEWHERE,
            )
        )
    status = read_status(store, ["fresh"], NOW)
    assert (status.recent.checks, status.recent.failed, status.recent.skipped) == (2, 0, 1)
    assert status.failing == [] and status.state is ServiceState.CHECKING
    console = Console(record=True, width=200)
    console.print(render(status))
    assert "2 check(s), 0 failed, 1 skipped (checked elsewhere)" in console.export_text()
    assert status_json(status)["service"]["skipped_last_hour"] == 1


def test_a_service_that_keeps_up_is_checking(store: Store):
    add_source(store, "fresh", last_check=NOW - timedelta(minutes=10))
    add_source(store, "slow", interval=86400, last_check=NOW - timedelta(hours=5))
    assert read_status(store, ["fresh", "slow"], NOW).state is ServiceState.CHECKING
    later = NOW + timedelta(minutes=55)  # nothing checked for an hour, nothing due yet either
    assert read_status(store, ["slow"], later).state is ServiceState.IDLE


def test_never_run(store: Store):
    add_source(store, "new")
    status = read_status(store, ["new"], NOW)
    assert status.state is ServiceState.NEVER and status.sources[0].next_due_at is None


def test_one_or_two_failures_are_not_failing_yet(store: Store):
    """Failing means FAILING_AFTER (3) failed checks in a row, as `lexwatch sources` says."""
    add_source(store, "once", last_check=NOW - timedelta(minutes=5), streak=1, error="HTTP 503")
    add_source(store, "twice", last_check=NOW - timedelta(minutes=5), streak=2, error="HTTP 503")
    add_source(store, "thrice", last_check=NOW - timedelta(minutes=5), streak=3, error="HTTP 503")
    status = read_status(store, ["once", "twice", "thrice"], NOW)
    assert [d.key for d in status.failing] == ["thrice"]
    assert sorted(d.key for d in status.last_failed) == ["once", "twice"]
    as_json = status_json(status)
    assert as_json["failing"] == ["thrice"]
    assert sorted(as_json["last_check_failed"]) == ["once", "twice"]


def service(started: datetime, role: str = "run", checks: bool = True) -> ServiceProcess:
    return ServiceProcess(
        id=f"host:1:{started.isoformat()}",
        role=role,
        checks=checks,
        host="host",
        pid=1,
        started_at=started,
    )


def test_a_stopped_service_is_stopped_not_checking(store: Store):
    """Checks in the last hour and nothing overdue yet: only the heartbeat tells."""
    started = NOW - timedelta(minutes=30)
    add_source(store, "fresh", last_check=NOW - timedelta(minutes=10))
    store.beat(service(started), started)
    store.beat(service(started), NOW - timedelta(minutes=5))
    assert read_status(store, ["fresh"], NOW - timedelta(minutes=4)).state is (
        ServiceState.CHECKING
    )
    store.stop_beating(service(started).id, NOW - timedelta(minutes=3))
    status = read_status(store, ["fresh"], NOW)
    assert status.state is ServiceState.STOPPED
    assert (
        status_json(status)["service"]["heartbeat"]["stopped_at"]
        == (NOW - timedelta(minutes=3)).isoformat()
    )


def test_a_service_whose_heartbeat_went_stale_is_stopped(store: Store):
    """Killed (SIGKILL, power loss): it never said it stopped, its heartbeat just ends."""
    started = NOW - timedelta(minutes=30)
    add_source(store, "fresh", last_check=NOW - timedelta(minutes=10))
    store.beat(service(started), NOW - timedelta(seconds=60))
    assert read_status(store, ["fresh"], NOW).state is ServiceState.CHECKING
    assert read_status(store, ["fresh"], NOW + timedelta(seconds=60)).state is (
        ServiceState.STOPPED
    )


def test_never_checked_sources_are_overdue_once_a_start_should_have_checked_them(store: Store):
    """A start checks a never-checked source within min(interval, 10 min); after that (and
    its slack) the source is overdue, whether the service still runs or not."""
    started = NOW - timedelta(minutes=20)
    add_source(store, "checked", last_check=NOW - timedelta(minutes=19))
    add_source(store, "new")
    store.beat(service(started), started)
    store.stop_beating(service(started).id, started + timedelta(minutes=1))
    status = read_status(store, ["checked", "new"], NOW)
    assert status.state is ServiceState.STOPPED
    assert [d.key for d in status.overdue] == ["new"]
    assert status.sources[0].next_due_at == started + timedelta(minutes=10)
    early = read_status(store, ["checked", "new"], started + timedelta(minutes=11))
    assert early.overdue == []  # within its slack


def test_checks_from_cron_after_the_service_went_away_are_read_from_the_checks(store: Store):
    started = NOW - timedelta(days=3)
    store.beat(service(started), started)
    store.stop_beating(service(started).id, started + timedelta(hours=1))
    add_source(store, "fresh", last_check=NOW - timedelta(minutes=10))
    assert read_status(store, ["fresh"], NOW).state is ServiceState.CHECKING


def test_a_service_that_does_not_check_is_no_heartbeat_of_checking(store: Store):
    """`lexwatch run --no-checks` leaves checking to the scale-out scheduler."""
    add_source(store, "fresh", last_check=NOW - timedelta(minutes=10))
    store.beat(service(NOW - timedelta(minutes=30), checks=False), NOW - timedelta(seconds=5))
    status = read_status(store, ["fresh"], NOW)
    assert status.state is ServiceState.CHECKING and status.beat is None


def lexwatch(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_status_command(tmp_path: Path, replay_server: ReplayServer):
    replay_server.add("/guidance", PAGE)
    (tmp_path / "lexwatch.toml").write_text(f"""
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
allow_private_addresses = true
[sources.guidance]
url = "{replay_server.url("/guidance")}"
parser = "html"
interval = "6h"
[sources.down]
url = "{replay_server.url("/missing")}"
parser = "html"
interval = "1h"
""")
    before = lexwatch(tmp_path, "status")
    assert before.returncode == 0, before.stderr
    assert "never run" in before.stdout and "now (never checked)" in before.stdout

    lexwatch(tmp_path, "check", "--all")
    shown = lexwatch(tmp_path, "status")
    assert "service: checking" in shown.stdout
    assert "in 5h59m" in shown.stdout or "in 6h" in shown.stdout
    assert "sources whose last check failed" in shown.stdout and "404" in shown.stdout
    assert "0 failing (3+ failed checks in a row), 1 more whose last check failed" in (shown.stdout)
    assert "deliveries: 0 pending, 0 dead" in shown.stdout

    data = json.loads(lexwatch(tmp_path, "status", "--json").stdout)
    assert data["service"]["checks_last_hour"] == 2
    assert data["failing"] == [] and data["last_check_failed"] == ["down"]
    assert {s["key"] for s in data["sources"]} == {"guidance", "down"}
    for _ in range(2):
        lexwatch(tmp_path, "check", "down")
    data = json.loads(lexwatch(tmp_path, "status", "--json").stdout)
    assert data["failing"] == ["down"] and data["last_check_failed"] == []


@pytest.mark.slow
def test_status_of_a_running_then_stopped_service(tmp_path: Path, replay_server: ReplayServer):
    replay_server.add("/guidance", PAGE)
    (tmp_path / "lexwatch.toml").write_text(f"""
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
allow_private_addresses = true
per_host_spacing = 0
[sources.guidance]
url = "{replay_server.url("/guidance")}"
parser = "html"
interval = 2
""")
    assert lexwatch(tmp_path, "db", "upgrade").returncode == 0  # not two first migrations
    with (tmp_path / "run.log").open("w") as log:
        service = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--no-dashboard"],
            cwd=tmp_path,
            env=clean_env(),
            stdout=log,
            stderr=log,
        )
    try:

        def state() -> dict:
            found = lexwatch(tmp_path, "status", "--json")
            return json.loads(found.stdout) if found.returncode == 0 else {}

        # Until its first checks are stored, read in-process as `status` reads them (the
        # command itself, a process each time, once they are).
        store = Store.open(f"sqlite:///{tmp_path / 'lexwatch.db'}")
        try:
            for _ in range(600):
                if read_status(store, ["guidance"], datetime.now(UTC)).recent.checks:
                    break
                time.sleep(0.1)
        finally:
            store.close()
        running = state()
        assert running["service"]["state"] == "checking", (tmp_path / "run.log").read_text()
        assert running["service"]["heartbeat"]["stopped_at"] is None
        service.send_signal(signal.SIGTERM)
        assert service.wait(60) == 0
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    stopped = state()
    assert stopped["service"]["state"] == "stopped"
    assert stopped["service"]["heartbeat"]["stopped_at"] is not None
    assert "service: stopped" in lexwatch(tmp_path, "status").stdout
