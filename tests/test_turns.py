"""Per-host spacing shared through PostgreSQL: scale-out workers hit a host as one would.

No wall-clock thresholds: the limiters run on virtual time (tests.virtual_time), and the
turns the database hands out are compared on the database's own clock, exactly.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from sources.fetch.politeness import HostLimiter, Turns
from storage.db import make_engine
from storage.store import Store
from tests.virtual_time import VirtualTime

HOST_URL = "https://eur-lex.europa.eu/doc"


@pytest.mark.postgres
def test_turns_are_handed_out_one_spacing_apart_per_host(postgres_url: str) -> None:
    store = Store.open(postgres_url)
    try:
        # A minute apart: the three calls always fall within one spacing of each other.
        turns = [store.reserve_turn("eur-lex.europa.eu", 60) for _ in range(3)]
        other = store.reserve_turn("ec.europa.eu", 60)
    finally:
        store.close()
    starts = [turn.starts_at for turn in turns]
    assert starts[1] - starts[0] == starts[2] - starts[1] == timedelta(seconds=60)
    assert turns[0].wait == 0.0 < turns[1].wait < turns[2].wait <= 120, turns
    assert other.wait == 0.0  # hosts do not wait for each other


async def _starts(
    limiters: list[HostLimiter], per_limiter: int, time: VirtualTime
) -> list[list[float]]:
    """Start times (virtual) of ``per_limiter`` requests to one host, per limiter."""
    starts: list[list[float]] = [[] for _ in limiters]

    async def request(index: int) -> None:
        async with limiters[index].slot(HOST_URL):
            starts[index].append(time.clock())
            await asyncio.sleep(0)

    await asyncio.gather(*(request(i) for i in range(len(limiters)) for _ in range(per_limiter)))
    return starts


def _gaps(starts: list[float]) -> list[float]:
    return [b - a for a, b in zip(starts, starts[1:], strict=False)]


def _limiter(time: VirtualTime, spacing: float, turns: Turns | None = None) -> HostLimiter:
    return HostLimiter(4, spacing, 16, clock=time.clock, sleep=time.sleep, turns=turns)


def test_each_process_alone_spaces_only_its_own_requests() -> None:
    time = VirtualTime()
    starts = asyncio.run(_starts([_limiter(time, 0.2), _limiter(time, 0.2)], 3, time))
    # Each limiter spaces its own requests, but the two overlap.
    for own in starts:
        assert len(own) == 3 and min(_gaps(own)) == pytest.approx(0.2), own
    assert min(_gaps(sorted(starts[0] + starts[1]))) == 0, starts


@pytest.mark.postgres
def test_two_processes_sharing_the_database_space_requests_as_one(postgres_url: str) -> None:
    # Two Stores (two engines and pools), as two worker processes would have.
    stores = [Store.open(postgres_url), Store.open(postgres_url)]
    handed: list[tuple[datetime, float]] = []

    def shared(store: Store) -> Turns:
        async def turns(host: str, spacing: float) -> float:
            turn = await asyncio.to_thread(store.reserve_turn, host, spacing)
            handed.append((turn.starts_at, turn.wait))
            return turn.wait

        return turns

    time = VirtualTime()
    try:
        # 30 s apart on virtual time: all six are queued however slowly this machine runs.
        asyncio.run(_starts([_limiter(time, 30, shared(store)) for store in stores], 3, time))
    finally:
        for store in stores:
            store.close()
    starts = sorted(start for start, _ in handed)
    assert len(starts) == 6
    assert {b - a for a, b in zip(starts, starts[1:], strict=False)} == {timedelta(seconds=30)}
    # And each limiter waited what the database said (the first request not at all).
    assert sorted(time.slept) == sorted(wait for _, wait in handed if wait > 0)
    assert len(time.slept) == 5


def test_without_the_database_a_process_still_spaces_its_own_requests_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on port 1: every reservation is refused, and not retried for 30 s
    # as a stored check would be.
    down = Store(make_engine("postgresql://postgres@127.0.0.1:1/lexwatch"))

    async def turns(host: str, spacing: float) -> float:
        return (await asyncio.to_thread(down.reserve_turn, host, spacing)).wait

    time = VirtualTime()
    with caplog.at_level(logging.WARNING):
        [starts] = asyncio.run(_starts([_limiter(time, 0.2, turns)], 3, time))
    down.close()
    assert starts == pytest.approx([0.0, 0.2, 0.4]) and time.slept == pytest.approx([0.2, 0.2])
    assert "cannot reserve a request turn for eur-lex.europa.eu" in caplog.text
    assert "spacing this process's requests only" in caplog.text
    assert "retry" not in caplog.text  # refused at once, not waited for
