"""Every benchmark explains itself with ``--help`` and runs nothing: no fixture server, no
result file written (a benchmark takes minutes and its results are quoted in notes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import clean_env

BENCH = Path(__file__).resolve().parents[1] / "bench"
# Modules starting with "_" are helpers the benchmarks share, not benchmarks.
SCRIPTS = sorted(path for path in BENCH.glob("*.py") if not path.name.startswith("_"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_help_describes_the_benchmark_and_runs_nothing(script: Path, tmp_path: Path):
    results = {path: path.stat().st_mtime_ns for path in (BENCH / "results").iterdir()}
    done = subprocess.run(
        [sys.executable, str(script), "--help"],
        cwd=tmp_path,
        env=clean_env(None),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
    first_line = (script.read_text().split('"""')[1]).splitlines()[0]
    assert first_line.split(":")[0] in done.stdout  # the docstring says what it measures
    assert {path: path.stat().st_mtime_ns for path in (BENCH / "results").iterdir()} == results
    assert list(tmp_path.iterdir()) == []
