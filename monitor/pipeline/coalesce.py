"""Many concurrent one-item calls served by one many-item call in a worker thread.

A check cycle reads the state of every source and writes a row for every check; done one by
one, each costs a thread hop and a transaction, which for an unchanged (304) page is most of
the check's cost. A ``Coalescer`` runs one batch at a time: while a batch runs, the calls
made meanwhile queue up and form the next one, so the batches grow just as large as the
load needs, and a lone call waits for nothing but itself. Given ``hold``, a batch also waits
while more items are known to be on their way (checks still in their CPU stage), so that
a steady trickle is written in a few batches, not one transaction per item.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """``await coalescer(item)``: ``run_many(items)[i]`` for this item, in a worker thread.

    ``run_many`` returns one result per item, in order; an exception it raises is raised to
    every caller of that batch. Each event loop has its own queue: a Checker may be used by
    one loop after another (the CLI, tests) or, guarded elsewhere, by several.
    """

    def __init__(
        self,
        run_many: Callable[[list[K]], Sequence[V]],
        *,
        limit: int = 64,
        hold: Callable[[], bool] | None = None,
        hold_seconds: float = 0.25,
    ) -> None:
        """``hold()``: whether more items are on their way, so that a batch that is not full
        yet should wait for them, ``hold_seconds`` at most (``notify`` when ``hold()`` may
        have changed)."""
        self._run_many = run_many
        self._limit = limit
        self._hold = hold
        self._hold_seconds = hold_seconds
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[K, V]] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, item: K) -> V:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        future: asyncio.Future[V] = loop.create_future()
        queue.pending.append((item, future))
        queue.arrived.set()
        if queue.runner is None or queue.runner.done():
            # An empty context: the batch runs for many sources, not the first caller's one.
            queue.runner = loop.create_task(self._drain(queue), context=contextvars.Context())
        return await future

    def notify(self) -> None:
        """``hold()`` may say otherwise now: a batch held for more items looks again."""
        queue = self._queues.get(asyncio.get_running_loop())
        if queue is not None:
            queue.arrived.set()

    async def _drain(self, queue: _Queue[K, V]) -> None:
        batch: list[tuple[K, asyncio.Future[V]]] = []
        try:
            while queue.pending:
                await self._filled(queue)
                batch = queue.pending[: self._limit]
                del queue.pending[: self._limit]
                await self._run(batch)
        finally:  # cancelled (the loop is closing): nobody is left hanging
            for _, future in [*batch, *queue.pending]:
                future.cancel()
            queue.pending.clear()
            queue.runner = None  # the task refers to its loop: let a closed loop go

    async def _filled(self, queue: _Queue[K, V]) -> None:
        """Wait while the batch is not full and ``hold()`` says more is coming, for
        ``hold_seconds`` at most: a slow page, or one waiting its turn at its host, must
        not keep the others' rows unwritten."""
        hold = self._hold
        if hold is None or not hold():  # the common case for a lone call: no timer
            return
        try:
            async with asyncio.timeout(self._hold_seconds):
                while len(queue.pending) < self._limit and hold():
                    queue.arrived.clear()
                    await queue.arrived.wait()
        except TimeoutError:
            pass

    async def _run(self, batch: list[tuple[K, asyncio.Future[V]]]) -> None:
        try:
            results = await asyncio.to_thread(self._run_many, [item for item, _ in batch])
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


class _Queue(Generic[K, V]):
    """One event loop's calls waiting for a batch, and the task that runs the batches."""

    def __init__(self) -> None:
        self.pending: list[tuple[K, asyncio.Future[V]]] = []
        self.runner: asyncio.Task[None] | None = None
        self.arrived = asyncio.Event()  # an item arrived, or ``hold()`` may have changed
