"""Checks of the same sources that overlap, in real processes: every happening stored once
and alerted once per subscription.

`lexwatch check --all` processes started together, and `lexwatch run` with a cron-style
`lexwatch check` next to it, on one SQLite file and on PostgreSQL. The loopback server holds
each answer until every process has asked for it (fault "together"), so the checks overlap
for certain: each of them read the source's state and fetched before any stored anything.
Exactly one stores what changed; the others are recorded as skipped ("checked elsewhere").
Two webhook subscriptions on a real receiver count what was sent.

Then the same with kills: two checks of everything at once, one SIGKILLed while it fetches,
analyses, stores or sends. And a page that lists a second consultation, with another
deadline, later: a new event, alerted, not folded into the first.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.queries import ChangeFilter
from storage.store import Store
from tests.processes import clean_env
from tests.servers.receiver import Receiver, receiver_fixture  # noqa: F401  (fixture)
from tests.servers.replay import ReplayServer

SUBSCRIPTIONS = ("team", "legal")
RSS = "application/rss+xml"


def feed(source: int, version: int) -> str:
    """Version v of feed ``source`` lists notices 0..v: each version publishes one more."""
    items = "".join(
        f"<item><guid>{notice(source, k)}</guid><title>Notice {k} of feed {source}</title>"
        f"<link>{notice(source, k)}</link><description>Publication number {k} on the AI"
        f" Act.</description><pubDate>Mon, 0{1 + k} Sep 2025 08:00:00 GMT</pubDate></item>"
        for k in range(version, -1, -1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Feed {source}</title><link>https://example.eu/</link>{items}"
        "</channel></rss>"
    )


def notice(source: int, k: int) -> str:
    return f"https://example.eu/{source}/n/{k}"


def key(i: int) -> str:
    return f"s{i:02}"


def write_config(
    path: Path,
    database_url: str,
    sources: dict[str, str],
    receiver: Receiver,
    *,
    parser: str = "feed",
    interval: int | None = None,
) -> Path:
    lines = [
        f'database_url = "{database_url}"',
        "builtin_catalog = false",
        "[http]",
        'contact = "mailto:tests@example.org"',
        "retries = 0",
        "read_timeout = 90",
        "per_host_spacing = 0",
        "per_host_concurrency = 32",
        "global_concurrency = 32",
        "respect_robots = false",
        "allow_private_addresses = true",
        "[alerts]",
        "dispatch_interval = 1",
    ]
    for name, url in sources.items():
        lines += [f"[sources.{name}]", f'url = "{url}"', f'parser = "{parser}"']
        lines += [f"interval = {interval}"] if interval else []
    for name in SUBSCRIPTIONS:
        lines += [
            "[[subscriptions]]",
            f'name = "{name}"',
            'channel = "webhook"',
            f'target = "{receiver.url(f"/hook/{name}")}"',
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def lexwatch(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )


def finish(process: subprocess.Popen[str]) -> str:
    """Wait for ``process``; its standard output. It must have succeeded."""
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    return stdout


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.2)


def hold_until_all_ask(server: ReplayServer, paths: list[str], processes: int) -> None:
    """Each path's next ``processes`` requests are answered only once all of them arrived."""
    for path in paths:
        server.fault(path, "together", times=processes, count=processes, wait=120)


def outcomes(database_url: str) -> Counter[str]:
    store = Store.open(database_url)
    try:
        return Counter(
            check.outcome
            for source in store.sources()
            for check in store.checks(source.key, limit=1000)
        )
    finally:
        store.close()


def assert_each_happening_once(
    database_url: str, receiver: Receiver, expected: set[tuple[str, str, str]]
) -> dict[str, int]:
    """One Change per (source, item, category), one delivery of it per subscription, sent, and
    the receiver got each happening under one delivery id per subscription. The counts.

    Delivery is at least once: a delivery may reach the receiver again under the same
    ``X-Lexwatch-Delivery`` id (two dispatchers claiming it at once); that is counted as a
    repeat, and receivers drop it by its id. A second delivery id would be a second alert.
    """
    store = Store.open(database_url)
    try:
        changes = store.changes(ChangeFilter(limit=100_000))
        deliveries = [d for d in store.deliveries(limit=100_000) if d.kind == "change"]
    finally:
        store.close()
    stored = Counter((c.source_key, c.item_key, c.category) for c in changes)
    assert {k: n for k, n in stored.items() if n > 1} == {}, "a happening stored twice"
    assert set(stored) == expected
    queued = Counter((d.subscription, d.change_id) for d in deliveries)
    assert set(queued.values()) == {1}
    assert len(queued) == len(expected) * len(SUBSCRIPTIONS)
    unsent = [
        (d.id, d.subscription, d.status, d.attempts, d.lease_token, d.last_error)
        for d in deliveries
        if d.status != "sent"
    ]
    assert unsent == [], "a delivery left unsent (id, subscription, status, attempts, token, error)"
    sent = {
        (r.path, r.headers["x-lexwatch-delivery"]): _happening(r.path, json.loads(r.body))
        for r in receiver.requests
    }
    alerts = Counter(sent.values())
    assert {k: n for k, n in alerts.items() if n > 1} == {}, "a happening alerted twice"
    assert set(alerts) == {(f"/hook/{s}", *h) for s in SUBSCRIPTIONS for h in expected}
    return {
        "changes": len(changes),
        "deliveries": len(deliveries),
        "alerts": len(alerts),
        "repeats": len(receiver.requests) - len(sent),
    }


def _happening(path: str, body: dict) -> tuple[str, str, str, str]:
    change = body["change"]
    return path, body["source"]["key"], change["item_key"], change["category"]


# -- `lexwatch check --all` processes started together -----------------------------------------

SOURCES = 8


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("processes", [2, 3])
def test_check_processes_started_together_store_and_alert_each_change_once(
    tmp_path: Path,
    database_url: str,
    replay_server: ReplayServer,
    receiver: Receiver,
    processes: int,
):
    paths = [f"/feed/{i}" for i in range(SOURCES)]
    for i, path in enumerate(paths):
        replay_server.add(path, feed(i, 0), feed(i, 1), feed(i, 2), content_type=RSS)
    config = write_config(
        tmp_path / "lexwatch.toml",
        database_url,
        {key(i): replay_server.url(p) for i, p in enumerate(paths)},
        receiver,
    )
    finish(lexwatch(config, "check", "--all"))  # the baseline
    expected: set[tuple[str, str, str]] = set()
    # Two rounds with a new notice in every feed (the second starts from the state the first
    # stored), then one where nothing changed: each check stored through both write paths.
    for version, outcome in ((1, "changed"), (2, "changed"), (2, "not_modified")):
        for path in paths:
            replay_server.set_version(path, version)
        hold_until_all_ask(replay_server, paths, processes)
        runs = [lexwatch(config, "check", "--all", "--json") for _ in range(processes)]
        results = [json.loads(finish(run)) for run in runs]
        by_outcome = Counter(r["outcome"] for result in results for r in result)
        # Every source was stored by one process and skipped by the others.
        assert by_outcome == {outcome: SOURCES, "skipped": (processes - 1) * SOURCES}
        assert all(
            not r["changes"] for result in results for r in result if r["outcome"] == "skipped"
        )
        expected |= {(key(i), notice(i, version), "publication_added") for i in range(SOURCES)}
    counts = assert_each_happening_once(database_url, receiver, expected)
    assert outcomes(database_url)["skipped"] == 3 * (processes - 1) * SOURCES
    print(
        f"\n{processes} processes x 3 rounds, {SOURCES} sources: {counts},"
        f" checks by outcome: {dict(outcomes(database_url))}"
    )


# -- `lexwatch run`, and a cron-style `lexwatch check` while its checks are in flight -----------

SERVICE_SOURCES = 5


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_cron_check_next_to_the_service_stores_and_alerts_each_change_once(
    tmp_path: Path, database_url: str, replay_server: ReplayServer, receiver: Receiver
):
    paths = [f"/feed/{i}" for i in range(SERVICE_SOURCES)]
    for i, path in enumerate(paths):
        replay_server.add(path, feed(i, 0), feed(i, 1), content_type=RSS)
    config = write_config(
        tmp_path / "lexwatch.toml",
        database_url,
        {key(i): replay_server.url(p) for i, p in enumerate(paths)},
        receiver,
        interval=2,
    )
    service = lexwatch(config, "run", "--no-dashboard")
    try:
        wait_for(
            lambda: outcomes(database_url)["baseline"] == SERVICE_SOURCES,
            60,
            "the service's first checks",
        )
        asked = {path: replay_server.hits(path) for path in paths}
        hold_until_all_ask(replay_server, paths, 2)
        for path in paths:
            replay_server.set_version(path, 1)
        # The service's next checks are under way, held by the server...
        wait_for(
            lambda: all(replay_server.hits(p) > asked[p] for p in paths),
            60,
            "the service's next checks",
        )
        # ... when cron runs a check of everything.
        cron = json.loads(finish(lexwatch(config, "check", "--all", "--json")))
        expected = {(key(i), notice(i, 1), "publication_added") for i in range(SERVICE_SOURCES)}
        wait_for(
            lambda: len(receiver.requests) >= len(expected) * len(SUBSCRIPTIONS), 60, "the alerts"
        )
        service.send_signal(signal.SIGTERM)
        finish(service)
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    # Each source: one of the two stored the change, the other was skipped.
    assert outcomes(database_url)["skipped"] == SERVICE_SOURCES
    assert outcomes(database_url)["changed"] == SERVICE_SOURCES
    assert {r["outcome"] for r in cron} <= {"changed", "skipped"}
    counts = assert_each_happening_once(database_url, receiver, expected)
    # What the operator sees: skipped, checked elsewhere; no failure, nothing failing.
    history = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "history", key(0)],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env() | {"COLUMNS": "250"},
    )
    assert "skipped" in history.stdout and "checked elsewhere" in history.stdout
    status = json.loads(
        subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "status", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
        ).stdout
    )
    assert status["service"]["skipped_last_hour"] == SERVICE_SOURCES
    assert status["service"]["failed_last_hour"] == 0 and status["failing"] == []
    print(
        f"\nservice + cron check, {SERVICE_SOURCES} sources: {counts}, cron outcomes:"
        f" {dict(Counter(r['outcome'] for r in cron))},"
        f" checks by outcome: {dict(outcomes(database_url))}"
    )


# -- a second consultation on the same page ------------------------------------------------------

HEAD = (
    "<!DOCTYPE html><html><head><title>Consultations on AI</title></head><body><main>"
    "<h1>Consultations on AI</h1><h2>About</h2>"
    "<p>The AI Office consults stakeholders on its work on the AI Act.</p>"
)
GUIDELINES = (
    "<h2>Consultation on the guidelines for general-purpose AI models</h2><p>The AI"
    " Office launched a targeted consultation on the guidelines for providers of"
    " general-purpose AI models. The consultation is open until {day} 2026.</p>"
)
CODE = (
    "<h2>Consultation on the code of practice on AI-generated content</h2><p>The AI Office"
    " launched a consultation on the code of practice on marking AI-generated content."
    " The consultation is open until 2 October 2026.</p>"
)
END = "</main></body></html>"
PAGE = "Consultations on AI > "
GUIDELINES_ITEM = PAGE + "Consultation on the guidelines for general-purpose AI models"
CODE_ITEM = PAGE + "Consultation on the code of practice on AI-generated content"


@pytest.mark.slow
def test_a_second_consultation_on_the_same_page_is_a_new_alerted_event(
    tmp_path: Path, database_url: str, replay_server: ReplayServer, receiver: Receiver
):
    first = GUIDELINES.format(day="10 September")
    replay_server.add(
        "/consultations",
        HEAD + END,
        HEAD + first + END,
        HEAD + first + CODE + END,
        HEAD + GUIDELINES.format(day="24 September") + CODE + END,
    )
    config = write_config(
        tmp_path / "lexwatch.toml",
        database_url,
        {"consultations": replay_server.url("/consultations")},
        receiver,
        parser="html",
    )
    for version in range(4):  # the page; the first consultation; the second; a new deadline
        replay_server.set_version("/consultations", version)
        finish(lexwatch(config, "check", "--all"))
    store = Store.open(database_url)
    try:
        urgent = [
            c
            for c in store.changes(ChangeFilter(limit=100))
            if c.category.startswith(("consultation", "deadline"))
        ]
    finally:
        store.close()
    assert sorted((c.item_key, c.category, str(c.old_date), str(c.new_date)) for c in urgent) == [
        (CODE_ITEM, "consultation_opened", "None", "2026-10-02"),
        (GUIDELINES_ITEM, "consultation_opened", "None", "2026-09-10"),
        (GUIDELINES_ITEM, "deadline_extended", "2026-09-10", "2026-09-24"),
    ]
    assert [c.related_to for c in urgent] == [None, None, None]
    alerted = Counter((r.path, json.loads(r.body)["change"]["id"]) for r in receiver.requests)
    assert {(f"/hook/{s}", c.id) for s in SUBSCRIPTIONS for c in urgent} <= set(alerted)
    assert set(alerted.values()) == {1}


# -- overlapping checks, one of them SIGKILLed at a random point -------------------------------

KILL_SOURCES, KILL_VERSIONS, KILL_ROUNDS = 12, 4, 6


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_overlapping_checks_killed_at_random_points_store_and_queue_each_change_once(
    tmp_path: Path, database_url: str, replay_server: ReplayServer, receiver: Receiver
):
    rng = random.Random(int(os.environ.get("LEXWATCH_FAULT_SEED", "14")))
    paths = [f"/feed/{i}" for i in range(KILL_SOURCES)]
    for i, path in enumerate(paths):
        replay_server.add(path, *(feed(i, v) for v in range(KILL_VERSIONS + 1)), content_type=RSS)
    config = write_config(
        tmp_path / "lexwatch.toml",
        database_url,
        {key(i): replay_server.url(p) for i, p in enumerate(paths)},
        receiver,
    )
    started = time.monotonic()
    finish(lexwatch(config, "check", "--all"))
    run_seconds = time.monotonic() - started  # start-up included, whatever this machine's speed
    versions, killed = [0] * KILL_SOURCES, 0
    for _ in range(KILL_ROUNDS):
        for i, path in enumerate(paths):
            if rng.random() < 0.6 and versions[i] < KILL_VERSIONS:
                versions[i] += 1
                replay_server.set_version(path, versions[i])
        # Two checks of everything at once, both fetching every source; one is killed while
        # it fetches, or later: while it analyses, stores or sends (or it finishes first).
        asked = len(replay_server.requests)
        for path in paths:
            replay_server.fault(path, "together", times=2, count=2, wait=5)
        victim, survivor = lexwatch(config, "check", "--all"), lexwatch(config, "check", "--all")
        if rng.random() < 0.3:
            killed += kill_after(victim, rng.uniform(0.3, 1.0) * run_seconds)
        else:
            wait_for(
                fetched(replay_server, asked + 2 * KILL_SOURCES, victim),
                60,
                "both processes' requests",
            )
            killed += kill_after(victim, rng.uniform(0.0, 1.0))
        finish(survivor)
    for path in paths:
        replay_server.set_version(path, KILL_VERSIONS)
    finish(lexwatch(config, "check", "--all"))
    assert killed >= KILL_ROUNDS // 3, "too few runs were killed to prove anything"
    store = Store.open(database_url)
    try:
        changes = store.changes(ChangeFilter(limit=100_000))
        deliveries = [d for d in store.deliveries(limit=100_000) if d.kind == "change"]
    finally:
        store.close()
    stored = Counter((c.source_key, c.item_key) for c in changes)
    assert {k: n for k, n in stored.items() if n > 1} == {}, "a change stored twice"
    assert set(stored) == {
        (key(i), notice(i, k)) for i in range(KILL_SOURCES) for k in range(1, KILL_VERSIONS + 1)
    }
    queued = Counter((d.subscription, d.change_id) for d in deliveries)
    assert set(queued.values()) == {1} and len(queued) == len(changes) * len(SUBSCRIPTIONS)
    # Nothing lost: sent, or claimed by a killed sender and due again when its lease ends.
    assert {d.status for d in deliveries} <= {"sent", "pending"}
    now = datetime.now(UTC)
    assert all(
        d.next_attempt_at is not None and d.next_attempt_at > now
        for d in deliveries
        if d.status == "pending"
    )
    alerts = Counter({(r.path, r.headers["x-lexwatch-delivery"]): 1 for r in receiver.requests})
    by_status = Counter(d.status for d in deliveries)
    print(
        f"\n{killed} of {KILL_ROUNDS} overlapping runs killed; {len(changes)} changes for"
        f" {len(stored)} items; deliveries {dict(by_status)}; {len(alerts)} delivery ids"
        f" received, {len(receiver.requests) - len(alerts)} repeats;"
        f" checks by outcome: {dict(outcomes(database_url))}"
    )


def fetched(
    server: ReplayServer, requests: int, process: subprocess.Popen[str]
) -> Callable[[], bool]:
    """Whether the server has seen ``requests`` requests (or ``process`` ended)."""
    return lambda: len(server.requests) >= requests or process.poll() is not None


def kill_after(process: subprocess.Popen[str], seconds: float) -> bool:
    """SIGKILL ``process`` after ``seconds``; False when it had already finished."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.communicate()
        return True
