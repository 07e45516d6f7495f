"""Retention on SQLite and PostgreSQL: old data goes, the evidence of every Change stays."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from monitor.config import RetentionSettings
from monitor.types import Document, DocumentKind
from storage.codec import compress, encode_document
from storage.db import session_scope
from storage.models import BlobRow, ChangeRow, CheckRow, SnapshotRow, SourceRow
from storage.sizes import database_size
from storage.store import Store
from tests.processes import clean_env

NOW = datetime(2026, 6, 1, 3, 30, tzinfo=UTC)
EMPTY = encode_document(Document(kind=DocumentKind.PAGE, items=()))
LIMITS = RetentionSettings(raw_days=90, snapshot_days=365, check_days=365)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


class Builder:
    """Writes rows the way the pipeline does, with chosen dates."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def source(self, key: str) -> None:
        with session_scope(self.store.engine) as session:
            session.add(
                SourceRow(
                    key=key,
                    title=key,
                    url=f"https://example.eu/{key}",
                    parser="html",
                    interval_seconds=3600,
                )
            )

    def blob(self, name: str, age: int) -> str:
        with session_scope(self.store.engine) as session:
            session.add(
                BlobRow(
                    hash=name, size=1000, data=zlib.compress(b"x" * 1000), created_at=days_ago(age)
                )
            )
        return name

    def snapshot(self, key: str, age: int, blob: str | None) -> int:
        with session_scope(self.store.engine) as session:
            row = SnapshotRow(
                source_key=key,
                created_at=days_ago(age),
                content_hash="h",
                item_count=0,
                data=compress(EMPTY),
                blob_hash=blob,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def check(
        self,
        key: str,
        age: int,
        *,
        snapshot: int | None = None,
        blob: str | None = None,
        outcome: str = "changed",
    ) -> int:
        with session_scope(self.store.engine) as session:
            row = CheckRow(
                source_key=key,
                started_at=days_ago(age),
                duration_ms=5,
                outcome=outcome,
                snapshot_id=snapshot,
                blob_hash=blob,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def change(self, key: str, check: int, old: int | None, new: int | None, age: int) -> int:
        with session_scope(self.store.engine) as session:
            row = ChangeRow(
                source_key=key,
                check_id=check,
                item_key="Guidance",
                category="deadline_extended",
                severity="high",
                title="t",
                summary="s",
                old_snapshot_id=old,
                new_snapshot_id=new,
                detected_at=days_ago(age),
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def history(store: Store) -> dict[str, object]:
    """Source "a": a year and a half of history with one Change; source "b": one old baseline."""
    b = Builder(store)
    b.source("a")
    b.source("b")
    ids: dict[str, object] = {}
    ids["s1"] = b.snapshot("a", 500, b.blob("b1", 500))
    ids["c1"] = b.check("a", 500, snapshot=ids["s1"], blob="b1")  # type: ignore[arg-type]
    ids["s2"] = b.snapshot("a", 400, b.blob("b2", 400))
    ids["c2"] = b.check("a", 400, snapshot=ids["s2"], blob="b2")  # type: ignore[arg-type]
    ids["change"] = b.change("a", ids["c2"], ids["s1"], ids["s2"], 400)  # type: ignore[arg-type]
    ids["s3"] = b.snapshot("a", 380, b.blob("b3", 380))  # an editorial edit: no Change
    ids["c3"] = b.check("a", 380, snapshot=ids["s3"], blob="b3")  # type: ignore[arg-type]
    ids["failed"] = [b.check("a", 370 - i, outcome="failed") for i in range(5)]
    ids["s4"] = b.snapshot("a", 100, b.blob("b4", 100))
    ids["c4"] = b.check("a", 100, snapshot=ids["s4"], blob="b4")  # type: ignore[arg-type]
    ids["s5"] = b.snapshot("a", 50, b.blob("b5", 50))
    ids["c6"] = b.check("a", 50, snapshot=ids["s5"], blob="b5")  # type: ignore[arg-type]
    ids["c5"] = b.check("a", 10, outcome="not_modified")
    ids["sb"] = b.snapshot("b", 500, b.blob("bb", 500))
    ids["cb"] = b.check("b", 500, snapshot=ids["sb"], blob="bb")  # type: ignore[arg-type]
    return ids


def remaining(store: Store) -> tuple[set[int], set[str], set[int]]:
    with session_scope(store.engine) as session:
        snapshots = {row.id for row in session.exec(select(SnapshotRow)).all()}
        blobs = {row.hash for row in session.exec(select(BlobRow)).all()}
        checks = {row.id for row in session.exec(select(CheckRow)).all()}
    return snapshots, blobs, checks  # type: ignore[return-value]


def test_prune_keeps_the_evidence_of_changes_and_the_newest_snapshots(
    store: Store, history: dict[str, object]
):
    before = remaining(store)
    preview = store.prune(LIMITS, NOW, dry_run=True)
    assert (preview.checks, preview.snapshots, preview.blobs) == (8, 1, 4)
    assert remaining(store) == before  # a dry run deletes nothing

    report = store.prune(LIMITS, NOW)
    assert (report.checks, report.snapshots, report.blobs) == (8, 1, 4)
    assert report.blob_bytes > 0
    snapshots, blobs, checks = remaining(store)
    # The Change's before/after snapshots, the young ones and b's newest (though old) stay.
    assert snapshots == {history[k] for k in ("s1", "s2", "s4", "s5", "sb")}
    # Raw bodies: each source's newest snapshot's (b5 is also young); the Change's went with
    # age: its snapshots and word diff stay its evidence.
    assert blobs == {"b5", "bb"}
    # The check that found the Change stays, like every check younger than a year.
    assert checks == {history[k] for k in ("c2", "c4", "c5", "c6")}
    change = store.change(history["change"])  # type: ignore[arg-type]
    assert change is not None and change.old_snapshot_id == history["s1"]
    assert store.document(history["s1"]) is not None  # type: ignore[arg-type]
    with session_scope(store.engine) as session:
        kept = session.get(CheckRow, history["c4"])
        assert kept is not None and kept.blob_hash is None  # its raw body went
    assert store.prune(LIMITS, NOW).total == 0  # nothing left to do


def test_prune_in_small_batches_deletes_the_same(store: Store, history: dict[str, object]):
    from storage.retention import prune

    report = prune(store.engine, LIMITS, NOW, batch=2)
    assert (report.checks, report.snapshots, report.blobs) == (8, 1, 4)
    assert remaining(store)[1] == {"b5", "bb"}


def test_nothing_recent_is_touched(store: Store, history: dict[str, object]):
    generous = RetentionSettings(raw_days=1000, snapshot_days=1000, check_days=1000)
    assert store.prune(generous, NOW).total == 0


def test_sizes_count_rows_and_bytes(store: Store, history: dict[str, object]):
    size = database_size(store.engine)
    tables = {table.name: table for table in size.tables}
    assert tables["checks"].rows == 12 and tables["snapshots"].rows == 6
    assert tables["blobs"].bytes is not None and tables["blobs"].bytes > 0
    assert size.total_bytes is not None and size.total_bytes >= tables["blobs"].bytes


def lexwatch(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_db_prune_and_db_stats_commands(tmp_path: Path):
    (tmp_path / "lexwatch.toml").write_text("""
builtin_catalog = false
[retention]
raw_days = 30
[sources.a]
url = "https://example.eu/a"
parser = "html"
""")
    store = Store.open(f"sqlite:///{tmp_path / 'lexwatch.db'}")
    b = Builder(store)
    b.source("a")
    old = datetime.now(UTC) - NOW
    b.snapshot("a", 400 + old.days, b.blob("gone", 400 + old.days))
    b.snapshot("a", 1, b.blob("newest", 1))
    store.close()

    dry = lexwatch(tmp_path, "db", "prune", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would delete 0 check(s)" in dry.stdout and "1 snapshot(s)" in dry.stdout
    assert "1 raw response(s) older than 30 days" in dry.stdout
    done = json.loads(lexwatch(tmp_path, "db", "prune", "--json").stdout)
    assert done == {
        "checks": 0,
        "snapshots": 1,
        "blobs": 1,
        "blob_bytes": done["blob_bytes"],
        "events": 0,
        "dry_run": False,
    }
    stats = lexwatch(tmp_path, "db", "stats")
    assert stats.returncode == 0, stats.stderr
    lines = {line.split()[0]: line.split()[1:] for line in stats.stdout.splitlines()}
    assert lines["snapshots"][0] == "1" and lines["blobs"][0] == "1"
    assert lines["sources"][0] == "1" and lines["blobs"][2] in ("B", "kB")
    assert "total" in lines
