"""The Atom feed of changes and the iCalendar feed of deadlines, through the real app."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from lxml import etree

from dashboard.app import create_app
from storage.db import session_scope
from storage.models import ChangeRow
from tests.api_seed import HOSTILE, HOSTILE_URL, NOW, Seeded, make_app, seeded_app


@pytest.fixture
def seeded(database_url: str) -> Iterator[Seeded]:
    with seeded_app(database_url) as (_, seeded):
        yield seeded


def client_for(seeded: Seeded, **dashboard: object) -> TestClient:
    app = make_app(str(seeded.store.engine.url.render_as_string(hide_password=False)), **dashboard)
    return TestClient(create_app(app, clock=lambda: NOW))


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with client_for(seeded) as client:
        yield client


@pytest.fixture(scope="module")
def shared_client(shared_database_url: str) -> Iterator[TestClient]:
    """``client`` over one seeded database per module and backend, for tests that only read."""
    with seeded_app(shared_database_url) as (_, seeded), client_for(seeded) as client:
        yield client


def atom(client: TestClient, query: str = "") -> feedparser.FeedParserDict:
    response = client.get(f"/feeds/changes.atom{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_atom_feed_lists_the_timeline_with_links_to_the_dashboard(
    client: TestClient, seeded: Seeded
):
    feed = atom(client)
    assert feed.version == "atom10"
    # One entry per event: the consultation seen on the AI Office page and Have Your Say.
    assert [entry.title for entry in feed.entries] == [
        "Deadline extended to 30 June",
        HOSTILE,
        "Consultation on GPAI guidelines opened",
    ]
    opened = feed.entries[-1]
    event_id = event_of(seeded, seeded.changes["opened"])
    assert opened.link == f"http://testserver/events/{event_id}"
    assert opened.id == f"tag:lexwatch,2026:event/{event_id}"
    assert feed.feed.id == "tag:lexwatch,2026:changes"
    assert opened.published == "2026-11-02T10:00:00Z"
    assert opened.updated == "2026-11-02T11:00:00Z"
    assert "Seen on 2 sources: AI Office, Have Your Say" in opened.summary
    assert {tag.term for tag in opened.tags} == {"consultation_opened", "severity:high"}
    assert feed.feed.updated == "2026-11-12T09:00:00Z"


def event_of(seeded: Seeded, change_id: int) -> int:
    with session_scope(seeded.store.engine) as session:
        row = session.get(ChangeRow, change_id)
        assert row is not None and row.event_id is not None
        return row.event_id


def test_hostile_text_is_escaped_and_round_trips(client: TestClient):
    raw = client.get("/feeds/changes.atom?source=press").content
    assert b"<script>" not in raw and b"&lt;script&gt;" in raw
    root = etree.fromstring(raw)  # well-formed despite "]]>" and "&" in the title
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.findtext("a:entry/a:title", namespaces=ns) == HOSTILE
    related = root.find("a:entry/a:link[@rel='related']", namespaces=ns)
    assert related is not None and related.get("href") == HOSTILE_URL


def test_control_characters_in_scraped_text_do_not_break_the_feed(seeded: Seeded):
    with session_scope(seeded.store.engine) as session:
        row = session.get(ChangeRow, seeded.changes["extended"])
        assert row is not None
        row.title = "Deadline\x08 extended\x0b to 30 June\x1b"  # PostgreSQL refuses NUL
        session.add(row)
    with client_for(seeded) as client:
        feed = atom(client, "?source=hys")
    assert feed.entries[0].title == "Deadline extended to 30 June"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?source=hys", ["Deadline extended to 30 June", "Consultation on GPAI guidelines opened"]),
        ("?tag=ai-act", [HOSTILE, "Consultation on GPAI guidelines opened"]),
        ("?category=noise", ["Cookie banner changed"]),
        ("?severity=medium", [HOSTILE]),
        ("?since=2026-11-03&until=2026-11-11", [HOSTILE]),
        ("?q=gpai", ["Consultation on GPAI guidelines opened"]),
        ("?noise=1&source=press", ["Newsletter 42", HOSTILE]),
        ("?tag=unknown", []),
    ],
)
def test_atom_filters_match_the_timeline(
    shared_client: TestClient, query: str, expected: list[str]
):
    assert [entry.title for entry in atom(shared_client, query).entries] == expected


def test_atom_links_use_the_configured_dashboard_url(seeded: Seeded, monkeypatch):
    monkeypatch.setenv("LEXWATCH_ALERTS__DASHBOARD_URL", "https://lexwatch.example.org/")
    with client_for(seeded) as client:
        feed = atom(client, "?source=press")
        forged = atom_with_host(client, "?source=press", "evil.example")
    assert feed.entries[0].link.startswith("https://lexwatch.example.org/events/")
    assert feed.feed.link == "https://lexwatch.example.org/?source=press"
    assert feed.feed.id == "tag:lexwatch.example.org,2026:changes?source=press"
    assert feed.entries[0].id.startswith("tag:lexwatch.example.org,2026:event/")
    self_link = next(link.href for link in feed.feed.links if link.rel == "self")
    assert self_link == "https://lexwatch.example.org/feeds/changes.atom?source=press"
    assert forged == feed  # the Host header changes nothing a reader sees


def atom_with_host(client: TestClient, query: str, host: str) -> feedparser.FeedParserDict:
    response = client.get(f"/feeds/changes.atom{query}", headers={"Host": host})
    assert response.status_code == 200, response.text
    return feedparser.parse(response.content)


def test_atom_ids_do_not_follow_the_host_header(client: TestClient):
    """Behind a proxy, or with a forged Host, a reader must see each entry once."""
    plain = atom(client)
    forged = atom_with_host(client, "", "evil.example")
    assert [entry.id for entry in forged.entries] == [entry.id for entry in plain.entries]
    assert forged.feed.id == plain.feed.id == "tag:lexwatch,2026:changes"
    assert all("evil.example" not in entry.id for entry in forged.entries)


@pytest.mark.parametrize(
    ("query", "alternate", "feed_id"),
    [
        ("", "http://testserver/", "tag:lexwatch,2026:changes"),
        (
            "?source=hys&page=2",
            "http://testserver/?source=hys",
            "tag:lexwatch,2026:changes?source=hys",
        ),
        (
            "?severity=high&text=gpai&include_noise=true",
            "http://testserver/?severity=high&q=gpai&noise=1",
            "tag:lexwatch,2026:changes?severity=high&q=gpai&noise=1",
        ),
        (
            "?since=2026-11-03&until=2026-11-11",
            "http://testserver/?since=2026-11-03&until=2026-11-11",
            "tag:lexwatch,2026:changes?since=2026-11-03&until=2026-11-11",
        ),
    ],
)
def test_a_filtered_feed_links_to_the_filtered_timeline(
    shared_client: TestClient, query: str, alternate: str, feed_id: str
):
    client = shared_client
    feed = atom(client, query)
    assert feed.feed.link == alternate
    assert feed.feed.id == feed_id
    # The timeline the feed points to shows the same changes.
    page = client.get(alternate.removeprefix("http://testserver"))
    assert page.status_code == 200
    for entry in feed.entries:
        assert entry.link.removeprefix("http://testserver") in page.text


def test_deadlines_calendar(client: TestClient):
    response = client.get("/feeds/deadlines.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = [event for event in calendar.walk("VEVENT")]
    assert [str(event["summary"]) for event in events] == ["Application date"]
    assert events[0].decoded("dtend").isoformat() == "2026-12-06T12:00:00+00:00"
    closed = Calendar.from_ical(client.get("/feeds/deadlines.ics?include_closed=1").content)
    assert sorted(str(e["summary"]) for e in closed.walk("VEVENT")) == [
        "Application date",
        "Feedback period ends",
    ]
