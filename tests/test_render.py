"""``render = true``: pages whose content only their scripts build, read after real Chromium
(Debian's package, driven by Playwright) ran them, on loopback servers.

The SSRF guard is on as shipped, with only 127.0.0.1 allowed (``allowed_hosts``): a page's
request to 127.0.0.2 must be refused like any source's. The browser is counted through the
Checker's renderer (starts, pages rendered, requests blocked), never timed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from monitor.app import App
from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.pipeline import CheckResult
from monitor.types import CheckOutcome
from tests.processes import clean_env
from tests.servers.rendered import ITEMS, RenderedSite, Spied, SpiedUdp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is required in CI (Debian package chromium)", pytrace=False)
    pytest.skip(
        "chromium not found: install Debian's chromium package to run the rendering tests",
        allow_module_level=True,
    )

NEW_ITEM = {"title": "Guidelines on the AI system definition", "text": "Published in March."}


@pytest.fixture(autouse=True)
def address_guard_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SSRF guard as shipped; only allowed_hosts (in make_app) admits 127.0.0.1."""
    monkeypatch.delenv("LEXWATCH_HTTP__ALLOW_PRIVATE_ADDRESSES", raising=False)


@pytest.fixture
def site() -> Iterator[RenderedSite]:
    server = RenderedSite()
    server.start()
    yield server
    server.stop()


def make_app(tmp_path: Path, sources: str, *, render: str = "", chromium: str = CHROMIUM) -> App:
    config = tmp_path / "lexwatch.toml"
    config.write_text(f"""
database_url = "sqlite:///{tmp_path / "lexwatch.db"}"
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
allowed_hosts = ["127.0.0.1"]
respect_robots = false
retries = 0
per_host_spacing = 0
[render]
chromium = "{chromium}"
{render}
{sources}""")
    return App.start(load_settings(config))


def source(key: str, url: str, *, render: bool = True) -> str:
    return (
        f'[sources.{key}]\nurl = "{url}"\nparser = "html"\nsections = "article"\n'
        f"render = {'true' if render else 'false'}\n"
    )


def check_rounds(
    app: App, *rounds: Sequence[str], before: Callable[[int], None] = lambda number: None
) -> tuple[list[dict[str, CheckResult]], dict[str, int]]:
    """Each round's checks through one Checker (one browser); then the renderer's counts."""

    async def run() -> tuple[list[dict[str, CheckResult]], dict[str, int]]:
        found = []
        async with app.checker() as checker:
            for number, keys in enumerate(rounds):
                before(number)
                results = await asyncio.gather(*(checker.check(app.sources[k]) for k in keys))
                found.append({result.source_key: result for result in results})
            renderer = checker.renderer
            assert renderer is not None
            counts = {
                "launches": renderer.launches,
                "rendered": renderer.rendered,
                "blocked": renderer.blocked,
            }
        return found, counts

    return asyncio.run(run())


def titles(app: App, key: str) -> list[str]:
    snapshot = app.store.state(key).snapshot_id
    assert snapshot is not None
    return [item.title for item in app.store.document(snapshot).items]


def test_items_built_by_scripts_are_read_and_their_changes_found(
    tmp_path: Path, site: RenderedSite
):
    url = site.url("/listing")
    app = make_app(tmp_path, source("rendered", url) + source("plain", url, render=False))

    def publish(number: int) -> None:
        if number == 1:
            site.items.append(NEW_ITEM)
            site.etag = '"listing-v2"'

    (first, second), counts = check_rounds(
        app, ["rendered", "plain"], ["rendered", "plain"], before=publish
    )

    assert first["rendered"].outcome is first["plain"].outcome is CheckOutcome.BASELINE
    assert titles(app, "plain") == ["Always in the HTML"]  # what a fetch without a browser sees
    assert titles(app, "rendered") == ["Always in the HTML", *[i["title"] for i in ITEMS]] + [
        NEW_ITEM["title"]
    ]
    assert second["plain"].outcome is CheckOutcome.UNCHANGED
    assert second["rendered"].outcome is CheckOutcome.CHANGED
    [change] = second["rendered"].changes
    assert NEW_ITEM["title"] in change.title
    # The evidence kept with the change (the dashboard's download) is the DOM that was read.
    checked = second["rendered"].check_id
    digest = next(c.blob_hash for c in app.store.checks("rendered") if c.id == checked)
    assert digest is not None
    assert NEW_ITEM["title"].encode() in (app.store.blob(digest) or b"")
    # One browser for both rounds; the page itself fetched once per check and source, never
    # by Chromium: the fetcher's body is what it renders.
    assert counts == {"launches": 1, "rendered": 2, "blocked": 0}
    assert site.hits["/listing"] == 4
    app.close()


def test_an_unchanged_page_answers_304_and_the_browser_is_not_used(
    tmp_path: Path, site: RenderedSite
):
    app = make_app(tmp_path, source("rendered", site.url("/listing")))

    (first, second), counts = check_rounds(app, ["rendered"], ["rendered"])

    assert first["rendered"].outcome is CheckOutcome.BASELINE
    assert second["rendered"].outcome is CheckOutcome.NOT_MODIFIED
    assert counts["rendered"] == 1 and site.hits["/listing.js"] == 1
    app.close()


def test_a_page_cannot_reach_a_private_address(
    tmp_path: Path, site: RenderedSite, caplog: pytest.LogCaptureFixture
):
    spied, stun = Spied(), SpiedUdp()
    spied.start()
    site.spied, site.stun = spied.base, stun.address
    app = make_app(tmp_path, source("spy", site.url("/spy")))
    try:
        with caplog.at_level(logging.WARNING, logger="sources.fetch.render"):
            [found], counts = check_rounds(app, ["spy"])
    finally:
        spied.stop()
        stun.stop()

    assert found["spy"].outcome is CheckOutcome.BASELINE  # the page renders without them
    assert "Rendered after the blocked requests" in titles(app, "spy")
    assert spied.hits == 0
    assert stun.datagrams == 0  # WebRTC, which interception does not see, sent nothing
    # The fetch, the image and the WebSocket; file: never leaves Chromium for an http page.
    assert counts["blocked"] == 3
    logged = [r.getMessage() for r in caplog.records]
    assert sum("blocked a request to http://127.0.0.2" in line for line in logged) == 2
    assert any("127.0.0.2 is loopback, not a public internet address" in m for m in logged)
    assert any("ws://127.0.0.2" in line and "WebSockets" in line for line in logged)
    app.close()


def test_no_more_pages_render_at_once_than_max_pages(tmp_path: Path, site: RenderedSite):
    keys = [f"page-{number}" for number in range(4)]
    config = "".join(source(key, site.url("/listing")) for key in keys)
    app = make_app(tmp_path, config, render="max_pages = 2")

    async def run() -> tuple[list[CheckResult], int, int]:
        async with app.checker() as checker:
            found = await asyncio.gather(*(checker.check(app.sources[key]) for key in keys))
            assert checker.renderer is not None
            return list(found), checker.renderer.most_at_once, checker.renderer.launches

    found, most, launches = asyncio.run(run())

    assert [result.outcome for result in found] == [CheckOutcome.BASELINE] * 4
    assert most == 2 and launches == 1
    app.close()


def test_a_page_that_never_finishes_loading_fails_at_the_time_limit(
    tmp_path: Path, site: RenderedSite
):
    app = make_app(
        tmp_path,
        # The other source is not rendered: 2 s is a limit for the endless page only.
        source("endless", site.url("/endless"))
        + source("listing", site.url("/listing"), render=False),
        render="page_timeout = 2",
    )

    [found], _ = check_rounds(app, ["endless", "listing"])

    assert found["endless"].outcome is CheckOutcome.FAILED
    assert "did not settle within render.page_timeout=2 s" in (found["endless"].error or "")
    assert app.store.state("endless").snapshot_id is None  # no half-built snapshot
    assert found["listing"].outcome is CheckOutcome.BASELINE
    app.close()


def test_a_page_loading_more_than_the_byte_limit_fails(tmp_path: Path, site: RenderedSite):
    app = make_app(tmp_path, source("heavy", site.url("/heavy")), render="max_mb = 0.1")

    [found], _ = check_rounds(app, ["heavy"])

    assert found["heavy"].outcome is CheckOutcome.FAILED
    assert "loaded more than render.max_mb=0.1 MB" in (found["heavy"].error or "")
    app.close()


def test_without_chromium_the_source_fails_saying_how_to_install_it(
    tmp_path: Path, site: RenderedSite
):
    url = site.url("/listing")
    config = source("rendered", url) + source("plain", url, render=False)
    app = make_app(tmp_path, config, chromium=str(tmp_path / "no-chromium"))

    [found], counts = check_rounds(app, ["rendered", "plain"])

    assert found["rendered"].outcome is CheckOutcome.FAILED
    assert "apt-get install chromium" in (found["rendered"].error or "")
    assert found["plain"].outcome is CheckOutcome.BASELINE
    assert counts["launches"] == 0
    assert app.store.checks("rendered")[0].error == found["rendered"].error
    app.close()


def test_render_on_a_feed_is_a_configuration_error(tmp_path: Path):
    config = '[sources.news]\nurl = "https://example.org/feed"\nparser = "feed"\nrender = true\n'
    with pytest.raises(ConfigError, match=r"sources\.news\.render: a rendered page is HTML"):
        make_app(tmp_path, config)


def test_more_than_two_pages_at_a_time_is_a_configuration_error(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"render\.max_pages"):
        make_app(tmp_path, "", render="max_pages = 3")


def lexwatch(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=clean_env({"COLUMNS": "200", **env}),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_the_command_line_renders_and_says_when_chromium_is_missing(
    tmp_path: Path, site: RenderedSite
):
    url = site.url("/listing")
    (tmp_path / "lexwatch.toml").write_text(f"""
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
allowed_hosts = ["127.0.0.1"]
respect_robots = false
per_host_spacing = 0
{source("rendered", url)}""")

    tried = lexwatch(
        tmp_path, "sources", "test", url, "--parser", "html", "--option", "sections=article",
        "--render", "--json", env={"LEXWATCH_CHROMIUM": CHROMIUM},
    )  # fmt: skip
    assert tried.returncode == 0, tried.stderr
    read = [item["title"] for item in json.loads(tried.stdout)["items"]]
    assert read == ["Always in the HTML", *[i["title"] for i in ITEMS]]

    # The URL of a configured source with render = true is rendered without --render.
    implied = lexwatch(
        tmp_path, "sources", "test", url, "--parser", "html", "--option", "sections=article",
        "--json", env={"LEXWATCH_CHROMIUM": CHROMIUM},
    )  # fmt: skip
    assert implied.returncode == 0, implied.stderr
    assert [item["title"] for item in json.loads(implied.stdout)["items"]] == read

    checked = lexwatch(tmp_path, "check", "rendered", env={"LEXWATCH_CHROMIUM": CHROMIUM})
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert "baseline" in checked.stdout

    # A database of its own: in the first one the page's ETag makes this a 304, no browser.
    elsewhere = {"LEXWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"}
    missing = lexwatch(
        tmp_path,
        "check",
        "rendered",
        env={"LEXWATCH_CHROMIUM": str(tmp_path / "none"), **elsewhere},
    )
    assert missing.returncode == 1
    assert "apt-get install chromium" in missing.stdout + missing.stderr

    # `config check` says so before any check: a warning, the configuration itself is valid.
    told = lexwatch(tmp_path, "config", "check", env={"LEXWATCH_CHROMIUM": str(tmp_path / "none")})
    assert told.returncode == 0, told.stderr
    assert "warning: rendered: render = true" in told.stderr
    assert "apt-get install chromium" in told.stderr
    fine = lexwatch(tmp_path, "config", "check", env={"LEXWATCH_CHROMIUM": CHROMIUM})
    assert fine.returncode == 0 and "warning" not in fine.stderr
