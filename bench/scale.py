"""Benchmark: `lexwatch run` as a service watching 1,000 / 3,000 / 10,000 sources.

Issue 17's "Scale": one loopback host, no spacing, the unchanged cycle; CPU per source and
peak RSS at each size; the cost per source should not grow with the number of sources
(linear growth) and the service should stay under 400 MB resident.

For each size N, from nothing:

  1. a local aiohttp server (its own process, not measured) serves N HTML pages of about
     25 KB (bench/cycle.py's ECL-style chrome and text sections, three sections a page),
     with ETag and Last-Modified, answering 304 to either validator;
  2. `lexwatch check --all` stores the baseline of every source (SQLite, 16 requests at
     once, no spacing, robots off); its CPU and wall time are printed as "baseline";
  3. `lexwatch run` (the service as a user starts it, dashboard included, on a free loopback
     port) is started on the same database with every source's interval set to
     ``--interval`` seconds (60 by default). Each source falls due once within about one
     interval of the start (a source checked longer ago than its interval is spread over
     it, see monitor.service.schedule.first_run), every answer is a 304: the unchanged
     cycle. The cycle starts at the service's first check and ends when every source has
     been checked once (the service's "check KEY: ..." log lines on stderr).

Measured from /proc (the service's process, all its threads): CPU (user + system) during the
cycle, divided by the checks it logged in that time (a source due again before the last one
was checked counts twice); the CPU of the start-up (process start to the first check); peak
RSS (VmHWM) at the end of the cycle. The service is then stopped with SIGTERM.

The cost per check includes what the service does while it waits between checks (its
scheduler, the heartbeat, the dispatcher): the cycle is spread over the interval, as it is in
production. Other work on the machine (shared cores) makes CPU figures noisy: compare the
rows of one run, not runs on different days.

Run: .venv/bin/python bench/scale.py [--sizes 1000,3000,10000] [--interval 60]
(writes bench/results/scale.txt; about 2 minutes per size plus the baselines: `--sizes 200,600`
for a quick look)
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "scale.txt"
SIZES = (1000, 3000, 10_000)
INTERVAL_S = 60
CONCURRENCY = 16
RSS_TARGET_MB = 400
# "Linear": the CPU per check at the largest size at most this times that at the smallest.
LINEAR_TOLERANCE = 1.3
CHECK_LINE = re.compile(r"check (s\d+): ")
TICK = os.sysconf("SC_CLK_TCK")


# -- the fixture web site (its own process) -------------------------------------------------


def page(index: int) -> bytes:
    """About 25 KB: bench/cycle.py's header, three text sections and footer."""
    from bench import cycle

    rng = random.Random(cycle.SEED * 5 + index)
    sections = [cycle._section(rng, number, index, 0)[0] for number in range(3)]
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>Page {index}</title></head><body>"
        f"{cycle._CHROME}<main><h1>Publication {index}</h1>{''.join(sections)}</main>"
        f"{cycle._FOOTER}</body></html>"
    ).encode()


def serve(port: int) -> None:
    """Every page built on request (nothing held); /_stats counts requests and 304s."""
    from aiohttp import web

    stats = {"requests": 0, "not_modified": 0}
    modified = datetime(2026, 1, 1, tzinfo=UTC)
    last_modified = format_datetime(modified, usegmt=True)

    async def handle(request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        etag = f'"{index}-0"'
        headers = {"ETag": etag, "Last-Modified": last_modified}
        stats["requests"] += 1
        if (
            request.headers.get("If-None-Match") == etag
            or request.headers.get("If-Modified-Since") == last_modified
        ):
            stats["not_modified"] += 1
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=page(index), headers={**headers, "Content-Type": "text/html; charset=utf-8"}
        )

    async def read_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    app = web.Application()
    app.router.add_get("/page/{index}", handle)
    app.router.add_get("/_stats", read_stats)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", str(self.port)])
        deadline = time.monotonic() + 60
        while self.stats() is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the fixture server did not start")
            time.sleep(0.2)

    def stats(self) -> dict[str, int] | None:
        import json
        import urllib.request

        try:
            with urllib.request.urlopen(self.base + "/_stats", timeout=5) as answer:
                found: dict[str, int] = json.loads(answer.read())
                return found
        except OSError:
            return None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# -- lexwatch --------------------------------------------------------------------------------


def write_config(folder: Path, server: Server, count: int, interval: int) -> Path:
    lines = [
        "builtin_catalog = false",
        f'database_url = "sqlite:///{folder}/lexwatch.db"',
        "[http]",
        'contact = "mailto:bench@example.org"',
        f"per_host_concurrency = {CONCURRENCY}",
        f"global_concurrency = {CONCURRENCY}",
        "per_host_spacing = 0",
        "respect_robots = false",
        "allow_private_addresses = true",
        "[dashboard]",
        f"port = {free_port()}",
    ]
    for index in range(count):
        lines += [
            f"[sources.s{index:05d}]",
            f'url = "{server.base}/page/{index}"',
            'parser = "html"',
            f"interval = {interval}",
        ]
    config = folder / "lexwatch.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def lexwatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", *args]


def environment() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEXWATCH_")},
        "PYTHONPATH": str(ROOT),
    }


@dataclass(frozen=True, kw_only=True)
class Baseline:
    cpu: float
    wall: float


def baseline(folder: Path) -> Baseline:
    """`lexwatch check --all`: every source's first check, stored."""
    started = time.perf_counter()
    child = subprocess.Popen(
        lexwatch("check", "--all", "--json"),
        cwd=folder,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"lexwatch check --all exited with {child.returncode} in {folder}")
    return Baseline(cpu=usage.ru_utime + usage.ru_stime, wall=time.perf_counter() - started)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/PID/status")


class CheckLog:
    """Reads the service's stderr: the sources it checked, the CPU at the first and last."""

    def __init__(self, pid: int, stream: IO[str], count: int) -> None:
        self.pid, self.count = pid, count
        self.checked: set[str] = set()
        self.checks = 0
        self.first: tuple[float, float] | None = None  # (monotonic, CPU s) at the first check
        self.last: tuple[float, float] | None = None  # ... when every source was checked
        self.lines: list[str] = []
        self.done = threading.Event()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            found = CHECK_LINE.search(line)
            if found is None:
                self.lines = [*self.lines[-20:], line]
                continue
            if self.last is not None:
                continue
            if self.first is None:
                self.first = (time.monotonic(), cpu_seconds(self.pid))
            self.checks += 1
            self.checked.add(found.group(1))
            if len(self.checked) == self.count:
                self.last = (time.monotonic(), cpu_seconds(self.pid))
                self.done.set()
        self.done.set()


@dataclass(frozen=True, kw_only=True)
class Cycle:
    size: int
    baseline: Baseline
    startup_cpu: float
    cpu: float
    wall: float
    checks: int
    not_modified: int
    peak_mb: float


def unchanged_cycle(folder: Path, server: Server, size: int, interval: int) -> Cycle:
    """The service on a checked database: one unchanged cycle, measured; then SIGTERM."""
    first = baseline(folder)
    before = server.stats() or {}
    service = subprocess.Popen(
        lexwatch("run"),
        cwd=folder,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert service.stderr is not None
    log = CheckLog(service.pid, service.stderr, size)
    try:
        if not log.done.wait(timeout=interval * 3 + 600) or log.last is None:
            tail = "".join(log.lines)
            sys.exit(f"the service checked {len(log.checked)} of {size} sources:\n{tail}")
        peak = peak_rss_mb(service.pid)
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(120)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
    after = server.stats() or {}
    assert log.first is not None
    return Cycle(
        size=size,
        baseline=first,
        startup_cpu=log.first[1],
        cpu=log.last[1] - log.first[1],
        wall=log.last[0] - log.first[0],
        checks=log.checks,
        not_modified=after.get("not_modified", 0) - before.get("not_modified", 0),
        peak_mb=peak,
    )


# -- the report ------------------------------------------------------------------------------


def report(cycles: list[Cycle], command: str, interval: int, started: datetime) -> list[str]:
    lines = [
        f"# {started:%Y-%m-%d %H:%M} UTC  {command}",
        f"# {platform.machine()}, {os.cpu_count()} cores (shared with other work), load average"
        f" {os.getloadavg()[0]:.1f} at the end; Python {platform.python_version()}",
        f"# `lexwatch run` (dashboard on) on SQLite; one loopback host, {CONCURRENCY} requests"
        f" at once, no spacing, robots off; pages of ~25 KB; interval {interval} s;"
        " the unchanged cycle (all 304) after a `lexwatch check --all` baseline",
        "# CPU = user + system of the service process over the cycle (first check to every"
        " source checked), idle time between checks included; peak = VmHWM at the cycle's end",
        "",
        f"{'sources':>8} {'baseline cpu s':>15} {'start-up cpu s':>15} {'cycle cpu s':>12}"
        f" {'cycle wall s':>13} {'checks':>7} {'304s':>6} {'ms cpu/check':>13} {'peak MB':>8}",
    ]
    for c in cycles:
        lines.append(
            f"{c.size:8d} {c.baseline.cpu:15.1f} {c.startup_cpu:15.2f} {c.cpu:12.2f}"
            f" {c.wall:13.1f} {c.checks:7d} {c.not_modified:6d} {per_check_ms(c):13.3f}"
            f" {c.peak_mb:8.0f}"
        )
    lines += ["", "targets:"]
    smallest, largest = cycles[0], cycles[-1]
    growth = per_check_ms(largest) / per_check_ms(smallest)
    lines.append(
        f"  linear     CPU per check at {largest.size} sources / at {smallest.size}:"
        f" {growth:.2f}x (at most {LINEAR_TOLERANCE}x)"
        f"  {'OK' if growth <= LINEAR_TOLERANCE else 'ABOVE TARGET'}"
    )
    peak = max(c.peak_mb for c in cycles)
    lines.append(
        f"  memory     peak RSS {peak:.0f} MB (target < {RSS_TARGET_MB} MB)"
        f"  {'OK' if peak < RSS_TARGET_MB else 'ABOVE TARGET'}"
    )
    wrong = [c.size for c in cycles if c.not_modified < c.size]
    lines.append(
        "  unchanged  every source answered 304 in the cycle"
        + (f"  WRONG at {wrong}" if wrong else "  OK")
    )
    return lines


def per_check_ms(cycle: Cycle) -> float:
    return 1000 * cycle.cpu / max(cycle.checks, 1)


def arguments() -> argparse.Namespace:
    """``--help`` prints the docstring above and exits before anything runs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="numbers of sources, comma-separated, smallest first (default 1000,3000,10000)",
    )
    parser.add_argument(
        "--interval",
        type=int,
        default=INTERVAL_S,
        help=f"every source's interval in seconds: the cycle's spread (default {INTERVAL_S})",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if args.serve:
        serve(args.serve)
        return
    sizes = sorted(int(size) for size in args.sizes.split(","))
    command = " ".join(["bench/scale.py", *sys.argv[1:]])
    started = datetime.now(UTC)
    cycles = []
    server = Server()
    try:
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix="lexwatch-scale-") as tmp:
                write_config(Path(tmp), server, size, args.interval)
                cycles.append(unchanged_cycle(Path(tmp), server, size, args.interval))
            print(f"{size} sources: {cycles[-1]}", flush=True)
    finally:
        server.stop()
    lines = report(cycles, f".venv/bin/python {command}", args.interval, started)
    print("\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
