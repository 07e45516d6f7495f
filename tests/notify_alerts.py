"""Sample alerts for the notifier tests: a realistic change, health events, a test alert, and
the hostile scraped strings every renderer must show literally."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from monitor.types import (
    Alert,
    AlertChange,
    AlertKind,
    AlertSource,
    Category,
    Severity,
    TextOp,
)

SOURCE = AlertSource(
    key="hys-initiatives",
    title="Have Your Say — AI initiatives",
    url="https://ec.europa.eu/info/law/better-regulation/have-your-say",
)
DETECTED = datetime(2025, 9, 3, 7, 30, tzinfo=UTC)

CHANGE = AlertChange(
    id=42,
    source_key=SOURCE.key,
    item_key="hys:14579",
    category=Category.DEADLINE_EXTENDED,
    severity=Severity.HIGH,
    title="Artificial intelligence – guidelines on high-risk classification",
    summary="Feedback period extended from 10 September 2025 to 18 September 2025",
    url="https://ec.europa.eu/info/law/better-regulation/have-your-say/initiatives/14579",
    evidence=(
        "The feedback period ends on 18 September 2025 (midnight Brussels time).",
        "Stakeholders are invited to comment on the draft guidelines.",
    ),
    excerpt=(
        TextOp(op="equal", text="Feedback period: 6 June 2025 -"),
        TextOp(op="delete", text="10 September 2025"),
        TextOp(op="insert", text="18 September 2025"),
        TextOp(op="equal", text="(midnight Brussels time)"),
    ),
    detected_at=DETECTED,
    old_date=date(2025, 9, 10),
    new_date=date(2025, 9, 18),
    event_id=17,
)


def change_alert(**changes: object) -> Alert:
    """The sample change alert; keyword arguments replace Alert fields."""
    alert = Alert(
        delivery_id=1001,
        kind=AlertKind.CHANGE,
        subscription="policy-team",
        source=SOURCE,
        created_at=DETECTED,
        change=CHANGE,
        dashboard_url="https://lexwatch.example.org",
    )
    return replace(alert, **changes)  # type: ignore[arg-type]


def minimal_change_alert() -> Alert:
    """A change with nothing optional: no url, dates, excerpt, evidence or dashboard."""
    change = AlertChange(
        id=7,
        source_key="ai-office-news",
        item_key="https://x.eu/n/1",
        category=Category.PUBLICATION_ADDED,
        severity=Severity.MEDIUM,
        title="Template for the public summary of training content",
        summary="",
        url=None,
        evidence=(),
        excerpt=(),
        detected_at=DETECTED,
    )
    source = AlertSource(
        key="ai-office-news",
        title="AI Office news",
        url="https://digital-strategy.ec.europa.eu/en/news",
    )
    return Alert(
        delivery_id=1002,
        kind=AlertKind.CHANGE,
        subscription="policy-team",
        source=source,
        created_at=DETECTED,
        change=change,
    )


def health_alert(kind: AlertKind) -> Alert:
    detail = (
        "3 failed checks in a row; last: HTTP 503 from ec.europa.eu"
        if kind is AlertKind.SOURCE_DOWN
        else "back after 3 failed checks (2 h 10 min)"
    )
    return Alert(
        delivery_id=1003,
        kind=kind,
        subscription="ops",
        source=SOURCE,
        created_at=DETECTED,
        detail=detail,
    )


def sample_test_alert() -> Alert:
    return Alert(
        delivery_id=1004,
        kind=AlertKind.TEST,
        subscription="policy-team",
        source=SOURCE,
        created_at=DETECTED,
        change=CHANGE,
        dashboard_url="https://lexwatch.example.org",
    )


HOSTILE = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C999|general>",
    "<https://evil.example|click here>",
    "*bold*",
    "_italic_",
    "~struck~",
    "`code`",
    "```block```",
    "> quoted",
    "AT&T & Co",
    "<script>alert(1)</script>",
    "@channel",
    "&lt;!channel&gt;",
    "<!subteam^S123>",
)


def hostile_alert(text: str) -> Alert:
    """The sample alert with ``text`` in every scraped field."""
    change = replace(
        CHANGE,
        title=f"{text} title",
        summary=f"{text} summary",
        evidence=(f"{text} evidence",),
        excerpt=(
            TextOp(op="equal", text=f"{text} kept"),
            TextOp(op="delete", text=f"{text} gone"),
            TextOp(op="insert", text=f"{text} new"),
        ),
    )
    source = replace(SOURCE, title=f"{text} source")
    return change_alert(change=change, source=source, detail=f"{text} detail")
