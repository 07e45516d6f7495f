"""A page's documents, followed: each PDF a source of its own, checked with the page.

The AI Office's Code of Practice page links to its drafts. A draft replaced at its URL is an
amendment of the measures that changed; a new draft linked from the page is one
publication that names the draft it replaces, and what changed since that one; a link that
leaves the page stops its document's checks. Documents are built here (fpdf2) and served by
the replay server with ETags, so every check after the first is a conditional GET.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.app import App
from monitor.config import load_settings
from monitor.types import Category, CheckOutcome
from storage.queries import ChangeFilter
from tests.checking import check
from tests.documents import MEASURES, code_of_practice
from tests.servers.replay import ReplayServer

SECOND = "Second Draft of the General-Purpose AI Code of Practice"
THIRD = "Third Draft of the General-Purpose AI Code of Practice"
AMENDED = {**MEASURES, "1.2": MEASURES["1.2"].replace("14 days", "30 days")}


def page(*links: tuple[str, str]) -> str:
    anchors = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return (
        f"<html><head><title>Code of Practice</title></head><body><main><h1>Code of"
        f" Practice</h1><p>The drafts of the code.</p><ul>{anchors}</ul>"
        '<p><a href="/about.html">About</a></p></main></body></html>'
    )


@pytest.fixture
def served(replay_server: ReplayServer) -> ReplayServer:
    replay_server.add(
        "/code",
        page(("/second.pdf", SECOND)),
        page(("/second.pdf", SECOND), ("/third.pdf", THIRD)),
        page(("/third.pdf", THIRD)),
    )
    replay_server.add(
        "/second.pdf",
        code_of_practice(SECOND),
        code_of_practice(SECOND, AMENDED),
        content_type="application/pdf",
    )
    replay_server.add(
        "/third.pdf",
        code_of_practice(THIRD, AMENDED, extra="A new preamble."),
        content_type="application/pdf",
    )
    return replay_server


@pytest.fixture
def app(tmp_path: Path, served: ReplayServer):
    config = tmp_path / "lexwatch.toml"
    config.write_text(f"""
database_url = "sqlite:///{tmp_path / "lexwatch.db"}"
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
retries = 0
per_host_spacing = 0
respect_robots = false
allow_private_addresses = true
[sources.code]
url = "{served.url("/code")}"
parser = "html"
tags = ["code-of-practice"]
follow_documents = true
document_filter = ["draft"]
""")
    app = App.start(load_settings(config))
    yield app
    app.close()


def by_key(result):
    return {doc.title: doc for doc in result.documents}


def test_the_first_check_reads_the_page_and_its_documents_for_a_baseline(
    app: App, served: ReplayServer
):
    result = check(app, "code")
    assert result.outcome is CheckOutcome.BASELINE
    [second] = result.documents
    assert (second.title, second.outcome, second.changes) == (SECOND, CheckOutcome.BASELINE, ())
    assert second.source_key.startswith("code/doc/")
    assert served.hits("/about.html") == 0


def test_a_draft_amended_at_its_url_is_an_amendment_of_the_measure(app: App, served: ReplayServer):
    check(app, "code")
    served.set_version("/second.pdf", 1)
    result = check(app, "code")
    assert result.outcome is CheckOutcome.NOT_MODIFIED
    [second] = result.documents
    assert second.outcome is CheckOutcome.CHANGED
    [change] = [c for c in second.changes if c.category.alertable]
    assert (change.category, change.item_key) == (Category.AMENDMENT, "Measure 1.2")
    assert change.diff.new is not None and change.diff.new.fields["pages"] == "2"
    assert (change.diff.deleted_text(), change.diff.inserted_text()) == ("14", "30")


def test_an_unchanged_draft_is_asked_for_with_its_etag(app: App, served: ReplayServer):
    check(app, "code")
    result = check(app, "code")
    [second] = result.documents
    assert second.outcome is CheckOutcome.NOT_MODIFIED
    asked = [r for r in served.requests if r.path == "/second.pdf"]
    assert len(asked) == 2 and asked[1].headers.get("if-none-match")


def test_a_new_draft_is_one_publication_naming_the_draft_it_replaces(
    app: App, served: ReplayServer
):
    check(app, "code")
    served.set_version("/code", 1)
    result = check(app, "code")
    documents = by_key(result)
    third = documents[THIRD]
    assert third.outcome is CheckOutcome.CHANGED
    published = [c for c in third.changes if c.category is Category.PUBLICATION_ADDED]
    assert len(published) == 1
    assert any(SECOND in line and "/second.pdf" in line for line in published[0].evidence)
    amended = {c.item_key for c in third.changes if c.category is Category.AMENDMENT}
    assert "Measure 1.2" in amended
    assert documents[SECOND].outcome is CheckOutcome.NOT_MODIFIED


def test_a_link_that_leaves_the_page_stops_its_documents_checks(app: App, served: ReplayServer):
    check(app, "code")
    served.set_version("/code", 1)
    check(app, "code")
    served.set_version("/code", 2)
    result = check(app, "code")
    assert [doc.title for doc in result.documents] == [THIRD]
    rows = {row.title: row for row in app.store.document_sources("code")}
    assert rows[SECOND].enabled is False and rows[THIRD].enabled is True
    hits = served.hits("/second.pdf")
    check(app, "code")
    assert served.hits("/second.pdf") == hits


def test_the_change_page_shows_the_pages_and_both_stored_versions(app: App, served: ReplayServer):
    from fastapi.testclient import TestClient

    from dashboard.app import create_app

    check(app, "code")
    served.set_version("/second.pdf", 1)
    [second] = check(app, "code").documents
    [change] = [c for c in second.changes if c.category is Category.AMENDMENT]
    row = next(
        r
        for r in app.store.changes(ChangeFilter(source=second.source_key))
        if r.item_key == change.item_key
    )
    with TestClient(create_app(app)) as client:
        page = client.get(f"/changes/{row.id}")
        now = client.get(f"/changes/{row.id}/raw")
        before = client.get(f"/changes/{row.id}/raw/previous")
    assert page.status_code == 200
    assert "<dt>Pages</dt><dd>2</dd>" in page.text
    assert f"/changes/{row.id}/raw/previous" in page.text
    assert now.content == code_of_practice(SECOND, AMENDED)
    assert before.content == code_of_practice(SECOND)
    assert before.headers["content-type"] == "application/pdf"


def test_an_unreadable_new_version_is_a_failed_check_and_no_change(app: App, served: ReplayServer):
    from tests.documents import scanned_pdf

    check(app, "code")
    served.add(
        "/second.pdf",
        code_of_practice(SECOND),
        scanned_pdf(),
        code_of_practice(SECOND, AMENDED),
        content_type="application/pdf",
    )
    served.set_version("/second.pdf", 1)
    [second] = check(app, "code").documents
    assert second.outcome is CheckOutcome.FAILED and "no text layer" in (second.error or "")
    assert second.changes == ()
    served.set_version("/second.pdf", 2)
    [second] = check(app, "code").documents
    # Compared with the last good version, not with the scan: only the amended measure.
    assert {c.item_key for c in second.changes if c.category.alertable} == {"Measure 1.2"}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('follow_documents = true\nparser = "feed"', "parser 'feed' does not read one"),
        ("max_documents = 3", "only used with follow_documents = true"),
        ('follow_documents = true\ndocument_filter = ["(draft"]', "not a regular expression"),
        ("follow_documents = true\nmax_document_mb = 50", "over http.max_body_mb"),
    ],
)
def test_follow_documents_is_checked_at_start(tmp_path: Path, settings: str, message: str):
    from monitor.errors import ConfigError

    config = tmp_path / "lexwatch.toml"
    lines = settings if "parser" in settings else f'parser = "html"\n{settings}'
    config.write_text(f"""builtin_catalog = false
database_url = "sqlite:///{tmp_path / "x.db"}"
[sources.code]
url = "https://example.eu/code"
{lines}
""")
    with pytest.raises(ConfigError, match=message):
        App.start(load_settings(config))


def test_the_cli_shows_documents_under_their_page_and_their_pages(
    tmp_path: Path, served: ReplayServer, app: App
):
    from click.testing import CliRunner

    from monitor.cli import main

    config = ["--config", str(tmp_path / "lexwatch.toml")]
    runner = CliRunner()
    first = runner.invoke(main, [*config, "check", "code"], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    [line] = [line for line in first.output.splitlines() if "└ code/doc/" in line]
    assert "baseline" in line and SECOND in line
    served.set_version("/second.pdf", 1)
    runner.invoke(main, [*config, "check", "code"], env={"COLUMNS": "200"})
    listed = runner.invoke(main, [*config, "sources"], env={"COLUMNS": "200"})
    key = next(row.key for row in app.store.document_sources("code"))
    assert key in listed.output
    history = runner.invoke(main, [*config, "history", key], env={"COLUMNS": "200"})
    assert history.exit_code == 0 and "changed" in history.output
    row = next(
        r for r in app.store.changes(ChangeFilter(source=key)) if r.item_key == "Measure 1.2"
    )
    shown = runner.invoke(main, [*config, "diff", str(row.id)], env={"COLUMNS": "200"})
    assert "pages 2" in shown.output and "[-14-]" in shown.output
