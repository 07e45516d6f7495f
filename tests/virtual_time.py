"""A clock that moves only when something sleeps on it, for asserting spacing exactly.

Limiters built with ``clock=time.clock, sleep=time.sleep`` never wait for real: each sleep
adds its seconds to ``now`` and yields once to the event loop, so tasks still interleave in
asyncio's order. Tests then assert the times and waits the limiter chose, whatever the load
of the machine running them.
"""

from __future__ import annotations

import asyncio


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
