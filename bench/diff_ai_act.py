"""Benchmark: a full check of the real AI Act (EUR-Lex OJ XHTML, 1.26 MB) without network.

Measures, side by side in one run (median of 5):
  parse      lxml.html.fromstring(bytes) alone — the yardstick
  changed    one article edited: parse + normalise + diff + classify against the stored
             (compressed) previous snapshot                      target ≤ 4 × parse
  unchanged  same text, new bytes: EUR-Lex's Dynatrace request id and converter timestamp
             differ (both outside what is parsed): body hash only  target < 2 × parse
  reindented same text, the markup re-indented (as EUR-Lex's converter does): a full
             parse + normalise + hash proves it unchanged          (reported, no target)
  reparse    same text, a space in Article 4 now a no-break space: likewise
             (reported, no target)
  identical  byte-identical re-fetch: hash only
and peak memory (max RSS) of a fresh process doing one full changed check (target < 300 MB).
The changed check must yield exactly one Change, on Article 4.

Run: python bench/diff_ai_act.py   (writes bench/results/diff_ai_act.txt)
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.analysis.analyse import Analysis, analyse, fingerprint, pages_hash  # noqa: E402
from monitor.analysis.classify import RuleClassifier  # noqa: E402
from monitor.analysis.deadlines import extract_deadlines  # noqa: E402
from monitor.types import Document, Fetched, ParseContext, Source, SourceState  # noqa: E402
from sources.parsers import PARSERS  # noqa: E402
from storage.codec import (  # noqa: E402
    compress,
    decode_document,
    decompress,
    document_hash,
    encode_document,  # noqa: E402
)

SHARED = Path(os.environ.get("LEXWATCH_SHARED_DIR", ROOT.parent / "shared"))
AI_ACT = SHARED / "fixtures/real/eur-lex/32024R1689_oj-xhtml_EN.xhtml"
RESULTS = ROOT / "bench/results/diff_ai_act.txt"
URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689"
SOURCE = Source(
    key="eurlex-ai-act",
    title="AI Act",
    url=URL,
    parser="eurlex_act",
    interval=86400,
    tags=("ai-act",),
)
# Article 4 (AI literacy); the OJ text has a no-break space after "a".
OLD_SENTENCE = b"to their best extent, a\xc2\xa0sufficient level of AI literacy"
NEW_SENTENCE = b"to their best extent, an adequate level of AI literacy"
RUNS = 5


class StoredSnapshot:
    """The previous snapshot as the pipeline holds it: compressed canonical JSON."""

    def __init__(self, document: Document) -> None:
        self.blob = compress(encode_document(document))

    def document(self) -> Document | None:
        return decode_document(decompress(self.blob))

    def site_blocks(self) -> frozenset[str]:
        return frozenset()  # the act is the only page of its site here


def fetched(content: bytes) -> Fetched:
    return Fetched(
        url=URL,
        final_url=URL,
        status=200,
        headers={},
        content=content,
        content_type="application/xhtml+xml",
        etag=None,
        last_modified=None,
        fetched_at=datetime.now(UTC),
        elapsed=0.0,
    )


# A no-break space where a space was: the same normalised text, different parsed bytes.
SPACED = (
    b"shall take measures to ensure, to their best extent",
    b"shall\xc2\xa0take measures to ensure, to their best extent",
)


def variants(original: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    assert original.count(OLD_SENTENCE) == 1, "Article 4's sentence must occur exactly once"
    changed = original.replace(OLD_SENTENCE, NEW_SENTENCE)
    assert original.count(b"RID_519241830") == 1
    assert original.count(b"generated_on:20241017-1316") == 1
    churned = original.replace(b"RID_519241830", b"RID_771100042").replace(
        b"generated_on:20241017-1316", b"generated_on:20250301-0904"
    )
    reindented = original.replace(b"\n      ", b"\n        ")
    assert original.count(SPACED[0]) == 1
    respaced = original.replace(*SPACED)
    return changed, churned, reindented, respaced


def baseline_state(original: bytes) -> tuple[SourceState, StoredSnapshot]:
    document = PARSERS["eurlex_act"](original, _context())
    encoded = encode_document(document)
    state = SourceState(
        content_hash=pages_hash([fetched(original)]),
        parse_fingerprint=fingerprint(SOURCE),
        snapshot_id=1,
        snapshot_hash=document_hash(encoded),
    )
    return state, StoredSnapshot(document)


def _context() -> ParseContext:
    return ParseContext(url=URL, content_type="application/xhtml+xml", options=SOURCE.options)


def check(content: bytes, state: SourceState, history: StoredSnapshot) -> Analysis:
    return analyse(
        SOURCE,
        [fetched(content)],
        state,
        parser=PARSERS["eurlex_act"],
        history=history,
        classifier=RuleClassifier(),
        find_deadlines=extract_deadlines,
    )


def median_seconds(func: Callable[[], object]) -> float:
    """Median wall time of RUNS calls. No gc.collect() between runs: it was tried, and it
    slows the allocation-heavy lxml yardstick more than the check, flattering the ratio."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def memory_probe() -> None:
    """Run in a fresh process: one full changed check, then report the peak RSS."""
    original = AI_ACT.read_bytes()
    changed, *_ = variants(original)
    state, history = baseline_state(original)
    check(changed, state, history)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def arguments() -> argparse.Namespace:
    """``--help`` prints the docstring above and exits before anything runs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser.parse_args()


def main() -> int:
    arguments()
    if not AI_ACT.exists():
        print(f"skipped: {AI_ACT} not found (../shared is absent)")
        return 0
    original = AI_ACT.read_bytes()
    changed, churned, reindented, respaced = variants(original)
    state, history = baseline_state(original)
    result = check(changed, state, history)
    ok_result = (
        result.outcome.value == "changed"
        and len(result.changes) == 1
        and result.changes[0].item_key == "art_4"
    )
    for same in (churned, reindented, respaced):
        assert check(same, state, history).outcome.value == "unchanged"
    timings = {
        "parse": median_seconds(lambda: lxml.html.fromstring(original)),
        "changed": median_seconds(lambda: check(changed, state, history)),
        "unchanged": median_seconds(lambda: check(churned, state, history)),
        "reindented": median_seconds(lambda: check(reindented, state, history)),
        "reparse": median_seconds(lambda: check(respaced, state, history)),
        "identical": median_seconds(lambda: check(original, state, history)),
    }
    peak_mib = _peak_rss_mib()
    report = _report(original, result, ok_result, timings, peak_mib)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(report, end="")
    return 0 if "FAIL" not in report else 1


def _peak_rss_mib() -> float:
    probe = subprocess.run(
        [sys.executable, __file__, "--memory-probe"], capture_output=True, text=True, check=True
    )
    return int(probe.stdout.strip().splitlines()[-1]) / 1024


def _report(
    original: bytes, result: Analysis, ok_result: bool, t: dict[str, float], peak_mib: float
) -> str:
    changed_ratio, unchanged_ratio = t["changed"] / t["parse"], t["unchanged"] / t["parse"]
    reindent_ratio = t["reindented"] / t["parse"]
    change = result.changes[0] if result.changes else None
    lines = [
        f"# bench/diff_ai_act.py — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" Python {platform.python_version()}, {os.cpu_count()} CPUs, median of {RUNS}",
        f"document: {AI_ACT.name}, {len(original):,} bytes",
        f"lxml.html.fromstring alone      {t['parse'] * 1000:8.1f} ms   (1.00×)",
        f"changed check (1 article)       {t['changed'] * 1000:8.1f} ms   ({changed_ratio:.2f}×)"
        f"  target ≤ 4×   {'PASS' if changed_ratio <= 4 else 'FAIL'}",
        f"unchanged re-check (new bytes)  {t['unchanged'] * 1000:8.1f} ms"
        f"   ({unchanged_ratio:.2f}×)  target < 2×   {'PASS' if unchanged_ratio < 2 else 'FAIL'}",
        f"unchanged, re-indented markup   {t['reindented'] * 1000:8.1f} ms"
        f"   ({reindent_ratio:.2f}×)  (reported, no target: parsed in full)",
        f"unchanged, needs a full parse   {t['reparse'] * 1000:8.1f} ms"
        f"   ({t['reparse'] / t['parse']:.2f}×)  (reported, no target)",
        f"identical re-fetch (hash only)  {t['identical'] * 1000:8.1f} ms"
        f"   ({t['identical'] / t['parse']:.2f}×)",
        f"peak RSS, fresh process, one full changed check: {peak_mib:.0f} MiB"
        f"  target < 300 MiB   {'PASS' if peak_mib < 300 else 'FAIL'}",
        f"changes found: {len(result.changes)}"
        + (f" — {change.item_key}: {change.category.value}, {change.title!r}" if change else "")
        + f"   {'PASS' if ok_result else 'FAIL'}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if "--memory-probe" in sys.argv:
        memory_probe()
        sys.exit(0)
    sys.exit(main())
