"""A small, realistic history written through the real Store, for the API, feed and browse tests.

Three sources; changes over two weeks (a consultation seen on two sources, a deadline
extension, editorial and noise changes, one change marked noise, a hostile title); checks
that fail; deadlines (one closed); deliveries from a real subscription routing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from monitor.analysis.diff import diff_documents
from monitor.app import App
from monitor.config import Settings
from monitor.types import (
    Category,
    Change,
    Channel,
    CheckOutcome,
    CheckRecord,
    Deadline,
    Document,
    DocumentKind,
    Item,
    NewSnapshot,
    Severity,
    Source,
    Subscription,
)
from storage.codec import document_hash, encode_document
from storage.outbox import Routing
from storage.queries import ChangeFilter
from storage.store import Store

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(days=14, hours=3)
HOSTILE = 'Press release <script>alert("x")</script> ]]> & <b>bold</b>'
HOSTILE_URL = "https://press.example.eu/r?a=1&b=<2>"

SOURCES = (
    Source(
        key="ai-office",
        title="AI Office",
        url="https://ai-office.example.eu/",
        parser="html",
        interval=3600,
        tags=("ai-act", "official"),
    ),
    Source(
        key="hys",
        title="Have Your Say",
        url="https://hys.example.eu/api",
        parser="json",
        interval=7200,
        tags=("consultations",),
    ),
    Source(
        key="press",
        title="Press corner",
        url="https://press.example.eu/rss",
        parser="rss",
        interval=3600,
        tags=("ai-act", "press"),
        expected_change=86400 * 30,
    ),
)
SUBSCRIPTION = Subscription(
    name="legal-slack", channel=Channel.SLACK, target="#legal", min_severity=Severity.MEDIUM
)


@dataclass
class Seeded:
    store: Store
    changes: dict[str, int] = field(default_factory=dict)  # name -> change id
    snapshots: list[int] = field(default_factory=list)  # ai-office's, oldest first


def snapshot(*items: Item) -> tuple[Document, NewSnapshot]:
    document = Document(kind=DocumentKind.PAGE, items=items)
    encoded = encode_document(document)
    return document, NewSnapshot(
        encoded=encoded, content_hash=document_hash(encoded), item_count=len(items)
    )


def change(
    source: str, item: str, category: Category, severity: Severity, title: str, **extra: object
) -> Change:
    [diff] = diff_documents(
        Document(kind=DocumentKind.LISTING, items=()),
        Document(kind=DocumentKind.LISTING, items=(Item(key=item, title=title),)),
    )
    return Change(
        source_key=source,
        item_key=item,
        category=category,
        severity=severity,
        title=title,
        summary=f"{title} (summary)",
        url=None,
        diff=diff,
        **extra,
    )  # type: ignore[arg-type]


def check(
    source: str, at: datetime, outcome: CheckOutcome = CheckOutcome.CHANGED, **extra: object
) -> CheckRecord:
    return CheckRecord(
        source_key=source,
        started_at=at,
        duration_ms=40,
        outcome=outcome,
        http_status=500 if outcome is CheckOutcome.FAILED else 200,
        **extra,
    )  # type: ignore[arg-type]


def seed(store: Store) -> Seeded:
    store.sync_sources(SOURCES)
    store.routing = Routing(subscriptions=(SUBSCRIPTION,))
    seeded = Seeded(store=store)
    _ai_office(seeded)
    _hys(seeded)
    _press(seeded)
    return seeded


def _newest(store: Store, source: str) -> int:
    state = store.state(source)
    assert state.snapshot_id is not None
    return state.snapshot_id


def _ai_office(seeded: Seeded) -> None:
    store = seeded.store
    _, old_snap = snapshot(Item(key="a", title="Guidelines", text="open until 10 June"))
    store.record(
        check("ai-office", T0, CheckOutcome.BASELINE, snapshot=old_snap, raw=b"<html>v1</html>"),
        None,
    )
    first = _newest(store, "ai-office")
    _, new_snap = snapshot(
        Item(key="a", title="Guidelines", text="open until 30 June"),
        Item(key="b", title="GPAI consultation", text="Have your say"),
    )
    opened = change(
        "ai-office",
        "b",
        Category.CONSULTATION_OPENED,
        Severity.HIGH,
        "Consultation on GPAI guidelines opened",
        event_key="ev:gpai",
        evidence=("The consultation is open until 30 June.",),
    )
    store.record(
        check(
            "ai-office",
            T0 + timedelta(hours=1),
            snapshot=new_snap,
            raw=b"<html>v2</html>",
            final_url="https://ai-office.example.eu/en",
            changes=(opened,),
        ),
        first,
    )
    seeded.snapshots = [first, _newest(store, "ai-office")]
    store.record(
        check(
            "ai-office",
            T0 + timedelta(days=8),
            changes=(change("ai-office", "a", Category.EDITORIAL, Severity.LOW, "Typo fixed"),),
        ),
        None,
    )
    store.record(
        check(
            "ai-office",
            T0 + timedelta(days=9),
            changes=(
                change("ai-office", "a", Category.NOISE, Severity.LOW, "Cookie banner changed"),
            ),
        ),
        None,
    )
    store.record(check("ai-office", NOW - timedelta(hours=1), CheckOutcome.UNCHANGED), None)
    ids = _ids(store, "ai-office")
    seeded.changes |= {"opened": ids[0], "editorial": ids[1], "noise": ids[2]}


def _hys(seeded: Seeded) -> None:
    store = seeded.store
    closes = Deadline(
        source_key="hys",
        item_key="14284",
        label="Feedback period ends",
        due=NOW + timedelta(days=3),
        kind="consultation",
    )
    store.record(
        check(
            "hys",
            T0 + timedelta(hours=2),
            deadlines=(closes,),
            changes=(
                change(
                    "hys",
                    "14284",
                    Category.CONSULTATION_OPENED,
                    Severity.HIGH,
                    "Have Your Say: GPAI consultation",
                    event_key="ev:gpai",
                ),
            ),
        ),
        None,
    )
    applies = Deadline(
        source_key="hys",
        item_key="14300",
        label="Application date",
        due=NOW + timedelta(days=20),
        kind="application",
    )
    store.record(
        check(
            "hys",
            T0 + timedelta(days=10),
            deadlines=(applies,),
            changes=(
                change(
                    "hys",
                    "14300",
                    Category.DEADLINE_EXTENDED,
                    Severity.HIGH,
                    "Deadline extended to 30 June",
                    old_date=date(2026, 6, 10),
                    new_date=date(2026, 6, 30),
                ),
            ),
        ),
        None,
    )
    ids = _ids(store, "hys")
    seeded.changes |= {"hys_opened": ids[0], "extended": ids[1]}


def _press(seeded: Seeded) -> None:
    store = seeded.store
    hostile = change("press", "r1", Category.PUBLICATION_ADDED, Severity.MEDIUM, HOSTILE)
    hostile = Change(**{**_fields(hostile), "url": HOSTILE_URL})  # type: ignore[arg-type]
    store.record(check("press", T0 + timedelta(days=1), changes=(hostile,)), None)
    store.record(
        check(
            "press",
            T0 + timedelta(days=11),
            changes=(
                change("press", "r2", Category.PUBLICATION_ADDED, Severity.MEDIUM, "Newsletter 42"),
            ),
        ),
        None,
    )
    for hour in range(3):
        store.record(
            check(
                "press", T0 + timedelta(days=12, hours=hour), CheckOutcome.FAILED, error="HTTP 500"
            ),
            None,
        )
    ids = _ids(store, "press")
    seeded.changes |= {"hostile": ids[0], "newsletter": ids[1]}
    store.mark_noise(ids[1], T0 + timedelta(days=11, hours=1))


def _fields(value: Change) -> dict[str, object]:
    return {name: getattr(value, name) for name in Change.__dataclass_fields__}


def _ids(store: Store, source: str) -> list[int]:
    rows = store.changes(ChangeFilter(source=source))
    return sorted(row.id for row in rows if row.id is not None)


@contextmanager
def seeded_app(database_url: str, **dashboard: object) -> Iterator[tuple[App, Seeded]]:
    """``make_app`` over ``database_url``, seeded; closed when the block ends."""
    app = make_app(database_url, **dashboard)
    try:
        yield app, seed(app.store)
    finally:
        app.close()


def make_app(database_url: str, *extra: Source, **dashboard: object) -> App:
    """An App over ``database_url`` watching SOURCES (and ``extra``), not yet seeded."""
    settings = Settings(
        database_url=database_url,
        builtin_catalog=False,
        http={"per_host_spacing": 0},  # type: ignore[arg-type]
        dashboard=dashboard,
    )  # type: ignore[arg-type]
    store = Store.open(database_url)
    sources = {source.key: source for source in (*SOURCES, *extra)}
    store.sync_sources(sources.values())
    return App(settings=settings, sources=sources, store=store)
