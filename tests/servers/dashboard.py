"""The dashboard served as `lexwatch run` and `lexwatch serve` serve it (dashboard.app.serve:
uvicorn with lexwatch's options) on a free loopback port, from a daemon thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from dashboard.app import bind, serve
from monitor.app import App
from monitor.types import Source


class RecordingChecker:
    """Stands in for the pipeline's checker: "check now" records the source, fetches nothing."""

    def __init__(self) -> None:
        self.checked: list[str] = []

    async def check(self, source: Source, *, dry_run: bool = False) -> object:
        self.checked.append(source.key)
        return None


@contextmanager
def served(
    app: App, *, clock: Callable[[], datetime] | None = None, checker: Any = None
) -> Iterator[str]:
    """Yields the dashboard's base URL (http://127.0.0.1:PORT) while it serves ``app``."""
    sock = bind("127.0.0.1", 0)  # listening already: requests wait until uvicorn accepts
    port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    run = serve(
        app,
        host="127.0.0.1",
        port=port,
        stop=stop,
        sock=sock,
        clock=clock,
        checker=checker or RecordingChecker(),
    )
    thread = threading.Thread(
        target=loop.run_until_complete, args=(run,), daemon=True, name="dashboard"
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=20)
        loop.close()
