"""A scraped link that is not http(s) reaches no reader: not the pages, the JSON API, the Atom
and iCalendar feeds, the webhook body, Apprise, Slack or e-mail. One rule
(monitor.types.web_url) applied where document links are stored (storage.types.WebUrl), also to
rows written before the rule, so every surface inherits it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import col, select

from dashboard.app import create_app
from monitor.app import App
from monitor.types import Alert, Category, Change, Deadline, Severity, web_url
from notifiers.apprise_channel import apprise_message
from notifiers.render import render_alert_email
from notifiers.slack import slack_message
from notifiers.webhook import webhook_payload
from storage.db import session_scope
from storage.models import DeliveryRow
from storage.queries import ChangeFilter
from tests.api_seed import NOW, T0, change, check, make_app, seed

BAD_LINKS = (
    "javascript:alert(1)",
    " JavaScript:alert(2)",
    "data:text/html,<script>x</script>",
    "vbscript:msgbox",
    "/relative/path",
    "https://ok.example/\u202eevil",
)


@dataclass
class Hostile:
    app: App
    client: TestClient
    change_id: int
    number: int  # "Scraped link N", "Scraped deadline N"


@dataclass
class Scraped:
    app: App
    client: TestClient
    change_ids: dict[str, int]  # by bad link


@pytest.fixture(scope="module")
def scraped(shared_database_url: str) -> Iterator[Scraped]:
    """The seeded history plus, on the press source, one change and one deadline per bad link
    (item r9-N, "Scraped link N" and "Scraped deadline N"), stored by one check: every test
    here only reads it."""
    app = make_app(shared_database_url, api_tokens="tok")
    seed(app.store)
    changes, deadlines = [], []
    for n, link in enumerate(BAD_LINKS):
        title = f"Scraped link {n}"
        base = change("press", f"r9-{n}", Category.PUBLICATION_ADDED, Severity.HIGH, title)
        changes.append(Change(**{**_fields(base), "url": link}))
        deadlines.append(
            Deadline(
                source_key="press",
                item_key=f"r9-{n}",
                label=f"Scraped deadline {n}",
                kind="event",
                due=NOW + timedelta(days=5),
                url=link,
            )
        )
    app.store.record(
        check("press", T0 + timedelta(days=13), changes=tuple(changes), deadlines=tuple(deadlines)),
        None,
    )
    by_title = {row.title: row.id for row in app.store.changes(ChangeFilter(source="press"))}
    ids = {link: by_title[f"Scraped link {n}"] for n, link in enumerate(BAD_LINKS)}
    assert all(change_id is not None for change_id in ids.values())
    with TestClient(create_app(app, clock=lambda: NOW)) as client:
        yield Scraped(app=app, client=client, change_ids=ids)  # type: ignore[arg-type]
    app.close()


@pytest.fixture(params=BAD_LINKS)
def hostile(request: pytest.FixtureRequest, scraped: Scraped) -> Hostile:
    """The change (and deadline) whose scraped link is ``request.param``."""
    return Hostile(
        app=scraped.app,
        client=scraped.client,
        change_id=scraped.change_ids[request.param],
        number=BAD_LINKS.index(request.param),
    )


def _fields(value: Change) -> dict[str, object]:
    return {name: getattr(value, name) for name in Change.__dataclass_fields__}


def test_no_surface_carries_the_link(hostile: Hostile):
    client, change_id = hostile.client, hostile.change_id
    assert client.get(f"/api/v1/changes/{change_id}").json()["url"] is None
    listed = client.get("/api/v1/changes?source=press").json()["items"]
    assert [item["url"] for item in listed if item["id"] == change_id] == [None]
    deadlines = client.get("/api/v1/deadlines").json()
    label = f"Scraped deadline {hostile.number}"
    assert [d["url"] for d in deadlines if d["label"] == label] == [None]
    atom = client.get("/feeds/changes.atom?source=press").content
    title = f"Scraped link {hostile.number}"
    entry = next(e for e in feedparser.parse(atom).entries if e.title == title)
    assert [link.rel for link in entry.links] == ["alternate"]  # no rel="related"
    for surface in (
        atom,
        client.get("/feeds/deadlines.ics").content,
        client.get(f"/changes/{change_id}").content,
        client.get("/deadlines").content,
    ):
        assert b"javascript:" not in surface.lower() and b"\xe2\x80\xae" not in surface
        assert b"data:text/html" not in surface and b"/relative/path" not in surface


def test_no_alert_carries_the_link(hostile: Hostile):
    alert = _alert(hostile)
    assert alert.change is not None and alert.change.url is None
    payload = webhook_payload(alert)
    assert payload["change"]["url"] is None
    bodies = [
        *apprise_message(alert, markdown_format=True),
        *apprise_message(alert, markdown_format=False),
        str(slack_message(alert)),
        render_alert_email(alert).text,
        render_alert_email(alert).html,
    ]
    for body in bodies:
        assert "javascript" not in body.lower() and "data:text" not in body
        assert "/relative/path" not in body and "\u202e" not in body


def _alert(hostile: Hostile) -> Alert:
    with session_scope(hostile.app.store.engine) as session:
        delivery = session.exec(
            select(DeliveryRow).where(col(DeliveryRow.change_id) == hostile.change_id)
        ).first()
    assert delivery is not None and delivery.id is not None
    _, alert = hostile.app.store.load_alert(delivery.id, "https://lexwatch.example.org")
    assert alert is not None
    return alert


def test_links_stored_before_the_rule_are_dropped_when_read(database_url: str):
    app = make_app(database_url)
    seeded = seed(app.store)
    change_id = seeded.changes["hostile"]
    with session_scope(app.store.engine) as session:  # as an older lexwatch stored it
        session.execute(
            text("UPDATE changes SET url = 'javascript:alert(1)' WHERE id = :id"), {"id": change_id}
        )
        session.execute(text("UPDATE deadlines SET url = 'javascript:alert(2)'"))
    with TestClient(create_app(app, clock=lambda: NOW)) as client:
        assert client.get(f"/api/v1/changes/{change_id}").json()["url"] is None
        assert b"javascript" not in client.get("/feeds/changes.atom").content
        assert b"javascript" not in client.get("/feeds/deadlines.ics").content
    app.close()


def test_web_links_pass_unchanged(database_url: str):
    app = make_app(database_url)
    seeded = seed(app.store)
    with TestClient(create_app(app, clock=lambda: NOW)) as client:
        body = client.get(f"/api/v1/changes/{seeded.changes['hostile']}").json()
    assert body["url"] == "https://press.example.eu/r?a=1&b=<2>"
    app.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://ec.europa.eu/x", "https://ec.europa.eu/x"),
        (" http://ec.europa.eu/x\n", "http://ec.europa.eu/x"),
        ("HTTPS://EC.EUROPA.EU", "HTTPS://EC.EUROPA.EU"),
        *[(bad, None) for bad in BAD_LINKS],
        ("http://", None),
        ("http://[bad", None),
        ("https://a.eu/x y", None),
        ("https://a.eu/\x00", None),
        ("", None),
        (None, None),
    ],
)
def test_the_rule(given: str | None, expected: str | None):
    assert web_url(given) == expected
