"""Why lexwatch reads dates with its own reader, not dateparser (issue 13 asked to measure it).

Runs both over sentences of the kinds the classifier reads (English, French, German;
explicit, year-less, relative) and prints what each finds and the time per sentence.
dateparser is not a dependency: install it into a throw-away virtualenv to run this,
e.g. `python3 -m venv /tmp/dp && /tmp/dp/bin/pip install dateparser` and then
`PYTHONPATH=. /tmp/dp/bin/python bench/dates_vs_dateparser.py`
(writes bench/results/dates_vs_dateparser.txt).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.analysis.dates import find_dates  # noqa: E402

SENTENCES = [
    "The consultation is open until 9 October 2025.",
    "La consultation est ouverte jusqu'au 15 mars 2026.",
    "Stellungnahmen können bis zum 10. August 2025 eingereicht werden.",
    "The deadline has been extended by two weeks.",
    "The rules for high-risk AI systems are postponed by 16 months.",
    "The consultation now closes on 12 March at 17:00 CET.",
    "Die Frist wurde um zwei Wochen verlängert.",
    "The AI Office coordinates the implementation of the AI Act across the Member States.",
]
RUNS = 50


def arguments() -> argparse.Namespace:
    """``--help`` prints the docstring above and exits before anything runs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser.parse_args()


def main() -> None:
    arguments()
    try:
        from dateparser.search import search_dates
    except ImportError:
        print("dateparser is not installed: see this file's docstring")
        return
    lines = [f"# bench/dates_vs_dateparser.py — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"]
    for sentence in SENTENCES:
        ours = [(f.text, f.date.isoformat()) for f in find_dates(sentence, "en")]
        theirs = [
            (text, moment.date().isoformat())
            for text, moment in search_dates(sentence, languages=["en", "fr", "de"]) or []
        ]
        lines.append(f"{sentence}\n  lexwatch:   {ours}\n  dateparser: {theirs}")
    ours_us = per_sentence(lambda s: find_dates(s, "en"))
    theirs_us = per_sentence(lambda s: search_dates(s, languages=["en", "fr", "de"]))
    lines.append(
        f"per sentence: lexwatch find_dates {ours_us:.0f} µs, dateparser search_dates"
        f" {theirs_us:.0f} µs ({theirs_us / ours_us:.0f}x)"
    )
    out = ROOT / "bench/results/dates_vs_dateparser.txt"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def per_sentence(read: object) -> float:
    started = time.perf_counter()
    for _ in range(RUNS):
        for sentence in SENTENCES:
            read(sentence)  # type: ignore[operator]
    return (time.perf_counter() - started) / (RUNS * len(SENTENCES)) * 1e6


if __name__ == "__main__":
    main()
