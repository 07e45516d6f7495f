"""The dashboard in a real browser: Chromium (Debian's package) driven by Playwright, against
the app served by uvicorn on loopback with seeded data. Screenshots go to the test's tmp_path.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from dashboard.app import create_app
from monitor.app import App
from tests.dashboard_pages_seed import NOW, PASSWORD, database_path, start

CHROMIUM = Path("/usr/bin/chromium")
TITLE = "Consultation on GPAI extended to 30 June"

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is required in CI (Debian package chromium)", pytrace=False)
    pytest.skip(
        f"{CHROMIUM} not found: install Debian's chromium package to run the browser tests",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: App) -> Iterator[str]:
    """``app``'s dashboard served by uvicorn in a thread on a free loopback port: its URL.
    Start-up is awaited by the server's state; a thread that dies fails at once."""
    port = free_port()
    config = uvicorn.Config(
        create_app(app, clock=lambda: NOW),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """The seeded dashboard served by uvicorn in a thread on a free loopback port."""
    app = start(database_path(tmp_path))
    with serving(app) as url:
        yield url
    app.close()


@pytest.fixture
def page(base_url: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def test_filter_open_diff_log_in_and_mark_noise(page: Page, tmp_path: Path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )

    page.goto("/")
    expect(page.locator("ol.timeline li").first).to_be_visible()
    assert page.locator("ol.timeline li").count() == 50
    page.screenshot(path=shots / "1-timeline.png", full_page=True)

    page.get_by_label("Category").select_option("deadline_extended")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"category=deadline_extended"))
    rows = page.locator("ol.timeline li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(TITLE)
    page.screenshot(path=shots / "2-filtered.png", full_page=True)

    rows.first.get_by_role("link", name=TITLE).click()
    page.wait_for_url(re.compile(r"/events/\d+$"))  # the timeline lists events
    page.get_by_role("link", name="Diff and details").first.click()
    page.wait_for_url(re.compile(r"/changes/\d+$"))
    change_url = page.url
    inserted = page.locator(".diff ins", has_text="30")
    deleted = page.locator(".diff del", has_text="10")
    expect(inserted).to_be_visible()
    expect(deleted).to_be_visible()
    # The stylesheet loaded under the CSP: insertions are highlighted, deletions struck out.
    assert inserted.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(215, 245, 221)"
    assert "line-through" in deleted.evaluate("e => getComputedStyle(e).textDecorationLine")
    folded = page.locator("details.folded").first
    assert not folded.evaluate("e => e.open")
    page.screenshot(path=shots / "3-change.png", full_page=True)

    page.get_by_role("link", name="Log in", exact=True).first.click()
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(change_url)
    expect(page.get_by_text("Signed in as")).to_be_visible()
    expect(page.locator("pre.rule")).to_contain_text("[sources.ai-office]")
    page.screenshot(path=shots / "4-logged-in.png", full_page=True)

    page.get_by_role("button", name="Mark as noise").click()
    expect(page.locator(".flash")).to_contain_text("is marked as noise")
    page.screenshot(path=shots / "5-marked.png", full_page=True)

    page.get_by_role("link", name="Timeline").first.click()
    expect(page.locator("ol.timeline li").first).to_be_visible()
    expect(page.get_by_role("link", name=TITLE)).to_have_count(0)
    page.screenshot(path=shots / "6-timeline-after.png", full_page=True)

    assert not problems, problems  # no CSP violation, no failed resource
    assert sorted(p.name for p in shots.iterdir()) == [
        "1-timeline.png",
        "2-filtered.png",
        "3-change.png",
        "4-logged-in.png",
        "5-marked.png",
        "6-timeline-after.png",
    ]


def test_pages_work_by_keyboard_and_on_a_phone(page: Page, tmp_path: Path):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/deadlines?month=2026-12")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    expect(page.locator("table.calendar")).to_contain_text("GPAI consultation closes")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=tmp_path / "deadlines-phone.png", full_page=True)
    page.goto("/trends")
    expect(page.locator("svg.weekly")).to_be_visible()
    page.screenshot(path=tmp_path / "trends-phone.png", full_page=True)


# Every page a phone user can reach, anonymous and logged in ("{change}" is the moved
# deadline's change, "{hostile}" the one with hostile scraped text).
PHONE_PAGES = (
    "/",
    "/?source=bulk&q=article",
    "/?category=gossip&since=soon",
    "/changes/{change}",
    "/changes/{change}?view=side",
    "/changes/{hostile}",
    "/sources",
    "/sources/ai-office",
    "/deadlines",
    "/deadlines?month=2026-12",
    "/trends",
    "/login",
    "/changes/999999",
)
PHONE_LOGGED_IN = (
    "/changes/{change}",
    "/changes/{change}?view=side",
    "/deliveries",
    "/sources/ai-office",
)
# What scrolls sideways: the page itself, or any box in it.
SIDEWAYS = """() => {
  const root = document.documentElement;
  const found = root.scrollWidth > root.clientWidth ? [`page ${root.scrollWidth}px`] : [];
  for (const e of document.body.querySelectorAll("*")) {
    const overflow = getComputedStyle(e).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && e.scrollWidth > e.clientWidth + 1) {
      found.push(`${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth}px`);
    }
  }
  return found;
}"""


@pytest.mark.parametrize("width", [375, 390])
def test_every_page_fits_a_phone(page: Page, width: int, tmp_path: Path):
    page.set_viewport_size({"width": width, "height": 812})
    page.goto("/")
    ids = {"change": _change_id(page, TITLE), "hostile": _change_id(page, "<script>")}
    scrolled = {}
    visit = [*PHONE_PAGES, *_compare_pages(page)]
    for path in visit:
        scrolled[path] = _sideways(page, path.format(**ids), tmp_path)
    _log_in(page)
    for path in PHONE_LOGGED_IN:
        scrolled[f"{path} (logged in)"] = _sideways(page, path.format(**ids), tmp_path)
    assert not {path: found for path, found in scrolled.items() if found}, scrolled


def _change_id(page: Page, title: str) -> str:
    link = page.locator("ol.timeline a.title", has_text=title).first.get_attribute("href")
    assert link is not None
    return link.rsplit("/", 1)[1]


def _compare_pages(page: Page) -> list[str]:
    page.goto("/sources/ai-office")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"/compare\?"))
    inline = page.url.split(page.url.split("/sources/")[0])[1]
    return [inline, inline + "&view=side"]


def _sideways(page: Page, path: str, shots: Path) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.status < 500, path
    name = re.sub(r"\W+", "-", path).strip("-") or "timeline"
    page.screenshot(path=shots / f"phone-{name}.png", full_page=True)
    found: list[str] = page.evaluate(SIDEWAYS)
    return found


def _log_in(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def test_api_docs_work_offline_under_the_csp(page: Page, base_url: str):
    """Swagger UI from the dashboard itself: every request stays on it, nothing is refused."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type in ("error", "warning") else None
        ),
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    # events 3, triage 6 and exports 3 beside the 15 of changes, sources, deadlines, feeds, ops
    assert page.locator(".opblock").count() == 27
    page.locator(".opblock-summary", has_text="/api/v1/changes").first.click()
    expect(page.get_by_text("a date (from its midnight").first).to_be_visible()
    assert not problems, problems  # a CSP refusal is logged as an error
    assert requested and all(url.startswith(base_url) for url in requested), requested
