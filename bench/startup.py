"""Benchmark: how much CPU a `lexwatch` command costs before it does any work.

Runs each command as a whole process (a fresh interpreter, as a user or cron runs it) several
times and reports the median CPU seconds (user + system, from the child's rusage) and wall
seconds:

  check, nothing to do   ``lexwatch check --all`` with no enabled source, on a database that
                         is already migrated (the first, migrating run is a warm-up)
  --help                 ``lexwatch --help``
  status                 ``lexwatch status`` on the same database

Target: `check` with nothing to do under 1 s of CPU. Run:
  .venv/bin/python bench/startup.py [--runs 7]
Appends a block to bench/results/startup.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "startup.txt"
TARGET_CPU_S = 1.0
CONFIG = """\
builtin_catalog = false
database_url = "sqlite:///{db}"
"""


@dataclass(frozen=True, kw_only=True)
class Timing:
    name: str
    cpu: list[float]
    wall: list[float]

    def line(self) -> str:
        return (f"{self.name:24} {statistics.median(self.cpu):8.2f} {min(self.cpu):8.2f}"
                f" {max(self.cpu):8.2f} {statistics.median(self.wall):8.2f}")


def lexwatch() -> str:
    beside = Path(sys.executable).with_name("lexwatch")
    found = str(beside) if beside.exists() else shutil.which("lexwatch")
    if found is None:
        sys.exit("lexwatch is not installed in this environment: pip install -e .")
    return found


def run_once(argv: list[str], cwd: Path) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one whole process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited with {child.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def measure(name: str, argv: list[str], cwd: Path, runs: int) -> Timing:
    pairs = [run_once(argv, cwd) for _ in range(runs)]
    return Timing(name=name, cpu=[p[0] for p in pairs], wall=[p[1] for p in pairs])


def report(timings: list[Timing], runs: int) -> str:
    check = statistics.median(timings[0].cpu)
    verdict = "OK" if check < TARGET_CPU_S else "ABOVE TARGET"
    load = os.getloadavg()[0]
    return "\n".join([
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  .venv/bin/python bench/startup.py"
        f" --runs {runs}",
        f"# {os.cpu_count()} CPU(s), load average {load:.1f}; Python {platform.python_version()}",
        f"{'command':24} {'cpu s':>8} {'min':>8} {'max':>8} {'wall s':>8}",
        *(t.line() for t in timings),
        f"target: check with nothing to do < {TARGET_CPU_S:.1f} s CPU: {check:.2f} s  {verdict}",
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    exe = lexwatch()
    with tempfile.TemporaryDirectory(prefix="lexwatch-startup-") as tmp:
        cwd = Path(tmp)
        (cwd / "lexwatch.toml").write_text(CONFIG.format(db=cwd / "lexwatch.db"))
        run_once([exe, "check", "--all"], cwd)  # creates and migrates the database
        timings = [
            measure("check, nothing to do", [exe, "check", "--all"], cwd, args.runs),
            measure("--help", [exe, "--help"], cwd, args.runs),
            measure("status", [exe, "status"], cwd, args.runs),
        ]
    text = report(timings, args.runs)
    print(text)
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write(text + "\n")


if __name__ == "__main__":
    main()
