"""Benchmark: the analysis steps whose speed tests used to assert with wall-clock thresholds.

Tests assert what these steps find; how fast they find it depends on the machine and its load,
so it is measured here (median of 5 after a warm-up) against the targets the tests had:

  find_dates, 100 KB block        monitor.analysis.dates.find_dates on 1,200 dated sentences  < 1 s
  AI Act application dates        monitor.analysis.deadlines.extract_deadlines,
                                  on the parsed AI Act < 10 ms
  Formex AI Act                   sources.parsers.formex.parse_formex (the combined Formex) < 0.5 s

Run: .venv/bin/python bench/analysis_speed.py   (writes bench/results/analysis_speed.txt;
the AI Act cases need ../shared/fixtures/real/eur-lex and are left out without it)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.analysis.dates import find_dates  # noqa: E402
from monitor.analysis.deadlines import extract_deadlines  # noqa: E402
from monitor.types import ParseContext, Source  # noqa: E402
from sources.parsers import PARSERS  # noqa: E402
from sources.parsers.formex import parse_formex  # noqa: E402

SHARED = Path(os.environ.get("LEXWATCH_SHARED_DIR", ROOT.parent / "shared"))
EURLEX = SHARED / "fixtures/real/eur-lex"
RESULTS = ROOT / "bench/results/analysis_speed.txt"
URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689"
RUNS = 5
BLOCK = (
    "Article 12 of Regulation (EU) 2024/1689 applies from 2 August 2026 under points 3.2 and 4.5. "
) * 1200


def median_seconds(run: Callable[[], object]) -> tuple[float, list[float]]:
    run()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def cases() -> list[tuple[str, Callable[[], object], float]]:
    found: list[tuple[str, Callable[[], object], float]] = [
        ("find_dates, 100 KB block", lambda: find_dates(BLOCK), 1.0)
    ]
    if not EURLEX.is_dir():
        return found
    act = PARSERS["eurlex_act"](
        (EURLEX / "32024R1689_oj-xhtml_EN.xhtml").read_bytes(), ParseContext(url=URL)
    )
    source = Source(
        key="eurlex-ai-act", title="AI Act", url=URL, parser="eurlex_act", interval=86400
    )
    formex = (EURLEX / "32024R1689_formex-combined_EN.fmx.xml").read_bytes()
    return found + [
        ("AI Act application dates", lambda: extract_deadlines(act, source), 0.010),
        ("Formex AI Act", lambda: parse_formex(formex, ParseContext(url=URL)), 0.5),
    ]


def arguments() -> argparse.Namespace:
    """``--help`` prints the docstring above and exits before anything runs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser.parse_args()


def main() -> None:
    arguments()
    lines = [
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  .venv/bin/python bench/analysis_speed.py",
        f"# {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f};"
        f" Python {platform.python_version()}",
        f"{'case':28} {'median s':>9} {'target s':>9}  runs",
    ]
    for name, run, target in cases():
        median, times = median_seconds(run)
        verdict = "OK" if median < target else "ABOVE TARGET"
        runs = " ".join(f"{t:.4f}" for t in times)
        lines.append(f"{name:28} {median:9.4f} {target:9.3f}  {runs}  {verdict}")
    text = "\n".join(lines)
    print(text)
    RESULTS.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
