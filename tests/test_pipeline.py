"""End to end: a real HTTP server on loopback, the real client, parsers, diff and database.

baseline → unchanged (304) → changed (exactly the right Changes) → faults (no Change, the
failure recorded, the snapshot kept) → recovery without a false change.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from monitor.analysis.classify import StructuralClassifier
from monitor.app import App, fetch_policy
from monitor.config import load_settings
from monitor.errors import StorageError
from monitor.pipeline import Checker, CheckResult
from monitor.types import Category, CheckOutcome
from sources.fetch.fetcher import Fetcher, make_client
from sources.parsers import PARSERS
from storage.queries import ChangeFilter
from tests.checking import check
from tests.servers.replay import ReplayServer

PAGE_V1 = """<!DOCTYPE html><html><head><title>AI Office</title>
<script>var dtrum = {rid: "RID_1"};</script></head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>
<div class="cookie-consent">We use cookies. Accept?</div>
<main>
<h1>European AI Office</h1><p>The AI Office is the centre of AI expertise.</p>
<h2>Tasks</h2><p>It supports the implementation of the AI Act.</p>
<h2>Structure</h2><p>The office has 5 units.</p>
</main>
<footer>© European Union · Last update: 1 June 2025</footer>
</body></html>"""

# Formatting churn only: whitespace, non-breaking spaces, a new tracking id, a new footer date.
PAGE_V1_CHURN = (
    PAGE_V1.replace("RID_1", "RID_2")
    .replace("centre of AI", "centre\u00a0of   AI")
    .replace("1 June 2025", "9 June 2025")
)

PAGE_V2 = PAGE_V1.replace(
    "The office has 5 units.", "The office has 6 units, including a new unit for AI safety."
).replace(
    "</main>",
    "<h2>Guidelines</h2><p>The Commission published guidelines on the"
    " obligations of providers of general-purpose AI models.</p></main>",
)

FEED_V1 = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>Digital strategy news</title><link>https://example.eu/</link>
<lastBuildDate>Mon, 01 Sep 2025 08:00:00 GMT</lastBuildDate>
<item><guid>https://example.eu/n/1</guid><title>AI Pact webinar</title>
<link>https://example.eu/n/1</link><description>Join the webinar.</description>
<pubDate>Mon, 01 Sep 2025 08:00:00 GMT</pubDate></item>
</channel></rss>"""

FEED_V2 = FEED_V1.replace(
    "Mon, 01 Sep 2025 08:00:00 GMT</lastBuildDate>", "Tue, 02 Sep 2025 08:00:00 GMT</lastBuildDate>"
).replace(
    "<item>",
    """<item><guid>https://example.eu/n/2</guid>
<title>Commission publishes GPAI guidelines</title><link>https://example.eu/n/2</link>
<description>The guidelines clarify obligations.</description>
<pubDate>Tue, 02 Sep 2025 08:00:00 GMT</pubDate></item><item>""",
    1,
)


def make_app(tmp_path: Path, database_url: str, server: ReplayServer) -> App:
    config = tmp_path / "lexwatch.toml"
    config.write_text(f"""
database_url = "{database_url}"
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
connect_timeout = 2
read_timeout = 1
retries = 1
backoff_base = 0.01
max_retry_after = 5
per_host_spacing = 0
[sources.office]
url = "{server.url("/office")}"
parser = "html"
keep = ["main"]
[sources.news]
url = "{server.url("/feed")}"
parser = "feed"
tags = ["news"]
""")
    return App.start(load_settings(config))


@pytest.fixture
def app(tmp_path: Path, database_url: str, replay_server: ReplayServer):
    replay_server.add("/office", PAGE_V1, PAGE_V1_CHURN, PAGE_V2)
    replay_server.add("/feed", FEED_V1, FEED_V2, content_type="application/rss+xml")
    app = make_app(tmp_path, database_url, replay_server)
    yield app
    app.close()


def test_baseline_unchanged_changed(app: App, replay_server: ReplayServer):
    first = check(app, "office")
    assert (first.outcome, first.changes) == (CheckOutcome.BASELINE, ())

    again = check(app, "office")
    assert again.outcome is CheckOutcome.NOT_MODIFIED
    assert replay_server.requests[-1].headers.get("if-none-match")

    replay_server.set_version("/office", 1)  # formatting churn only
    churn = check(app, "office")
    assert (churn.outcome, churn.changes) == (CheckOutcome.UNCHANGED, ())

    replay_server.set_version("/office", 2)
    changed = check(app, "office")
    assert changed.outcome is CheckOutcome.CHANGED
    got = sorted((c.item_key, c.category) for c in changed.changes)
    assert got == [
        ("European AI Office > Guidelines", Category.PUBLICATION_ADDED),
        ("European AI Office > Structure", Category.AMENDMENT),
    ]

    stored = app.store.changes(ChangeFilter(source="office"))
    assert len(stored) == 2
    amendment = next(row for row in stored if row.category == "amendment")
    ops = [op for block in amendment.diff["blocks"] for op in block["ops"] if op[0] != "equal"]
    assert ops == [
        ["delete", "5 units."],
        ["insert", "6 units, including a new unit for AI safety."],
    ]
    outcomes = [c.outcome for c in app.store.checks("office")]
    assert outcomes == ["changed", "unchanged", "not_modified", "baseline"]


def test_new_feed_item_is_one_publication(app: App, replay_server: ReplayServer):
    assert check(app, "news").outcome is CheckOutcome.BASELINE
    replay_server.set_version("/feed", 1)
    result = check(app, "news")
    assert [(c.item_key, c.category) for c in result.changes] == [
        ("https://example.eu/n/2", Category.PUBLICATION_ADDED)
    ]


FAULTS = [
    pytest.param("status", {"status": 500, "times": 2}, "HTTP 500", id="500"),
    pytest.param("status", {"status": 404}, "HTTP 404", id="404"),
    pytest.param(
        "retry_after", {"status": 429, "retry_after": "60"}, "Retry-After", id="429-too-long"
    ),
    pytest.param("timeout", {"delay": 3.0, "times": 2}, "", id="timeout"),
    pytest.param("truncated", {"times": 2}, "", id="truncated-body"),
    # aiohttp itself re-sends a GET once on a disconnect: 4 faults = 2 failed attempts.
    pytest.param("disconnect", {"times": 4}, "", id="disconnect"),
    pytest.param("maintenance", {}, "maintenance", id="maintenance-page-200"),
    pytest.param(
        "body",
        {"body": "<html><body><h1>Access Denied</h1></body></html>"},
        "access denied",
        id="bot-wall-200",
    ),
    pytest.param(
        "body", {"body": "<html><body><main></main></body></html>"}, "no items", id="empty-parse"
    ),
]


@pytest.mark.parametrize(("kind", "kw", "reason"), FAULTS)
def test_fault_is_a_failed_check_never_a_change(
    app: App, replay_server: ReplayServer, kind: str, kw: dict, reason: str
):
    check(app, "office")
    replay_server.set_version("/office", 2)
    replay_server.fault("/office", kind, **kw)
    failed = check(app, "office")
    assert failed.outcome is CheckOutcome.FAILED
    assert failed.changes == ()
    assert reason.lower() in (failed.error or "").lower()
    [source] = [s for s in app.store.sources() if s.key == "office"]
    assert source.failure_streak == 1 and source.last_error

    # The next good answer is compared with the last good snapshot: the real change shows.
    recovered = check(app, "office")
    assert recovered.outcome is CheckOutcome.CHANGED
    assert len(recovered.changes) == 2
    assert len(app.store.changes(ChangeFilter())) == 2


def test_malformed_feed_is_a_failed_check(app: App, replay_server: ReplayServer):
    check(app, "news")
    replay_server.fault(
        "/feed", "body", body="<rss><channel><item><title>cut", content_type="application/rss+xml"
    )
    failed = check(app, "news")
    assert failed.outcome is CheckOutcome.FAILED and failed.changes == ()
    assert check(app, "news").outcome is CheckOutcome.NOT_MODIFIED


def test_dry_run_stores_nothing(app: App, replay_server: ReplayServer):
    check(app, "office")
    replay_server.set_version("/office", 2)
    before = app.store.counts()

    result = check(app, "office", dry_run=True)
    assert len(result.changes) == 2 and result.check_id is None
    assert app.store.counts() == before


def test_editing_selectors_is_not_a_change_of_the_page(
    tmp_path: Path, database_url: str, app: App, replay_server: ReplayServer
):
    assert check(app, "office").outcome is CheckOutcome.BASELINE
    config = tmp_path / "lexwatch.toml"
    edited_config = config.read_text().replace(
        'keep = ["main"]', "keep = [\"main\"]\nignore = ['The office has .*']"
    )
    config.write_text(edited_config)
    app.close()
    edited = App.start(load_settings(config))
    try:
        replay_server.set_version("/office", 1)  # new bytes, so the page is parsed again
        result = check(edited, "office")
        # The old body is re-read with the new rules before comparing: nothing changed.
        assert (result.outcome, result.changes) == (CheckOutcome.UNCHANGED, ())
        replay_server.set_version("/office", 2)
        changed = check(edited, "office")
        # The "Structure" sentence is now ignored; only the new section remains a change.
        assert [c.item_key for c in changed.changes] == ["European AI Office > Guidelines"]
    finally:
        edited.close()


def test_gone_twice_is_one_page_removed(app: App, replay_server: ReplayServer):
    check(app, "office")
    replay_server.fault("/office", "status", status=404, times=3)
    first = check(app, "office")
    assert (first.outcome, first.changes) == (CheckOutcome.FAILED, ())  # could be a blip
    second = check(app, "office")
    assert second.outcome is CheckOutcome.FAILED
    assert {c.category for c in second.changes} == {Category.PAGE_REMOVED}
    third = check(app, "office")
    assert third.changes == ()  # said once, not at every check
    stored = app.store.changes(ChangeFilter(source="office"))
    assert {row.category for row in stored} == {"page_removed"}


def test_a_404_after_a_500_is_not_yet_a_removal(app: App, replay_server: ReplayServer):
    check(app, "office")
    replay_server.fault("/office", "status", status=500, times=2)
    check(app, "office")
    replay_server.fault("/office", "status", status=404)
    assert check(app, "office").changes == ()


def listing(page: int, *ids: int) -> str:
    items = ", ".join(f'{{"id": {i}, "title": "Initiative {i}"}}' for i in ids)
    return f'{{"page": {page}, "totalPages": 3, "items": [{items}]}}'


def next_page(content: bytes, url: str, options: object) -> str | None:
    """A pager for the test API: page n lives at /api/p<n>."""
    page = json.loads(content)["page"]
    return None if page + 1 >= 3 else url.replace(f"/p{page}", f"/p{page + 1}")


def paged_check(app: App) -> CheckResult:
    async def run() -> CheckResult:
        policy = fetch_policy(app.settings)
        async with make_client(policy) as client:
            checker = Checker(
                store=app.store,
                fetcher=Fetcher(client, policy),
                classifier=StructuralClassifier(),
                parsers=PARSERS,
                pagers={"json": next_page},
            )
            return await checker.check(app.sources["listing"])

    return asyncio.run(run())


@pytest.fixture
def paged_app(tmp_path: Path, database_url: str, replay_server: ReplayServer):
    json_type = "application/json"
    replay_server.add("/api/p0", listing(0, 1, 2), listing(0, 6, 1), content_type=json_type)
    replay_server.add("/api/p1", listing(1, 3, 4), listing(1, 2, 3), content_type=json_type)
    replay_server.add("/api/p2", listing(2, 5), listing(2, 4, 5), content_type=json_type)
    config = tmp_path / "paged.toml"
    config.write_text(f"""
database_url = "{database_url}"
builtin_catalog = false
[http]
retries = 0
per_host_spacing = 0
[sources.listing]
url = "{replay_server.url("/api/p0")}"
parser = "json"
items_path = "items"
key_field = "id"
title_field = "title"
""")
    app = App.start(load_settings(config))
    yield app
    app.close()


def test_every_page_of_a_paginated_listing_is_one_document(
    paged_app: App, replay_server: ReplayServer
):
    assert paged_check(paged_app).outcome is CheckOutcome.BASELINE
    [snapshot] = [c.snapshot_id for c in paged_app.store.checks("listing")]
    assert [i.key for i in paged_app.store.document(snapshot).items] == ["1", "2", "3", "4", "5"]
    # A new entry on page 0 pushes the others along: only the new one is a change.
    for path in ("/api/p0", "/api/p1", "/api/p2"):
        replay_server.set_version(path, 1)
    result = paged_check(paged_app)
    assert [(c.item_key, c.category) for c in result.changes] == [("6", Category.PUBLICATION_ADDED)]


def test_a_failed_page_fails_the_whole_check(paged_app: App, replay_server: ReplayServer):
    paged_check(paged_app)
    replay_server.fault("/api/p2", "status", status=500)
    for path in ("/api/p0", "/api/p1", "/api/p2"):
        replay_server.set_version(path, 1)
    failed = paged_check(paged_app)
    # Pages 0 and 1 alone would look as if entry 5 had been removed: no partial listing.
    assert (failed.outcome, failed.changes) == (CheckOutcome.FAILED, ())


def test_a_check_that_cannot_be_stored_is_recorded_as_failed(app: App, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from storage import checks

    def broken(*_args, **_kwargs):
        raise IntegrityError("INSERT INTO changes ...", {}, Exception("constraint"))

    # A write after the check's snapshot and raw body: all of it must go.
    monkeypatch.setattr(checks, "_store_changes", broken)
    with pytest.raises(StorageError):
        check(app, "office")
    [row] = app.store.checks("office")
    assert row.outcome == "failed" and "could not store this check" in (row.error or "")
    assert app.store.counts()["snapshots"] == 0  # nothing half-written
