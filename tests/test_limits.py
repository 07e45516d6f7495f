"""Bounded work per document: past a limit a check fails with a reason and stores nothing.

Real checks through the pipeline against the loopback replay server, on SQLite and
PostgreSQL, with small limits (the defaults are measured in bench/big_documents.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.analysis.limits import WorkLimits, element_count
from monitor.app import App
from monitor.config import load_settings
from monitor.types import CheckOutcome
from storage.queries import ChangeFilter
from tests.checking import check
from tests.processes import LOOPBACK, clean_env
from tests.servers.replay import ReplayServer


def page(sections: int, *, changed: int = 0, extra: str = "") -> str:
    body = "".join(
        f"<h2>Section {n}</h2><p>{'Amended' if n < changed else 'Original'}"
        f" text of section {n}.</p>"
        for n in range(sections)
    )
    return f"<html><head><title>Page</title></head><body><main>{body}{extra}</main></body></html>"


def make_app(tmp_path: Path, database_url: str, server: ReplayServer, **limits: int) -> App:
    config = tmp_path / "lexwatch.toml"
    analysis = "\n".join(f"{key} = {value}" for key, value in limits.items())
    config.write_text(f"""
database_url = "{database_url}"
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
retries = 0
per_host_spacing = 0
allow_private_addresses = true
[analysis]
{analysis}
[sources.page]
url = "{server.url("/page")}"
parser = "html"
""")
    return App.start(load_settings(config))


def stored(app: App) -> tuple[int, int]:
    counts = app.store.counts()
    return counts["snapshots"], counts["changes"]


def test_a_page_with_too_many_elements_fails_before_it_is_parsed(
    tmp_path: Path, database_url: str, replay_server: ReplayServer
):
    replay_server.add("/page", page(3, extra="<i>x</i>" * 200))
    app = make_app(tmp_path, database_url, replay_server, max_elements=150)
    result = check(app, "page")
    assert result.outcome is CheckOutcome.FAILED
    assert "about 2" in (result.error or "") and "analysis.max_elements" in (result.error or "")
    assert "LEXWATCH_ANALYSIS__MAX_ELEMENTS" in (result.error or "")
    assert stored(app) == (0, 0)
    [last] = app.store.checks("page", 1)
    assert last.outcome == "failed" and "max_elements" in (last.error or "")
    app.close()


def test_a_document_with_too_many_items_fails_before_it_is_compared(
    tmp_path: Path, database_url: str, replay_server: ReplayServer
):
    replay_server.add("/page", page(12))
    app = make_app(tmp_path, database_url, replay_server, max_items=10)
    result = check(app, "page")
    assert result.outcome is CheckOutcome.FAILED
    assert "12 items, over the limit of 10 (analysis.max_items)" in (result.error or "")
    assert stored(app) == (0, 0)
    app.close()


def test_too_many_changed_items_store_nothing_and_the_next_check_tries_again(
    tmp_path: Path, database_url: str, replay_server: ReplayServer
):
    replay_server.add("/page", page(20), page(20, changed=8))
    app = make_app(tmp_path, database_url, replay_server, max_changed_items=5)
    assert check(app, "page").outcome is CheckOutcome.BASELINE
    replay_server.set_version("/page", 1)
    for _ in range(2):  # the same failure each time, nothing half-stored in between
        result = check(app, "page")
        assert result.outcome is CheckOutcome.FAILED
        assert "analysis.max_changed_items" in (result.error or "")
        assert stored(app) == (1, 0)
    app.close()
    raised = make_app(tmp_path, database_url, replay_server, max_changed_items=8)
    result = check(raised, "page")  # the limit raised: the same fetch is analysed in full
    assert result.outcome is CheckOutcome.CHANGED and len(result.changes) == 8
    assert stored(raised) == (2, 8)
    assert len(raised.store.changes(ChangeFilter())) == 8
    raised.close()


def test_lexwatch_check_says_which_limit_and_how_to_raise_it(
    tmp_path: Path, replay_server: ReplayServer
):
    replay_server.add("/page", page(30))
    make_app(tmp_path, f"sqlite:///{tmp_path / 'lexwatch.db'}", replay_server, max_items=10).close()
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "check", "page"],
        cwd=tmp_path,
        env=clean_env(LOOPBACK),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "analysis.max_items" in output
    assert "raise [analysis] max_items in lexwatch.toml" in " ".join(output.split())


@pytest.mark.parametrize(
    ("content", "count"),
    [
        (b"<html><body><p>a</p><br/><!-- c --></body></html>", 4),
        (b"  \n<?xml version='1.0'?><!DOCTYPE x><feed><entry/></feed>", 2),
        (b'{"items": ["<p>"]}', 0),
        (b"", 0),
    ],
)
def test_elements_are_counted_from_the_bytes(content: bytes, count: int):
    assert element_count(content) == count


def test_the_defaults_are_the_documented_ones():
    assert WorkLimits() == WorkLimits(
        max_elements=200_000, max_items=20_000, max_changed_items=1_000
    )
    analysis = load_settings(None).analysis
    assert (analysis.max_elements, analysis.max_items, analysis.max_changed_items) == (
        200_000,
        20_000,
        1_000,
    )
