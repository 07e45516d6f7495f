"""The four recipes of ARCHITECTURE.md ("Extending lexwatch"), run exactly as written there.

Each example is read from the document itself, so a recipe that stops working fails here:
a source added in lexwatch.toml is checked, a new parser reads its source, a new channel
delivers from the outbox, and a new category's entry fits the registry.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

import sources.parsers
from dashboard.categories import css_rule
from monitor.analysis.diff import diff_documents
from monitor.app import App
from monitor.config import AlertSettings, load_settings
from monitor.types import (
    Category,
    CategoryInfo,
    Change,
    Channel,
    CheckOutcome,
    CheckRecord,
    Document,
    DocumentKind,
    Item,
    Severity,
    Source,
    Subscription,
)
from notifiers.outbox import Dispatcher
from storage.outbox import Routing
from storage.store import Store
from tests.checking import check
from tests.servers.replay import ReplayServer
from tests.test_categories import readme_row

ARCHITECTURE = Path(__file__).resolve().parents[1] / "ARCHITECTURE.md"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def recipe(name: str) -> str:
    """The code block that follows ``<!-- recipe: name -->`` in ARCHITECTURE.md."""
    found = re.search(
        rf"<!-- recipe: {name} -->\n```\w+\n(.*?)```", ARCHITECTURE.read_text(), re.DOTALL
    )
    assert found, f"ARCHITECTURE.md has no recipe {name!r}"
    return found.group(1)


def run_recipe(name: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": f"recipe_{name}"}
    exec(compile(recipe(name), f"ARCHITECTURE.md, recipe {name}", "exec"), namespace)
    return namespace


def start_app(tmp_path: Path, sources_toml: str) -> App:
    config = tmp_path / "lexwatch.toml"
    config.write_text(
        f'builtin_catalog = false\ndatabase_url = "sqlite:///{tmp_path}/db"\n'
        "[http]\nallow_private_addresses = true\nrespect_robots = false\n\n" + sources_toml
    )
    return App.start(load_settings(config))


# -- a source from the configuration ------------------------------------------------------

PAGE = """<html lang="en"><body><nav>Menu</nav><main><h1>AI Pact</h1>
<p>The AI Pact encourages organisations to prepare for the AI Act.</p>
<div class="pledge-counter">{pledges}</div>
{more}</main><footer>Footer</footer></body></html>"""
CONSULTATION = """<h2>Consultation on the AI Pact pledges</h2>
<p>The Commission opens a targeted consultation on the AI Pact pledges.
Feedback is welcome until 30 June 2026.</p>"""


def test_a_source_added_in_the_configuration_is_checked(
    tmp_path: Path, replay_server: ReplayServer
):
    url = replay_server.add(
        "/ai-pact",
        PAGE.format(pledges="Over a hundred pledges", more=""),
        PAGE.format(pledges="Companies from every member state", more=""),
        PAGE.format(pledges="Over a hundred pledges", more=CONSULTATION),
    )
    table = recipe("source")
    app = start_app(
        tmp_path, table.replace("https://digital-strategy.ec.europa.eu/en/policies/ai-pact", url)
    )
    try:
        assert check(app, "ai-pact").outcome is CheckOutcome.BASELINE
        replay_server.set_version("/ai-pact", 1)  # only the dropped part changed
        assert check(app, "ai-pact").outcome is CheckOutcome.UNCHANGED
        replay_server.set_version("/ai-pact", 2)
        changed = check(app, "ai-pact")
    finally:
        app.close()
    assert changed.outcome is CheckOutcome.CHANGED
    assert [change.category for change in changed.changes] == [Category.CONSULTATION_OPENED]
    assert app.sources["ai-pact"].tags == ("ai-act",)


# -- a parser -------------------------------------------------------------------------------

LIST = (
    "2026-05-01 | Guidelines on the AI system definition | https://x.eu/d/1\n"
    "2026-05-20 | Guidelines on prohibited practices | https://x.eu/d/2\n"
)
MORE = LIST + "2026-06-02 | Template for the training data summary | https://x.eu/d/3\n"


def test_a_new_parser_reads_the_source_that_names_it(
    tmp_path: Path, replay_server: ReplayServer, monkeypatch: pytest.MonkeyPatch
):
    parse = run_recipe("parser")["parse_dated_list"]
    monkeypatch.setattr(
        sources.parsers,
        "PARSERS",
        MappingProxyType({**sources.parsers.PARSERS, "dated_list": parse}),
    )
    url = replay_server.add(
        "/decisions",
        LIST,
        MORE,
        MORE + "a line without separators\n",
        content_type="text/plain; charset=utf-8",
    )
    app = start_app(tmp_path, f'[sources.decisions]\nurl = "{url}"\nparser = "dated_list"\n')
    try:
        assert check(app, "decisions").outcome is CheckOutcome.BASELINE
        replay_server.set_version("/decisions", 1)
        added = check(app, "decisions")
        replay_server.set_version("/decisions", 2)
        broken = check(app, "decisions")
    finally:
        app.close()
    assert added.outcome is CheckOutcome.CHANGED
    assert {change.item_key for change in added.changes} == {"https://x.eu/d/3"}
    assert broken.outcome is CheckOutcome.FAILED
    assert "line 4: expected 'date | title | url'" in (broken.error or "")


# -- a channel ------------------------------------------------------------------------------

SOURCE = Source(
    key="ai-office", title="AI Office", url="https://x.eu/ai-office", parser="html", interval=3600
)


def consultation() -> Change:
    old = Document(kind=DocumentKind.PAGE, items=(Item(key="c", title="C", text="closed"),))
    new = Document(
        kind=DocumentKind.PAGE, items=(Item(key="c", title="C", text="open until 10 June 2026"),)
    )
    [diff] = diff_documents(old, new)
    return Change(
        source_key=SOURCE.key,
        item_key="c",
        category=Category.CONSULTATION_OPENED,
        severity=Severity.HIGH,
        title="Consultation on GPAI guidelines opened",
        summary="A consultation opened",
        url="https://x.eu/c",
        diff=diff,
        evidence=("open until 10 June 2026",),
    )


def test_a_new_channel_delivers_from_the_outbox(tmp_path: Path):
    path = tmp_path / "alerts.jsonl"
    sender = run_recipe("channel")["JsonLinesSender"](path)
    subscription = Subscription(
        name="tail", channel=Channel.WEBHOOK, target="http://127.0.0.1:9/unused"
    )
    store = Store.open(f"sqlite:///{tmp_path}/db")
    store.sync_sources([SOURCE])
    store.routing = Routing(subscriptions=(subscription,))
    store.record(
        CheckRecord(
            source_key=SOURCE.key,
            started_at=NOW,
            duration_ms=5,
            outcome=CheckOutcome.CHANGED,
            http_status=200,
            changes=(consultation(),),
        ),
        None,
    )
    dispatcher = Dispatcher(
        store=store,
        subscriptions=[subscription],
        senders={"tail": sender},
        mailers={},
        settings=AlertSettings(),
        clock=lambda: NOW + timedelta(minutes=1),
    )

    sent = asyncio.run(dispatcher.dispatch_due())

    [line] = path.read_text().splitlines()
    payload = json.loads(line)
    assert sent == 1
    assert payload["change"]["category"] == "consultation_opened"
    assert payload["change"]["title"] == "Consultation on GPAI guidelines opened"
    [delivery] = store.deliveries()
    assert delivery.status == "sent" and delivery.remote_id == str(delivery.id)
    store.close()


# -- a category -----------------------------------------------------------------------------


def test_a_new_categorys_entry_fits_the_registry():
    entry = eval(recipe("category"), {"CategoryInfo": CategoryInfo, "Severity": Severity})
    assert isinstance(entry, CategoryInfo)
    assert entry.label not in {category.label for category in Category}
    assert entry.colour not in {category.info.colour for category in Category}
    assert re.fullmatch(r"#[0-9a-f]{6}", entry.colour)
    assert css_rule("guidance_withdrawn", entry.colour) == (
        ".cat-guidance_withdrawn { background: #7c2d12; fill: #7c2d12; }"
    )
    assert readme_row("guidance_withdrawn", entry) == (
        "| `guidance_withdrawn` | Guidance withdrawn | high | instant and digest | a guideline,"
        " template or FAQ entry is withdrawn or replaced |"
    )
