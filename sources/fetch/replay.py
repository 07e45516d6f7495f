"""Offline replay of recorded documents through a real loopback server.

``lexwatch record`` (``monitor.tools.record``) fetches sources once and writes what they answered;
replay then serves those answers from 127.0.0.1 so that a check runs the whole real stack
(client, conditional GET, redirects, robots.txt, guard, parsers, store) without the network.

Recording layout, one pair of files per recorded URL (a paginated source records several)::

    DIR/
      <source-key>/
        0.json    metadata of the first URL (the source's own URL)
        0.body    its body, byte for byte as lexwatch read it (already content-decoded)
        1.json    the next page of a paginated source, and so on
        1.body

Each ``<n>.json`` holds::

    {
      "source": "hys-ai",                 # the source key (= the folder name)
      "page": 0,                          # n
      "url": "https://…?page=0",          # the URL that was requested
      "final_url": "https://…?page=0",    # where redirects ended (the body came from here)
      "status": 200,
      "content_type": "application/json;charset=UTF-8",
      "headers": {"content-type": "…", "last-modified": "…", …},   # lower-cased, no cookies
      "fetched_at": "2026-11-23T09:00:00+00:00",
      "body": "0.body"
    }

Only successful answers are recorded. On replay, ``GET /fetch?url=<original URL>`` answers the
recorded body with its recorded content type, a strong ETag (a hash of the body) and its
Last-Modified (the recorded header, else the time it was fetched), and honours If-None-Match /
If-Modified-Since with 304. A URL that redirected answers 302 to the URL it ended at. An
unknown URL, and robots.txt of any host unless it was recorded, is 404 (robots.txt: all
allowed). ``ReplayTransport`` sends every request of an ``httpx.AsyncClient`` there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import httpx_aiohttp
from aiohttp import web

from monitor.errors import ConfigError
from sources.fetch.fetcher import FetchPolicy, make_client, tls_context

__all__ = [
    "Recording",
    "ReplayServer",
    "ReplayTransport",
    "body_response",
    "load_recordings",
    "normalise_url",
    "offline_policy",
    "replay_client",
    "serve_loopback",
    "source_folder",
    "strong_etag",
]

logger = logging.getLogger(__name__)

FETCH_PATH = "/fetch"
_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Recording:
    """The metadata of one recorded URL (``<n>.json``); the body is in ``body``'s file."""

    source: str
    page: int
    url: str
    final_url: str
    status: int
    content_type: str
    headers: Mapping[str, str]
    fetched_at: datetime
    body: str  # file name, relative to the source's folder

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "page": self.page,
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "content_type": self.content_type,
            "headers": dict(self.headers),
            "fetched_at": self.fetched_at.isoformat(),
            "body": self.body,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recording:
        """Raises KeyError, TypeError or ValueError when ``data`` is not a recording."""
        return cls(
            source=str(data["source"]),
            page=int(data["page"]),
            url=str(data["url"]),
            final_url=str(data.get("final_url") or data["url"]),
            status=int(data["status"]),
            content_type=str(data.get("content_type", "")),
            headers={str(k): str(v) for k, v in dict(data.get("headers", {})).items()},
            fetched_at=datetime.fromisoformat(data["fetched_at"]),
            body=str(data["body"]),
        )

    @property
    def last_modified(self) -> str:
        """The recorded Last-Modified, else the moment it was fetched, as an HTTP date."""
        return self.headers.get("last-modified") or format_datetime(self.fetched_at, usegmt=True)


def source_folder(directory: Path, source_key: str) -> Path:
    """``directory/<source_key>``; ConfigError for a key that is no safe folder name."""
    if not _SAFE_KEY.fullmatch(source_key):
        raise ConfigError(
            f"source key {source_key!r} cannot be a recording folder name;"
            " use letters, digits, '.', '_' and '-' only"
        )
    return directory / source_key


def normalise_url(url: str) -> str:
    """The URL as httpx sends it (percent-encoding, default port), so lookups agree."""
    try:
        return str(httpx.URL(url))
    except httpx.InvalidURL:
        return url


def load_recordings(directory: Path) -> Iterator[tuple[Recording, bytes]]:
    """Every recording under ``directory`` with its body; a broken one is a ConfigError."""
    for meta in sorted(directory.glob("*/*.json")):
        try:
            recording = Recording.from_json(json.loads(meta.read_text(encoding="utf-8")))
            body = (meta.parent / Path(recording.body).name).read_bytes()
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"recording {meta} cannot be read: {type(exc).__name__}: {exc}"
            ) from exc
        yield recording, body


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def body_response(
    request: web.Request, body: bytes, *, content_type: str, last_modified: str | None
) -> web.Response:
    """200 with a strong ETag and Last-Modified, or 304 when the request's validators match."""
    etag = strong_etag(body)
    headers = {"ETag": etag}
    if last_modified:
        headers["Last-Modified"] = last_modified
    if _not_modified(request, etag, last_modified):
        return web.Response(status=304, headers=headers)
    if content_type:
        headers["Content-Type"] = content_type
    return web.Response(body=body, headers=headers)


def _not_modified(request: web.Request, etag: str, last_modified: str | None) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match wins; If-Modified-Since counts only without it."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("If-Modified-Since")
    if since is None or not last_modified:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


@asynccontextmanager
async def serve_loopback(handler: Handler) -> AsyncIterator[str]:
    """Serve every path with ``handler`` on 127.0.0.1, a free port, in the running loop.

    Yields the base URL (``http://127.0.0.1:PORT``); the server stops when the block ends.
    """
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class ReplayServer:
    """Serves a recording directory; ``async with ReplayServer(dir) as server: server.base_url``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries: dict[str, tuple[Recording, bytes]] = {}
        self._stack: AsyncExitStack | None = None
        self.base_url = ""

    @property
    def urls(self) -> list[str]:
        """Every URL the server can answer (requested and final URLs), sorted."""
        return sorted(self._entries)

    async def __aenter__(self) -> ReplayServer:
        if not self.directory.is_dir():
            raise ConfigError(
                f"replay directory {self.directory} does not exist;"
                " record sources into it first (`lexwatch record`)"
            )
        self._entries = _index(load_recordings(self.directory))
        async with AsyncExitStack() as stack:
            self.base_url = await stack.enter_async_context(serve_loopback(self._handle))
            self._stack = stack.pop_all()
        logger.info(
            "replaying %d URL(s) from %s at %s", len(self._entries), self.directory, self.base_url
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        url = request.query.get("url")
        if request.path != FETCH_PATH or not url:
            return web.Response(status=400, text=f"use GET {FETCH_PATH}?url=<recorded URL>\n")
        found = self._entries.get(normalise_url(url))
        if found is None:
            logger.info("replay: %s was not recorded; answering 404", url)
            return web.Response(status=404, text=f"not recorded: {url}\n")
        recording, body = found
        if normalise_url(recording.final_url) != normalise_url(url):
            # Replays the redirect, so the fetch ends at (and reports) the recorded final URL.
            return web.Response(status=302, headers={"Location": recording.final_url})
        return body_response(
            request,
            body,
            content_type=recording.content_type,
            last_modified=recording.last_modified,
        )


def _index(recordings: Iterator[tuple[Recording, bytes]]) -> dict[str, tuple[Recording, bytes]]:
    """By requested and final URL; a URL recorded twice (two sources) serves the newest."""
    entries: dict[str, tuple[Recording, bytes]] = {}
    for recording, body in sorted(recordings, key=lambda pair: pair[0].fetched_at):
        entries[normalise_url(recording.url)] = (recording, body)
    # The URL a redirect ended at serves the same body, unless it was recorded itself.
    for recording, body in list(entries.values()):
        entries.setdefault(normalise_url(recording.final_url), (recording, body))
    return entries


class ReplayTransport(httpx.AsyncBaseTransport):
    """Sends every request to ``base_url/fetch?url=<its URL>`` over ``inner``.

    The headers are kept, so conditional GETs work. The client sets ``response.request`` back
    to the original request, so ``response.url`` (and ``Fetched.final_url``) is the real URL.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, base_url: str) -> None:
        self._inner = inner
        self._target = httpx.URL(base_url).join(FETCH_PATH)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = self._target.copy_merge_params({"url": str(request.url)})
        headers = httpx.Headers(request.headers)
        headers["Host"] = target.netloc.decode("ascii")
        rewritten = httpx.Request(
            request.method,
            target,
            headers=headers,
            content=await request.aread(),
            extensions=request.extensions,
        )
        return await self._inner.handle_async_request(rewritten)

    async def aclose(self) -> None:
        await self._inner.aclose()


def offline_policy(policy: FetchPolicy) -> FetchPolicy:
    """``policy`` without the spacing between requests, which only spares real servers."""
    return replace(policy, per_host_spacing=0.0)


@asynccontextmanager
async def replay_client(policy: FetchPolicy, directory: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client like ``make_client(policy)`` whose every request is answered from ``directory``.

    Starts a ``ReplayServer`` in the running loop for as long as the block lasts.
    """
    async with ReplayServer(directory) as server:
        # Timeouts, User-Agent and redirect rules come from make_client itself, so replay
        # cannot drift from what a real check sends; only the transport differs.
        template = make_client(policy)
        await template.aclose()
        limits = httpx.Limits(max_connections=policy.global_concurrency * 2)
        inner = httpx_aiohttp.AiohttpTransport(verify=tls_context(), limits=limits)
        client = httpx.AsyncClient(
            transport=ReplayTransport(inner, server.base_url),
            follow_redirects=template.follow_redirects,
            max_redirects=template.max_redirects,
            timeout=template.timeout,
            headers=template.headers,
        )
        async with client:
            yield client
