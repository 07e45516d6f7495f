"""A whole check cycle: many sources at once through the batched reads and writes.

The states of the sources under way are read in one query, and quiet checks (304, an
unchanged body) are written together; what is stored must be exactly what checking the
sources one by one stores, and a source's recovery is still alerted.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.analysis.analyse import _UNREAD_HTML, _read_spans
from monitor.app import App
from monitor.config import load_settings
from monitor.pipeline import CheckResult
from monitor.pipeline.coalesce import Coalescer
from monitor.types import CheckOutcome
from tests.checking import check_all
from tests.processes import LOOPBACK, clean_env
from tests.servers.replay import ReplayServer

COUNT = 12
ROOT = Path(__file__).resolve().parents[1]


def page(n: int, version: int = 0) -> str:
    extra = f"<h2>Update</h2><p>Version {version} of page {n}.</p>" if version else ""
    return (
        f"<html><head><title>P{n}</title><script>var rid = {version};</script></head>"
        f"<body><main><h1>Page {n}</h1><p>The text of page {n}.</p>{extra}</main>"
        "</body></html>"
    )


@pytest.fixture
def app(tmp_path: Path, database_url: str, replay_server: ReplayServer):
    sources = ""
    for n in range(COUNT):
        replay_server.add(f"/p{n}", page(n), page(n, 1))
        sources += f'[sources.p{n:02d}]\nurl = "{replay_server.url(f"/p{n}")}"\nparser = "html"\n'
    config = tmp_path / "lexwatch.toml"
    config.write_text(f"""
database_url = "{database_url}"
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
retries = 0
per_host_spacing = 0
per_host_concurrency = 4
[alerts]
failure_threshold = 2
[[subscriptions]]
name = "team"
channel = "webhook"
target = "http://127.0.0.1:9/hook"
health = true
{sources}""")
    app = App.start(load_settings(config))
    yield app
    app.close()


def cycle(app: App) -> dict[str, CheckResult]:
    return {result.source_key: result for result in check_all(app, app.enabled())}


def test_a_cycle_of_304s_stores_every_check_and_source_state(app: App):
    first = cycle(app)
    assert {r.outcome for r in first.values()} == {CheckOutcome.BASELINE}
    second = cycle(app)
    assert {r.outcome for r in second.values()} == {CheckOutcome.NOT_MODIFIED}
    ids = [r.check_id for r in second.values()]
    assert None not in ids and len(set(ids)) == COUNT
    for key, result in second.items():
        [latest, baseline] = app.store.checks(key)
        assert (latest.id, latest.outcome, latest.http_status) == (
            result.check_id,
            "not_modified",
            304,
        )
        assert baseline.id == first[key].check_id
    for source in app.store.sources():
        assert source.failure_streak == 0 and source.last_error is None
        assert source.last_check_at == source.last_success_at
        assert source.first_success_at is not None
        assert source.first_success_at < source.last_check_at
        assert source.etag  # the baseline's validators are kept


def test_only_changed_sources_report_changes_in_a_mixed_cycle(
    app: App, replay_server: ReplayServer
):
    cycle(app)
    for n in (3, 7):
        replay_server.set_version(f"/p{n}", 1)
    results = cycle(app)
    changed = {key for key, result in results.items() if result.changes}
    assert changed == {"p03", "p07"}
    quiet = {r.outcome for key, r in results.items() if key not in changed}
    assert quiet == {CheckOutcome.NOT_MODIFIED}
    assert app.store.counts()["checks"] == 2 * COUNT


def test_a_recovering_source_is_alerted_from_a_cycle_of_304s(app: App, replay_server: ReplayServer):
    cycle(app)
    for _ in range(2):  # failure_threshold = 2: the source is down
        replay_server.fault("/p5", "status", status=500)
        assert cycle(app)["p05"].outcome is CheckOutcome.FAILED
    results = cycle(app)
    assert results["p05"].outcome is CheckOutcome.NOT_MODIFIED
    kinds = sorted(row.kind for row in app.store.deliveries())
    assert kinds == ["source_down", "source_recovered"]
    [source] = [s for s in app.store.sources() if s.key == "p05"]
    assert source.failure_streak == 0


def test_when_a_batch_cannot_be_written_each_check_is_stored_on_its_own(app: App, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from storage import checks

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT INTO checks ...", {}, Exception("disk I/O error"))

    cycle(app)
    monkeypatch.setattr(checks, "record_quiet_checks", broken)
    results = cycle(app)
    assert {r.outcome for r in results.values()} == {CheckOutcome.NOT_MODIFIED}
    for key, result in results.items():
        assert app.store.checks(key)[0].id == result.check_id


def test_when_a_batch_of_new_pages_cannot_be_written_each_is_stored_on_its_own(
    app: App, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    from storage import checks

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT INTO checks ...", {}, Exception("disk I/O error"))

    monkeypatch.setattr(checks, "record_found_checks", broken)
    results = cycle(app)
    assert {r.outcome for r in results.values()} == {CheckOutcome.BASELINE}
    for key, result in results.items():
        [stored] = app.store.checks(key)
        assert stored.id == result.check_id
    monkeypatch.undo()
    assert {r.outcome for r in cycle(app).values()} == {CheckOutcome.NOT_MODIFIED}


def test_coalescer_batches_concurrent_calls_and_raises_to_each_caller():
    batches: list[list[int]] = []

    def double(items: list[int]) -> list[int]:
        batches.append(items)
        if 13 in items:
            raise ValueError("unlucky")
        return [item * 2 for item in items]

    coalescer: Coalescer[int, int] = Coalescer(double, limit=5)

    async def run(items: range) -> list[int | BaseException]:
        return await asyncio.gather(*(coalescer(i) for i in items), return_exceptions=True)

    assert asyncio.run(run(range(8))) == [i * 2 for i in range(8)]
    assert [len(batch) for batch in batches] == [5, 3]
    # A second event loop: the coalescer starts over there.
    failed = asyncio.run(run(range(10, 15)))
    assert all(isinstance(result, ValueError) for result in failed)


def test_a_held_batch_waits_for_the_items_on_their_way_and_no_longer() -> None:
    """Items that trickle in while ``hold()`` says more are coming are written together;
    once ``hold()`` says no (``notify``), the batch goes at once; a hold that never ends is
    cut short by ``hold_seconds``."""
    batches: list[list[int]] = []
    coming = [3]

    def write(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    coalescer: Coalescer[int, int] = Coalescer(write, hold=lambda: coming[0] > 0)

    async def trickle() -> list[int]:
        async def one(item: int) -> int:
            await asyncio.sleep(0)
            for _ in range(item):  # each item arrives a few loop turns after the last
                await asyncio.sleep(0)
            coming[0] -= 1
            coalescer.notify()
            return await coalescer(item)

        return list(await asyncio.gather(*(one(i) for i in range(3))))

    assert asyncio.run(trickle()) == [0, 1, 2]
    assert batches == [[0, 1, 2]]
    batches.clear()
    forever: Coalescer[int, int] = Coalescer(write, hold=lambda: True, hold_seconds=0.01)
    assert asyncio.run(forever(7)) == 7
    assert batches == [[7]]


TOKENS = st.sampled_from(
    [
        b"<script",
        b"<SCRIPT",
        b"<Script>",
        b"</script",
        b"</scRipt >",
        b"</script\n>",
        b">",
        b" ",
        b"\t",
        b"<style",
        b"</style>",
        b"</STYLE  >",
        b"<!--",
        b"-->",
        b"--",
        b"<!-->",
        b"a",
        b"_",
        b"1",
        b"<",
        b"/",
        b"<scripts>",
        b"<style1",
        b"\xc3\xa9",
        b"S",
    ]
)


@settings(max_examples=3000)
@given(st.lists(TOKENS, max_size=30))
def test_body_hash_reads_what_the_regular_expression_would(parts: list[bytes]):
    content = b"".join(parts)
    kept = b"".join(content[start:end] for start, end in _read_spans(content))
    assert kept == _UNREAD_HTML.sub(b"", content)


CYCLE_IN_A_PROCESS = """
import sys
from pathlib import Path
from monitor.app import App
from monitor.config import load_settings
from tests.checking import check_all
app = App.start(load_settings(Path(sys.argv[1])))
results = check_all(app, app.enabled())
app.close()
print(sorted({r.outcome.value for r in results}))
print(sorted({c.category.value for r in results for c in r.changes}))
print("monitor.analysis.classify" in sys.modules, "lxml" in sys.modules)
"""


def test_the_classifier_and_parsers_are_imported_by_a_change_not_by_a_cycle_of_304s(
    app: App, replay_server: ReplayServer, tmp_path: Path
):
    """A cycle of 304s parses and classifies nothing, and loads neither lxml nor the rules;
    they load with the first new body, and it is the rules that say what changed (a version
    line: editorial; the shape-only fallback never says editorial)."""
    cycle(app)
    config = tmp_path / "lexwatch.toml"

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", CYCLE_IN_A_PROCESS, str(config)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=clean_env(LOOPBACK),
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    assert run() == ["['not_modified']", "[]", "False False"]
    replay_server.set_version("/p4", 1)
    assert run() == ["['changed', 'not_modified']", "['editorial']", "True True"]
