"""Benchmark: reading documents with the ``document`` parser, per MB of file.

For each document, a fresh process runs ``parse_document`` once to warm the disk cache and
three times measured; it reports the median wall time of the whole parse (the capped worker
process that reads the file, plus splitting into items in lexwatch's process) and the peak
resident memory of the worker (the reader) and of the calling process. Documents: the four
real EU PDFs of ../shared/fixtures/real/pdf (skipped when absent), a generated 40-page PDF,
and generated DOCX and ODT files of about 1 MB of text.

Run: python bench/documents.py   (writes bench/results/documents.txt)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REAL = ROOT.parent / "shared" / "fixtures" / "real" / "pdf"
RESULTS = ROOT / "bench" / "results" / "documents.txt"
ROUNDS = 3


def measure_one(path: Path) -> dict[str, float]:
    """In this (fresh) process: time and memory of parsing one document."""
    from monitor.types import ParseContext
    from sources.parsers.documents import parse_document

    content = path.read_bytes()
    context = ParseContext(url=path.as_uri())
    parse_document(content, context)  # warm-up
    times, items = [], 0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        items = len(parse_document(content, context).items)
        times.append(time.perf_counter() - started)
    return {
        "seconds": statistics.median(times),
        "items": items,
        "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def generated(folder: Path) -> list[Path]:
    from tests.documents import code_of_practice, odt_document, word_document

    rng = random.Random(7)
    words = [
        "provider",
        "model",
        "shall",
        "documentation",
        "risk",
        "systemic",
        "copyright",
        "training",
        "data",
        "downstream",
        "measure",
        "signatory",
        "evaluation",
        "incident",
    ]
    sections = [
        (
            f"Measure {n // 5 + 1}.{n % 5 + 1} Obligation {n}",
            " ".join(rng.choice(words) for _ in range(140)) + ".",
        )
        for n in range(1000)
    ]
    measures = {f"{n // 10 + 1}.{n % 10 + 1}": sections[n][1] for n in range(40)}
    made = {
        "generated-code-of-practice.pdf": code_of_practice(measures=measures),
        "generated-1000-sections.docx": word_document("Generated", sections),
        "generated-1000-sections.odt": odt_document(sections),
    }
    paths = []
    for name, content in made.items():
        path = folder / name
        path.write_bytes(content)
        paths.append(path)
    return paths


def arguments() -> argparse.Namespace:
    """``--help`` prints the docstring above and exits before anything runs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--one", type=Path, help="measure this one file and print JSON (the child process)"
    )
    return parser.parse_args()


def main() -> None:
    one = arguments().one
    if one is not None:
        print(json.dumps(measure_one(one)))
        return
    with tempfile.TemporaryDirectory() as folder:
        paths = sorted(REAL.glob("*.pdf")) if REAL.exists() else []
        paths += generated(Path(folder))
        rows = [(path, _run(path)) for path in paths]
    lines = _report(rows)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))  # noqa: T201


def _run(path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--one", str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return {**json.loads(done.stdout), "size": path.stat().st_size / 1e6}


def _report(rows: list[tuple[Path, dict[str, float]]]) -> list[str]:
    lines = [
        f"# bench/documents.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" {platform.python_version()}, {os.cpu_count()} cores,"
        f" median of {ROUNDS} after a warm-up",
        "# time: the whole parse (worker process start, read, items); memory: peak RSS",
        f"{'document':<62} {'MB':>6} {'items':>6} {'s':>6} {'s/MB':>6}"
        f" {'worker MB':>10} {'self MB':>8}",
    ]
    for path, row in rows:
        size = row["size"]
        lines.append(
            f"{path.name[:62]:<62} {size:6.2f} {int(row['items']):6d}"
            f" {row['seconds']:6.2f} {row['seconds'] / size:6.2f}"
            f" {row['worker_mb']:10.0f} {row['self_mb']:8.0f}"
        )
    return lines


if __name__ == "__main__":
    main()
