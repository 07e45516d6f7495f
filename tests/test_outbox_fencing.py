"""The outbox under slow, hanging and dying dispatchers: fenced, fair, quick to recover.

Real receivers on loopback (tests/servers/receiver.py, which can hold a request unanswered),
real SQLite files and PostgreSQL, real `lexwatch run` processes for the crash and the
two-dispatcher races. Time is a test clock wherever an assertion depends on it; a hanging
receiver is released by the test, so every assertion is about order and counts.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from monitor.config import Settings
from notifiers.outbox import Dispatcher
from notifiers.senders import make_mailers, make_senders
from storage.outbox import Lease
from storage.store import Store
from tests.processes import LOOPBACK, clean_env
from tests.servers.receiver import Receiver, receiver_fixture  # noqa: F401  (fixture)
from tests.test_outbox import OTHER, SOURCE, Clock, change, open_store, store_changes

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def slow() -> Iterator[Receiver]:
    """A second receiver: the one that hangs."""
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


def two_subscriptions(fast: Receiver, slow: Receiver, **alerts: object) -> Settings:
    """'fast' gets the changes of SOURCE, 'slow' those of OTHER."""
    return Settings(
        subscriptions=[
            {"name": "fast", "channel": "webhook", "target": fast.url(), "sources": [SOURCE.key]},
            {"name": "slow", "channel": "webhook", "target": slow.url(), "sources": [OTHER.key]},
        ],
        alerts={"backoff_base": 3, "send_timeout": 300, **alerts},
    )


def make_dispatcher(
    store: Store,
    settings: Settings,
    clock: Clock,
    http: httpx.AsyncClient,
    *,
    round_seconds: float = 60.0,
    frozen: bool = False,
) -> Dispatcher:
    """A round of ``round_seconds`` of real time: long, so that a busy machine never ends it
    before the sends a test counts. ``frozen``: the workers' own clock stands still, so a
    short round ends early (past a hanging receiver) while its workers send all they have."""
    subs = settings.resolved_subscriptions({})
    return Dispatcher(
        store=store,
        subscriptions=subs,
        senders=make_senders(subs, settings, http),
        mailers=make_mailers(subs, settings),
        settings=settings.alerts,
        clock=clock,
        rng=lambda: 0.5,
        round_seconds=round_seconds,
        **({"monotonic": lambda: 0.0} if frozen else {}),
    )


def answered(receiver: Receiver, status: int = 200) -> Counter[str]:
    """How many times the receiver answered ``status``, per X-Lexwatch-Delivery id."""
    return Counter(
        r.headers["x-lexwatch-delivery"] for r in receiver.requests if r.status == status
    )


def stored_with_slow_one(store: Store, count: int) -> None:
    store_changes(store, T0, *(change(f"f{n}") for n in range(count)))
    store_changes(store, T0, change("s", source=OTHER), source=OTHER)


async def until(condition, what: str) -> None:
    for _ in range(6000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def settled(dispatcher: Dispatcher, name: str) -> None:
    """Wait for ``name``'s worker to finish: the round it ran in may have ended first."""
    await until(lambda: name not in dispatcher.sending(), f"{name} finished sending")


# ---- one hanging receiver holds nobody else -------------------------------------------------


def test_failed_deliveries_due_soon_are_not_held_by_a_hanging_receiver(
    database_url: str, receiver: Receiver, slow: Receiver
):
    settings = two_subscriptions(receiver, slow)
    store, clock = open_store(database_url, settings), Clock(T0)
    stored_with_slow_one(store, 10)
    receiver.answer(500, times=10)
    slow.hang()

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            dispatcher = make_dispatcher(
                store, settings, clock, http, round_seconds=1.0, frozen=True
            )
            # The first round ends although 'slow' still holds its request.
            assert await asyncio.wait_for(dispatcher.dispatch_due(), 60) == 0
            await settled(dispatcher, "fast")
            assert slow.hanging == 1 and dispatcher.sending() == {"slow"}
            fast = [row for row in store.deliveries() if row.subscription == "fast"]
            # backoff_base 3 s × (0.5 + rng 0.5): all ten are due again in 3 s.
            assert {(row.attempts, row.next_attempt_at) for row in fast} == {
                (1, T0 + timedelta(seconds=3))
            }
            clock.advance(3)
            await asyncio.wait_for(dispatcher.dispatch_due(), 60)
            await settled(dispatcher, "fast")
            assert sum(answered(receiver).values()) == 10
            assert slow.hanging == 1  # still waiting for the hanging receiver
            slow.release()
            await dispatcher.wait_idle()

    asyncio.run(scenario())
    assert sorted(answered(receiver).values()) == [1] * 10
    store.close()


def test_a_retry_after_of_7_s_is_honoured_while_another_receiver_hangs(
    database_url: str, receiver: Receiver, slow: Receiver
):
    settings = two_subscriptions(receiver, slow)
    store, clock = open_store(database_url, settings), Clock(T0)
    stored_with_slow_one(store, 3)
    receiver.answer(429, headers={"Retry-After": "7"})
    slow.hang()

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            dispatcher = make_dispatcher(
                store, settings, clock, http, round_seconds=1.0, frozen=True
            )
            assert await asyncio.wait_for(dispatcher.dispatch_due(), 60) == 0
            await settled(dispatcher, "fast")
            assert len(receiver.requests) == 1  # the 429: the other two wait with it
            clock.advance(6.9)
            assert await asyncio.wait_for(dispatcher.dispatch_due(), 60) == 0
            await settled(dispatcher, "fast")
            assert len(receiver.requests) == 1
            clock.advance(0.1)  # exactly 7 s after the 429
            await asyncio.wait_for(dispatcher.dispatch_due(), 60)
            await settled(dispatcher, "fast")
            assert sum(answered(receiver).values()) == 3
            assert slow.hanging == 1
            slow.release()
            await dispatcher.wait_idle()

    asyncio.run(scenario())
    assert [r.status for r in receiver.requests] == [429, 200, 200, 200]
    store.close()


def test_a_send_that_outlasts_send_timeout_is_a_transient_failure(
    database_url: str, receiver: Receiver
):
    settings = Settings(
        subscriptions=[{"name": "fast", "channel": "webhook", "target": receiver.url()}],
        alerts={"send_timeout": 0.5, "backoff_base": 60},
    )
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"))
    receiver.hang()

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            dispatcher = make_dispatcher(store, settings, clock, http, round_seconds=30)
            assert await dispatcher.dispatch_due() == 0
            receiver.release()
            clock.advance(60)
            assert await dispatcher.dispatch_due() == 1

    asyncio.run(scenario())
    [row] = store.deliveries()
    assert row.status == "sent" and row.attempts == 2
    assert answered(receiver) == {str(row.id): 1}  # the first attempt was never answered 2xx
    store.close()


# ---- fencing: a dispatcher whose lease ran out cannot undo another's work ----------------


def test_only_the_lease_holder_records_the_outcome(database_url: str, receiver: Receiver):
    settings = Settings(
        subscriptions=[{"name": "fast", "channel": "webhook", "target": receiver.url()}]
    )
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"))
    stalled = Lease(subscription="fast", token="stalled")
    assert store.acquire_lease(stalled, T0, T0 + timedelta(seconds=15))
    delivery_id = store.claim_next(stalled, T0)
    assert delivery_id is not None
    # The stalled dispatcher sends and then freezes past its lease; the next one takes over.
    clock.advance(16)

    async def scenario() -> int:
        async with httpx.AsyncClient() as http:
            return await make_dispatcher(store, settings, clock, http).dispatch_due()

    assert asyncio.run(scenario()) == 1
    # The stalled one wakes up with a failure to record: refused, so no second send.
    assert not store.finish_failed(delivery_id, "stalled", "timed out", clock.now)
    assert not store.finish_sent(delivery_id, "stalled", None, clock.now)
    assert store.claim_next(stalled, clock.now) is None
    assert store.delivery(delivery_id).status == "sent"
    clock.advance(3600)
    assert asyncio.run(scenario()) == 0
    assert answered(receiver) == {str(delivery_id): 1}
    store.close()


def test_two_dispatchers_cannot_hold_one_subscription(database_url: str):
    store = Store.open(database_url)
    first, second = Lease(subscription="s", token="1"), Lease(subscription="s", token="2")
    until = T0 + timedelta(seconds=15)
    assert store.acquire_lease(first, T0, until)
    assert not store.acquire_lease(second, T0 + timedelta(seconds=14), until)
    assert store.renew_lease(first, T0 + timedelta(seconds=30))
    assert not store.acquire_lease(second, T0 + timedelta(seconds=29), until)
    assert store.acquire_lease(second, T0 + timedelta(seconds=30), T0 + timedelta(seconds=45))
    assert not store.renew_lease(first, T0 + timedelta(seconds=60))
    store.release_lease(second)
    assert store.acquire_lease(first, T0 + timedelta(seconds=31), T0 + timedelta(seconds=46))
    store.close()


# ---- real processes: kill -9, and two dispatchers racing over a hanging receiver -----------


def service_config(
    tmp_path: Path,
    database_url: str,
    receiver: Receiver,
    *,
    name: str = "lexwatch.toml",
    **alerts: object,
) -> Path:
    lines = [
        f'database_url = "{database_url}"',
        "builtin_catalog = false",
        "[dashboard]",
        "enabled = false",
        "[alerts]",
        *(f"{key} = {value}" for key, value in alerts.items()),
        "[[subscriptions]]",
        'name = "hook"',
        'channel = "webhook"',
        f'target = "{receiver.url()}"',
    ]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_service(config: Path) -> subprocess.Popen[str]:
    log = config.with_suffix(".log").open("w", encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        cwd=config.parent,
        env=clean_env(LOOPBACK),
        text=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, what: str, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def hook_settings(receiver: Receiver) -> Settings:
    return Settings(
        subscriptions=[{"name": "hook", "channel": "webhook", "target": receiver.url()}]
    )


def test_after_a_kill_9_an_urgent_alert_goes_out_within_one_dispatch_interval(
    tmp_path: Path, database_url: str, receiver: Receiver
):
    settings = hook_settings(receiver)
    store = open_store(database_url, settings)
    now = datetime.now(UTC)
    store_changes(store, now, change("urgent"))
    receiver.hang()
    service = start_service(service_config(tmp_path, database_url, receiver))
    try:
        wait_for(lambda: receiver.hanging == 1, "the service sends the alert")
        killed_at = datetime.now(UTC)
        service.send_signal(signal.SIGKILL)  # mid-send: its claim is never released
        service.wait(30)
    finally:
        if service.poll() is None:
            service.kill()
    receiver.release()
    interval = settings.alerts.dispatch_interval
    clock = Clock(killed_at)

    async def one_round() -> int:
        async with httpx.AsyncClient() as http:
            return await make_dispatcher(store, settings, clock, http).dispatch_due()

    assert asyncio.run(one_round()) == 0  # the dead service's lease still stands...
    clock.advance(interval)
    assert asyncio.run(one_round()) == 1  # ...for less than one dispatch interval
    [row] = store.deliveries()
    assert row.status == "sent" and answered(receiver) == {str(row.id): 1}
    store.close()


@pytest.mark.slow
def test_two_dispatchers_and_a_receiver_that_hangs_past_the_lease_deliver_each_alert_once(
    tmp_path: Path, database_url: str, receiver: Receiver
):
    store = open_store(database_url, hook_settings(receiver))
    store_changes(store, datetime.now(UTC), *(change(f"n{n}") for n in range(6)))
    # The lease is 1 s (the dispatch interval); the first two requests are held 3 s, past
    # the lease and past send_timeout, then answered 503: the alert was not received.
    receiver.hang(times=2)
    alerts = {"dispatch_interval": 1, "send_timeout": 2, "backoff_base": 0}
    services = [
        start_service(service_config(tmp_path, database_url, receiver, name=f"{n}.toml", **alerts))
        for n in (1, 2)
    ]
    try:
        wait_for(lambda: receiver.hanging >= 1, "a dispatcher sends")
        time.sleep(3)
        receiver.release()
        wait_for(
            lambda: all(row.status == "sent" for row in store.deliveries()),
            "every alert is delivered",
        )
        time.sleep(3)  # more rounds of both: nothing is sent again
    finally:
        for service in services:
            service.terminate()
        for service in services:
            service.wait(60)
    ids = {str(row.id) for row in store.deliveries()}
    assert answered(receiver) == dict.fromkeys(ids, 1)
    assert {row.status for row in store.deliveries()} == {"sent"}
    store.close()
