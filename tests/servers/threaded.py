"""An aiohttp application served on 127.0.0.1 by its own event loop in a daemon thread.

The test servers (replay, hostile, fake Slack) are configured from the test's thread while
they serve; this is the part they share: bind a free port, serve, stop cleanly.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable

from aiohttp import web


class ThreadedApp:
    """Serves the application ``build`` returns; ``port`` is known once ``start`` returns.

    ``host``: another loopback address (127.0.0.2) for a server the SSRF guard must refuse.
    """

    def __init__(
        self,
        name: str,
        build: Callable[[], web.Application],
        *,
        handler_cancellation: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        self.name = name
        self.host = host
        self.port = 0
        self._build = build
        # handler_cancellation: a slow or endless handler stops when the client hangs up.
        self._cancel = handler_cancellation
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sock, ready), name=self.name, daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{self.name} did not start within 10 s")

    def stop(self) -> None:
        """Stop serving (cancelling handlers still running) and join the thread."""
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(
            self._build(), access_log=None, handler_cancellation=self._cancel, shutdown_timeout=0.5
        )
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.SockSite(runner, sock).start())
        ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()
