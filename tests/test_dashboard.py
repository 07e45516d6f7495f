"""The dashboard's HTML pages, in-process over HTTP against the real app and a real database."""

from __future__ import annotations

import asyncio
import html
import re
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import select

from dashboard import auth, chart, views
from dashboard.app import CSP, DOCS_CSP, create_app, serve
from monitor.app import App
from monitor.cli.serve import register
from monitor.types import CheckOutcome, CheckRecord, Source
from storage.checks import CHECKED_ELSEWHERE
from storage.db import session_scope
from storage.models import ChangeRow, MuteRow
from tests.dashboard_pages_seed import (
    BULK,
    HOSTILE_RAW,
    HOSTILE_TITLE,
    NOW,
    PASSWORD,
    database_path,
    start,
)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One seeded SQLite app for the tests that only read."""
    app = start(database_path(tmp_path_factory.mktemp("dashboard")))
    yield app
    app.close()


@pytest.fixture(scope="module")
def shared_app_on_both(shared_database_url: str) -> Iterator[App]:
    """``shared_app`` on each backend (SQLite and PostgreSQL), for the tests that only read."""
    app = start(shared_database_url)
    yield app
    app.close()


@pytest.fixture
def client(shared_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(shared_app, clock=lambda: NOW)) as test_client:
        yield test_client


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[App]:
    """A seeded app of its own, for tests that change data or settings."""
    app = start(database_path(tmp_path))
    yield app
    app.close()


def client_for(app: App, **kw: object) -> TestClient:
    return TestClient(create_app(app, clock=lambda: NOW, **kw))  # type: ignore[arg-type]


def change_id(app: App, title: str) -> int:
    with session_scope(app.store.engine) as session:
        found = session.exec(select(ChangeRow.id).where(ChangeRow.title == title)).first()
    assert found is not None, title
    return found


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, name: str = "alice", password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    response: httpx.Response = client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    return response


def timeline_titles(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"/{query}")
    assert response.status_code == 200, response.text
    return [
        html.unescape(t)
        for t in re.findall(r'<a class="title" href="/events/\d+">(.*?)</a>', response.text)
    ]


# -- the timeline ------------------------------------------------------------------------------


def test_timeline_newest_first_one_line_per_event(client: TestClient):
    page = client.get("/").text
    titles = timeline_titles(client)
    assert titles[:3] == [
        HOSTILE_TITLE,
        "Delegated act published in the Official Journal",
        "Consultation on GPAI extended to 30 June",
    ]
    assert "View counter moved" not in titles  # the noise category stays out by default
    assert f"{3 + BULK} events" in page
    row = page[page.index("Consultation on GPAI extended") :][:600]
    assert "Deadline extended" in page and "AI Office" in row
    assert "<del>10 Jun 2026</del>" in row and "<ins>30 Jun 2026</ins>" in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?source=eurlex", ["Delegated act published in the Official Journal"]),
        ("?tag=legal", ["Delegated act published in the Official Journal"]),
        ("?tag=commission", ["Consultation on GPAI extended to 30 June"]),
        ("?category=legal_act", ["Delegated act published in the Official Journal"]),
        ("?category=noise", ["View counter moved"]),
        (
            "?severity=high",
            [
                "Delegated act published in the Official Journal",
                "Consultation on GPAI extended to 30 June",
            ],
        ),
        ("?since=2026-11-04", [HOSTILE_TITLE, "Delegated act published in the Official Journal"]),
        (
            "?until=2026-11-03",
            ["Consultation on GPAI extended to 30 June"]
            + [f"Article {n} amended" for n in reversed(range(BULK))][:49],
        ),
        ("?since=2026-11-03&until=2026-11-03", ["Consultation on GPAI extended to 30 June"]),
        ("?q=official+journal", ["Delegated act published in the Official Journal"]),
        ("?q=%3Cscript%3E", [HOSTILE_TITLE]),
        (
            "?source=eurlex&noise=1",
            ["View counter moved", "Delegated act published in the Official Journal"],
        ),
        ("?tag=nope", []),
    ],
)
def test_timeline_filters_on_both_databases(
    shared_app_on_both: App, query: str, expected: list[str]
):
    with client_for(shared_app_on_both) as client:
        assert timeline_titles(client, query) == expected


def test_filters_stay_in_the_form_and_the_pager(client: TestClient):
    page = client.get("/?category=amendment&q=article").text
    assert '<option value="amendment" selected>' in page
    assert 'name="q" value="article"' in page
    assert f"{BULK} events match these filters" in page
    assert 'href="/?category=amendment&amp;q=article&amp;page=2" rel="next"' in page
    second = client.get("/?category=amendment&q=article&page=2").text
    assert len(re.findall(r'class="title"', second)) == BULK - 50
    assert 'href="/?category=amendment&amp;q=article" rel="prev"' in second
    assert "Page 2 of 2" in second
    feed = re.search(r'<a href="([^"]+)">Atom feed of this view</a>', page)
    assert feed is not None
    atom = client.get(html.unescape(feed.group(1)))
    assert atom.status_code == 200 and atom.text.count("<entry>") == 50
    assert "Article 59 amended" in atom.text and "Consultation on GPAI" not in atom.text


def test_bad_filters_are_reported_not_fatal(client: TestClient):
    response = client.get("/?category=gossip&since=yesterday&page=x")
    assert response.status_code == 200
    assert "category: &#39;gossip&#39; is not one of" in response.text
    assert "since: &#39;yesterday&#39; is not a date (use YYYY-MM-DD)" in response.text
    assert len(timeline_titles(client, "?category=gossip")) == 50


# -- one change --------------------------------------------------------------------------------


def test_change_page_shows_evidence_dates_links_and_folded_diff(
    client: TestClient, shared_app: App
):
    cid = change_id(shared_app, "Consultation on GPAI extended to 30 June")
    page = client.get(f"/changes/{cid}").text
    assert "The feedback period now ends on 30 June 2026 instead of 10 June." in page
    assert "<blockquote>Stakeholders may comment until 30 June 2026 via the portal." in page
    assert '<a href="https://example.eu/c" rel="noopener noreferrer nofollow">' in page
    assert f'href="/changes/{cid}/raw"' in page
    assert "<del>10</del> <ins>30</ins>" in page
    assert "<ins>2026 via the portal.</ins>" in page
    assert '<details class="fold"><summary>… 70 unchanged words</summary>' in page
    assert "<summary>4 unchanged paragraphs</summary>" in page
    assert '<td data-label="After"><ins>2026-06-30</ins></td>' in page  # the new field
    # The delegated act concerns the same initiative (hys:1) but is another happening than
    # the extended deadline: its own event, not listed as a repeat of this one.
    other = change_id(shared_app, "Delegated act published in the Official Journal")
    assert f'<a href="/changes/{other}">Delegated act' not in page
    assert "Log in</a> to mark this change as noise" in page
    assert (
        '<a href="/login?next=%2F%3Fcategory%3Dlegal_act">Log in</a>'
        in client.get("/?category=legal_act").text
    )
    assert "Mark as noise" not in page  # actions need a login


def test_change_page_side_by_side(client: TestClient, shared_app: App):
    cid = change_id(shared_app, "Consultation on GPAI extended to 30 June")
    page = client.get(f"/changes/{cid}?view=side").text
    assert '<table class="diff side">' in page
    row = re.search(r'<tr class="changed"><td>(.*?)</td><td>(.*?)</td></tr>', page, re.S)
    assert row is not None
    before, after = row.groups()
    assert "<del>10</del>" in before and "<ins>" not in before
    assert "<ins>30</ins>" in after and "<del>" not in after
    assert client.get(f"/changes/{cid}?view=sideways").status_code == 400


def test_missing_change_is_a_404_page(client: TestClient):
    response = client.get("/changes/999999")
    assert response.status_code == 404
    assert "no change with id 999999" in response.text and "<html" in response.text


def test_hostile_scraped_text_is_escaped_everywhere(client: TestClient, shared_app: App):
    cid = change_id(shared_app, HOSTILE_TITLE)
    for url in ("/", f"/changes/{cid}", f"/changes/{cid}?view=side", "/?q=script"):
        page = client.get(url).text
        assert "<script>" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    page = client.get(f"/changes/{cid}").text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript:' not in page  # a scraped javascript: URL is never a link


def test_raw_evidence_is_a_download_never_a_page(client: TestClient, shared_app: App):
    cid = change_id(shared_app, HOSTILE_TITLE)
    response = client.get(f"/changes/{cid}/raw")
    assert response.status_code == 200
    assert response.content == HOSTILE_RAW
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    without = change_id(shared_app, "Delegated act published in the Official Journal")
    assert client.get(f"/changes/{without}/raw").status_code == 404


def test_security_headers_on_every_page(client: TestClient):
    for url in ("/", "/sources", "/deadlines", "/trends", "/login", "/changes/1"):
        headers = client.get(url).headers
        assert headers["content-security-policy"] == CSP, url
        assert "script-src" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_api_docs_are_served_from_the_dashboard_under_the_strict_csp(client: TestClient):
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert policy == DOCS_CSP == CSP + "; script-src 'self'; connect-src 'self'"
    assert "unsafe" not in policy and "http" not in policy and "*" not in policy
    page = response.text
    assert "<script>" not in page  # nothing inline: every script is a file
    links = re.findall(r'(?:src|href|data-openapi)="([^"]+)"', page)
    assert links and all(link.startswith("/") and not link.startswith("//") for link in links)
    for link in links:
        assert client.get(link).status_code == 200, link
    assert client.get("/api/docs/index.html").status_code == 404  # only the two assets


def test_time_elements_carry_whole_seconds():
    moment = datetime(2026, 11, 20, 12, 0, 5, 123456, tzinfo=UTC)
    assert views.iso(moment) == "2026-11-20T12:00:05+00:00"
    assert views.iso(date(2026, 11, 20)) == "2026-11-20"


def test_times_are_shown_in_the_configured_zone(client: TestClient, tmp_path: Path):
    brussels = client.get("/?source=eurlex").text
    assert '<time datetime="2026-11-05T09:00:00+00:00">5 Nov 2026 10:00 CET</time>' in brussels
    app = start(database_path(tmp_path), timezone="America/New_York")
    try:
        with client_for(app) as other:
            page = other.get("/?source=eurlex").text
            assert "5 Nov 2026 04:00 EST" in page and "Times in America/New_York" in page
    finally:
        app.close()


# -- sources -----------------------------------------------------------------------------------


def test_sources_health_table(client: TestClient):
    page = client.get("/sources").text
    office = page[page.index('href="/sources/ai-office"') :].split("</tr>")[0]
    assert "failed" in office  # its last check failed
    assert '<svg class="spark"' in office and 'aria-label="last 3 checks: 1 failed' in office
    assert '<rect x="0"' in office and 'class="o-failed"' in office
    assert '<td class="num" data-label="Failures in a row">1</td>' in office  # failure streak


def test_source_page_compares_any_two_snapshots(client: TestClient, shared_app: App):
    page = client.get("/sources/ai-office").text
    ids = [int(n) for n in re.findall(r'name="old" value="(\d+)"', page)]
    assert len(ids) == 2 and "Check now" not in page  # anonymous: no action
    compared = client.get(f"/sources/ai-office/compare?old={ids[1]}&new={ids[0]}").text
    assert "1 item differs" in compared and "<del>10</del> <ins>30</ins>" in compared
    side = client.get(f"/sources/ai-office/compare?old={ids[1]}&new={ids[0]}&view=side").text
    assert '<table class="diff side">' in side
    wrong = client.get(f"/sources/eurlex/compare?old={ids[1]}&new={ids[0]}")
    assert wrong.status_code == 404
    assert client.get("/sources/nope").status_code == 404


def test_a_check_skipped_because_it_ran_elsewhere_is_shown_as_a_note(fresh_app: App):
    state = fresh_app.store.state("eurlex")
    stale = state.version - 1  # another check was stored since this one read the source
    fresh_app.store.record(
        CheckRecord(
            source_key="eurlex",
            started_at=NOW,
            duration_ms=5,
            outcome=CheckOutcome.FAILED,
            error="HTTP 503",
            base_version=stale,
        ),
        state.snapshot_id,
    )
    with client_for(fresh_app) as client:
        page = client.get("/sources/eurlex").text
    assert '<span class="outcome o-skipped">skipped</span>' in page
    assert f'<td data-label="Note">{CHECKED_ELSEWHERE}</td>' in page  # a note, not an error
    assert fresh_app.store.state("eurlex").failure_streak == 0


# -- deadlines and trends ----------------------------------------------------------------------


def test_deadlines_lists_month_grid_and_subscribe_link(client: TestClient):
    page = client.get("/deadlines").text
    assert 'href="/feeds/deadlines.ics"' in page
    upcoming = page[page.index('id="h-upcoming"') : page.index('id="h-past"')]
    past = page[page.index('id="h-past"') :]
    assert "GPAI consultation closes" in upcoming and "Chapter V applies" not in upcoming
    assert "Chapter V applies" in past
    assert '<h2 id="h-month">November 2026</h2>' in page
    december = client.get("/deadlines?month=2026-12").text
    # Due 10 Dec 23:00 UTC: 11 December in Brussels.
    cell = re.search(
        r'<span class="daynum">11</span><span class="longdate" aria-hidden="true">'
        r'Friday 11 December</span>\s*<ul><li class="k-consultation">'
        r"GPAI consultation closes</li>",
        december,
    )
    assert cell is not None
    assert client.get("/deadlines?month=2026-13").status_code == 400
    assert client.get("/deadlines?month=soon").status_code == 400


def test_trends_chart_has_a_table_alternative(client: TestClient):
    page = client.get("/trends?weeks=8").text
    assert '<svg class="weekly"' in page and 'role="img"' in page
    bars = re.findall(r'<rect [^>]*class="cat-(\w+)"><title>week of ([^:]+): (\d+) ', page)
    assert ("amendment", "12 Oct 2026", str(BULK)) in bars
    assert ("legal_act", "2 Nov 2026", "1") in bars
    table = page[page.index("The same numbers as a table") :]
    totals = [
        int(n) for n in re.findall(r'<td class="num" data-label="Total">(\d+)</td></tr>', table)
    ]
    assert len(totals) == 8 and sum(totals) == BULK + 4
    assert client.get("/trends?weeks=1000").status_code == 400


# -- logins, sessions, CSRF --------------------------------------------------------------------


def test_login_good_and_bad_and_logout(shared_app: App):
    with client_for(shared_app) as client:
        bad = log_in(client, password="wrong")
        assert bad.status_code == 401 and "Wrong user name or password." in bad.text
        good = log_in(client)
        assert good.status_code == 303 and good.headers["location"] == "/"
        page = client.get("/").text
        assert "Signed in as <strong>alice</strong>" in page
        assert (
            client.post(
                "/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False
            ).status_code
            == 303
        )
        assert "Signed in as" not in client.get("/").text


def test_hashed_password_and_safe_next(shared_app: App):
    with client_for(shared_app) as client:
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login",
            data={
                "username": "bob",
                "password": PASSWORD,
                "csrf_token": token,
                "next": "//evil.example/",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == "/"


def test_login_form_needs_its_csrf_token(shared_app: App):
    with client_for(shared_app) as client:
        client.get("/login")
        form = {"username": "alice", "password": PASSWORD}
        assert client.post("/login", data=form).status_code == 403
        assert client.post("/login", data={**form, "csrf_token": "forged"}).status_code == 403


def test_failed_logins_are_throttled(fresh_app: App):
    with client_for(fresh_app) as client:
        for _ in range(5):
            assert log_in(client, password="guess").status_code == 401
        blocked = log_in(client)  # even the right password waits
        assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text


def test_login_required_sends_readers_to_the_login_page(tmp_path: Path):
    app = start(database_path(tmp_path), login_required=True)
    try:
        with client_for(app) as client:
            response = client.get("/sources?x=1", follow_redirects=False)
            assert response.status_code == 303
            assert response.headers["location"] == "/login?next=%2Fsources%3Fx%3D1"
            assert client.get("/changes/1/raw", follow_redirects=False).status_code == 303
            token = csrf_of(client.get("/login?next=/sources").text)
            logged = client.post(
                "/login",
                data={
                    "username": "alice",
                    "password": PASSWORD,
                    "csrf_token": token,
                    "next": "/sources",
                },
                follow_redirects=False,
            )
            assert logged.headers["location"] == "/sources"
            assert client.get("/sources").status_code == 200
    finally:
        app.close()


def test_actions_need_a_login_and_the_csrf_token(fresh_app: App):
    cid = change_id(fresh_app, "Consultation on GPAI extended to 30 June")
    with client_for(fresh_app) as client:
        client.get("/login")
        anonymous = client.post(
            f"/changes/{cid}/noise", data={"csrf_token": csrf_of(client.get("/login").text)}
        )
        assert anonymous.status_code == 403
        log_in(client)
        assert client.post(f"/changes/{cid}/noise").status_code == 403
        assert client.post(f"/changes/{cid}/noise", data={"csrf_token": "wrong"}).status_code == 403
        assert client.post("/sources/ai-office/check").status_code == 403
    assert fresh_app.store.change(cid).marked_noise_at is None  # type: ignore[union-attr]


def test_mark_noise_shows_the_rule_and_leaves_the_default_view(fresh_app: App):
    title = "Consultation on GPAI extended to 30 June"
    cid = change_id(fresh_app, title)
    with client_for(fresh_app) as client:
        log_in(client)
        page = client.get(f"/changes/{cid}").text
        assert "Mark as noise" in page and '<pre class="rule">[sources.ai-office]' in page
        done = client.post(f"/changes/{cid}/noise", data={"csrf_token": csrf_of(page)})
        assert done.status_code == 200 and "is marked as noise" in done.text
        assert "This change is marked as noise" in done.text
        assert title not in timeline_titles(client)
        assert title in timeline_titles(client, "?noise=1")


def test_mute_and_redeliver(fresh_app: App):
    cid = change_id(fresh_app, "Consultation on GPAI extended to 30 June")
    with client_for(fresh_app) as client:
        log_in(client)
        token = csrf_of(client.get(f"/changes/{cid}").text)
        muted = client.post(f"/changes/{cid}/mute", data={"csrf_token": token})
        assert "is muted" in muted.text and "This item is muted" in muted.text
        assert '<span class="status st-skipped">skipped</span>' in muted.text
        again = client.post(f"/changes/{cid}/redeliver", data={"csrf_token": token})
        assert again.status_code == 200 and "queued for delivery again (1 delivery)" in again.text
        assert '<span class="status st-pending">pending</span>' in again.text
    with session_scope(fresh_app.store.engine) as session:
        mute = session.get(MuteRow, ("ai-office", "consultation"))
        assert mute is not None and mute.created_by == "alice"


class RecordingChecker:
    """Stands in for the service's Checker: records which sources "check now" started."""

    def __init__(self) -> None:
        self.checked: list[str] = []

    async def check(self, source: Source, *, dry_run: bool = False) -> None:
        self.checked.append(source.key)


def test_check_now_runs_the_check_in_the_background(fresh_app: App):
    checker = RecordingChecker()
    with client_for(fresh_app, checker=checker) as client:
        log_in(client)
        page = client.get("/sources/eurlex").text
        assert "Check now" in page
        response = client.post("/sources/eurlex/check", data={"csrf_token": csrf_of(page)})
        assert response.status_code == 200 and "A check of eurlex has started" in response.text
        assert (
            client.post("/sources/nope/check", data={"csrf_token": csrf_of(page)}).status_code
            == 404
        )
    assert checker.checked == ["eurlex"]


def test_deliveries_page_needs_a_login(shared_app: App):
    with client_for(shared_app) as client:
        response = client.get("/deliveries", follow_redirects=False)
        assert response.status_code == 303
        log_in(client)
        assert "0 deliveries dead." in client.get("/deliveries?status=dead").text
        page = client.get("/deliveries?status=pending").text
        # Every alertable change: the delegated act about the initiative whose deadline moved
        # is another event, alerted too (a real repeat is not: tests/test_outbox.py).
        assert f"{BULK + 3} deliveries pending." in page
        assert "team-hook" in page and "Page 1 of 2" in page


# -- helpers: passwords, the CLI, serving ------------------------------------------------------


def test_password_hashes():
    hashed = auth.hash_password("s3cret", iterations=1000)
    assert hashed.startswith("pbkdf2_sha256$1000$")
    assert auth.verify_password(hashed, "s3cret") and not auth.verify_password(hashed, "nope")
    assert not auth.verify_password("pbkdf2_sha256$broken", "s3cret")
    assert auth.verify_password("plain", "plain") and not auth.verify_password("plain", "plai")


def test_hash_password_command():
    group = click.Group("lexwatch")
    register(group)
    result = CliRunner().invoke(
        group, ["dashboard", "hash-password"], input="hunter2 hunter2\nhunter2 hunter2\n"
    )
    assert result.exit_code == 0, result.output
    hashed = [line for line in result.output.splitlines() if line.startswith("pbkdf2_sha256$")]
    assert hashed and auth.verify_password(hashed[0], "hunter2 hunter2")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_in_the_event_loop_until_stopped(shared_app: App):
    port = free_port()

    async def scenario() -> tuple[int, str]:
        stop = asyncio.Event()
        server = asyncio.create_task(serve(shared_app, host="127.0.0.1", port=port, stop=stop))
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                try:
                    response = await http.get(f"http://127.0.0.1:{port}/sources")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(server, timeout=10)
        return response.status_code, response.text

    status, text = asyncio.run(scenario())
    assert status == 200 and "AI Office" in text
    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", port))


# -- view helpers ------------------------------------------------------------------------------


def test_long_unchanged_runs_fold_but_keep_context_next_to_changes():
    long = " ".join(f"w{n}" for n in range(100))
    segments = views.fold_segments([("equal", long), ("insert", "new"), ("equal", long)])
    assert [(s.op, s.folded, len(s.text.split())) for s in segments] == [
        ("equal", True, 100 - views.CONTEXT_WORDS),
        ("equal", False, views.CONTEXT_WORDS),
        ("insert", False, 1),
        ("equal", False, views.CONTEXT_WORDS),
        ("equal", True, 100 - views.CONTEXT_WORDS),
    ]
    middle = views.fold_segments([("delete", "a"), ("equal", long), ("insert", "b")])
    assert [(s.op, s.folded) for s in middle] == [
        ("delete", False),
        ("equal", False),
        ("equal", True),
        ("equal", False),
        ("insert", False),
    ]
    assert views.fold_segments([("equal", "short run")])[0].folded is False


def test_diff_rows_fall_back_to_the_stored_blocks_when_texts_do_not_match():
    diff = {
        "kind": "modified",
        "old": {"title": "T", "text": "a\nb"},
        "new": {"title": "T", "text": "a\nc\nd\ne"},  # three changed, one block stored
        "fields": [],
        "blocks": [{"ops": [["delete", "b"], ["insert", "c"]]}],
    }
    view = views.diff_view(diff)
    assert [row.kind for row in view.rows] == ["changed"]
    added = views.diff_view(
        {
            "kind": "added",
            "old": None,
            "new": {"title": "N", "text": "x"},
            "fields": [],
            "blocks": [{"ops": [["insert", "x"]]}],
        }
    )
    assert [(s.op, s.text) for s in added.rows[0].new] == [("insert", "x")]
    assert added.rows[0].old == ()


def test_only_http_links_become_links():
    assert views.http_url(" https://ec.europa.eu/x ") == "https://ec.europa.eu/x"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", None, ""):
        assert views.http_url(bad) is None


def test_chart_axis_and_sparkline():
    monday = date(2026, 11, 2)
    picture = chart.weekly_chart(
        [(monday, "amendment", 3), (monday, "legal_act", 4)],
        first_week=monday - timedelta(weeks=3),
        last_week=monday,
    )
    assert picture.weeks[-1] == monday and len(picture.weeks) == 4
    assert [t.label for t in picture.y_ticks] == ["0", "2", "4", "6", "8", "10"]
    first, second = picture.bars
    assert first.y + first.height == picture.plot_bottom  # stacked from the axis up
    assert second.y + second.height == first.y
    spark = chart.sparkline(["changed", "unchanged", "failed"])
    assert spark.summary == "last 3 checks: 1 failed, 1 changed"
    assert [m.height for m in spark.marks] == [12, 6, 16]


def test_the_dashboards_connections_send_at_once():
    """A keep-alive client (the dashboard's own pages, API clients, schemathesis) waited
    about 40 ms for every response when Nagle's algorithm held back its body until the
    client's delayed ACK: every connection the dashboard accepts must have it turned off."""
    import socket

    from dashboard.app import bind

    listening = bind("127.0.0.1", 0)
    listening.setblocking(True)
    with listening, socket.create_connection(listening.getsockname()[:2]):
        accepted, _ = listening.accept()
        with accepted:
            assert accepted.proto == socket.IPPROTO_TCP  # asyncio sets TCP_NODELAY on these
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
