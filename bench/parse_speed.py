"""Benchmark: parsing the real AI Act (EUR-Lex OJ XHTML, 1.26 MB) with ``eurlex_act``.

Compares, interleaved in one run (median of 5, after one warm-up round):
  fromstring  lxml.html.fromstring(bytes) alone: the yardstick
  full        sources.parsers.eurlex_act.parse_eurlex_act(bytes): parse + items
target: full <= 2.5 x fromstring. Also checks 113 articles, 13 annexes, 180 recitals.

Run: python bench/parse_speed.py   (writes bench/results/parse_speed.txt)
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import lxml
import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.types import ParseContext  # noqa: E402
from sources.parsers.eurlex_act import parse_eurlex_act  # noqa: E402

SHARED = Path(os.environ.get("LEXWATCH_SHARED_DIR", ROOT.parent / "shared"))
AI_ACT = SHARED / "fixtures/real/eur-lex/32024R1689_oj-xhtml_EN.xhtml"
RESULTS = ROOT / "bench/results/parse_speed.txt"
URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689"
RUNS = 5
TARGET = 2.5
EXPECTED = {"article": 113, "annex": 13, "recital": 180}


def timings(cases: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
    """Seconds per run of each case, the cases interleaved so that drift hits all alike."""
    for run in cases.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(RUNS):
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def report(data: bytes, times: dict[str, list[float]], counts: dict[str, int]) -> str:
    base, full = (statistics.median(times[name]) for name in ("fromstring", "full"))
    ratio = full / base
    best = min(times["full"]) / min(times["fromstring"])
    verdict = "OK" if ratio <= TARGET else "ABOVE TARGET"
    found = ", ".join(f"{kind} {counts.get(kind, 0)}" for kind in EXPECTED)
    return "\n".join(
        [
            f"parse_speed  {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}"
            f"  python {platform.python_version()}  lxml {version('lxml')}",
            f"document     {AI_ACT.name}  {len(data):,} bytes",
            f"fromstring   median {base * 1000:7.2f} ms  (runs: {_ms(times['fromstring'])})",
            f"full parse   median {full * 1000:7.2f} ms  (runs: {_ms(times['full'])})",
            f"ratio        {ratio:.2f} x  (target <= {TARGET} x: {verdict})",
            f"best-of-{RUNS}    {best:.2f} x  (fastest full / fastest fromstring)",
            f"items        {found}",
        ]
    )


def _ms(values: list[float]) -> str:
    return " ".join(f"{value * 1000:.1f}" for value in values)


def arguments() -> argparse.Namespace:
    """``--help`` prints the docstring above and exits before anything runs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser.parse_args()


def main() -> int:
    arguments()
    if not AI_ACT.is_file():
        print(f"parse_speed: {AI_ACT} not found; it needs ../shared (or LEXWATCH_SHARED_DIR)")
        return 1
    data = AI_ACT.read_bytes()
    context = ParseContext(url=URL, content_type="application/xhtml+xml")
    document = parse_eurlex_act(data, context)
    counts = collections.Counter(item.fields.get("kind", "") for item in document.items)
    times = timings(
        {
            "fromstring": lambda: lxml.html.fromstring(data),
            "full": lambda: parse_eurlex_act(data, context),
        }
    )
    text = report(data, times, counts)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text + "\n", encoding="utf-8")
    wrong = {kind: counts.get(kind, 0) for kind, n in EXPECTED.items() if counts.get(kind, 0) != n}
    if wrong:
        print(f"parse_speed: unexpected item counts {wrong}; expected {EXPECTED}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
