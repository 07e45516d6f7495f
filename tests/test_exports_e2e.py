"""Audit downloads in a real browser (Chromium, Playwright): a viewer, behind a login, saves
the timeline's CSV export and an event's evidence pack from the links on the pages."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from pydantic import SecretStr

from monitor.app import App
from tests.dashboard_pages_seed import PASSWORD, database_path, start
from tests.test_dashboard_e2e import CHROMIUM, serving
from tests.test_triage_e2e import an_event, log_in

VIEWER = {
    "users": SecretStr(f"alice:{PASSWORD},vera:{PASSWORD}"),
    "roles": {"alice": "editor", "vera": "viewer"},
    "login_required": True,
}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[App, str]]:
    """The seeded dashboard behind a login, served by uvicorn on loopback."""
    app = start(database_path(tmp_path), **VIEWER)
    with serving(app) as url:
        yield app, url
    app.close()


@pytest.fixture
def page(served: tuple[App, str], tmp_path: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(base_url=served[1], accept_downloads=True)
        opened = context.new_page()
        opened.set_default_timeout(15_000)
        yield opened
        browser.close()


def saved(page: Page, link_name: str, folder: Path) -> tuple[str, bytes]:
    """Click the link, wait for the download; its suggested name and bytes."""
    with page.expect_download() as started:
        page.get_by_role("link", name=link_name).click()
    download = started.value
    target = folder / download.suggested_filename
    download.save_as(target)
    return download.suggested_filename, target.read_bytes()


def test_a_viewer_saves_the_timeline_export_and_an_evidence_pack(
    page: Page,
    served: tuple[App, str],
    tmp_path: Path,
):
    app = served[0]
    log_in(page, "vera")
    page.goto("/?noise=1")
    titles = page.locator("ol.timeline a.title").all_inner_texts()
    name, data = saved(page, "CSV", tmp_path)
    assert name.startswith("lexwatch-events-") and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    # The page's events first, in its order; then the later pages' (the export has them all).
    assert [row["Title"].removeprefix("'") for row in rows][: len(titles)] == titles
    assert len(rows) > len(titles) == 50

    event_id = an_event(app)
    page.goto(f"/events/{event_id}")
    expect(page.get_by_role("heading", name="For auditors")).to_be_visible()
    name, data = saved(page, "Download the evidence pack (zip)", tmp_path)
    assert name == f"lexwatch-event-{event_id}.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        folder = f"lexwatch-event-{event_id}/"
        sums = archive.read(folder + "SHA256SUMS").decode().splitlines()
        for line in sums:
            digest, path = line.split("  ", 1)
            assert hashlib.sha256(archive.read(folder + path)).hexdigest() == digest
    assert any(line.endswith("event.json") for line in sums)
