"""Benchmark: scale-out, one `lexwatch worker` against two, on the same queue of checks.

Sources on a local fixture web server (pages of 20-120 KB). For each worker count, a fresh
PostgreSQL database; the workers are started and idle first (process start-up is not timed),
then a full round of `check` jobs is queued (as `lexwatch scheduler --once` does) and the
wall time until the queue is empty is measured, for three cycles: first (every page fetched,
parsed and stored), 5 % changed, nothing changed (all 304). With ``--latency`` the server
waits that long before each answer, as a distant EU server would.

Run: python bench/cluster.py [--sources 300] [--concurrency 8] [--latency 0.2]
     (writes bench/results/cluster.txt; needs PostgreSQL at LEXWATCH_TEST_POSTGRES_URL,
     default postgresql://postgres@127.0.0.1:5432/test)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.app import App  # noqa: E402
from monitor.config import load_settings  # noqa: E402
from monitor.pipeline import utcnow  # noqa: E402
from monitor.service import cluster  # noqa: E402
from tests.servers.replay import ReplayServer  # noqa: E402

RESULTS = ROOT / "bench/results/cluster.txt"
ADMIN_URL = os.environ.get(
    "LEXWATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
WORDS = (
    "the commission provider deployer general-purpose model obligation guideline"
    " consultation annex article paragraph transparency risk office code practice"
).split()


def page(i: int, version: int, rng: random.Random) -> str:
    """A page of 20-120 KB: sections of paragraphs; version 1 edits one paragraph."""
    sections = []
    for s in range(rng.randint(8, 40)):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(300, 420)))
        if version and s == 0:
            text = f"Updated on version {version}. {text}"
        sections.append(f"<h2>Section {s}</h2><p>{text}</p>")
    return (
        f"<!DOCTYPE html><html><head><title>Doc {i}</title></head><body>"
        f"<main><h1>Document {i}</h1>{''.join(sections)}</main></body></html>"
    )


def serve(server: ReplayServer, count: int) -> None:
    for i in range(count):
        rng = random.Random(i)
        v0 = page(i, 0, rng)
        rng = random.Random(i)
        server.add(f"/doc/{i}", v0, page(i, 1, rng))


def write_config(path: Path, database_url: str, server: ReplayServer, count: int) -> None:
    lines = [
        f'database_url = "{database_url}"',
        "builtin_catalog = false",
        "[http]",
        'contact = "mailto:bench@example.org"',
        "respect_robots = false",
        "per_host_spacing = 0",
        "per_host_concurrency = 64",
        "global_concurrency = 64",
        'allowed_hosts = ["127.0.0.1"]',
    ]
    for i in range(count):
        lines += [
            f"[sources.s{i:04d}]",
            f'url = "{server.url(f"/doc/{i}")}"',
            'parser = "html"',
            'keep = ["main"]',
            'interval = "1h"',
        ]
    path.write_text("\n".join(lines) + "\n")


@contextmanager
def database() -> Iterator[str]:
    name = f"lexwatch_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def busy(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        ).fetchone()
        return int(row[0]) if row else 0


def count(url: str, sql: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0


async def queue_round(app: App) -> int:
    """Queue a check of every enabled source now (as `lexwatch scheduler --once`)."""
    async with cluster.queue_app(app.settings).open_async() as queue:
        scheduler = cluster.Scheduler(app=app, queue=queue)
        scheduler.next_due = {source.key: utcnow() for source in app.enabled()}
        return await scheduler.defer_due()


def timed_cycle(app: App, url: str) -> float:
    started = time.perf_counter()
    asyncio.run(queue_round(app))
    while busy(url):
        time.sleep(0.05)
    return time.perf_counter() - started


def start_workers(
    config: Path, workers: int, concurrency: int, url: str
) -> list[subprocess.Popen[bytes]]:
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monitor",
                "--config",
                str(config),
                "--log-level",
                "ERROR",
                "worker",
                "--concurrency",
                str(concurrency),
            ],
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    while count(url, "SELECT count(*) FROM procrastinate_workers") < workers:
        time.sleep(0.1)
    return procs


def run(
    server: ReplayServer, sources: int, workers: int, concurrency: int, latency: float
) -> dict[str, float]:
    """Wall seconds of the three cycles with ``workers`` workers on a fresh database."""
    times: dict[str, float] = {}
    changed = random.Random(7).sample(range(sources), max(1, sources // 20))
    with database() as url, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "lexwatch.toml"
        write_config(config, url, server, sources)
        app = cluster.start(load_settings(config), App.start)
        procs = start_workers(config, workers, concurrency, url)
        try:
            for name in ("first", "5% changed", "unchanged"):
                for i in range(sources):
                    server.set_version(f"/doc/{i}", int(name == "5% changed" and i in changed))
                    if latency:
                        server.fault(f"/doc/{i}", "timeout", delay=latency)
                times[name] = timed_cycle(app, url)
            expected = len(changed)
            found = count(url, "SELECT count(DISTINCT source_key) FROM changes")
            assert found == expected, f"{found} sources changed, expected {expected}"
            assert count(url, "SELECT count(*) FROM checks") == 3 * sources
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(60)
            app.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    server = ReplayServer()
    server.start()
    try:
        serve(server, args.sources)
        results = {n: run(server, args.sources, n, args.concurrency, args.latency) for n in (1, 2)}
    finally:
        server.stop()
    text = report(args, results)
    print(text)
    with RESULTS.open("a") as out:
        out.write(text + "\n")


def report(args: argparse.Namespace, results: dict[int, dict[str, float]]) -> str:
    command = "python bench/cluster.py " + shlex.join(sys.argv[1:])
    lines = [
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {command}",
        f"# {args.sources} sources, worker --concurrency {args.concurrency},"
        f" server latency {args.latency:g} s; {os.cpu_count()} CPU(s),"
        f" load average {os.getloadavg()[0]:.1f}; Python {platform.python_version()}",
        f"{'cycle':<12}{'1 worker s':>12}{'2 workers s':>13}{'speed-up':>10}",
    ]
    for name in results[1]:
        one, two = results[1][name], results[2][name]
        lines.append(f"{name:<12}{one:>12.2f}{two:>13.2f}{one / two:>9.2f}x")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
