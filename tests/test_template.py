"""A site's template, learnt from the other pages lexwatch stores of the same host (issue 13).

Three pages of one site share a newsletter box that no fixed list of boilerplate knows. When
the box is reworded on one page, that is noise; the same rewording of the page's own text is
an amendment. End to end: the replay server, the real client, parsers and both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.analysis.template import SiteTemplates, site_blocks
from monitor.types import Category, CheckOutcome, Document, DocumentKind, Item, Source
from tests.checking import check, check_all
from tests.servers.replay import ReplayServer
from tests.test_pipeline import make_app

BOX = (
    "<div class='bulletin'><p>Our monthly bulletin brings you the latest on trustworthy AI,"
    " with events and funding calls from across Europe.</p></div>"
)
BOX_REWORDED = BOX.replace("monthly bulletin", "weekly bulletin").replace(
    "events and funding calls", "events, tenders and jobs"
)


def page(title: str, text: str, box: str = BOX) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{title}</title></head><body><main>"
        f"<h1>{title}</h1><p>{text}</p>{box}</main></body></html>"
    )


@pytest.fixture
def site(tmp_path: Path, database_url: str, replay_server: ReplayServer):
    replay_server.add(
        "/office",
        page("AI Office", "The AI Office supports the Member States."),
        page("AI Office", "The AI Office supports the Member States.", BOX_REWORDED),
        page(
            "AI Office",
            "The AI Office supports the Member States and the"
            " scientific panel of independent experts.",
            BOX_REWORDED,
        ),
    )
    replay_server.add("/pact", page("AI Pact", "The AI Pact gathers pledges."))
    replay_server.add("/board", page("AI Board", "The AI Board meets every quarter."))
    app = make_app(tmp_path, database_url, replay_server)
    sources = [app.sources["office"]]
    for key in ("pact", "board"):
        sources.append(
            Source(
                key=key, title=key, url=replay_server.url(f"/{key}"), parser="html", interval=3600
            )
        )
    app.store.sync_sources(sources)
    yield app, sources
    app.close()


def test_a_change_in_the_sites_shared_box_is_noise(site, replay_server: ReplayServer):
    app, sources = site
    assert {r.outcome for r in check_all(app, sources)} == {CheckOutcome.BASELINE}
    replay_server.set_version("/office", 1)
    changed = check(app, "office")
    assert changed.outcome is CheckOutcome.CHANGED
    assert [c.category for c in changed.changes] == [Category.NOISE]
    replay_server.set_version("/office", 2)  # the page's own text: an amendment
    own = check(app, "office")
    assert [c.category for c in own.changes] == [Category.AMENDMENT]


def test_a_page_alone_on_its_host_has_no_template() -> None:
    document = Document(kind=DocumentKind.PAGE, items=(Item(key="a", title="A", text="x y z"),))
    assert site_blocks([document]) == frozenset()
    assert site_blocks([document, document]) == {"a", "x y z"}


def test_dates_and_status_labels_are_never_template() -> None:
    shared = Item(key="a", title="Status: Open", text="Open\nClosing date: 5 May 2026\nShare")
    document = Document(kind=DocumentKind.PAGE, items=(shared,))
    assert site_blocks([document, document]) == {"share"}


def test_the_template_is_read_once_an_hour_and_excludes_the_page_itself() -> None:
    calls: list[str] = []
    now = [datetime(2026, 1, 1, tzinfo=UTC)]

    def load(host: str) -> list[tuple[str, Document]]:
        calls.append(host)
        own = Document(kind=DocumentKind.PAGE, items=(Item(key="k", title="T", text="mine"),))
        other = Document(kind=DocumentKind.PAGE, items=(Item(key="k", title="T", text="box"),))
        return [("a", own), ("b", other), ("c", other)]

    templates = SiteTemplates(load, lambda: now[0])
    me = Source(key="a", title="a", url="https://example.eu/a", parser="html", interval=60)
    assert templates.blocks(me) == {"t", "box"}
    templates.blocks(me)
    assert calls == ["example.eu"]
    now[0] += timedelta(hours=2)
    templates.blocks(me)
    assert calls == ["example.eu", "example.eu"]
