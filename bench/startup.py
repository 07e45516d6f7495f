"""Benchmark: how much CPU a `lexwatch` command costs before it does any work.

Runs each command as a whole process (a fresh interpreter, as a user or cron runs it) several
times and reports the median CPU seconds (user + system, from the child's rusage) and wall
seconds:

  check, nothing to do   ``lexwatch check --all`` with no enabled source, on a database that
                         is already current (the first run, which builds it, is a warm-up)
  --help                 ``lexwatch --help``
  status                 ``lexwatch status`` on the same database
  check, new database    ``lexwatch check --all`` with no enabled source where there is no
                         database yet (a first start: it builds the database; removed again
                         before each run)

and, as lower bounds in the same run, what the interpreter and the required stack cost with
none of lexwatch's code (``python -c ...``):

  python alone           ``pass``
  stack imports          click, pydantic-settings, SQLModel (SQLAlchemy's ORM, pydantic) and
                         SQLAlchemy's SQLite dialect: what a command that reads its config and
                         opens the database imports before lexwatch's own modules

Target (issue 17): `check` with nothing to do at most 0.3 s of CPU. Run:
  .venv/bin/python bench/startup.py [--runs 7] [--compare OTHER_CHECKOUT]
``--compare`` also measures another checkout of lexwatch (say, main before a change) with the
same interpreter and packages, its runs interleaved with this one's so that the load of a
shared machine falls on both alike. Each checkout is byte-compiled first, as ``pip install``
leaves an installed copy (with PYTHONDONTWRITEBYTECODE set, as on this machine and in the
Docker image, a process run from a checkout would compile every module it imports, every
time: about 0.06 s of a start). Appends a block to bench/results/startup.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._trees import byte_compiled  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "startup.txt"
TARGET_CPU_S = 0.3
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
        return (
            f"{self.name:24} {statistics.median(self.cpu):8.2f} {min(self.cpu):8.2f}"
            f" {max(self.cpu):8.2f} {statistics.median(self.wall):8.2f}"
        )


# Run as `python -m monitor` from each checkout (PYTHONPATH), this one included, so that
# both sides start the same way.
LEXWATCH = [sys.executable, "-m", "monitor"]


def environment(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def run_once(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one whole process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited with {child.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


COMMANDS = (
    ("check, nothing to do", ["check", "--all"]),
    ("--help", ["--help"]),
    ("status", ["status"]),
)
NEW_DATABASE = "check, new database"
ROWS = (*(name for name, _ in COMMANDS), NEW_DATABASE)
STACK = "import click, pydantic_settings, sqlmodel, sqlalchemy.dialects.sqlite"
BOUNDS = (
    ("python alone", [sys.executable, "-c", "pass"]),
    ("stack imports", [sys.executable, "-c", STACK]),
)


def measure(trees: list[Path], runs: int) -> dict[Path, list[Timing]]:
    """Every row of ``ROWS`` from every tree, ``runs`` times, interleaved."""
    samples: dict[tuple[Path, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="lexwatch-startup-") as tmp:
        cwds, new = {}, {}
        for n, tree in enumerate(trees):
            cwd = cwds[tree] = Path(tmp) / str(n)
            new[tree] = Path(tmp) / f"{n}-new"
            for folder in (cwd, new[tree]):
                folder.mkdir()
                (folder / "lexwatch.toml").write_text(CONFIG.format(db=folder / "lexwatch.db"))
            # Creates the database: what follows is a start with nothing due.
            run_once([*LEXWATCH, "check", "--all"], cwd, environment(tree))
        for _ in range(runs):
            for name, args in COMMANDS:
                for tree in trees:
                    samples.setdefault((tree, name), []).append(
                        run_once([*LEXWATCH, *args], cwds[tree], environment(tree))
                    )
            for tree in trees:
                for path in new[tree].glob("lexwatch.db*"):
                    path.unlink()
                samples.setdefault((tree, NEW_DATABASE), []).append(
                    run_once([*LEXWATCH, "check", "--all"], new[tree], environment(tree))
                )
            for name, argv in BOUNDS:
                samples.setdefault((ROOT, name), []).append(run_once(argv, ROOT, dict(os.environ)))
    return {
        tree: [
            Timing(
                name=name,
                cpu=[s[0] for s in samples[tree, name]],
                wall=[s[1] for s in samples[tree, name]],
            )
            for name in (*ROWS, *(name for name, _ in BOUNDS if tree == ROOT))
        ]
        for tree in trees
    }


def report(measured: dict[Path, list[Timing]], runs: int) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  .venv/bin/python bench/startup.py"
        f" --runs {runs}" + "".join(f" --compare {tree}" for tree in list(measured)[1:]),
        f"# {os.cpu_count()} CPU(s), load average {load:.1f} at the end;"
        f" Python {platform.python_version()}; median, min, max of {runs} runs",
    ]
    for tree, timings in measured.items():
        check = statistics.median(timings[0].cpu)
        verdict = "OK" if check <= TARGET_CPU_S else "ABOVE TARGET"
        lines += [
            f"{tree}:",
            f"{'command':24} {'cpu s':>8} {'min':>8} {'max':>8} {'wall s':>8}",
            *(t.line() for t in timings),
            f"target: check with nothing to do <= {TARGET_CPU_S:.1f} s CPU: {check:.2f} s"
            f"  {verdict}",
        ]
        if len(timings) > len(ROWS):
            stack = statistics.median(timings[-1].cpu)
            lines.append(
                f"lower bound: the stack's imports alone take {stack:.2f} s CPU"
                f" ({stack / TARGET_CPU_S:.0%} of the target); check is {check / stack:.2f}x that"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--compare",
        type=Path,
        action="append",
        default=[],
        help="another lexwatch checkout to measure alongside this one",
    )
    args = parser.parse_args()
    trees = [byte_compiled(tree) for tree in (ROOT, *(tree.resolve() for tree in args.compare))]
    text = report(measure(trees, args.runs), args.runs)
    print(text)
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write(text + "\n")


if __name__ == "__main__":
    main()
