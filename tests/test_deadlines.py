"""Deadlines read from documents: consultation closings, application dates, planned events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.analysis.dates import BRUSSELS
from monitor.analysis.deadlines import extract_deadlines
from monitor.types import Document, DocumentKind, Item, ParseContext, Source
from sources.parsers import PARSERS

SOURCE = Source(
    key="src", title="Source", url="https://example.europa.eu/page", parser="html", interval=3600
)
AI_ACT_URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689"


def doc(*items: Item) -> Document:
    return Document(kind=DocumentKind.PAGE, items=items)


def found(*items: Item) -> list[tuple[str, str, datetime]]:
    return [(d.kind, d.item_key, d.due) for d in extract_deadlines(doc(*items), SOURCE)]


def brussels(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BRUSSELS)  # type: ignore[misc]


FIELD_CASES = [
    pytest.param(
        Item(
            key="hys:1",
            title="Scientific panel",
            fields={"status": "OPEN", "feedback_end": "2024-11-15T23:59:59+01:00"},
        ),
        [("consultation", "hys:1", brussels(2024, 11, 15, 23, 59, 59))],
        id="open-initiative",
    ),
    pytest.param(
        Item(
            key="hys:2",
            title="Sandboxes",
            fields={"status": "UPCOMING", "feedback_end": "2026-01-13T23:59:59+01:00"},
        ),
        [("consultation", "hys:2", brussels(2026, 1, 13, 23, 59, 59))],
        id="upcoming",
    ),
    pytest.param(
        Item(
            key="hys:3",
            title="AI Board",
            fields={"status": "CLOSED", "feedback_end": "2024-05-30T23:59:59+02:00"},
        ),
        [],
        id="closed",
    ),
    pytest.param(
        Item(
            key="Consultation",
            title="Consultation",
            fields={"deadline": "2026-06-23T22:00:00+02:00"},
        ),
        [("consultation", "Consultation", brussels(2026, 6, 23, 22))],
        id="page-deadline",
    ),
    pytest.param(
        Item(
            key="forecast:plenary",
            title="Indicative plenary sitting date",
            fields={
                "event": "Indicative plenary sitting date",
                "event_date": "2026-06-16",
                "forecast": "true",
            },
        ),
        [("event", "forecast:plenary", brussels(2026, 6, 16))],
        id="forecast",
    ),
    pytest.param(
        Item(
            key="event:2025-11-19:proposal",
            title="Legislative proposal published",
            fields={
                "event": "Legislative proposal published",
                "event_date": "2025-11-19",
                "published": "2025-11-19",
            },
        ),
        [],
        id="key-event-is-history",
    ),
    pytest.param(
        Item(key="hys:4", title="Broken", fields={"status": "OPEN", "feedback_end": "not a date"}),
        [],
        id="unreadable-field",
    ),
]


@pytest.mark.parametrize(("item", "expected"), FIELD_CASES)
def test_fields(item: Item, expected: list[tuple[str, str, datetime]]) -> None:
    assert found(item) == expected


def test_flattened_json_records_with_an_open_status() -> None:
    fields = {
        "content.0.shortTitle": "New call for evidence",
        "content.0.currentStatuses.0.receivingFeedbackStatus": "OPEN",
        "content.0.currentStatuses.0.feedbackEndDate": "2025/11/20 23:59:59",
        "content.1.shortTitle": "Old initiative",
        "content.1.currentStatuses.0.receivingFeedbackStatus": "CLOSED",
        "content.1.currentStatuses.0.feedbackEndDate": "2021/08/06 23:59:59",
    }
    [deadline] = extract_deadlines(doc(Item(key="search", title="", fields=fields)), SOURCE)
    assert deadline.label == "Consultation closes: New call for evidence"
    assert deadline.due == brussels(2025, 11, 20, 23, 59, 59)


TEXT_CASES = [
    pytest.param(
        "It shall apply from 2 August 2026.",
        [("application", brussels(2026, 8, 2))],
        id="applies-from",
    ),
    pytest.param(
        "The consultation is open until 18 September 2025.",
        [("consultation", brussels(2025, 9, 18, 23, 59, 59))],
        id="open-until",
    ),
    pytest.param(
        "Deadline for submissions: 5 May 2025, 12:00 CET",
        [("consultation", brussels(2025, 5, 5, 12))],
        id="deadline-with-time",
    ),
    pytest.param(
        "Applications close on 3 March 2026.",
        [("other", brussels(2026, 3, 3, 23, 59, 59))],
        id="closes-other",
    ),
    pytest.param(
        "Webinar | 20 February 2025 | Online", [("event", brussels(2025, 2, 20))], id="event-line"
    ),
    pytest.param("The workshop took place on 3 June 2025.", [], id="past-event"),
    pytest.param("The AI Act entered into force on 1 August 2024.", [], id="no-cue"),
    pytest.param("Regulation (EU) 2024/1689 applies to providers.", [], id="act-number"),
    pytest.param(
        "La consultation est ouverte jusqu'au 10 octobre 2025.",
        [("consultation", brussels(2025, 10, 10, 23, 59, 59))],
        id="french",
    ),
]


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES)
def test_text(text: str, expected: list[tuple[str, datetime]]) -> None:
    deadlines = extract_deadlines(doc(Item(key="k", title="Page", text=f"Intro.\n{text}")), SOURCE)
    assert [(d.kind, d.due) for d in deadlines] == expected
    for deadline in deadlines:
        assert deadline.label.startswith("Page: ")
        assert deadline.url == SOURCE.url


def test_a_field_and_its_sentence_are_one_deadline_and_results_are_sorted() -> None:
    item = Item(
        key="c",
        title="Consultation",
        text="This consultation is open until 23 June"
        " 2026, 22:00 CET.\nIt shall apply from 2 August 2026.",
        fields={"status": "OPEN", "deadline": "2026-06-23T22:00:00+02:00"},
    )
    assert found(item) == [
        ("consultation", "c", brussels(2026, 6, 23, 22)),
        ("application", "c", brussels(2026, 8, 2)),
    ]


def test_ai_act_application_dates(real_fixtures: Path) -> None:
    # How fast: bench/analysis_speed.py (no wall-clock threshold in a test).
    content = (real_fixtures / "eur-lex" / "32024R1689_oj-xhtml_EN.xhtml").read_bytes()
    document = PARSERS["eurlex_act"](content, ParseContext(url=AI_ACT_URL))
    source = Source(
        key="eurlex-ai-act", title="AI Act", url=AI_ACT_URL, parser="eurlex_act", interval=86400
    )
    deadlines = extract_deadlines(document, source)
    article_113 = {d.due.date().isoformat() for d in deadlines if d.item_key == "art_113"}
    assert {"2025-02-02", "2025-08-02", "2026-08-02", "2027-08-02"} <= article_113
    assert all(d.kind == "application" for d in deadlines if d.item_key == "art_113")


@given(
    st.text(max_size=300),
    st.dictionaries(
        st.sampled_from(
            [
                "status",
                "feedback_end",
                "deadline",
                "event_date",
                "event",
                "a.b.endDate",
                "a.b.status",
            ]
        ),
        st.text(max_size=40),
        max_size=4,
    ),
)
@settings(max_examples=200, deadline=None)
def test_never_raises(text: str, fields: dict[str, str]) -> None:
    for deadline in extract_deadlines(
        doc(Item(key="k", title="t", text=text, fields=fields)), SOURCE
    ):
        assert deadline.due.tzinfo is not None
