"""Per-host spacing shared through PostgreSQL: scale-out workers hit a host as one would."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from monitor.politeness import HostLimiter
from storage.db import make_engine
from storage.store import Store

HOST_URL = "https://eur-lex.europa.eu/doc"


@pytest.mark.postgres
def test_turns_are_handed_out_one_spacing_apart_per_host(postgres_url: str) -> None:
    store = Store.open(postgres_url)
    try:
        waits = [store.reserve_turn("eur-lex.europa.eu", 0.5) for _ in range(3)]
        other = store.reserve_turn("ec.europa.eu", 0.5)
    finally:
        store.close()
    assert waits[0] == 0.0
    # Each later turn starts 0.5 s after the one before (less the time the calls took).
    assert 0.4 <= waits[1] <= 0.5 and 0.9 <= waits[2] <= 1.0, waits
    assert other == 0.0  # hosts do not wait for each other


async def _starts(limiters: list[HostLimiter], per_limiter: int) -> list[float]:
    """Start times of ``per_limiter`` requests to one host through each limiter at once."""
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def request(limiter: HostLimiter) -> None:
        async with limiter.slot(HOST_URL):
            starts.append(loop.time())
            await asyncio.sleep(0.05)

    await asyncio.gather(*(request(limiter) for limiter in limiters for _ in range(per_limiter)))
    return sorted(starts)


def _gaps(starts: list[float]) -> list[float]:
    return [b - a for a, b in zip(starts, starts[1:], strict=False)]


@pytest.mark.postgres
def test_two_processes_sharing_the_database_space_requests_as_one(postgres_url: str) -> None:
    # Two Stores (two engines and pools), as two worker processes would have.
    stores = [Store.open(postgres_url), Store.open(postgres_url)]

    def limiter(store: Store | None) -> HostLimiter:
        async def turns(host: str, spacing: float) -> float:
            assert store is not None
            return await asyncio.to_thread(store.reserve_turn, host, spacing)
        return HostLimiter(4, 0.2, 16, turns=turns if store else None)

    try:
        alone = asyncio.run(_starts([limiter(None), limiter(None)], 3))
        shared = asyncio.run(_starts([limiter(stores[0]), limiter(stores[1])], 3))
    finally:
        for store in stores:
            store.close()
    # Each process on its own spaces only its own requests: the two overlap.
    assert min(_gaps(alone)) < 0.1, alone
    # Through the database, all six start 0.2 s apart (10 ms for timer granularity).
    assert len(shared) == 6 and min(_gaps(shared)) >= 0.19, _gaps(shared)


def test_without_the_database_a_process_still_spaces_its_own_requests_at_once(
        caplog: pytest.LogCaptureFixture) -> None:
    # Nothing listens on port 1: every reservation is refused, and not retried for 30 s
    # as a stored check would be.
    down = Store(make_engine("postgresql://postgres@127.0.0.1:1/lexwatch"))

    async def turns(host: str, spacing: float) -> float:
        return await asyncio.to_thread(down.reserve_turn, host, spacing)

    with caplog.at_level(logging.WARNING, logger="monitor.politeness"):
        began = time.monotonic()
        starts = asyncio.run(_starts([HostLimiter(4, 0.2, 16, turns=turns)], 3))
        took = time.monotonic() - began
    down.close()
    assert min(_gaps(starts)) >= 0.19 and 0.4 <= took < 5, took
    assert "cannot reserve a request turn for eur-lex.europa.eu" in caplog.text
    assert "spacing this process's requests only" in caplog.text
