"""What the service needs of the running application (``monitor.app.App`` is one).

The service sits below the composition root: it never builds the application, it is handed
one started by the command (`lexwatch run`, `worker`, `scheduler`) and uses only this.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.pipeline import Checker
    from monitor.types import Source, Subscription
    from notifiers.outbox import Dispatcher
    from storage.store import Store


class Lexwatch(Protocol):
    """Settings, sources and the store, and the long-lived objects made from them."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def sources(self) -> Mapping[str, Source]: ...

    @property
    def subscriptions(self) -> Sequence[Subscription]: ...

    def enabled(self) -> list[Source]:
        """The sources to check."""
        ...

    def checker(self) -> AbstractAsyncContextManager[Checker]:
        """A Checker over one shared HTTP client, closed when the block ends."""
        ...

    def dispatcher(self) -> AbstractAsyncContextManager[Dispatcher]:
        """The outbox's Dispatcher, for as long as the block lasts."""
        ...

    def bind_dashboard(self) -> socket.socket:
        """The dashboard's listening socket; ConfigError when it cannot listen there."""
        ...

    async def serve_dashboard(
        self, sock: socket.socket, stop: asyncio.Event, checker: Checker | None = None
    ) -> None:
        """Serve the dashboard on ``sock`` in the running loop until ``stop`` is set."""
        ...
