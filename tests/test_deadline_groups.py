"""The same deadline stated by several sources is shown once, naming them all: on the deadlines
page (lists and month grid) and in the iCalendar feed. Different deadlines never merge."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from dashboard.app import create_app
from monitor.analysis.deadline_groups import group_deadlines, same_thing
from monitor.types import Deadline, Source
from storage.models import DeadlineRow
from tests.api_seed import NOW, T0, check, make_app, seed

DUE = datetime(2027, 1, 26, 22, 59, 59, tzinfo=UTC)  # 26 January, 23:59:59 in Brussels
PORTAL = Source(
    key="portal",
    title="Consultation portal",
    url="https://portal.example.eu/",
    parser="json",
    interval=3600,
)
NEWS = Source(
    key="news", title="AI Office news", url="https://news.example.eu/", parser="rss", interval=3600
)
OFFICE = Source(
    key="office",
    title="AI Office consultations",
    url="https://office.example.eu/",
    parser="html",
    interval=3600,
)

# As lexwatch reads them from three sources: the same consultation, worded three ways.
SAME = (
    (
        "office",
        "hys:90001",
        "Consultation closes: Artificial intelligence – transparency"
        " guidelines for general-purpose AI",
        "https://portal.example.eu/initiatives/90001",
    ),
    (
        "portal",
        "Targeted consultation",
        "Consultation closes: Targeted consultation on"
        " transparency guidelines for general-purpose AI",
        "https://portal.example.eu/c/t",
    ),
    (
        "news",
        "news-103",
        "Transparency guidelines for general-purpose AI: targeted"
        " consultation launched: The consultation is open until 26 January 2027.",
        "https://news.example.eu/103",
    ),
)
# Same day and kind, another consultation: stays its own row.
OTHER = (
    "news",
    "news-104",
    "Consultation closes: guidelines on prohibited AI practices",
    "https://news.example.eu/104",
)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = make_app(database_url, PORTAL, NEWS, OFFICE)
    seed(app.store)
    stated: dict[str, list[Deadline]] = {}
    for source, item, label, url in (*SAME, OTHER):
        stated.setdefault(source, []).append(
            Deadline(
                source_key=source, item_key=item, label=label, kind="consultation", due=DUE, url=url
            )
        )
    for n, (source, deadlines) in enumerate(stated.items()):  # one check states them all
        app.store.record(
            check(source, T0 + timedelta(days=12, minutes=n), deadlines=tuple(deadlines)), None
        )
    with TestClient(create_app(app, clock=lambda: NOW)) as test_client:
        yield test_client
    app.close()


def test_the_deadlines_page_lists_each_deadline_once(client: TestClient):
    page = client.get("/deadlines").text
    upcoming = page[page.index('id="h-upcoming"') : page.index('id="h-past"')]
    body = re.search(r"<tbody>(.*?)</tbody>", upcoming, re.S)
    assert body is not None
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    assert len(rows) == 3  # the seeded one, the consultation once, the other consultation
    [merged] = [row for row in rows if "transparency guidelines" in row]
    assert re.findall(r'<a href="/sources/(\w+)">', merged) == ["office", "portal", "news"]
    assert merged.count("transparency guidelines") == 1
    [other] = [row for row in rows if "prohibited" in row]
    assert re.findall(r'<a href="/sources/(\w+)">', other) == ["news"]
    grid = client.get("/deadlines?month=2027-01").text
    day = re.search(r"Tuesday 26 January</span>\s*<ul>(.*?)</ul>", grid, re.S)
    assert day is not None and day.group(1).count("<li") == 2
    assert "2 deadlines in January 2027" in grid


def test_the_calendar_has_one_event_per_deadline(client: TestClient):
    calendar = Calendar.from_ical(client.get("/feeds/deadlines.ics").content)
    events = [e for e in calendar.walk("VEVENT") if e.decoded("dtend") == DUE]
    assert len(events) == 2
    merged = next(e for e in events if "transparency" in str(e["summary"]))
    assert "Sources: office, portal, news" in str(merged["description"])
    assert len({str(e["uid"]) for e in calendar.walk("VEVENT")}) == len(calendar.walk("VEVENT"))


def row(
    source: str,
    label: str,
    *,
    due: datetime = DUE,
    kind: str = "consultation",
    url: str | None = None,
) -> DeadlineRow:
    return DeadlineRow(
        source_key=source,
        item_key=label,
        kind=kind,
        label=label,
        url=url,
        due=due,
        first_seen=DUE,
        last_seen=DUE,
    )


def test_deadlines_merge_only_at_the_same_instant_and_kind():
    rows = [
        row("a", "Consultation closes: AI regulatory sandboxes (implementing act)"),
        row("b", "AI regulatory sandboxes (implementing act): open until 26 January"),
        row("c", "AI regulatory sandboxes (implementing act)", due=DUE - timedelta(days=1)),
        row("d", "AI regulatory sandboxes (implementing act)", kind="event"),
        row("e", "Unrelated page", url="https://x.eu/doc"),
        row("f", "Another wording", url="https://x.eu/doc"),
    ]
    groups = group_deadlines(rows)
    assert [g.sources for g in groups] == [("a", "b"), ("c",), ("d",), ("e", "f")]
    assert groups[0].first.source_key == "a"


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("Application date", "Application date", True),
        ("Chapter V applies", "GPAI consultation closes", False),
        (
            "Consultation closes: guidelines on prohibited AI practices",
            "Consultation closes: guidelines on the AI system definition",
            False,
        ),
        ("Webinar on the AI Pact: 20 February 2027", "AI Pact webinar", True),
    ],
)
def test_same_thing(one: str, other: str, same: bool):
    assert same_thing(one, other) is same
