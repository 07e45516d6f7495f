"""A real HTTP server on 127.0.0.1 that serves pages by version and misbehaves on request.

It is an ``aiohttp.web`` app in a background thread with its own event loop, so tests (which
run their own loop with ``asyncio.run``) reach it through real sockets and the real client::

    def test_retry(replay_server):
        url = replay_server.add("/page", "<p>v1</p>", "<p>v2</p>")  # serves v1 first
        replay_server.fault("/page", "status", status=500, times=2)  # then normal service
        ...
        assert replay_server.hits("/page") == 3

Pages: ``add`` (versions with strong ETag + Last-Modified, 304 on If-None-Match /
If-Modified-Since), ``set_version``, ``redirect``, ``robots`` (default: /robots.txt is 404),
``large``. Misbehaviour: ``fault(path, kind, times=1, **kw)``, see ``FAULT_KINDS``; faults on
one path queue up and each applies to the next ``times`` requests for it. Everything the
server saw is in ``requests``; ``hits`` and ``max_concurrency`` summarise it.

Note: aiohttp's client (3.14) re-sends an idempotent request once by itself when the server
disconnects (RFC 9112 section 9.3.1), so one client attempt against ``"disconnect"`` uses up
two of its ``times``; every other kind is one request per attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import pytest
from aiohttp import web

from tests.servers.threaded import ThreadedApp

FAULT_KINDS = {
    "status": "answer kw status (default 500) with a small HTML error page",
    "retry_after": "answer kw status (429 default, or 503) with Retry-After: kw retry_after",
    "timeout": "wait kw delay seconds (default 1.0), then answer normally",
    "truncated": "declare the full Content-Length, send kw sent bytes (default half), close",
    "maintenance": "200 with an EU-style 'This site is currently under maintenance' page",
    "body": "200 with kw body (bytes or str), kw content_type and kw headers instead of the page",
    "disconnect": "close the connection without answering",
    "together": "hold the answer until kw count requests (default 2) for the path wait under"
    " this fault (at most kw wait seconds, default 60), then answer normally",
}

MAINTENANCE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Maintenance - European Commission</title></head>
<body><header><p>European Commission</p></header>
<main><h1>This site is currently under maintenance</h1>
<p>We apologise for any inconvenience. Please try again later.</p></main></body></html>
"""

_EPOCH = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; ``headers`` names are lower-cased."""

    path: str
    method: str
    headers: dict[str, str]
    time: float  # time.monotonic() when it arrived


@dataclass
class _Version:
    body: bytes
    etag: str
    last_modified: str


@dataclass
class _Page:
    versions: list[_Version]
    content_type: str
    last_modified: bool
    current: int = 0


@dataclass
class _Fault:
    kind: str
    remaining: int
    options: dict[str, Any] = field(default_factory=dict)
    arrived: int = 0  # "together": requests that reached it so far
    everyone: asyncio.Event | None = None  # "together": set when the last one arrives


class ReplayServer:
    """See the module docstring. Thread-safe: tests configure it while it serves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[str, _Page] = {}
        self._redirects: dict[str, tuple[str, int]] = {}
        self._large: dict[str, tuple[int, bool]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._requests: list[RecordedRequest] = []
        self._in_flight: list[str] = []
        self._overlaps: list[tuple[str, tuple[str, ...]]] = []  # (path, in flight on arrival)
        # handler_cancellation: a slow handler stops when the client gives up on it.
        self._server = ThreadedApp("replay-server", self._app, handler_cancellation=True)

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._server.start()

    def stop(self) -> None:
        """Stop serving (cancelling handlers still running) and join the thread."""
        self._server.stop()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    # -- configuration -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        """The absolute URL of ``path``; ``host="localhost"`` gives a second host name."""
        return f"http://{host}:{self.port}{path}"

    def add(
        self,
        path: str,
        *versions: bytes | str,
        content_type: str = "text/html; charset=utf-8",
        last_modified: bool = True,
    ) -> str:
        """Serve ``path`` (version 0 first); version i is Last-Modified 2024-01-01 + i days."""
        if not versions:
            raise ValueError(f"add({path!r}) needs at least one version")
        built = [_version(i, v) for i, v in enumerate(versions)]
        with self._lock:
            self._pages[path] = _Page(built, content_type, last_modified)
        return self.url(path)

    def set_version(self, path: str, index: int) -> None:
        """Serve version ``index`` of ``path`` from now on."""
        with self._lock:
            page = self._pages[path]
            if not 0 <= index < len(page.versions):
                raise ValueError(f"{path!r} has versions 0..{len(page.versions) - 1}, not {index}")
            page.current = index

    def fault(self, path: str, kind: str, *, times: int = 1, **kw: Any) -> None:
        """Misbehave on the next ``times`` requests for ``path``; kinds are ``FAULT_KINDS``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {kind!r} unknown; use one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError(f"fault times={times} must be >= 1")
        with self._lock:
            self._faults.setdefault(path, []).append(_Fault(kind, times, kw))

    def redirect(self, path: str, to_path: str, status: int = 301) -> str:
        """Answer ``path`` with ``status`` and ``Location`` = the URL of ``to_path``."""
        with self._lock:
            self._redirects[path] = (to_path, status)
        return self.url(path)

    def robots(self, text: str) -> None:
        """Serve ``text`` as /robots.txt (without a call, /robots.txt is 404)."""
        self.add("/robots.txt", text, content_type="text/plain; charset=utf-8")

    def large(self, path: str, size: int, declare_length: bool = True) -> str:
        """Serve ``size`` bytes at ``path``; chunked, without Content-Length, if not declared."""
        with self._lock:
            self._large[path] = (size, declare_length)
        return self.url(path)

    # -- what the server saw ---------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def hits(self, path: str) -> int:
        """How many requests for exactly ``path`` arrived."""
        return sum(1 for r in self.requests if r.path == path)

    def max_concurrency(self, path_prefix: str = "") -> int:
        """The most requests under ``path_prefix`` that were in flight at the same moment."""
        with self._lock:
            overlaps = list(self._overlaps)
        # The peak of overlapping intervals is always reached when one of them starts.
        counts = [
            sum(1 for other in flight if other.startswith(path_prefix))
            for path, flight in overlaps
            if path.startswith(path_prefix)
        ]
        return max(counts, default=0)

    # -- serving -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self._arrive(request)
        try:
            fault = self._take_fault(path)
            answer = None if fault is None else await self._misbehave(request, fault)
            if answer is None:
                answer = await self._serve(request)
            return answer
        finally:
            with self._lock:
                self._in_flight.remove(path)

    def _arrive(self, request: web.Request) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        seen = RecordedRequest(request.path, request.method, headers, time.monotonic())
        with self._lock:
            self._requests.append(seen)
            self._in_flight.append(request.path)
            self._overlaps.append((request.path, tuple(self._in_flight)))

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(path, [])
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining == 0:
                queue.pop(0)
            return fault

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            page = self._pages.get(request.path)
            redirect = self._redirects.get(request.path)
            large = self._large.get(request.path)
        if redirect is not None:
            return web.Response(status=redirect[1], headers={"Location": self.url(redirect[0])})
        if large is not None:
            return await _large_response(request, *large)
        if page is not None:
            return self._page_response(request, page)
        return _html_response(404)

    def _page_response(self, request: web.Request, page: _Page) -> web.Response:
        with self._lock:
            version = page.versions[page.current]
        headers = {"ETag": version.etag}
        if page.last_modified:
            headers["Last-Modified"] = version.last_modified
        modified = version.last_modified if page.last_modified else None
        if _not_modified(request, version.etag, modified):
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = page.content_type
        return web.Response(body=version.body, headers=headers)

    async def _misbehave(self, request: web.Request, fault: _Fault) -> web.StreamResponse | None:
        """The faulty answer, or None to go on with normal service (after a delay)."""
        kw = fault.options
        if fault.kind == "status":
            return _html_response(kw.get("status", 500))
        if fault.kind == "retry_after":
            status = kw.get("status", 429)
            return _html_response(status, {"Retry-After": str(kw.get("retry_after", "1"))})
        if fault.kind == "timeout":
            await asyncio.sleep(kw.get("delay", 1.0))
            return None
        if fault.kind == "together":
            await self._together(fault)
            return None
        if fault.kind == "truncated":
            return await self._truncated(request, kw)
        if fault.kind == "maintenance":
            return web.Response(text=MAINTENANCE_PAGE, content_type="text/html", charset="utf-8")
        if fault.kind == "body":
            body = kw["body"].encode() if isinstance(kw["body"], str) else kw["body"]
            content_type = kw.get("content_type", "application/octet-stream")
            headers = {"Content-Type": content_type, **kw.get("headers", {})}
            return web.Response(body=body, headers=headers)
        return await _hang_up(request)  # "disconnect"

    async def _together(self, fault: _Fault) -> None:
        """Wait until ``count`` requests are held here: they are then all in flight at once."""
        with self._lock:
            fault.arrived += 1
            if fault.everyone is None:
                fault.everyone = asyncio.Event()  # created in the server's own loop
            everyone = fault.everyone
            if fault.arrived >= fault.options.get("count", 2):
                everyone.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everyone.wait(), fault.options.get("wait", 60.0))

    async def _truncated(self, request: web.Request, kw: dict[str, Any]) -> web.StreamResponse:
        with self._lock:
            page = self._pages.get(request.path)
            body = page.versions[page.current].body if page else b"<p>cut short</p>" * 64
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: kw.get("sent", len(body) // 2)])
        return await _hang_up(request)


def _version(index: int, body: bytes | str) -> _Version:
    data = body.encode() if isinstance(body, str) else body
    etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
    modified = format_datetime(_EPOCH + timedelta(days=index), usegmt=True)
    return _Version(data, etag, modified)


def _not_modified(request: web.Request, etag: str, last_modified: str | None) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("If-Modified-Since")
    if since is None or last_modified is None:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def _html_response(status: int, headers: dict[str, str] | None = None) -> web.Response:
    if status in (204, 304):
        return web.Response(status=status, headers=headers)  # these never carry a body
    phrase = HTTPStatus(status).phrase
    html = f"<!DOCTYPE html><html><body><h1>{status} {phrase}</h1></body></html>"
    return web.Response(
        status=status, text=html, content_type="text/html", charset="utf-8", headers=headers
    )


async def _large_response(request: web.Request, size: int, declare: bool) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    if declare:
        response.content_length = size
    else:
        response.enable_chunked_encoding()
    await response.prepare(request)
    # The client is expected to hang up part-way; that is not a server error.
    with contextlib.suppress(ConnectionError):
        for start in range(0, size, _CHUNK):
            await response.write(b"x" * min(_CHUNK, size - start))
        await response.write_eof()
    return response


async def _hang_up(request: web.Request) -> web.StreamResponse:
    """Close the connection now; the cancellation keeps aiohttp from answering after it."""
    transport = request.transport
    if transport is not None:
        transport.close()
    raise asyncio.CancelledError


@pytest.fixture
def replay_server() -> Iterator[ReplayServer]:
    """A started ``ReplayServer``, stopped after the test."""
    server = ReplayServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
