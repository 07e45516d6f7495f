"""`lexwatch demo`: offline, quick, in its own database, and it tells the user where to look."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.demo import demo_values
from monitor.types import Category
from storage.models import ChangeRow
from storage.queries import ChangeFilter
from storage.store import Store
from tests.processes import clean_env

# Text that only the noise of cycle 3 adds or changes: it must never reach a change.
NOISE = ("cookies", "Last update", "trk-", "load.js", "About the office")


def lexwatch(cwd: Path, *args: str, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    clean = clean_env()
    clean["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=cwd,
                          env=clean | (env or {}), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    """One demo run, shared: (the process result, its cwd, its database)."""
    root = tmp_path_factory.mktemp("demo")
    cwd = root / "user"
    cwd.mkdir()
    database = root / "tmp" / "demo.db"
    result = lexwatch(cwd, "demo", "--db", str(database))
    return result, cwd, database


def _changes_by_cycle(database: Path) -> dict[int, list[ChangeRow]]:
    """The stored changes by demo cycle (1, 2, 3): the n-th check of a source is cycle n."""
    store = Store.open(f"sqlite:///{database}", migrate=False)
    try:
        cycle_of = {}
        for source in store.sources():
            checks = sorted(store.checks(source.key), key=lambda c: c.id or 0)
            assert len(checks) == 3, f"{source.key}: {len(checks)} checks"
            cycle_of.update({check.id: n for n, check in enumerate(checks, start=1)})
        found: dict[int, list[ChangeRow]] = defaultdict(list)
        for row in store.changes(ChangeFilter(limit=1000)):
            found[cycle_of[row.check_id]].append(row)
        return found
    finally:
        store.close()


def _alertable(rows: list[ChangeRow]) -> list[ChangeRow]:
    return [row for row in rows if Category(row.category).alertable]


def test_demo_exits_0_in_its_own_database(demo_run):
    result, cwd, database = demo_run

    assert result.returncode == 0, result.stderr
    assert database.is_file()
    assert not (cwd / "lexwatch.db").exists() and not list(cwd.iterdir())


def test_demo_stores_the_changes_of_cycles_2_and_3(demo_run):
    result, _, database = demo_run
    assert result.returncode == 0, result.stderr

    cycles = _changes_by_cycle(database)

    assert 1 not in cycles  # the baseline reports nothing
    opened = {(row.source_key, row.category) for row in _alertable(cycles[2])}
    assert {source for source, _ in opened} == {"demo-news", "demo-hys"}
    extended = _alertable(cycles[3])
    assert sorted(row.source_key for row in extended) == ["demo-consultation", "demo-hys"]
    assert all(row.new_date is None or row.old_date is None or row.new_date > row.old_date
               for row in extended)


def test_demo_noise_produced_no_alertable_change(demo_run):
    result, _, database = demo_run
    assert result.returncode == 0, result.stderr

    extended = _spellings(datetime.now(UTC).date())
    for row in _alertable(_changes_by_cycle(database)[3]):
        stored = json.dumps([row.title, row.summary, row.evidence, row.diff], ensure_ascii=False)
        assert not [word for word in NOISE if word in stored], stored
        # What did change is the closing date, in whichever form the parser gives it.
        assert any(spelling in stored for spelling in extended), stored


def _spellings(today: date) -> set[str]:
    """The extended closing date as the page, the API and ISO 8601 write it (today, or the
    day before when the demo ran just before midnight)."""
    found = set()
    for day in (today, today - timedelta(days=1)):
        values = demo_values(day)
        found |= {values["extended_until_text"], values["extended_until_api"][:10],
                  values["extended_until_api"][:10].replace("/", "-")}
    return found


def test_demo_prints_each_cycle_with_categories(demo_run):
    result, _, _ = demo_run

    for title in ("Cycle 1", "Cycle 2", "Cycle 3"):
        assert title in result.stdout
    categories = {c.value for c in Category}
    printed = {word.strip("[").split("/")[0] for word in result.stdout.split()
               if word.startswith("[") and "/" in word}
    assert printed and printed <= categories


def test_demo_names_the_commands_that_show_its_changes(demo_run):
    result, cwd, database = demo_run
    url = f"sqlite:///{database.resolve()}"

    assert f"LEXWATCH_DATABASE_URL={url} lexwatch changes" in result.stdout
    assert f"LEXWATCH_DATABASE_URL={url} lexwatch diff " in result.stdout
    # And they work from anywhere once the demo is over. (builtin_catalog = false: this test
    # is about the database, not about the parsers the built-in catalog needs.)
    (cwd / "lexwatch.toml").write_text("builtin_catalog = false\n")
    listed = lexwatch(cwd, "changes", "--json", env={"LEXWATCH_DATABASE_URL": url})
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) >= 4
    (cwd / "lexwatch.toml").unlink()
    assert not (cwd / "lexwatch.db").exists()


def test_demo_refuses_an_existing_database(tmp_path: Path):
    existing = tmp_path / "lexwatch.db"
    existing.write_bytes(b"the user's data")

    result = lexwatch(tmp_path, "demo", "--db", str(existing))

    assert result.returncode == 2 and "already exists" in result.stderr
    assert existing.read_bytes() == b"the user's data"
