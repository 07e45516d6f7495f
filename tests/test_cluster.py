"""Scale-out on the real PostgreSQL: `lexwatch scheduler` and `lexwatch worker` processes.

100 sources on the loopback replay server; a scheduler and two workers check every source
once per cycle, store each change once, and lose nothing when a worker is SIGKILLed while it
is in the middle of checks.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from monitor.app import App
from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.pipeline import utcnow
from monitor.service import cluster
from tests.servers.replay import ReplayServer
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.postgres

SOURCES = 100
ROOT = Path(__file__).resolve().parents[1]
# `python -m monitor` once monitor.cli registers the cluster commands; until then, register here.


def page(i: int, version: int) -> str:
    scope = "providers" if version == 0 else "providers and deployers of AI systems"
    annex = (
        "<h2>Annex</h2><p>The Commission published a template for the summary.</p>"
        if version == 2
        else ""
    )
    return (
        f"<!DOCTYPE html><html><head><title>Document {i}</title></head><body>"
        f"<nav>Home</nav><main><h1>Guideline {i}</h1>"
        f"<h2>Scope</h2><p>Guideline {i} applies to {scope}.</p>"
        f"<h2>Background</h2><p>The AI Office prepared guideline {i} with experts.</p>"
        f"{annex}</main></body></html>"
    )


def key(i: int) -> str:
    return f"s{i:03d}"


def write_config(path: Path, database_url: str, server: ReplayServer, count: int) -> Path:
    lines = [
        f'database_url = "{database_url}"',
        "builtin_catalog = false",
        "[http]",
        'contact = "mailto:tests@example.org"',
        "respect_robots = false",
        "per_host_spacing = 0",
        "per_host_concurrency = 16",
        "retries = 0",
        "read_timeout = 60",
        'allowed_hosts = ["127.0.0.1"]',
    ]
    for i in range(count):
        server.add(f"/doc/{i}", page(i, 0), page(i, 1), page(i, 2))
        lines += [
            f"[sources.{key(i)}]",
            f'url = "{server.url(f"/doc/{i}")}"',
            'parser = "html"',
            'keep = ["main"]',
            'interval = "1h"',
        ]
    server.add("/hook", "ok", content_type="text/plain")
    lines += [
        "[alerts]",
        "dispatch_interval = 1",
        "[[subscriptions]]",
        'name = "team"',
        'channel = "webhook"',
        f'target = "{server.url("/hook")}"',
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Cluster:
    """Processes of one test, their logs in tmp_path, and the database to look at."""

    config: Path
    logs: Path
    database_url: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(self.config), *args],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
        self.procs.append(proc)
        return proc

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(self.config), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "--concurrency", "4", "--heartbeat", "0.5")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def query(self, sql: str) -> list[tuple[object, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql).fetchall()

    def checks_per_source(self) -> dict[str, int]:
        return {
            str(k): int(str(n))
            for k, n in self.query("SELECT source_key, count(*) FROM checks GROUP BY source_key")
        }

    def busy_jobs(self) -> int:
        rows = self.query(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        )
        return int(str(rows[0][0]))

    def wait_for(self, what: str, ok: Callable[[], bool], timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while not ok():
            if time.monotonic() > deadline:
                logs = "\n".join(
                    f"--- {p.name}\n{self.log(p.stem)[-3000:]}"
                    for p in sorted(self.logs.glob("*.log"))
                )
                pytest.fail(f"timed out waiting for {what}\n{logs}")
            time.sleep(0.2)

    def wait_cycle(self, cycle: int) -> None:
        """Every source has ``cycle`` checks and the queue is empty."""
        self.wait_for(
            f"cycle {cycle}",
            lambda: (
                self.busy_jobs() == 0
                and all(n >= cycle for n in self.checks_per_source().values())
                and len(self.checks_per_source()) == SOURCES
            ),
        )

    def age_checks(self) -> None:
        """Make every source due again, as if its interval (1 h) had passed."""
        self.query(
            "UPDATE sources SET last_check_at = last_check_at - interval '1 hour' RETURNING key"
        )

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 20) -> int:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout)


@pytest.fixture
def lexwatch(tmp_path: Path, postgres_url: str, replay_server: ReplayServer) -> Iterator[Cluster]:
    config = write_config(tmp_path / "lexwatch.toml", postgres_url, replay_server, SOURCES)
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Cluster(config=config, logs=logs, database_url=postgres_url)
    yield running
    for proc in running.procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def changes_by_source(lexwatch: Cluster) -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for source, item, check in lexwatch.query(
        "SELECT source_key, item_key, check_id FROM changes ORDER BY id"
    ):
        found.setdefault(str(source), []).append((str(item), int(str(check))))
    return found


def assert_each_change_once(lexwatch: Cluster, changed: set[str]) -> None:
    found = changes_by_source(lexwatch)
    assert set(found) == changed
    for source, rows in found.items():
        items = [item for item, _ in rows]
        assert len(items) == len(set(items)), f"{source}: a change was stored twice: {rows}"


@pytest.mark.slow
def test_scheduler_and_workers_check_each_source_once_and_survive_a_kill(
    lexwatch: Cluster, replay_server: ReplayServer
) -> None:
    # Cycle 1: three processes start at once on an empty database; two workers share a round.
    first, second = lexwatch.worker("worker-a"), lexwatch.worker("worker-b")
    assert "queued 100 check(s)" in lexwatch.run("scheduler", "--once")
    lexwatch.wait_cycle(1)
    assert set(lexwatch.checks_per_source().values()) == {1}
    assert lexwatch.query("SELECT DISTINCT outcome FROM checks") == [("baseline",)]
    # Nothing is due before the interval has passed.
    assert "queued 0 check(s)" in lexwatch.run("scheduler", "--once")

    # Cycle 2: 30 documents changed.
    changed = {key(i) for i in range(30)}
    for i in range(30):
        replay_server.set_version(f"/doc/{i}", 1)
    lexwatch.age_checks()
    assert "queued 100 check(s)" in lexwatch.run("scheduler", "--once")
    lexwatch.wait_cycle(2)
    assert set(lexwatch.checks_per_source().values()) == {2}
    assert_each_change_once(lexwatch, changed)
    before_kill = changes_by_source(lexwatch)

    # Cycle 3, by the long-running scheduler: worker a takes the four slow documents first
    # (lowest job ids, four at a time; worker b is paused meanwhile) and is killed while it
    # fetches them; worker b does the rest and, once recovered, the killed jobs.
    slow = [0, 1, 2, 3]
    newly = {key(i) for i in [*slow, *range(50, 80)]}
    for i in [*slow, *range(50, 80)]:
        replay_server.set_version(f"/doc/{i}", 2)
    for i in slow:
        replay_server.fault(f"/doc/{i}", "timeout", delay=30)
    hits_before = {i: replay_server.hits(f"/doc/{i}") for i in slow}
    second.send_signal(signal.SIGSTOP)
    lexwatch.age_checks()
    scheduler = lexwatch.start(
        "scheduler", "scheduler", "--tick", "0.2", "--recover-every", "0.5", "--stalled-after", "3"
    )
    lexwatch.wait_for(
        "worker a to fetch the slow documents",
        lambda: all(replay_server.hits(f"/doc/{i}") > hits_before[i] for i in slow),
    )
    second.send_signal(signal.SIGCONT)
    first.kill()
    first.wait(10)
    lexwatch.wait_cycle(3)

    assert set(lexwatch.checks_per_source().values()) == {3}
    for i in slow:  # the killed fetch, then the recovered job's fetch
        assert replay_server.hits(f"/doc/{i}") == hits_before[i] + 2
    assert_each_change_once(lexwatch, changed | newly)
    after = changes_by_source(lexwatch)
    for source in changed - newly:
        assert after[source] == before_kill[source]
    assert lexwatch.query(
        "SELECT count(*) FROM procrastinate_jobs WHERE status NOT IN ('succeeded')"
    ) == [(0,)]
    assert lexwatch.log("scheduler").count("of a dead worker is queued again") == len(slow)
    # Every alert the outbox holds is posted to the webhook once, whichever worker sent it.
    lexwatch.wait_for(
        "the alerts to be sent",
        lambda: lexwatch.query("SELECT count(*) FROM deliveries WHERE status <> 'sent'") == [(0,)],
    )
    posts = [
        r.headers["x-lexwatch-delivery"]
        for r in replay_server.requests
        if r.path == "/hook" and r.method == "POST"
    ]
    deliveries = lexwatch.query("SELECT count(*), count(DISTINCT change_id) FROM deliveries")
    assert deliveries == [(len(posts), len(posts))]
    assert len(set(posts)) == len(posts) > 0
    for proc in (scheduler, second):  # SIGTERM: a clean stop
        assert lexwatch.stop(proc) == 0


def test_two_workers_space_their_requests_to_one_host_as_one_process_would(
    tmp_path: Path, postgres_url: str, replay_server: ReplayServer
) -> None:
    count = 12
    config = write_config(tmp_path / "lexwatch.toml", postgres_url, replay_server, count)
    config.write_text(config.read_text().replace("per_host_spacing = 0", "per_host_spacing = 0.25"))
    (tmp_path / "logs").mkdir()
    running = Cluster(config=config, logs=tmp_path / "logs", database_url=postgres_url)
    names = ("worker-a", "worker-b")
    try:
        # At DEBUG each worker logs the turn the database gave each request.
        workers = [
            running.start(
                name, "--log-level", "DEBUG", "worker", "--concurrency", "4", "--heartbeat", "0.5"
            )
            for name in names
        ]
        # Both take jobs before any is queued: on a busy machine one could still be importing
        # while the other checks all twelve.
        running.wait_for(
            "both workers to start",
            lambda: all("Starting worker on queues" in running.log(name) for name in names),
        )
        assert f"queued {count} check(s)" in running.run("scheduler", "--once")
        running.wait_for(
            "every source checked",
            lambda: running.busy_jobs() == 0 and len(running.checks_per_source()) == count,
        )
        for proc in workers:
            assert running.stop(proc) == 0
    finally:
        for proc in running.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    # Both workers checked sources (8 slots for 12 jobs), and every request to the one host
    # got its own turn, each at least 0.25 s after the one before on the database's clock,
    # whichever worker sent it. (The waits themselves: tests/test_turns.py.)
    turns = []
    for name in names:
        assert "check s0" in running.log(name), running.log(name)[-2000:]
        turns += [
            datetime.fromisoformat(found)
            for found in re.findall(r"request turn for 127\.0\.0\.1 at (\S+)", running.log(name))
        ]
    requests = [r for r in replay_server.requests if r.path.startswith("/doc/")]
    assert len(requests) == len(turns) == count
    turns.sort()
    gaps = [b - a for a, b in zip(turns, turns[1:], strict=False)]
    assert min(gaps) >= timedelta(seconds=0.25), gaps


# -- in one process ---------------------------------------------------------------------


def test_a_job_rerun_after_its_check_was_stored_stores_no_second_change(
    tmp_path: Path, postgres_url: str, replay_server: ReplayServer
) -> None:
    config = write_config(tmp_path / "lexwatch.toml", postgres_url, replay_server, 2)
    app = cluster.start(load_settings(config), App.start)
    try:
        asyncio.run(_run_twice(app, replay_server))
    finally:
        app.close()
    with psycopg.connect(postgres_url) as conn:
        outcomes = conn.execute(
            "SELECT outcome FROM checks WHERE source_key = 's000' ORDER BY id"
        ).fetchall()
        changes = conn.execute("SELECT count(*) FROM changes").fetchone()
    assert [o for (o,) in outcomes] == ["baseline", "changed", "unchanged"]
    assert changes == (1,)


async def _run_twice(app: App, server: ReplayServer) -> None:
    queue = cluster.queue_app(app.settings)
    options = cluster.WorkerOptions(concurrency=1, wait=False, heartbeat=0.5)

    async def defer_and_work() -> None:
        await queue.configure_task(cluster.CHECK_TASK).defer_async(source_key="s000")
        await cluster.run_worker(app, options)

    async with queue.open_async():
        await defer_and_work()
        server.set_version("/doc/0", 1)
        await defer_and_work()
        # The same job once more, as after a crash between storing the check and finishing
        # the job; the server answers in full (no 304), so the pipeline compares snapshots.
        server.fault("/doc/0", "body", body=page(0, 1), content_type="text/html")
        await defer_and_work()


def test_first_runs_are_spread_and_a_queued_source_is_not_queued_twice(
    tmp_path: Path, postgres_url: str, replay_server: ReplayServer
) -> None:
    config = write_config(tmp_path / "lexwatch.toml", postgres_url, replay_server, 20)
    app = cluster.start(load_settings(config), App.start)
    try:
        spread, first, again = asyncio.run(_plan_and_defer(app))
    finally:
        app.close()
    assert all(0 <= offset <= 600 for offset in spread)  # min(interval 1 h, 10 min)
    assert len(set(spread)) == 20
    assert (first, again) == (20, 0)


async def _plan_and_defer(app: App) -> tuple[list[float], int, int]:
    async with cluster.queue_app(app.settings).open_async() as queue:
        scheduler = cluster.Scheduler(app=app, queue=queue)
        now = utcnow()
        await scheduler.plan(spread=True)
        spread = [(due - now).total_seconds() for due in scheduler.next_due.values()]
        await scheduler.plan(spread=False)  # as `--once`: never checked means due now
        first = await scheduler.defer_due()
        await scheduler.plan(spread=False)  # still never checked: the jobs wait in the queue
        return spread, first, await scheduler.defer_due()


def test_recovering_a_dead_workers_job_gives_way_to_a_newer_queued_one(
    tmp_path: Path, postgres_url: str, replay_server: ReplayServer
) -> None:
    config = write_config(tmp_path / "lexwatch.toml", postgres_url, replay_server, 2)
    app = cluster.start(load_settings(config), App.start)
    try:
        statuses = asyncio.run(_recover_with_a_newer_job(app, postgres_url))
    finally:
        app.close()
    # s000's stalled job is dropped for the queued one; s001's goes back to the queue.
    assert statuses == [("s000", "aborted"), ("s000", "todo"), ("s001", "todo")]


async def _recover_with_a_newer_job(app: App, postgres_url: str) -> list[tuple[object, ...]]:
    async with cluster.queue_app(app.settings).open_async() as queue:
        scheduler = cluster.Scheduler(
            app=app, queue=queue, options=cluster.SchedulerOptions(stalled_after=5)
        )
        await scheduler.plan(spread=False)
        await scheduler.defer_due()
        dead = await queue.job_manager.register_worker()
        for _ in range(2):  # the dead worker had taken both jobs
            await queue.job_manager.fetch_job(queues=None, worker_id=dead)
        await scheduler.plan(spread=False)
        await scheduler.defer_due()  # s000 and s001 queued anew while their jobs hang
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as db:
            await db.execute(
                "DELETE FROM procrastinate_jobs WHERE status = 'todo'"
                " AND args->>'source_key' = 's001'"
            )
            await db.execute(
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute'"
            )
            assert await scheduler.recover() == 2
            rows = await db.execute(
                "SELECT args->>'source_key', status::text FROM procrastinate_jobs ORDER BY 1, 2"
            )
            return await rows.fetchall()


def test_digests_and_retention_are_queued_at_their_time_and_run_by_a_worker(
    tmp_path: Path, postgres_url: str, replay_server: ReplayServer, smtp_server: SmtpServer
) -> None:
    config = write_config(tmp_path / "lexwatch.toml", postgres_url, replay_server, 1)
    config.write_text(
        config.read_text()
        + f"""
[[subscriptions]]
name = "daily"
channel = "email"
mode = "digest"
recipients = ["legal@example.eu"]
digest_time = "08:00:00"
timezone = "Europe/Brussels"
[smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
"""
    )
    app = cluster.start(load_settings(config), App.start)
    try:
        zone, queued, again = asyncio.run(_digest_day(app, replay_server))
    finally:
        app.close()
    assert zone == {"digest:daily": (8, 0), "retention": (3, 30)}
    assert (queued, again) == (2, 0)
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ("legal@example.eu",)
    assert "digest" in str(mail.message["Subject"])


async def _digest_day(
    app: App, server: ReplayServer
) -> tuple[dict[str, tuple[int, int]], int, int]:
    options = cluster.WorkerOptions(concurrency=2, wait=False, heartbeat=0.5)
    async with cluster.queue_app(app.settings).open_async() as queue:
        scheduler = cluster.Scheduler(app=app, queue=queue)
        for version in (0, 1):  # a baseline, then a change that waits for the digest
            server.set_version("/doc/0", version)
            await queue.configure_task(cluster.CHECK_TASK).defer_async(source_key="s000")
            await cluster.run_worker(app, options)
        scheduler.crons = cluster.crons(app, utcnow())
        zones = {"digest:daily": ZoneInfo("Europe/Brussels"), "retention": ZoneInfo("UTC")}
        local = {
            cron.lock: cron.next.astimezone(zones[cron.lock])
            for cron in scheduler.crons
            if cron.next
        }
        for cron in scheduler.crons:  # as if their time had come
            cron.next = utcnow()
        queued = await scheduler.defer_crons()
        for cron in scheduler.crons:
            cron.next = utcnow()
        again = await scheduler.defer_crons()  # still queued: not queued twice
        await cluster.run_worker(app, options)
    return {lock: (at.hour, at.minute) for lock, at in local.items()}, queued, again


def test_a_second_scheduler_stands_by_until_the_active_one_is_gone(postgres_url: str) -> None:
    async def scenario() -> list[bool]:
        never, soon = asyncio.Event(), asyncio.Event()
        async with cluster.leadership(postgres_url, never, poll=0.1) as first:
            asyncio.get_running_loop().call_later(0.5, soon.set)
            async with cluster.leadership(postgres_url, soon, poll=0.1) as second:
                pass
        async with cluster.leadership(postgres_url, never, poll=0.1) as third:
            return [first, second, third]

    assert asyncio.run(scenario()) == [True, False, True]


def test_scale_out_refuses_sqlite_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scale-out needs PostgreSQL; database_url is sqlite"):
        cluster.conninfo(f"sqlite:///{tmp_path / 'lexwatch.db'}")
    assert cluster.conninfo("postgresql+psycopg://u:p%40ss@db:5433/lw?sslmode=require") == (
        "postgresql://u:p%40ss@db:5433/lw?sslmode=require"
    )
