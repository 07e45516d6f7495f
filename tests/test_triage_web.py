"""Roles and triage over HTTP: pages, forms and the JSON API against the real app and database.

alice is an editor, bob an admin, vera a viewer; tokens are bound to them ("user:token"), and
one older token is bound to nobody.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from dashboard.app import create_app
from dashboard.markdown import render_markdown
from monitor.app import App
from storage.triage import Write
from tests.dashboard_pages_seed import NOW, PASSWORD, start
from tests.test_dashboard import csrf_of, log_in
from tests.triage_seed import AT, add_event

ROLES = {
    "users": SecretStr(f"alice:{PASSWORD},bob:{PASSWORD},vera:{PASSWORD}"),
    "roles": {"alice": "editor", "bob": "admin", "vera": "viewer"},
    "api_tokens": SecretStr("alice:tok-alice,bob:tok-bob,vera:tok-vera,tok-legacy"),
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    opened = start(database_url, **ROLES)
    yield opened
    opened.close()


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(create_app(app, clock=lambda: NOW)) as test_client:
        yield test_client


def test_api_triage_as_the_tokens_user_with_conflicts_and_the_log(app: App, client: TestClient):
    event_id = add_event(app.store.engine)
    moved = client.post(
        f"/api/v1/events/{event_id}/state",
        json={"to": "in_review", "version": 0},
        headers=bearer("tok-alice"),
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["state"], moved.json()["version"]) == ("in_review", 1)

    stale = client.post(
        f"/api/v1/events/{event_id}/state",
        json={"to": "dismissed", "version": 0},
        headers=bearer("tok-bob"),
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    not_allowed = client.post(
        f"/api/v1/events/{event_id}/state", json={"to": "new"}, headers=bearer("tok-bob")
    )
    assert not_allowed.status_code == 409

    assigned = client.post(
        f"/api/v1/events/{event_id}/assignee", json={"assignee": "vera"}, headers=bearer("tok-bob")
    )
    assert assigned.json()["assignee"] == "vera"
    nobody = client.post(
        f"/api/v1/events/{event_id}/assignee",
        json={"assignee": "mallory"},
        headers=bearer("tok-bob"),
    )
    assert nobody.status_code == 404 and "no dashboard user 'mallory'" in nobody.json()["detail"]
    due = client.post(
        f"/api/v1/events/{event_id}/due", json={"due": "2026-12-01"}, headers=bearer("tok-alice")
    )
    assert due.json()["action_due"] == "2026-12-01"
    note = client.post(
        f"/api/v1/events/{event_id}/notes", json={"text": "Checked."}, headers=bearer("tok-alice")
    )
    assert note.status_code == 200

    log = client.get(f"/api/v1/events/{event_id}/log").json()
    assert [(e["actor"], e["action"]) for e in log] == [
        ("alice", "state"),
        ("bob", "assign"),
        ("alice", "due"),
        ("alice", "note"),
    ]
    listed = client.get("/api/v1/triage", params={"state": "in_review", "assignee": "vera"})
    assert [item["id"] for item in listed.json()["items"]] == [event_id]
    fresh = client.get("/api/v1/triage", params={"state": "new", "per_page": 200}).json()
    assert event_id not in [item["id"] for item in fresh["items"]]


def test_api_refuses_writes_by_role(app: App, client: TestClient):
    event_id = add_event(app.store.engine)
    url = f"/api/v1/events/{event_id}/state"
    viewer = client.post(url, json={"to": "in_review"}, headers=bearer("tok-vera"))
    assert viewer.status_code == 403 and "editor role" in viewer.json()["detail"]
    legacy = client.post(url, json={"to": "in_review"}, headers=bearer("tok-legacy"))
    assert legacy.status_code == 403 and "user:token" in legacy.json()["detail"]
    assert client.post(url, json={"to": "in_review"}).status_code == 401
    assert app.store.triage.log(event_id) == []

    change = app.store.reader.changes_page(_query()).rows[0].id
    noise = client.post(f"/api/v1/changes/{change}/noise", headers=bearer("tok-vera"))
    assert noise.status_code == 403
    redeliver = client.post(f"/api/v1/changes/{change}/redeliver", headers=bearer("tok-alice"))
    assert redeliver.status_code == 403 and "admin role" in redeliver.json()["detail"]
    assert client.get("/api/v1/deliveries", headers=bearer("tok-alice")).status_code == 403
    assert client.get("/api/v1/deliveries", headers=bearer("tok-bob")).status_code == 200
    # The older token keeps what tokens could do before roles.
    assert client.get("/api/v1/deliveries", headers=bearer("tok-legacy")).status_code == 200


def _query():  # type: ignore[no-untyped-def]
    from storage.browse import ChangeQuery

    return ChangeQuery()


def test_viewer_sees_no_actions_and_posts_are_refused(app: App, client: TestClient):
    event_id = add_event(app.store.engine, assignee="vera")
    log_in(client, "vera")
    page = client.get("/triage")
    assert page.status_code == 200 and "Consultation on GPAI" in page.text
    assert 'name="event"' not in page.text and "/triage/bulk" not in page.text
    assert "Deliveries" not in page.text
    assert client.get("/deliveries").status_code == 403
    token = csrf_of(page.text)
    refused = client.post(
        f"/events/{event_id}/triage/state",
        data={"csrf_token": token, "to": "in_review", "version": "0"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    bulk = client.post(
        "/triage/bulk",
        data={"csrf_token": token, "event": f"{event_id}:0", "action": "state:in_review"},
    )
    assert bulk.status_code == 403
    change = app.store.reader.changes_page(_query()).rows[0]
    assert 'action="/changes/' not in client.get(f"/changes/{change.id}").text
    noise = client.post(f"/changes/{change.id}/noise", data={"csrf_token": token})
    assert noise.status_code == 403
    assert app.store.triage.log(event_id) == []
    assert "Consultation on GPAI" in client.get("/queue").text  # a viewer still has a queue


def test_editor_bulk_actions_report_what_was_refused(app: App, client: TestClient):
    first = add_event(app.store.engine, "First")
    second = add_event(app.store.engine, "Second")
    log_in(client, "alice")
    page = client.get("/triage")
    assert f'value="{first}:0"' in page.text
    # Someone else moves the second event after alice's page was drawn.
    app.store.triage.transition(Write(event_id=second, actor="bob", at=AT), "dismissed")
    done = client.post(
        "/triage/bulk",
        data={
            "csrf_token": csrf_of(page.text),
            "event": [f"{first}:0", f"{second}:0"],
            "action": "assign:alice",
            "back": "/triage",
        },
    )
    assert done.status_code == 200
    flash = re.search(r'<p class="flash" role="status">(.*?)</p>', done.text, re.S)
    assert flash and "1 event updated. 1 not changed" in flash.group(1)
    assert "changed by someone else" in flash.group(1)
    assert app.store.triage.event(first).assignee == "alice"  # type: ignore[union-attr]
    assert app.store.triage.event(second).assignee is None  # type: ignore[union-attr]
    queue = client.get("/queue").text
    assert "First" in queue and "Second" not in queue


def test_forms_without_the_csrf_token_are_refused(app: App, client: TestClient):
    event_id = add_event(app.store.engine)
    log_in(client, "alice")
    refused = client.post(
        f"/events/{event_id}/triage/state", data={"to": "in_review", "version": "0"}
    )
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert app.store.triage.log(event_id) == []


def test_notes_render_markdown_with_scripts_and_javascript_links_inert():
    html = str(
        render_markdown(
            "**Legal** says <script>alert(1)</script> [x](javascript:alert(1))"
            " [y](JaVaScRiPt:alert(2)) <javascript:alert(3)> [ok](https://eur-lex.europa.eu/)"
            ' <img src=x onerror="alert(4)"> ![i](data:image/png;base64,AAAA)'
        )
    )
    assert "<strong>Legal</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert 'href="JaVaScRiPt' not in html and "href=" in html
    assert re.findall(r'href="([^"]+)"', html) == ["https://eur-lex.europa.eu/"]


def test_users_manage_their_own_digest(app: App, client: TestClient):
    log_in(client, "vera")
    page = client.get("/account")
    assert page.status_code == 200 and "My e-mail digest" in page.text
    bad = client.post(
        "/account/digest",
        data={"csrf_token": csrf_of(page.text), "enabled": "true", "email": "nope"},
    )
    assert bad.status_code == 400 and "is not an e-mail address" in bad.text
    saved = client.post(
        "/account/digest",
        data={
            "csrf_token": csrf_of(page.text),
            "enabled": "true",
            "email": "vera@example.eu",
            "category": ["deadline_extended", "not-a-category"],
            "severity": "high",
            "tag": "ai-act",
        },
    )
    assert saved.status_code == 200 and "Your digest goes to vera@example.eu" in saved.text
    mine = app.store.user_digest("vera")
    assert mine is not None
    assert ([c.value for c in mine.categories], [s.value for s in mine.severities]) == (
        ["deadline_extended"],
        ["high"],
    )
    assert mine.tags == ("ai-act",) and mine.enabled
    assert [sub.name for sub in app.store.user_subscriptions()] == ["user:vera"]


def test_my_queue_exports_the_events_it_lists(app: App, client: TestClient):
    mine = add_event(app.store.engine, "Mine, open", assignee="alice", state="in_review")
    add_event(app.store.engine, "Mine, done", assignee="alice", state="actioned")
    add_event(app.store.engine, "Bob's", assignee="bob")
    log_in(client, "alice")
    queue = client.get("/queue").text
    links = re.findall(r'href="(/api/v1/exports/events\.(?:csv|xlsx)\?[^"]*)"', queue)
    assert len(links) == 2, queue
    exported = client.get(links[0].replace("&amp;", "&"))
    assert exported.status_code == 200, exported.text
    rows = exported.content.decode("utf-8-sig").splitlines()[1:]
    assert [int(row.split(",", 1)[0]) for row in rows] == [mine]
