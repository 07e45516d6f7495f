"""Seeded data for the dashboard tests (in-process and in Chromium), written through the Store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from dashboard.auth import hash_password
from monitor.analysis.diff import diff_documents
from monitor.app import App
from monitor.config import DashboardSettings, Settings, SourceSettings, SubscriptionSettings
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
)
from storage.codec import document_hash, encode_document
from storage.store import Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_EVIDENCE = '"><img src=x onerror=alert(1)>'
HOSTILE_RAW = b"<html><body><script>alert('raw')</script>evidence</body></html>"
BULK = 60  # amendments on one source: more than one timeline page

LONG = " ".join(f"word{n}" for n in range(80))  # an unchanged run long enough to fold
V1 = (
    f"The AI Office coordinates the implementation.\nIntro {LONG} end.\n"
    "Stakeholders may comment until 10 June 2026.\nUnchanged A.\nUnchanged B.\nUnchanged C.\n"
    "Unchanged D.\nClosing remarks."
)
V2 = V1.replace("until 10 June 2026", "until 30 June 2026 via the portal")


def settings_for(database_url: str, **dashboard: object) -> Settings:
    sources = {
        "ai-office": SourceSettings(
            url="https://example.eu/ai-office",
            parser="html",
            title="AI Office",
            tags=["ai-act", "commission"],
            interval=86400,
        ),
        "eurlex": SourceSettings(
            url="https://example.eu/eurlex",
            parser="feed",
            title="EUR-Lex",
            tags=["ai-act", "legal"],
            interval=86400,
        ),
        "hostile": SourceSettings(
            url="https://example.eu/hostile", parser="html", title="Hostile site", interval=86400
        ),
        # A title as long as the catalog's: the timeline's source filter must still fit a phone.
        "bulk": SourceSettings(
            url="https://example.eu/bulk",
            parser="html",
            title="European Commission, Shaping Europe's digital future:"
            " Artificial Intelligence Act, all articles",
            interval=86400,
        ),
    }
    options: dict[str, object] = {
        "users": SecretStr(f"alice:{PASSWORD},bob:{hash_password(PASSWORD, iterations=1000)}"),
        "session_secret": SecretStr("s" * 40),
        "timezone": "Europe/Brussels",
        **dashboard,
    }
    hook = SubscriptionSettings(
        name="team-hook",
        channel="webhook",  # type: ignore[arg-type]
        target="http://127.0.0.1:9/hook",
    )
    return Settings(
        database_url=database_url,
        builtin_catalog=False,
        sources=sources,
        subscriptions=[hook],
        dashboard=DashboardSettings(**options),
    )  # type: ignore[arg-type]


def start(database_url: str, **dashboard: object) -> App:
    app = App.start(settings_for(database_url, **dashboard))
    seed(app.store)
    return app


def snapshot(*items: Item) -> tuple[Document, NewSnapshot]:
    document = Document(kind=DocumentKind.PAGE, items=items)
    encoded = encode_document(document)
    return document, NewSnapshot(
        encoded=encoded, content_hash=document_hash(encoded), item_count=len(items)
    )


def change(
    source: str,
    old: Item | None,
    new: Item,
    category: Category,
    severity: Severity,
    title: str,
    **extra: object,
) -> Change:
    before = Document(kind=DocumentKind.PAGE, items=(old,) if old else ())
    after = Document(kind=DocumentKind.PAGE, items=(new,))
    [diff] = diff_documents(before, after)
    return Change(
        source_key=source,
        item_key=new.key,
        category=category,
        severity=severity,
        title=title,
        summary=extra.pop("summary", f"{title} (summary)"),  # type: ignore[arg-type]
        url=new.url,
        diff=diff,
        **extra,
    )  # type: ignore[arg-type]


def record(source: str, at: datetime, outcome: CheckOutcome, **kw: object) -> CheckRecord:
    return CheckRecord(
        source_key=source, started_at=at, duration_ms=40, outcome=outcome, http_status=200, **kw
    )  # type: ignore[arg-type]


def seed(store: Store) -> None:
    """Four sources: a deadline moved, a legal act, hostile text, and 60 bulk amendments."""
    _seed_ai_office(store)
    _seed_eurlex(store)
    _seed_hostile(store)
    _seed_bulk(store)


def _seed_ai_office(store: Store) -> None:
    old = Item(
        key="consultation",
        title="Consultation on GPAI",
        url="https://example.eu/c",
        text=V1,
        fields={"status": "open"},
    )
    new = Item(
        key="consultation",
        title="Consultation on GPAI",
        url="https://example.eu/c",
        text=V2,
        fields={"status": "open", "feedback_end": "2026-06-30"},
    )
    _, first = snapshot(old)
    store.record(
        record(
            "ai-office",
            T0,
            CheckOutcome.BASELINE,
            snapshot=first,
            raw=b"<html>v1</html>",
            content_type="text/html",
        ),
        None,
    )
    previous = store.state("ai-office").snapshot_id
    _, second = snapshot(new)
    moved = change(
        "ai-office",
        old,
        new,
        Category.DEADLINE_EXTENDED,
        Severity.HIGH,
        "Consultation on GPAI extended to 30 June",
        summary="The feedback period now ends on 30 June 2026 instead of 10 June.",
        evidence=("Stakeholders may comment until 30 June 2026 via the portal.",),
        old_date=date(2026, 6, 10),
        new_date=date(2026, 6, 30),
        event_key="hys:1",
    )
    deadline = Deadline(
        source_key="ai-office",
        item_key="consultation",
        kind="consultation",
        label="GPAI consultation closes",
        due=datetime(2026, 12, 10, 23, 0, tzinfo=UTC),
        url="https://example.eu/c",
    )
    past = Deadline(
        source_key="ai-office",
        item_key="consultation",
        kind="application",
        label="Chapter V applies",
        due=datetime(2026, 11, 10, 9, 0, tzinfo=UTC),
    )
    store.record(
        record(
            "ai-office",
            T0 + timedelta(days=1),
            CheckOutcome.CHANGED,
            snapshot=second,
            changes=(moved,),
            raw=b"<html>v2</html>",
            content_type="text/html; charset=utf-8",
            deadlines=(deadline, past),
        ),
        previous,
    )
    store.record(
        record(
            "ai-office",
            T0 + timedelta(days=2),
            CheckOutcome.FAILED,
            error="HTTP 503 maintenance page",
        ),
        None,
    )


def _seed_eurlex(store: Store) -> None:
    act = Item(
        key="celex:32026R0001",
        title="Commission Regulation 2026/1",
        url="https://example.eu/celex",
        text="A delegated act under the AI Act.",
    )
    legal = change(
        "eurlex",
        None,
        act,
        Category.LEGAL_ACT,
        Severity.HIGH,
        "Delegated act published in the Official Journal",
        event_key="hys:1",
    )
    noise = change(
        "eurlex",
        None,
        Item(key="counter", title="Views", text="1234 views"),
        Category.NOISE,
        Severity.LOW,
        "View counter moved",
    )
    store.record(
        record("eurlex", T0 + timedelta(days=3), CheckOutcome.CHANGED, changes=(legal, noise)), None
    )


def _seed_hostile(store: Store) -> None:
    bad = Item(
        key="x",
        title=HOSTILE_TITLE,
        url="javascript:alert(1)",
        text=f"Before {HOSTILE_EVIDENCE} after",
    )
    hostile = change(
        "hostile",
        None,
        bad,
        Category.PUBLICATION_ADDED,
        Severity.MEDIUM,
        HOSTILE_TITLE,
        summary=HOSTILE_EVIDENCE,
        evidence=(HOSTILE_EVIDENCE,),
    )
    store.record(
        record(
            "hostile",
            T0 + timedelta(days=4),
            CheckOutcome.CHANGED,
            changes=(hostile,),
            raw=HOSTILE_RAW,
            content_type="text/html",
        ),
        None,
    )


def _seed_bulk(store: Store) -> None:
    for n in range(BULK):
        before = Item(key=f"art-{n}", title=f"Article {n}", text=f"Article {n} reads one way.")
        after = Item(key=f"art-{n}", title=f"Article {n}", text=f"Article {n} reads another way.")
        amended = change(
            "bulk", before, after, Category.AMENDMENT, Severity.MEDIUM, f"Article {n} amended"
        )
        at = T0 - timedelta(days=20) + timedelta(hours=n)
        store.record(record("bulk", at, CheckOutcome.CHANGED, changes=(amended,)), None)


def database_path(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dashboard.db'}"
