"""Storage growth: a year of hourly checks of 100 sources, with the default retention.

Usage::

    .venv/bin/python bench/storage_growth.py [--sources 100] [--days 365] [--out FILE]

What is simulated: every source is checked once an hour. 1 % of the checks find a change:
the page (a 50-300 KB slice of real EU markup, the AI Act's EUR-Lex XHTML) gets a new
paragraph or an edited one, and the check stores what the real pipeline stores for a change:
the raw body (compressed, content-addressed), the parsed snapshot, one Change per changed
section with its word diff. 0.5 % fail (a small error page kept as evidence). Of the rest,
60 % are answered 304 Not Modified and 40 % are fetched and found unchanged, which store a
check row and the source's state only. Every simulated day at 03:30 the default retention
(``Store.prune(RetentionSettings(), now)``) runs.

Shortcuts, and why they do not change the size: fetching, parsing and classifying are
skipped (the documents are parsed once with the real html parser, then edited as Documents;
the Changes come from the real differ, with a fixed category). The checks of one simulated
hour are written in one transaction through the real ``storage.checks.record_check``
(``Store.record`` commits each check alone; same rows, same bytes, ~100 times fewer commits).
The database is SQLite, the default.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, update  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

from monitor.analysis.diff import diff_documents  # noqa: E402
from monitor.config import RetentionSettings  # noqa: E402
from monitor.types import (  # noqa: E402
    Category,
    Change,
    CheckOutcome,
    CheckRecord,
    Document,
    Item,
    NewSnapshot,
    ParseContext,
    Severity,
    Source,
)
from sources.parsers import PARSERS  # noqa: E402
from storage.checks import record_check  # noqa: E402
from storage.codec import document_hash, encode_document  # noqa: E402
from storage.db import session_scope  # noqa: E402
from storage.models import CheckRow, SourceRow  # noqa: E402
from storage.store import Store  # noqa: E402

CORPUS = ROOT.parent / "shared" / "fixtures" / "real" / "eur-lex" / "32024R1689_oj-xhtml_EN.xhtml"
START = datetime(2026, 1, 1, tzinfo=UTC)
CHANGE_RATE, FAIL_RATE, NOT_MODIFIED_SHARE = 0.01, 0.005, 0.6
ERROR_PAGE = b"<html><body><h1>503 Service Unavailable</h1></body></html>"


@dataclass
class Page:
    """One simulated source: its current raw body, document and stored snapshot id."""

    source: Source
    raw: bytes
    document: Document
    snapshot_id: int | None = None
    version: int = 0


def corpus() -> tuple[bytes, str]:
    if CORPUS.exists():
        return CORPUS.read_bytes(), f"{CORPUS.name} (real EUR-Lex XHTML)"
    # Without ../shared: the project's own fixture pages, repeated (less varied markup).
    pages = sorted((ROOT / "tests" / "data" / "parsers").rglob("*.html"))
    return b"".join(p.read_bytes() for p in pages) * 40, "tests/data/parsers/**/*.html"


def slice_page(text: bytes, size: int, rng: random.Random) -> bytes:
    """``size`` bytes of real markup, cut at paragraph starts, wrapped as a page.

    The AI Act's article titles (and recital numbers) become headings, as on a web page, so
    the html parser makes one section per article or recital (a few KB each, as on the pages
    lexwatch watches).
    """
    start = text.find(b"<p", rng.randrange(0, max(1, len(text) - size - 1)))
    body = text[start : start + size]
    body = body[: body.rfind(b"</p>") + 4] if b"</p>" in body else body
    body = re.sub(rb'<p id="[^"]*" class="oj-ti-art">(.*?)</p>', rb"<h2>\1</h2>", body)
    body = re.sub(
        rb'(<div class="eli-subdivision" id="rct_(\d+)">)', rb"\1<h2>Recital \2</h2>", body
    )
    return b"<!DOCTYPE html><html><head><title>Source</title></head><body><main>" + (
        body + b"</main></body></html>"
    )


def make_pages(count: int, rng: random.Random) -> tuple[list[Page], str]:
    text, name = corpus()
    parse = PARSERS["html"]
    pages = []
    for n in range(count):
        source = Source(
            key=f"source-{n:03d}",
            title=f"Source {n}",
            url=f"https://example.eu/ai/source-{n:03d}",
            parser="html",
            interval=3600,
        )
        raw = slice_page(text, rng.randint(50_000, 300_000), rng)
        document = parse(raw, ParseContext(url=source.url, content_type="text/html"))
        pages.append(Page(source=source, raw=raw, document=document))
    return pages, name


def edited(page: Page, rng: random.Random) -> tuple[bytes, Document]:
    """The next version: one section's text edited, or a new section added."""
    page.version += 1
    stamp = f"Update {page.version}: the Commission published guidance {rng.getrandbits(32):x}."
    items = list(page.document.items)
    if items and rng.random() < 0.8:
        at = rng.randrange(len(items))
        items[at] = replace(items[at], text=f"{items[at].text} {stamp}")
    else:
        items.append(
            Item(key=f"new-{page.version}", title=f"New section {page.version}", text=stamp)
        )
    raw = page.raw.replace(b"</main>", f"<p>{stamp}</p></main>".encode())
    return raw, replace(page.document, items=tuple(items))


def snapshot(document: Document) -> NewSnapshot:
    encoded = encode_document(document)
    return NewSnapshot(
        encoded=encoded, content_hash=document_hash(encoded), item_count=len(document.items)
    )


def changed_record(page: Page, now: datetime, rng: random.Random) -> CheckRecord:
    raw, document = edited(page, rng)
    changes = tuple(
        Change(
            source_key=page.source.key,
            item_key=diff.key,
            category=Category.AMENDMENT,
            severity=Severity.MEDIUM,
            title=diff.item.title or diff.key,
            summary="The text of this section changed.",
            url=page.source.url,
            diff=diff,
            evidence=(diff.item.text[-200:],),
        )
        for diff in diff_documents(page.document, document)
    )
    page.raw, page.document = raw, document
    return _record(
        page, now, CheckOutcome.CHANGED, raw=raw, snapshot=snapshot(document), changes=changes
    )


def _record(page: Page, now: datetime, outcome: CheckOutcome, **kw: Any) -> CheckRecord:
    status = {CheckOutcome.NOT_MODIFIED: 304, CheckOutcome.FAILED: 503}.get(outcome, 200)
    size = 0 if status == 304 else len(page.raw)
    return CheckRecord(
        source_key=page.source.key,
        started_at=now,
        duration_ms=180,
        outcome=outcome,
        http_status=status,
        size=size,
        final_url=page.source.url,
        etag=f'"{page.version}"',
        content_type="text/html; charset=utf-8",
        content_hash=f"{page.version:064x}",
        parse_fingerprint="html:v1",
        **kw,
    )


def hourly_record(page: Page, now: datetime, rng: random.Random) -> CheckRecord:
    draw = rng.random()
    if draw < CHANGE_RATE:
        return changed_record(page, now, rng)
    if draw < CHANGE_RATE + FAIL_RATE:
        return _record(
            page,
            now,
            CheckOutcome.FAILED,
            raw=ERROR_PAGE,
            error="HTTP 503 from https://example.eu: the server is unavailable",
        )
    if rng.random() < NOT_MODIFIED_SHARE:
        return _record(page, now, CheckOutcome.NOT_MODIFIED)
    return _record(page, now, CheckOutcome.UNCHANGED)


def write_hour(store: Store, pages: list[Page], now: datetime, rng: random.Random) -> None:
    """One hour of checks in one transaction (see the module docstring)."""
    plain = []
    with session_scope(store.engine) as session:
        for page in pages:
            record = hourly_record(page, now, rng)
            if record.raw is None and record.snapshot is None:
                plain.append(record)
                continue
            row = record_check(session, record, page.snapshot_id)
            if row.snapshot_id is not None:
                page.snapshot_id = row.snapshot_id
        write_plain(session, plain)


def write_plain(session: Session, records: list[CheckRecord]) -> None:
    """The rows ``record_check`` writes for a check without body or snapshot, in bulk.

    The check row is the same; the source's state row is updated in place (its size does not
    change), once per hour instead of once per check. ``cost_of`` measures the bytes of such a
    check through ``record_check`` itself.
    """
    if not records:
        return
    session.execute(insert(CheckRow), [_check_row(record) for record in records])
    keys = [record.source_key for record in records]
    session.execute(
        update(SourceRow)
        .where(col(SourceRow.key).in_(keys))
        .values(
            last_check_at=records[0].started_at,
            last_success_at=records[0].started_at,
            failure_streak=0,
            last_error=None,
        )
    )


def _check_row(record: CheckRecord) -> dict[str, object]:
    return {
        "source_key": record.source_key,
        "started_at": record.started_at,
        "duration_ms": record.duration_ms,
        "outcome": record.outcome.value,
        "http_status": record.http_status,
        "bytes": record.size,
        "final_url": record.final_url,
        "error": record.error,
        "blob_hash": None,
        "snapshot_id": None,
        "change_count": 0,
    }


def baseline(store: Store, pages: list[Page]) -> None:
    store.sync_sources([page.source for page in pages])
    for page in pages:
        row = store.record(
            _record(
                page, START, CheckOutcome.BASELINE, raw=page.raw, snapshot=snapshot(page.document)
            ),
            None,
        )
        page.snapshot_id = row.snapshot_id


def database_bytes(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, size = (
            connection.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size")
        )
        free = connection.execute("PRAGMA freelist_count").fetchone()[0]
    return int((pages - free) * size)


def table_bytes(path: Path) -> dict[str, int]:
    """Bytes per table and index (SQLite's dbstat), or {} where it is not compiled in."""
    try:
        with sqlite3.connect(path) as connection:
            rows = connection.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {name: int(size) for name, size in rows}


def evidence_raw_bytes(path: Path, cutoff: datetime) -> int:
    """Stored bytes of raw bodies older than ``cutoff`` that only a Change's check keeps.

    (Read-only.) What a retention that also let the raw bodies of changes expire after
    raw_days would free: the change's snapshots and word diff stay as its evidence.
    """
    newest = (
        "SELECT blob_hash FROM snapshots WHERE id IN"
        " (SELECT max(id) FROM snapshots GROUP BY source_key)"
        " AND blob_hash IS NOT NULL"
    )
    query = (
        "SELECT coalesce(sum(length(data)), 0) FROM blobs WHERE created_at < ?"
        f" AND hash NOT IN ({newest})"
        " AND hash IN (SELECT blob_hash FROM checks WHERE blob_hash IS NOT NULL"
        " AND id IN (SELECT check_id FROM changes))"
    )
    bound = cutoff.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as UtcDateTime stores
    with sqlite3.connect(path) as connection:
        return int(connection.execute(query, (bound,)).fetchone()[0])


def cost_of(
    store: Store,
    path: Path,
    pages: list[Page],
    now: datetime,
    outcome: CheckOutcome,
    hours: int,
    *,
    bulk: bool = False,
) -> float:
    """Bytes one check of ``outcome`` adds, over ``hours`` x len(pages) checks written
    through ``record_check`` (or, with ``bulk``, the simulation's bulk path)."""
    before = database_bytes(path)
    for hour in range(hours):
        records = [_record(page, now + timedelta(hours=hour), outcome) for page in pages]
        with session_scope(store.engine) as session:
            if bulk:
                write_plain(session, records)
                continue
            for page, record in zip(pages, records, strict=True):
                record_check(session, record, page.snapshot_id)
    return (database_bytes(path) - before) / (hours * len(pages))


@dataclass
class Outcome:
    corpus: str
    pages: list[Page]
    size: int
    counts: dict[str, int]
    tables: dict[str, int]
    costs: tuple[float, float, float]  # unchanged, 304, unchanged through the bulk path
    evidence_raw: int
    seconds: float
    prune_seconds: float


def simulate(args: argparse.Namespace, retention: RetentionSettings) -> Outcome:
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="lexwatch-growth-"))
    path = workdir / "growth.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        pages, corpus_name = make_pages(args.sources, rng)
        baseline(store, pages)
        seconds, prune_seconds = run_year(store, path, pages, retention, args.days, rng)
        end = START + timedelta(days=args.days, hours=1)
        size, counts, tables = database_bytes(path), store.counts(), table_bytes(path)
        evidence = evidence_raw_bytes(path, end - timedelta(days=retention.raw_days))
        costs = (
            cost_of(store, path, pages, end, CheckOutcome.UNCHANGED, 50),
            cost_of(store, path, pages, end + timedelta(days=3), CheckOutcome.NOT_MODIFIED, 50),
            cost_of(
                store, path, pages, end + timedelta(days=6), CheckOutcome.UNCHANGED, 50, bulk=True
            ),
        )
    finally:
        store.close()
        if not args.keep:
            shutil.rmtree(workdir)
    return Outcome(
        corpus=corpus_name,
        pages=pages,
        size=size,
        counts=counts,
        tables=tables,
        costs=costs,
        evidence_raw=evidence,
        seconds=seconds,
        prune_seconds=prune_seconds,
    )


def run_year(
    store: Store,
    path: Path,
    pages: list[Page],
    retention: RetentionSettings,
    days: int,
    rng: random.Random,
) -> tuple[float, float]:
    """The hourly checks and the daily prune; (seconds in all, seconds pruning)."""
    started, prune_seconds = time.perf_counter(), 0.0
    for hour in range(1, days * 24 + 1):
        now = START + timedelta(hours=hour)
        write_hour(store, pages, now, rng)
        if now.hour == retention.run_at.hour:  # the daily job (03:30 UTC: after 03:00)
            tick = time.perf_counter()
            store.prune(retention, now)
            prune_seconds += time.perf_counter() - tick
        if hour % (24 * 30) == 0:
            print(f"day {hour // 24}: {database_bytes(path) / 1e6:.1f} MB", file=sys.stderr)
    return time.perf_counter() - started, prune_seconds


def report(args: argparse.Namespace, retention: RetentionSettings, result: Outcome) -> list[str]:
    unchanged, not_modified, bulk = result.costs
    checks = args.sources * args.days * 24
    raw_sizes = sorted(len(page.raw) for page in result.pages)
    which = "default" if retention == RetentionSettings() else "NON-DEFAULT"
    lines = [
        f"lexwatch storage growth: hourly checks, {which} retention (raw {retention.raw_days} d,"
        f" snapshots {retention.snapshot_days} d, checks {retention.check_days} d), SQLite",
        f"command: {' '.join(['.venv/bin/python', 'bench/storage_growth.py', *sys.argv[1:]])}",
        f"simulated: {args.sources} sources x {args.days} days x 24 = {checks:,} checks;"
        f" changed {CHANGE_RATE:.1%}, failed {FAIL_RATE:.1%}, of the rest"
        f" {NOT_MODIFIED_SHARE:.0%} 304 and {1 - NOT_MODIFIED_SHARE:.0%} unchanged",
        f"pages: {result.corpus}, {raw_sizes[0] // 1000}-{raw_sizes[-1] // 1000} KB"
        f" (median {raw_sizes[len(raw_sizes) // 2] // 1000} KB)",
        f"rows at the end: {result.counts}",
        f"database size at the end: {result.size / 1e6:.1f} MB (limit 500 MB):"
        f" {'OK' if result.size < 500e6 else 'OVER'}",
        f"bytes added by one unchanged check (200, same content): {unchanged:.0f} B"
        f" (limit 1 KB): {'OK' if unchanged < 1000 else 'OVER'}",
        f"bytes added by one 304 check: {not_modified:.0f} B; by one unchanged check written"
        f" through the simulation's bulk path: {bulk:.0f} B (the same rows)",
        f"raw bodies older than raw_days kept only as evidence of a change:"
        f" {result.evidence_raw / 1e6:.1f} MB",
        f"time: {result.seconds:.0f} s for the simulated checks, of which"
        f" {result.prune_seconds:.0f} s in the daily prunes",
    ]
    if result.tables:
        lines.append(
            "largest tables and indexes: "
            + ", ".join(
                f"{name} {size / 1e6:.1f} MB" for name, size in list(result.tables.items())[:8]
            )
        )
    return lines


def main() -> None:
    defaults = RetentionSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--raw-days", type=int, default=defaults.raw_days)
    parser.add_argument("--snapshot-days", type=int, default=defaults.snapshot_days)
    parser.add_argument("--check-days", type=int, default=defaults.check_days)
    parser.add_argument("--keep", action="store_true", help="Keep the database (path printed).")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "storage_growth.txt"
    )
    parser.add_argument("--append", action="store_true", help="Append to --out.")
    args = parser.parse_args()
    retention = RetentionSettings(
        raw_days=args.raw_days, snapshot_days=args.snapshot_days, check_days=args.check_days
    )
    text = "\n".join(report(args, retention, simulate(args, retention))) + "\n"
    print(text, end="")
    with args.out.open("a" if args.append else "w") as out:
        out.write(("\n" if args.append else "") + text)


if __name__ == "__main__":
    main()
