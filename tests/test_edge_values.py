"""Values at the edges of what a client can send, on every reader surface (JSON API, Atom feed,
HTML pages), against SQLite and PostgreSQL: an answer or a clear 4xx, never a 500.

Huge ids and page numbers used to reach the database (SQLite: OverflowError; PostgreSQL:
integer out of range), dates at the ends of the calendar overflowed Python's datetime, and a
NUL character in a key or filter made PostgreSQL fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import pytest
from fastapi.testclient import TestClient

from dashboard.app import create_app
from tests.dashboard_pages_seed import NOW, start

HUGE = "9" * 30
INT64 = str(2**63)  # past SQLite's INTEGER
INT32 = str(2**31)  # past PostgreSQL's INTEGER


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = start(database_url, api_tokens="tok")
    with TestClient(
        create_app(app, clock=lambda: NOW), raise_server_exceptions=False
    ) as test_client:
        yield test_client
    app.close()


API_AND_FEED = [
    (f"/api/v1/changes/{HUGE}", 422),
    (f"/api/v1/changes/{INT64}", 422),
    (f"/api/v1/changes/{INT32}", 422),
    ("/api/v1/changes/2147483647", 404),
    (f"/api/v1/changes?page={HUGE}", 422),
    (f"/api/v1/changes?page={INT64}", 422),
    ("/api/v1/changes?page=1000000", 200),
    (f"/api/v1/deliveries?page={HUGE}", 422),
    (f"/api/v1/diff?source=ai-office&old=1&new={INT64}", 422),
    ("/api/v1/changes?until=9999-12-31", 200),
    ("/api/v1/changes?since=9999-12-31", 200),
    ("/api/v1/changes?since=0001-01-01", 200),
    ("/api/v1/changes?until=0001-01-01", 200),
    ("/api/v1/changes?since=0000-01-01", 200),
    ("/api/v1/changes?since=0001-01-01T00:00:00%2B01:00", 200),
    ("/api/v1/changes?until=9999-12-31T23:59:59-05:00", 200),
    ("/api/v1/changes?since=2026-11-20T23:59:60Z", 200),
    ("/api/v1/deadlines?from=0001-01-01&to=9999-12-31", 200),
    ("/api/v1/changes?since=yesterday", 422),
    ("/api/v1/changes?since=", 422),
    ("/api/v1/changes?source=a%00b", 422),
    ("/api/v1/changes?q=%00", 422),
    ("/api/v1/sources/a%00b", 422),
    ("/api/v1/sources/a%00b/snapshots", 422),
    (f"/feeds/changes.atom?page={HUGE}", 422),
    ("/feeds/changes.atom?until=9999-12-31", 200),
    ("/feeds/changes.atom?since=0001-01-01", 200),
    ("/feeds/changes.atom?tag=%00", 422),
    ("/feeds/changes.atom?since=9999-12-31T23:59:59-05:00", 200),
    ("/feeds/changes.atom?until=0001-01-01T00:00:00%2B01:00", 200),
    ("/feeds/changes.atom?since=0001-01-01T00:00:00%2B01:00&until=9999-12-31T23:59:59-05:00", 200),
]


def test_api_and_feed_answer_edge_values(client: TestClient):
    wrong = []
    for url, status in API_AND_FEED:
        response = client.get(url, headers={"Authorization": "Bearer tok"})
        if response.status_code != status:
            wrong.append(f"{url}: {response.status_code} {response.text[:200]}")
        elif status == 422:
            problems = response.json()["detail"]  # FastAPI's documented shape: a list
            assert isinstance(problems, list) and problems[0]["loc"] and problems[0]["msg"]
    assert not wrong, "\n".join(wrong)


def test_edge_dates_mean_no_bound_or_nothing(client: TestClient):
    def titles(query: str) -> list[str]:
        return [item["title"] for item in client.get(f"/api/v1/changes{query}").json()["items"]]

    everything = titles("?per_page=200")
    assert everything
    assert titles("?per_page=200&since=0001-01-01&until=9999-12-31") == everything
    assert titles("?per_page=200&since=0000-01-01") == everything
    assert titles("?since=9999-12-31") == [] and titles("?until=0001-01-01") == []
    feed = feedparser.parse(client.get("/feeds/changes.atom?until=9999-12-31").content)
    assert len(feed.entries) == 50


PAGES = [
    (f"/changes/{HUGE}", 400),
    (f"/changes/{INT64}", 400),
    (f"/changes/{INT32}", 400),
    (f"/changes/{INT64}/raw", 400),
    ("/changes/2147483647", 404),
    (f"/?page={HUGE}", 200),
    (f"/?page={INT64}", 200),
    ("/?page=²", 200),
    (f"/?page={'1' * 5000}", 200),
    ("/?until=9999-12-31", 200),
    ("/?since=0001-01-01", 200),
    ("/?since=9999-12-31&until=0001-01-01", 200),
    ("/?q=%00&source=a%00", 200),
    (f"/deliveries?page={HUGE}", 400),
    ("/sources/a%00b", 400),
    (f"/sources/ai-office/compare?old=1&new={INT64}", 400),
    ("/deadlines?month=9999-12", 400),
    ("/deadlines?month=0001-01", 400),
    ("/deadlines?month=9999-11", 200),
    ("/deadlines?month=0001-02", 200),
]


def test_pages_answer_edge_values(client: TestClient):
    wrong = []
    for url, status in PAGES:
        response = client.get(url, headers={"Accept": "text/html"})
        if response.status_code != status:
            wrong.append(f"{url}: {response.status_code} {response.text[:200]}")
        assert response.headers["content-type"].startswith("text/html"), url
    assert not wrong, "\n".join(wrong)


def test_a_bad_page_number_is_reported_on_the_timeline(client: TestClient):
    page = client.get(f"/?page={INT64}").text
    assert f"page: &#39;{INT64}&#39; is not a page number (1 to 1,000,000)" in page
    assert "contains a NUL character" in client.get("/?q=%00").text
