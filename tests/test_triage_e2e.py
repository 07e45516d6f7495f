"""Triage in a real browser (Chromium, Playwright): an editor assigns an event, moves it
through its states, sets a date, adds a note and reads the audit trail; a viewer sees no
triage controls and a forged POST is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from pydantic import SecretStr

from monitor.app import App
from storage.event_browse import every_event
from tests.dashboard_pages_seed import PASSWORD, database_path, start
from tests.test_dashboard_e2e import CHROMIUM, serving

ROLES = {
    "users": SecretStr(f"alice:{PASSWORD},bob:{PASSWORD},vera:{PASSWORD}"),
    "roles": {"alice": "editor", "bob": "admin", "vera": "viewer"},
}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[App, str]]:
    app = start(database_path(tmp_path), **ROLES)
    with serving(app) as url:
        yield app, url
    app.close()


@pytest.fixture
def page(served: tuple[App, str]) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(base_url=served[1], viewport={"width": 1280, "height": 900})
        opened = context.new_page()
        opened.set_default_timeout(15_000)
        yield opened
        browser.close()


def log_in(page: Page, name: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def an_event(app: App) -> int:
    rows = app.store.events(every_event(states=("new",))).rows
    assert rows and rows[0].id is not None
    return rows[0].id


def test_editor_triages_an_event_and_reads_the_audit_trail(
    served: tuple[App, str], page: Page, tmp_path: Path
):
    app, _ = served
    event_id = an_event(app)
    log_in(page, "alice")
    page.goto(f"/events/{event_id}")
    panel = page.locator("section.triage-panel")
    expect(panel.locator("#triage-state")).to_have_text("New")

    panel.get_by_label("Assign to").select_option("bob")
    panel.get_by_role("button", name="Assign").click()
    expect(page.locator("p.flash")).to_contain_text(f"Event {event_id} is assigned to bob")
    expect(panel.locator("#triage-assignee")).to_have_text("bob")

    panel.get_by_role("button", name="Start review").click()
    expect(panel.locator("#triage-state")).to_have_text("In review")

    panel.get_by_label("Act by").fill("2026-12-01")
    panel.get_by_role("button", name="Set date").click()
    expect(panel.locator("#triage-due")).to_have_text("2026-12-01")

    panel.get_by_label("Note (Markdown)").fill(
        "Ask **legal**. <script>document.title='pwned'</script> [click](javascript:alert(1))"
    )
    panel.get_by_role("button", name="Add note").click()
    note = panel.locator(".audit .note")
    expect(note.locator("strong")).to_have_text("legal")
    expect(note).to_contain_text("<script>")  # shown as text, never run
    assert note.locator("a").count() == 0 and page.title() != "pwned"

    panel.get_by_role("button", name="Mark actioned").click()
    expect(panel.locator("#triage-state")).to_have_text("Actioned")
    # Grouping's own entries (created, joined) come first; then alice's five, in order.
    trail = [re.sub(r"\s+", " ", text) for text in panel.locator("ol.audit > li").all_inner_texts()]
    mine = ["alice " + text.split(" alice ", 1)[1] for text in trail if " alice " in text]
    assert mine == [
        "alice assigned it to bob (was nobody)",
        "alice moved it from New to In review",
        "alice set the action date to 2026-12-01 (was none)",
        "alice added a note Ask legal."
        " <script>document.title='pwned'</script> [click](javascript:alert(1))",
        "alice moved it from In review to Actioned",
    ], trail
    page.screenshot(path=tmp_path / "triaged.png", full_page=True)

    page.goto("/queue")
    expect(page.get_by_text("Nothing waits for you")).to_be_visible()


def test_viewer_has_no_triage_controls_and_a_forged_post_is_refused(
    served: tuple[App, str], page: Page
):
    app, _ = served
    event_id = an_event(app)
    log_in(page, "vera")
    page.goto(f"/events/{event_id}")
    panel = page.locator("section.triage-panel")
    expect(panel).to_contain_text("an editor or admin triages events")
    assert panel.locator("form").count() == 0
    assert page.get_by_role("button", name="Split into an event of its own").count() == 0
    csrf = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    answer = page.request.post(
        f"/events/{event_id}/triage/state",
        form={"csrf_token": csrf or "", "to": "in_review", "version": "0"},
    )
    assert answer.status == 403
    assert app.store.triage.event(event_id).state == "new"  # type: ignore[union-attr]
    assert not [row for row in app.store.triage.log(event_id) if row.action == "state"]
