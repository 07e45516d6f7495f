"""Checking sources of an App as `lexwatch check` does, from a synchronous test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from monitor.app import App
from monitor.pipeline import CheckResult
from monitor.types import Source


def check_all(app: App, sources: Iterable[Source], *, dry_run: bool = False) -> list[CheckResult]:
    """Check ``sources`` at once through one Checker; results in the same order."""

    async def run() -> list[CheckResult]:
        async with app.checker() as checker:
            return list(await asyncio.gather(*(checker.check(s, dry_run=dry_run) for s in sources)))

    return asyncio.run(run())


def check(app: App, key: str, *, dry_run: bool = False) -> CheckResult:
    """Check the source ``key`` once."""
    [result] = check_all(app, [app.sources[key]], dry_run=dry_run)
    return result
