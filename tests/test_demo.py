"""`lexwatch demo`: offline, quick, in its own database, and it tells the user where to look."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.tools.demo import demo_values
from monitor.types import Category
from storage.models import ChangeRow
from storage.queries import ChangeFilter
from storage.store import Store
from tests.processes import clean_env

# Text that only the noise of cycle 3 adds or changes: it must never reach a change.
NOISE = ("cookies", "Last update", "trk-", "load.js", "About the office")


def lexwatch(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    clean = clean_env()
    clean["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


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
    assert all(
        row.new_date is None or row.old_date is None or row.new_date > row.old_date
        for row in extended
    )


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
        found |= {
            values["extended_until_text"],
            values["extended_until_api"][:10],
            values["extended_until_api"][:10].replace("/", "-"),
        }
    return found


def test_demo_prints_each_cycle_with_categories(demo_run):
    result, _, _ = demo_run

    for title in ("Cycle 1", "Cycle 2", "Cycle 3"):
        assert title in result.stdout
    categories = {c.value for c in Category}
    printed = {
        word.strip("[").split("/")[0]
        for word in result.stdout.split()
        if word.startswith("[") and "/" in word
    }
    assert printed and printed <= categories


def test_demo_names_the_commands_that_show_its_changes(demo_run):
    result, cwd, database = demo_run
    config = database.with_name(database.name + ".toml").resolve()
    commands = [
        line.strip()
        for line in result.stdout.splitlines()
        if line.strip().startswith("lexwatch --config")
    ]
    assert [c.split()[3] for c in commands] == ["changes", "diff", "history", "serve"]
    assert all(c.startswith(f"lexwatch --config {config} ") for c in commands), commands
    # They work from anywhere once the demo is over, with whatever lexwatch.toml is there,
    # and never add the built-in catalog (22 EU sources) to the demo's database.
    for where in (cwd, cwd / "elsewhere"):
        where.mkdir(exist_ok=True)
        listed = lexwatch(where, *commands[0].split()[1:], "--json")
        assert listed.returncode == 0, listed.stderr
        assert len(json.loads(listed.stdout)) >= 4
        assert lexwatch(where, *commands[1].split()[1:]).returncode == 0
        assert lexwatch(where, *commands[2].split()[1:]).returncode == 0
    store = Store.open(f"sqlite:///{database}", migrate=False)
    try:
        assert sorted(row.key for row in store.sources()) == [
            "demo-consultation",
            "demo-hys",
            "demo-news",
        ]
    finally:
        store.close()
    assert not (cwd / "lexwatch.db").exists() and not (cwd / "elsewhere" / "lexwatch.db").exists()


def test_demo_serve_opens_the_dashboard_on_its_data(tmp_path: Path):
    port = free_port()
    env = clean_env()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor",
            "demo",
            "--db",
            str(tmp_path / "demo.db"),
            "--serve",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        changes = _get_json(f"http://127.0.0.1:{port}/api/v1/changes", demo)
        sources = _get_json(f"http://127.0.0.1:{port}/api/v1/sources", demo)
        events = _get_json(f"http://127.0.0.1:{port}/api/v1/events", demo)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
        deadlines = _get_page(f"http://127.0.0.1:{port}/deadlines")
        demo.send_signal(signal.SIGINT)
        stdout, stderr = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.communicate()
    assert demo.returncode == 0, stderr
    assert f"The dashboard shows the demo's changes at http://127.0.0.1:{port}/" in stdout
    assert {row["source"] for row in _items(changes)} <= {
        "demo-consultation",
        "demo-hys",
        "demo-news",
    }
    assert len(_items(changes)) >= 4
    assert sorted(row["key"] for row in _items(sources)) == [
        "demo-consultation",
        "demo-hys",
        "demo-news",
    ]
    assert "Example AI Office" in page
    # The deadline extension, on the consultation page and the consultations API, is one
    # event: one row of the timeline, seen on two sources; so is the consultation opened.
    [extended] = [e for e in _items(events) if e["category"] == "deadline_extended"]
    assert extended["sources"] == ["demo-consultation", "demo-hys"]
    rows = re.findall(r'<a class="title" href="/events/(\d+)">', page)
    assert rows.count(str(extended["id"])) == 1 and len(rows) == len(_items(events)) == 2
    assert page.count("seen on 2 sources") == 2
    # The deadlines page: one row per event (and the news item's own, older date).
    linked = re.findall(r'<a href="/events/(\d+)">the event</a>', deadlines)
    assert sorted(linked) == sorted(str(e["id"]) for e in _items(events))


def _get_page(url: str) -> str:
    return str(urllib.request.urlopen(url, timeout=10).read().decode())


def _items(data):
    return data["items"] if isinstance(data, dict) else data


def _get_json(url: str, process: subprocess.Popen[str]):
    for _ in range(600):  # the demo's three cycles run first
        assert process.poll() is None, process.communicate()
        try:
            return json.loads(urllib.request.urlopen(url, timeout=10).read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the dashboard never answered at {url}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_refuses_an_existing_database(tmp_path: Path):
    existing = tmp_path / "lexwatch.db"
    existing.write_bytes(b"the user's data")

    result = lexwatch(tmp_path, "demo", "--db", str(existing))

    assert result.returncode == 2 and "already exists" in result.stderr
    assert existing.read_bytes() == b"the user's data"
