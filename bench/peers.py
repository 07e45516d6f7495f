"""Benchmark: `lexwatch check --all` against urlwatch, whole processes on the same fixture.

The fixture web site of bench/cycle.py (its own process, not measured): 1,000 sources, HTML
pages of 20-500 KB and a few RSS feeds, with ETag and Last-Modified, 304 to either
validator. urlwatch is installed into a throw-away virtualenv (``pip install urlwatch``) and
runs with its defaults (its stdout reporter, its own cache file); lexwatch runs
``lexwatch check --all --json`` on SQLite and on PostgreSQL (a fresh database each
repetition), 16 requests at once, no spacing, robots off. Each repetition starts every tool
from nothing and runs, interleaved (urlwatch, lexwatch SQLite, lexwatch PostgreSQL):

  first      the first cycle (every source new)
  changed    after 5 % of the sources changed (lexwatch must report exactly those)
  unchanged  after nothing changed (all 304 for the tools that send validators)

plus ``lexwatch check --all`` with nothing to check (no source, a migrated database).
CPU seconds = user + system of the whole process (rusage of the child): start-up included,
from byte-compiled modules, as ``pip install`` leaves them (see bench/_trees.py).

Targets (issue 17): changed and unchanged cycles <= 0.5x urlwatch's CPU, the first cycle
<= 1.5x; PostgreSQL within 1.2x of SQLite on every cycle; nothing to check <= 0.3 s CPU.

``--compare OTHER_CHECKOUT`` runs another checkout of lexwatch (same interpreter and
packages) on SQLite in the same interleaving, for a before/after in one run.

Run: .venv/bin/python bench/peers.py [--runs 3] [--no-postgres] [--compare OTHER_CHECKOUT]
(writes bench/results/peers.txt; about ten minutes on two shared cores at --runs 3)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.cycle import Server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._databases import postgres_database  # noqa: E402
from bench._trees import byte_compiled  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "peers.txt"
POSTGRES = os.environ.get("LEXWATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
URLWATCH = "urlwatch==2.29"
CYCLES = ("first", "changed", "unchanged")
TARGETS = {"first": 1.5, "changed": 0.5, "unchanged": 0.5}
POSTGRES_TARGET = 1.2
EMPTY_TARGET_S = 0.3


@dataclass(frozen=True, kw_only=True)
class Run:
    cpu: float
    wall: float
    rss_mb: float
    stdout: str


@dataclass
class Samples:
    runs: dict[tuple[str, str], list[Run]] = field(default_factory=dict)

    def add(self, tool: str, cycle: str, run: Run) -> None:
        self.runs.setdefault((tool, cycle), []).append(run)

    def cpu(self, tool: str, cycle: str) -> float:
        return statistics.median(run.cpu for run in self.runs[tool, cycle])


def measured(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """One whole process: its CPU (user + system, from wait4), wall time, peak RSS, output."""
    started = time.perf_counter()
    out = tempfile.TemporaryFile(mode="w+")
    child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    child.returncode = code
    out.seek(0)
    stdout = out.read()
    out.close()
    if code not in (0, 1):  # 1: lexwatch says some check failed; the table shows which
        sys.exit(f"{' '.join(argv[:3])} exited with {code}")
    return Run(
        cpu=usage.ru_utime + usage.ru_stime, wall=wall, rss_mb=usage.ru_maxrss / 1024, stdout=stdout
    )


# -- urlwatch ---------------------------------------------------------------------------------


def install_urlwatch(folder: Path) -> Path:
    """A virtualenv with urlwatch in it: its ``urlwatch`` executable."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run(
        [str(folder / "bin" / "pip"), "install", "-q", URLWATCH],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return folder / "bin" / "urlwatch"


def urlwatch_files(folder: Path, urls: list[str]) -> list[str]:
    """The job list and a config with only the stdout reporter (no colour): the arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "urls.yaml").write_text("".join(f"---\nurl: {url}\n" for url in urls)[4:])
    (folder / "config.yaml").write_text(
        "display:\n  new: true\n  error: true\n  unchanged: false\n"
        "report:\n  stdout:\n    enabled: true\n    color: false\n"
        "  text:\n    details: true\n    footer: false\n    minimal: false\n"
    )
    return [
        "--urls",
        str(folder / "urls.yaml"),
        "--config",
        str(folder / "config.yaml"),
        "--hooks",
        str(folder / "hooks.py"),
        "--cache",
        str(folder / "cache.db"),
    ]


# -- lexwatch ---------------------------------------------------------------------------------


def lexwatch_config(folder: Path, database_url: str, urls: list[str], feeds: set[int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "builtin_catalog = false",
        f'database_url = "{database_url}"',
        "[http]",
        'contact = "mailto:bench@example.org"',
        "per_host_concurrency = 16",
        "global_concurrency = 16",
        "per_host_spacing = 0",
        "respect_robots = false",
        "allow_private_addresses = true",
    ]
    for index, url in enumerate(urls):
        parser = "feed" if index in feeds else "html"
        lines += [f"[sources.s{index:04d}]", f'url = "{url}"', 'interval = "1h"']
        lines.append(f'parser = "{parser}"')
    (folder / "lexwatch.toml").write_text("\n".join(lines) + "\n")


LEXWATCH = [sys.executable, "-m", "monitor", "check", "--all", "--json"]


def lexwatch_env(tree: Path = ROOT) -> dict[str, str]:
    """The environment of a lexwatch process that runs the checkout ``tree``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEXWATCH_")},
        "PYTHONPATH": str(tree),
    }


# A tool's command, working folder and environment.
Tool = tuple[list[str], Path, dict[str, str] | None]


def reported(stdout: str) -> set[str]:
    return {result["source"] for result in json.loads(stdout) if result["changes"]}


# -- the run ----------------------------------------------------------------------------------


def repetition(
    server: Server, tools: dict[str, Tool], samples: Samples, bump: list[int]
) -> set[str]:
    """The three cycles, every tool in turn; the sources lexwatch on SQLite reported."""
    found: set[str] = set()
    for cycle in CYCLES:
        if cycle == "changed":
            server.call("POST", "/_bump", bump)
        for tool, (argv, cwd, env) in tools.items():
            run = measured(argv, cwd, env)
            samples.add(tool, cycle, run)
            print(f"  {cycle:10} {tool:20} {run.cpu:6.2f} s CPU {run.wall:6.2f} s", flush=True)
            if cycle == "changed" and tool == "lexwatch SQLite":
                found = reported(run.stdout)
    return found


def measure(
    runs: int, with_postgres: bool, compare: Path | None
) -> tuple[Samples, list[bool], int]:
    from bench import cycle as fixture

    samples, verdicts = Samples(), []
    server = fixture.Server()
    try:
        urls = [server.base + fixture.path(i) for i in range(fixture.SOURCES)]
        with tempfile.TemporaryDirectory(prefix="lexwatch-peers-") as tmp:
            base = Path(tmp)
            urlwatch = install_urlwatch(base / "venv")
            empty = nothing_to_check(base / "empty")
            for n in range(runs):
                samples.add("lexwatch SQLite", "nothing to check", measured(*empty))
                bump = sorted(
                    random.Random(fixture.SEED + n).sample(
                        range(fixture.SOURCES), int(fixture.SOURCES * fixture.CHANGED)
                    )
                )
                print(f"repetition {n + 1}/{runs}", flush=True)
                work = base / f"run{n}"
                with tools_of(work, urlwatch, urls, with_postgres, n, compare) as tools:
                    found = repetition(server, tools, samples, bump)
                verdicts.append(found == {f"s{i:04d}" for i in bump})
    finally:
        server.stop()
    return samples, verdicts, fixture.SOURCES


def nothing_to_check(folder: Path) -> tuple[list[str], Path, dict[str, str]]:
    """A migrated database and a config without sources: the arguments of ``measured``."""
    folder.mkdir()
    (folder / "lexwatch.toml").write_text(
        f'builtin_catalog = false\ndatabase_url = "sqlite:///{folder}/lexwatch.db"\n'
    )
    measured(LEXWATCH, folder, lexwatch_env())  # creates and migrates the database
    return LEXWATCH, folder, lexwatch_env()


@contextmanager
def tools_of(
    work: Path, urlwatch: Path, urls: list[str], with_postgres: bool, n: int, compare: Path | None
) -> Iterator[dict[str, Tool]]:
    """Each tool's command and working folder, every one starting from nothing."""
    from bench import cycle as fixture

    feeds = {i for i in range(len(urls)) if fixture.is_feed(i)}
    uw = [str(urlwatch), *urlwatch_files(work / "urlwatch", urls)]
    lexwatch_config(work / "sqlite", f"sqlite:///{work}/sqlite/lexwatch.db", urls, feeds)
    tools: dict[str, Tool] = {
        "urlwatch": (uw, work, None),
        "lexwatch SQLite": (LEXWATCH, work / "sqlite", lexwatch_env()),
    }
    if compare is not None:
        other = work / "compare"
        lexwatch_config(other, f"sqlite:///{other}/lexwatch.db", urls, feeds)
        tools[f"SQLite, {compare.name}"] = (LEXWATCH, other, lexwatch_env(compare))
    with contextmanager_or_none(with_postgres, n) as pg_url:
        if pg_url is not None:
            lexwatch_config(work / "postgres", pg_url, urls, feeds)
            tools["lexwatch PostgreSQL"] = (LEXWATCH, work / "postgres", lexwatch_env())
        yield tools


@contextmanager
def contextmanager_or_none(with_postgres: bool, n: int) -> Iterator[str | None]:
    if not with_postgres:
        yield None
        return
    with postgres_database(POSTGRES, f"lexwatch_peers_{n}") as url:
        yield url


def report(samples: Samples, verdicts: list[bool], sources: int, runs: int) -> list[str]:
    tools = sorted({tool for tool, _ in samples.runs}, key=lambda t: (t != "urlwatch", t))
    lines = [
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  .venv/bin/python bench/peers.py --runs {runs}",
        f"# {platform.machine()}, {os.cpu_count()} cores (shared), load average"
        f" {os.getloadavg()[0]:.1f} at the end; Python {platform.python_version()}; {URLWATCH}",
        f"# {sources} loopback sources (bench/cycle.py's fixture), 5 % changed; whole processes,"
        f" CPU s = user + system, median of {runs} interleaved repetitions (wall s, peak RSS MB)",
        "",
        f"{'cycle':18}" + "".join(f"{tool:>28}" for tool in tools),
    ]
    for cycle in (*CYCLES, "nothing to check"):
        cells = []
        for tool in tools:
            runs_ = samples.runs.get((tool, cycle))
            if not runs_:
                cells.append(f"{'-':>28}")
                continue
            cpu = statistics.median(r.cpu for r in runs_)
            wall = statistics.median(r.wall for r in runs_)
            rss = max(r.rss_mb for r in runs_)
            cells.append(f"{cpu:9.2f} ({wall:6.2f} s, {rss:4.0f} MB)")
        lines.append(f"{cycle:18}" + "".join(cells))
    lines += ["", "targets:"]
    for cycle in CYCLES:
        ratio = samples.cpu("lexwatch SQLite", cycle) / samples.cpu("urlwatch", cycle)
        verdict = "OK" if ratio <= TARGETS[cycle] else "ABOVE TARGET"
        lines.append(
            f"  {cycle:10} lexwatch SQLite / urlwatch CPU {ratio:5.2f}x"
            f" (target <= {TARGETS[cycle]}x)  {verdict}"
        )
    if ("lexwatch PostgreSQL", "first") in samples.runs:
        for cycle in CYCLES:
            ratio = samples.cpu("lexwatch PostgreSQL", cycle) / samples.cpu(
                "lexwatch SQLite", cycle
            )
            verdict = "OK" if ratio <= POSTGRES_TARGET else "ABOVE TARGET"
            lines.append(
                f"  {cycle:10} PostgreSQL / SQLite CPU {ratio:5.2f}x"
                f" (target <= {POSTGRES_TARGET}x)  {verdict}"
            )
    for other in (tool for tool in tools if tool.startswith("SQLite, ")):
        for cycle in CYCLES:
            ratio = samples.cpu("lexwatch SQLite", cycle) / samples.cpu(other, cycle)
            lines.append(f"  {cycle:10} this checkout / {other[8:]} CPU {ratio:5.2f}x (SQLite)")
    empty = samples.cpu("lexwatch SQLite", "nothing to check")
    lines.append(
        f"  nothing to check  {empty:.2f} s CPU (target <= {EMPTY_TARGET_S} s)"
        f"  {'OK' if empty <= EMPTY_TARGET_S else 'ABOVE TARGET'}"
    )
    lines.append(
        f"  reported   lexwatch reported exactly the changed sources in"
        f" {sum(verdicts)}/{len(verdicts)} repetitions"
        f"  {'OK' if all(verdicts) else 'WRONG'}"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument(
        "--no-postgres", action="store_true", help="lexwatch on SQLite only (no PostgreSQL)"
    )
    parser.add_argument(
        "--compare",
        type=Path,
        help="another lexwatch checkout (say, main before a change) run alongside, on SQLite",
    )
    args = parser.parse_args()
    byte_compiled(ROOT)
    compare = byte_compiled(args.compare.resolve()) if args.compare else None
    samples, verdicts, sources = measure(args.runs, not args.no_postgres, compare)
    lines = report(samples, verdicts, sources, args.runs)
    print("\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
