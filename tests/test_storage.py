"""Storage against a SQLite file and a real PostgreSQL database (same code, same migrations)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import event, text

from monitor.analysis.diff import diff_documents
from monitor.errors import StorageError
from monitor.types import (
    Category,
    Change,
    CheckOutcome,
    CheckRecord,
    Deadline,
    Document,
    DocumentKind,
    Item,
    NewSnapshot,
    Severity,
    Source,
    SourceOptions,
)
from storage import checks
from storage.codec import document_hash, encode_document
from storage.db import alembic_config, session_scope
from storage.models import ChangeRow
from storage.queries import ChangeFilter
from storage.revision import head_revision
from storage.store import Store
from tests.migrations import alembic_on

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SOURCE = Source(
    key="ai-office",
    title="AI Office",
    url="https://example.eu/ai-office",
    parser="html",
    interval=3600,
    tags=("ai-act",),
)


@pytest.fixture
def store(database_url: str):
    store = Store.open(database_url)
    store.sync_sources([SOURCE])
    yield store
    store.close()


def snapshot_of(*items: Item) -> tuple[Document, NewSnapshot]:
    document = Document(kind=DocumentKind.PAGE, items=items)
    encoded = encode_document(document)
    return document, NewSnapshot(
        encoded=encoded, content_hash=document_hash(encoded), item_count=len(items)
    )


def record(outcome: CheckOutcome, at: datetime, **kw) -> CheckRecord:
    return CheckRecord(
        source_key=SOURCE.key, started_at=at, duration_ms=12, outcome=outcome, http_status=200, **kw
    )


def test_the_head_read_from_the_migration_files_is_alembics_head():
    from alembic.script import ScriptDirectory

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_upgrading_from_0005_keeps_every_row_and_starts_each_source_at_version_0(database_url: str):
    with alembic_on(database_url) as (config, connection):
        command.upgrade(config, "0005")
        connection.execute(
            text(
                "INSERT INTO sources (key, title, url, parser, interval_seconds, tags, options,"
                " official, enabled, failure_streak) VALUES ('old', 'Old', 'https://x.eu', 'html',"
                " 60, '[]', '{}', true, true, 0)"
            )
        )
    store = Store.open(database_url)  # migrates to the head
    try:
        assert store.state("old").version == 0
        store.record(
            CheckRecord(
                source_key="old",
                started_at=T0,
                duration_ms=1,
                outcome=CheckOutcome.CHANGED,
                base_version=0,
                changes=(change_about(None, "old"),),
            ),
            None,
        )
        assert store.state("old").version == 1
        [row] = store.changes(ChangeFilter())
        assert row.happening is not None
    finally:
        store.close()


def test_baseline_then_change_is_stored_with_diff_and_state(store: Store):
    old_doc, old_snap = snapshot_of(Item(key="a", title="A", text="open until 10 June"))
    store.record(
        record(
            CheckOutcome.BASELINE,
            T0,
            raw=b"<html>v1</html>",
            snapshot=old_snap,
            etag='"v1"',
            content_hash="h1",
            parse_fingerprint="fp",
        ),
        None,
    )
    state = store.state(SOURCE.key)
    assert (state.etag, state.content_hash, state.snapshot_hash) == (
        '"v1"',
        "h1",
        old_snap.content_hash,
    )
    assert store.document(state.snapshot_id) == old_doc

    new_doc, new_snap = snapshot_of(Item(key="a", title="A", text="open until 30 June"))
    [diff] = diff_documents(old_doc, new_doc)
    change = Change(
        source_key=SOURCE.key,
        item_key="a",
        category=Category.AMENDMENT,
        severity=Severity.MEDIUM,
        title="A changed",
        summary="10 → 30",
        url=None,
        diff=diff,
        evidence=("open until 30 June",),
    )
    later = T0 + timedelta(hours=1)
    store.record(
        record(
            CheckOutcome.CHANGED,
            later,
            raw=b"<html>v2</html>",
            snapshot=new_snap,
            changes=(change,),
            content_hash="h2",
        ),
        state.snapshot_id,
    )

    [row] = store.changes(ChangeFilter())
    assert (row.item_key, row.category, row.evidence) == ("a", "amendment", ["open until 30 June"])
    assert row.detected_at == later and row.detected_at.tzinfo is not None
    assert row.old_snapshot_id == state.snapshot_id
    assert store.document(row.new_snapshot_id) == new_doc
    assert row.diff["blocks"][0]["ops"] == [
        ["equal", "open until"],
        ["delete", "10"],
        ["insert", "30"],
        ["equal", "June"],
    ]


def test_same_raw_body_is_stored_once(store: Store):
    for minute in range(3):
        store.record(
            record(
                CheckOutcome.FAILED,
                T0 + timedelta(minutes=minute),
                raw=b"<html>maintenance</html>",
                error="maintenance",
            ),
            None,
        )
    assert store.counts()["blobs"] == 1
    assert store.counts()["checks"] == 3
    [source] = store.sources()
    assert (source.failure_streak, source.last_error) == (3, "maintenance")


def test_success_resets_the_failure_streak(store: Store):
    store.record(record(CheckOutcome.FAILED, T0, error="HTTP 500"), None)
    store.record(record(CheckOutcome.NOT_MODIFIED, T0 + timedelta(minutes=5)), None)
    [source] = store.sources()
    assert (source.failure_streak, source.last_error) == (0, None)
    assert source.last_success_at == T0 + timedelta(minutes=5)


def test_crash_mid_check_leaves_previous_state_intact(store: Store, monkeypatch):
    _, snap = snapshot_of(Item(key="a", title="A", text="x"))
    store.record(record(CheckOutcome.BASELINE, T0, raw=b"v1", snapshot=snap, etag='"1"'), None)
    before = store.counts()

    def crash(*_args, **_kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(checks, "_update_sources", crash)
    _, snap2 = snapshot_of(Item(key="a", title="A", text="y"))
    with pytest.raises(RuntimeError):
        store.record(
            record(
                CheckOutcome.CHANGED, T0 + timedelta(hours=1), raw=b"v2", snapshot=snap2, etag='"2"'
            ),
            1,
        )
    assert store.counts() == before
    assert store.state(SOURCE.key).etag == '"1"'


def test_change_filters(store: Store):
    _, snap = snapshot_of(Item(key="a", title="A", text="x"))
    doc = Document(kind=DocumentKind.PAGE, items=(Item(key="a", title="A", text="x"),))
    [diff] = diff_documents(Document(kind=DocumentKind.PAGE, items=()), doc)
    for n, category in enumerate([Category.PUBLICATION_ADDED, Category.AMENDMENT]):
        change = Change(
            source_key=SOURCE.key,
            item_key=f"i{n}",
            category=category,
            severity=Severity.MEDIUM,
            title=f"t{n}",
            summary="s",
            url=None,
            diff=diff,
        )
        store.record(
            record(CheckOutcome.CHANGED, T0 + timedelta(days=n), snapshot=snap, changes=(change,)),
            None,
        )
    assert [r.item_key for r in store.changes(ChangeFilter())] == ["i1", "i0"]
    assert [r.item_key for r in store.changes(ChangeFilter(category="amendment"))] == ["i1"]
    assert [r.item_key for r in store.changes(ChangeFilter(since=T0 + timedelta(hours=1)))] == [
        "i1"
    ]
    assert store.changes(ChangeFilter(source="other")) == []


def test_sync_keeps_fetch_state(store: Store):
    store.record(record(CheckOutcome.NOT_MODIFIED, T0), None)
    store.sync_sources(
        [Source(key=SOURCE.key, title="Renamed", url=SOURCE.url, parser="html", interval=60)]
    )
    [row] = store.sources()
    assert (row.title, row.interval_seconds, row.last_check_at) == ("Renamed", 60, T0)


def test_sync_of_more_sources_than_one_query_reads_adds_and_updates_each(store: Store):
    def configured(n: int, title: str) -> Source:
        return Source(
            key=f"s{n:04d}", title=title, url=f"https://x.eu/{n}", parser="html", interval=60
        )

    store.sync_sources(configured(n, "old") for n in range(0, 1201, 2))
    store.sync_sources(configured(n, "new" if n % 3 == 0 else "old") for n in range(1201))
    rows = {row.key: row.title for row in store.sources() if row.key != SOURCE.key}
    assert rows == {f"s{n:04d}": "new" if n % 3 == 0 else "old" for n in range(1201)}


def test_a_start_writes_the_sources_whose_configuration_changed_and_no_other(store: Store):
    sources = [
        Source(
            key=f"s{n}",
            title=f"Source {n}",
            url=f"https://x.eu/{n}",
            parser="html",
            interval=60,
            tags=("ai-act",),
            official=n % 2 == 0,
            expected_change=86400 if n else None,
            options=SourceOptions(keep=("main",), keywords=("AI",), language="fr"),
        )
        for n in range(3)
    ]
    store.sync_sources(sources)
    written: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT")):
            written.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        store.sync_sources(sources)
        assert written == []
        store.sync_sources([replace(sources[1], options=SourceOptions(keep=("article",)))])
        assert len(written) == 1
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert [row.options["keep"] for row in store.sources() if row.key == "s1"] == [["article"]]


def test_a_source_another_start_adds_meanwhile_is_no_error(store: Store, database_url: str):
    # Two processes starting at once on a new database both find the source missing; the
    # second insert is a no-op (PostgreSQL) or, on SQLite, retried from a fresh read.
    other = Store.open(database_url)
    mine = Source(key="new", title="Mine", url="https://x.eu/new", parser="html", interval=60)
    added: list[str] = []

    def first_add(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO SOURCES") and not added:
            added.append(statement)
            other.sync_sources([replace(mine, title="Theirs")])

    event.listen(store.engine, "before_cursor_execute", first_add)
    try:
        store.sync_sources([mine])
    finally:
        event.remove(store.engine, "before_cursor_execute", first_add)
        other.close()
    assert added
    assert [row.title for row in store.sources() if row.key == "new"] in (["Mine"], ["Theirs"])


def change_about(event_key: str | None, source: str = SOURCE.key) -> Change:
    doc = Document(kind=DocumentKind.LISTING, items=(Item(key="a", title="A"),))
    [diff] = diff_documents(Document(kind=DocumentKind.LISTING, items=()), doc)
    return Change(
        source_key=source,
        item_key="a",
        category=Category.CONSULTATION_OPENED,
        severity=Severity.HIGH,
        title="t",
        summary="s",
        url=None,
        diff=diff,
        event_key=event_key,
    )


def test_the_same_event_on_two_sources_is_linked_to_the_first(store: Store):
    other = Source(key="hys", title="HYS", url="https://x.eu/hys", parser="json", interval=60)
    store.sync_sources([other])
    store.record(record(CheckOutcome.CHANGED, T0, changes=(change_about("hys:14284"),)), None)
    store.record(
        CheckRecord(
            source_key="hys",
            started_at=T0 + timedelta(hours=2),
            duration_ms=1,
            outcome=CheckOutcome.CHANGED,
            changes=(change_about("hys:14284", "hys"),),
        ),
        None,
    )
    store.record(
        record(CheckOutcome.CHANGED, T0 + timedelta(days=1), changes=(change_about("hys:999"),)),
        None,
    )
    first, second, unrelated = sorted(store.changes(ChangeFilter()), key=lambda r: r.id)
    assert first.related_to is None and second.related_to == first.id
    assert unrelated.related_to is None


def consultation(
    item: str,
    *,
    source: str = SOURCE.key,
    key: str = "consultation:/c",
    category: Category = Category.CONSULTATION_OPENED,
    new: date | None = None,
    old: date | None = None,
) -> Change:
    return replace(
        change_about(key, source), item_key=item, category=category, old_date=old, new_date=new
    )


def test_only_the_same_happening_is_linked_never_another_section_or_date(store: Store):
    other = Source(key="news", title="News", url="https://x.eu/news", parser="feed", interval=60)
    store.sync_sources([other])
    sept, octo = date(2026, 9, 10), date(2026, 10, 2)
    found = [
        consultation("page > A", new=sept),
        consultation("page > B", new=octo),  # a second consultation on the same page
        consultation("page > A", new=octo, old=sept, category=Category.DEADLINE_EXTENDED),
        consultation("page > A", new=sept, category=Category.CONSULTATION_CLOSED),
        consultation("n/1", source="news", new=sept),  # the first one, told elsewhere
        consultation("n/2", source="news", new=octo, key="consultation:/other"),
    ]
    for hour, one in enumerate(found):
        at = T0 + timedelta(hours=hour)
        store.record(
            CheckRecord(
                source_key=one.source_key,
                started_at=at,
                duration_ms=1,
                outcome=CheckOutcome.CHANGED,
                changes=(one,),
            ),
            None,
        )
    rows = sorted(store.changes(ChangeFilter()), key=lambda r: r.id)
    assert [row.related_to for row in rows] == [None, None, None, None, rows[0].id, None]


def test_a_check_from_a_state_already_checked_elsewhere_stores_nothing_but_its_row(store: Store):
    _, first = snapshot_of(Item(key="a", title="A", text="v1"))
    store.record(record(CheckOutcome.BASELINE, T0, snapshot=first, base_version=0), None)
    state = store.state(SOURCE.key)
    assert state.version == 1
    found = [replace(change_about("hys:1"), item_key=f"n{i}") for i in range(2)]
    # Two checks started from that state; one was stored first (another process).
    for minute, body in ((1, "v2"), (2, "v2 again")):
        _, snap = snapshot_of(Item(key="a", title="A", text=body))
        stored = store.record(
            record(
                CheckOutcome.CHANGED,
                T0 + timedelta(minutes=minute),
                snapshot=snap,
                changes=(found[minute - 1],),
                raw=body.encode(),
                content_hash=body,
                deadlines=(deadline(T0 + timedelta(days=9)),),
                base_version=state.version,
            ),
            state.snapshot_id,
        )
    assert stored.outcome == "skipped" and stored.error == checks.CHECKED_ELSEWHERE
    assert [row.item_key for row in store.changes(ChangeFilter())] == ["n0"]
    counts = store.counts()
    assert (counts["snapshots"], counts["blobs"], counts["deadlines"]) == (2, 1, 1)
    after = store.state(SOURCE.key)
    assert (after.version, after.content_hash) == (2, "v2")
    # Nor does a failure seen from a state that is gone count toward "failing".
    store.record(
        record(
            CheckOutcome.FAILED,
            T0 + timedelta(minutes=3),
            error="HTTP 500",
            base_version=state.version,
        ),
        None,
    )
    [source] = store.sources()
    assert source.failure_streak == 0
    assert [c.outcome for c in store.checks(SOURCE.key)] == [
        "skipped",
        "skipped",
        "changed",
        "baseline",
    ]


def test_quiet_checks_from_a_state_already_checked_elsewhere_are_skipped(store: Store):
    other = Source(key="news", title="News", url="https://x.eu/news", parser="feed", interval=60)
    store.sync_sources([other])
    base = store.state(SOURCE.key).version
    quiet = [
        CheckRecord(
            source_key=key,
            started_at=T0 + timedelta(seconds=n),
            duration_ms=1,
            outcome=CheckOutcome.NOT_MODIFIED,
            base_version=base,
        )
        for n, key in enumerate((SOURCE.key, SOURCE.key, "news"))
    ]
    stored = store.record_quiet(quiet)
    # Of two checks of one source in one batch, the second is skipped.
    assert [s.skipped if s else None for s in stored] == [False, True, False]
    stale = replace(quiet[2], started_at=T0 + timedelta(minutes=1))
    [again] = store.record_quiet([stale])
    assert again is not None and again.skipped
    assert store.state("news").version == base + 1
    assert [c.outcome for c in store.checks("news")] == ["skipped", "not_modified"]
    [unfenced] = store.record_quiet([replace(stale, base_version=None)])
    assert unfenced is None  # left for Store.record


def test_each_check_of_a_batch_gets_the_id_of_its_own_row(store: Store):
    """A batch's check rows are inserted in one statement (SQLite cannot return their ids
    in order, so they are read back): every id must be the row of its own record, also
    after rows were deleted and with skipped checks in the batch."""
    keys = [f"s{n}" for n in range(5)]
    store.sync_sources([replace(SOURCE, key=key, url=f"https://x.eu/{key}") for key in keys])

    def batch(minute: int) -> list[CheckRecord]:
        return [
            CheckRecord(
                source_key=key,
                started_at=T0 + timedelta(minutes=minute, seconds=n),
                duration_ms=n,
                outcome=CheckOutcome.NOT_MODIFIED,
                base_version=store.state(key).version,
            )
            for n, key in enumerate([*keys, keys[1]])  # keys[1] twice: the second is skipped
        ]

    store.record_quiet(batch(0))
    with store.engine.begin() as connection:  # the newest rows gone: ids may be reused
        connection.execute(text("DELETE FROM checks WHERE source_key IN ('s3', 's4')"))
    records = batch(1)
    stored = store.record_quiet(records)

    assert [s.skipped if s else None for s in stored] == [False] * 5 + [True]
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, source_key, duration_ms FROM checks"))
        by_id = {row.id: (row.source_key, row.duration_ms) for row in rows}
    assert [by_id[s.check_id] for s in stored if s] == [
        (r.source_key, r.duration_ms) for r in records
    ]


def test_each_baseline_of_a_batch_points_at_its_own_snapshot_and_body(store: Store):
    """Snapshots and raw bodies of a batch are written many to a statement: each check must
    point at its own (two sources serving the same bytes share one stored body)."""
    from storage.checks import Pending, pack

    keys = [f"s{n}" for n in range(4)]
    store.sync_sources([replace(SOURCE, key=key, url=f"https://x.eu/{key}") for key in keys])
    records = []
    for n, key in enumerate(keys):
        _, snapshot = snapshot_of(Item(key=f"k{n}", title=key, text=f"text {n}"))
        raw = b"same body" if n >= 2 else f"body {n}".encode()
        records.append(
            CheckRecord(
                source_key=key,
                started_at=T0 + timedelta(seconds=n),
                duration_ms=n,
                outcome=CheckOutcome.BASELINE,
                http_status=200,
                raw=raw,
                snapshot=snapshot,
                content_type="text/html",
                base_version=store.state(key).version,
            )
        )
    stored = store.record_found([Pending(record=r, packed=pack(r)) for r in records])

    query = text(
        "SELECT c.id, c.source_key, s.source_key AS of, s.content_hash, b.hash, b.size"
        " FROM checks c JOIN snapshots s ON s.id = c.snapshot_id"
        " JOIN blobs b ON b.hash = c.blob_hash"
    )
    with store.engine.connect() as connection:
        rows = {row.id: row for row in connection.execute(query)}
    for one, record in zip(stored, records, strict=True):
        assert one is not None and record.snapshot is not None and record.raw is not None
        row = rows[one.check_id]
        assert (row.source_key, row.of) == (record.source_key, record.source_key)
        assert row.content_hash == record.snapshot.content_hash
        assert (row.hash, row.size) == (hashlib.sha256(record.raw).hexdigest(), len(record.raw))
    assert store.counts()["blobs"] == 3


def test_a_quiet_batch_writes_what_single_checks_write_and_owes_the_same_alerts(store: Store):
    """One write path: a batch of quiet checks stores what ``record`` stores, one by one,
    including the alert a recovering source owes (the batch once left those to ``record``)."""
    from monitor.types import Channel, Subscription
    from storage.outbox import Routing

    store.routing = Routing(
        subscriptions=(Subscription(name="ops", channel=Channel.WEBHOOK, health=True),),
        failure_threshold=2,
    )
    alone, batched = SOURCE.key, "news"
    store.sync_sources([replace(SOURCE, key=batched)])
    for key in (alone, batched):
        for minute, outcome in enumerate(
            (CheckOutcome.BASELINE, CheckOutcome.FAILED, CheckOutcome.FAILED)
        ):
            version = store.state(key).version
            store.record(
                replace(
                    record(
                        outcome,
                        T0 + timedelta(minutes=minute),
                        etag='"1"',
                        content_hash="h",
                        error=None,
                        base_version=version,
                    ),
                    source_key=key,
                ),
                None,
            )
    quiet = {
        key: replace(
            record(
                CheckOutcome.UNCHANGED,
                T0 + timedelta(hours=1),
                etag='"2"',
                content_hash="h",
                parse_fingerprint="f",
                base_version=store.state(key).version,
            ),
            source_key=key,
        )
        for key in (alone, batched)
    }

    single = store.record(quiet[alone], None)
    [stored] = store.record_quiet([quiet[batched]])

    assert stored is not None and not stored.skipped
    assert single.outcome == store.checks(batched)[0].outcome == "unchanged"
    rows = {row.key: row for row in store.sources()}
    columns = (
        "failure_streak",
        "last_error",
        "etag",
        "content_hash",
        "parse_fingerprint",
        "last_check_at",
        "last_success_at",
        "first_success_at",
        "version",
    )
    assert [getattr(rows[alone], c) for c in columns] == [
        getattr(rows[batched], c) for c in columns
    ]
    assert rows[batched].etag == '"2"' and rows[batched].failure_streak == 0
    kinds = sorted((row.source_key, row.kind) for row in store.deliveries())
    assert kinds == sorted(
        (key, kind) for key in (alone, batched) for kind in ("source_down", "source_recovered")
    )


def test_the_database_refuses_a_second_copy_of_a_happening(store: Store):
    store.record(
        record(CheckOutcome.CHANGED, T0, changes=(change_about("hys:1"),), base_version=0), None
    )
    [row] = store.changes(ChangeFilter())
    assert row.happening == checks.happening(SOURCE.key, 0, "a", row.category, 0)
    copy = ChangeRow(**{**row.model_dump(), "id": None})
    with pytest.raises(StorageError, match="(?i)unique"), session_scope(store.engine) as session:
        session.add(copy)


def deadline(due: datetime, item: str = "cons") -> Deadline:
    return Deadline(
        source_key=SOURCE.key,
        item_key=item,
        label="Consultation closes",
        due=due,
        kind="consultation",
    )


def test_deadlines_are_kept_current_with_their_history(store: Store):
    first_due = datetime(2025, 9, 10, 21, 59, 59, tzinfo=UTC)
    later_due = datetime(2025, 9, 18, 21, 59, 59, tzinfo=UTC)
    store.record(record(CheckOutcome.BASELINE, T0, deadlines=(deadline(first_due),)), None)
    store.record(
        record(CheckOutcome.UNCHANGED, T0 + timedelta(hours=1), deadlines=(deadline(first_due),)),
        None,
    )
    store.record(
        record(CheckOutcome.CHANGED, T0 + timedelta(days=1), deadlines=(deadline(later_due),)), None
    )
    [row] = store.deadlines(after=None)
    assert row.due == later_due and row.status == "open"
    assert [entry["due"][:10] for entry in row.history] == ["2025-09-10", "2025-09-18"]

    store.record(record(CheckOutcome.NOT_MODIFIED, T0 + timedelta(days=2)), None)  # not read
    assert store.deadlines(after=None)[0].status == "open"
    store.record(record(CheckOutcome.CHANGED, T0 + timedelta(days=3), deadlines=()), None)
    assert store.deadlines(after=None) == []
    assert store.deadlines(after=None, include_closed=True)[0].status == "closed"
    assert store.deadlines(after=later_due + timedelta(days=1), include_closed=True) == []


def test_a_partial_deadline_update_leaves_unchanged_items_alone(store: Store):
    due = datetime(2026, 8, 2, tzinfo=UTC)
    both = (deadline(due, "art_113"), deadline(due, "art_5"))
    store.record(record(CheckOutcome.BASELINE, T0, deadlines=both), None)
    # Only art_5 changed and was read again: it no longer states a date; art_113 stays.
    store.record(
        record(
            CheckOutcome.CHANGED,
            T0 + timedelta(days=1),
            deadlines=(),
            deadline_items=frozenset({"art_5"}),
        ),
        None,
    )
    assert [row.item_key for row in store.deadlines(after=None)] == ["art_113"]


def test_storing_a_batch_of_checks_looks_sources_up_by_key_not_by_scanning(tmp_path: Path):
    """The cost of storing a check must not grow with the number of sources: the claim's
    `(key, version) IN (...)` alone made SQLite scan every source for every batch (the
    service, writing one or two checks at a time, scanned them all for each)."""
    import sqlalchemy

    store = Store.open(f"sqlite:///{tmp_path / 'lexwatch.db'}")
    keys = [f"s{n}" for n in range(40)]
    store.sync_sources([replace(SOURCE, key=key, url=f"https://x.eu/{key}") for key in keys])
    plans: list[str] = []

    @sqlalchemy.event.listens_for(store.engine, "before_cursor_execute")
    def explain(connection, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if "sources" in statement and not executemany and not statement.startswith("EXPLAIN"):
            rows = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            plans.extend(row[-1] for row in rows)

    records = [
        CheckRecord(
            source_key=key,
            started_at=T0,
            duration_ms=1,
            outcome=CheckOutcome.NOT_MODIFIED,
            base_version=store.state(key).version,
        )
        for key in keys[:3]
    ]
    assert all(stored is not None for stored in store.record_quiet(records))
    store.close()
    assert any("USING INDEX" in plan for plan in plans)
    assert not [plan for plan in plans if plan.startswith("SCAN sources")]
