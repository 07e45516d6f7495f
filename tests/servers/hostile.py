"""A loopback HTTP server that answers well until told to misbehave, then attacks the client.

Like ``tests/servers/replay.py`` it is an ``aiohttp.web`` app in a daemon thread with its own
loop, reached through real sockets::

    server.good("/page", PAGE_HTML)               # a normal 200 with a strong ETag
    server.misbehave("/page", "gzip_bomb", inflated=1_000_000_000)

Kinds (``KINDS``): a gzip bomb (one or two gzip layers), a body larger than any limit (with
or without Content-Length, streamed without end), a slowloris body (a byte at a time, never
finishing), a redirect loop, a redirect to any location, and a fixed ``body`` (any bytes,
status, content type and headers: broken encodings, invalid XML/JSON, deep nesting, bot
walls, login walls). Nothing big is held in memory: the bombs are compressed once, streamed
bodies are generated chunk by chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers.threaded import ThreadedApp

KINDS = {
    "gzip_bomb": "200, Content-Encoding gzip (kw layers=2: 'gzip, gzip') inflating to kw inflated",
    "huge": "200 streaming zeros forever; kw declare: Content-Length kw size (default 1 GB)",
    "slowloris": "200 whose body trickles one byte every kw interval seconds, never ending",
    "redirect_loop": "302 to itself, forever",
    "redirect": "302 (kw status) to kw location",
    "body": "kw body (bytes/str) with kw status (200), kw content_type, kw headers",
}
_CHUNK = 64 * 1024


@functools.cache
def gzip_bomb(inflated: int, layers: int = 1) -> bytes:
    """``inflated`` zero bytes gzipped ``layers`` times (1 GB is about 1 MB, then 10 kB)."""
    data = _gzip_zeros(inflated)
    for _ in range(layers - 1):
        data = _gzip(data)
    return data


def _gzip_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    parts.append(packer.compress(bytes(size % len(block))))
    return b"".join(parts) + packer.flush()


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return packer.compress(data) + packer.flush()


@dataclass
class _Route:
    kind: str
    kw: dict[str, Any] = field(default_factory=dict)


class HostileServer:
    """See the module docstring. Thread-safe: tests reconfigure it while it serves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self._hits: dict[str, int] = {}
        # handler_cancellation: an endless body stops when the client hangs up.
        self._server = ThreadedApp("hostile-server", self._app, handler_cancellation=True)

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def good(self, path: str, body: bytes | str, content_type: str = "text/html") -> str:
        """Serve ``body`` at ``path`` normally (200, ETag, 304 on a match)."""
        data = body.encode() if isinstance(body, str) else body
        return self._set(path, _Route("good", {"body": data, "content_type": content_type}))

    def misbehave(self, path: str, kind: str, **kw: Any) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
        return self._set(path, _Route(kind, kw))

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits.get(path, 0)

    def _set(self, path: str, route: _Route) -> str:
        with self._lock:
            self._routes[path] = route
        return self.url(path)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self._hits[request.path] = self._hits.get(request.path, 0) + 1
            route = self._routes.get(request.path)
        if route is None:  # robots.txt included: 404 means no rules
            return web.Response(status=404, text="not here\n")
        handler = getattr(self, f"_{route.kind}")
        response: web.StreamResponse = await handler(request, **route.kw)
        return response

    async def _good(self, request: web.Request, body: bytes, content_type: str) -> web.Response:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"ETag": etag, "Content-Type": content_type})

    async def _gzip_bomb(
        self, request: web.Request, inflated: int = 1_000_000_000, layers: int = 1
    ) -> web.Response:
        encoding = ", ".join(["gzip"] * layers)
        return web.Response(
            body=gzip_bomb(inflated, layers),
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": encoding},
        )

    async def _huge(
        self, request: web.Request, declare: bool = False, size: int = 1_000_000_000
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        if declare:
            response.content_length = size
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"<p>" + b"x" * (_CHUNK - 3)
        with contextlib.suppress(ConnectionError):
            for _ in range(size // _CHUNK):
                await response.write(chunk)
        return response

    async def _slowloris(
        self, request: web.Request, interval: float = 0.1, limit: float = 120.0
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b"<html><body><p>")
        # Ends on its own after ``limit`` seconds so a broken client cannot hang the suite.
        with contextlib.suppress(ConnectionError):
            for _ in range(int(limit / interval)):
                await asyncio.sleep(interval)
                await response.write(b"x")
        return response

    async def _redirect_loop(self, request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": request.path})

    async def _redirect(
        self, request: web.Request, location: str, status: int = 302
    ) -> web.Response:
        return web.Response(status=status, headers={"Location": location})

    async def _body(
        self,
        request: web.Request,
        body: bytes | str,
        status: int = 200,
        content_type: str = "text/html",
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        data = body.encode() if isinstance(body, str) else body
        return web.Response(
            body=data, status=status, headers={"Content-Type": content_type, **(headers or {})}
        )


@contextlib.contextmanager
def running() -> Iterator[HostileServer]:
    """A started ``HostileServer``, stopped when the block ends (use it in a fixture)."""
    server = HostileServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
