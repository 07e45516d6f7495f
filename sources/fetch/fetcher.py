"""Fetching one URL politely: conditional GET, size cap, retries, robots.txt, rate limits.

All HTTP goes through one shared ``httpx.AsyncClient`` on the aiohttp transport
(``make_client``). Every library error is translated here, at the seam, into
``monitor.errors.FetchError`` or one of its subclasses: no httpx or aiohttp exception
leaves ``Fetcher.fetch``. Non-2xx answers that survive the retries are returned as values.

Hostile servers are bounded: every request (robots.txt and each redirect hop included) must
reach a public address (``sources.fetch.ssrf``) and finish within ``total_timeout``; a body is
decompressed here, chunk by chunk with a cap on the output, so a gzip bomb stops at
``max_body_bytes`` instead of inflating in memory first.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import dataclasses
import functools
import logging
import math
import random
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import httpx
import httpx_aiohttp
from httpx_aiohttp.transport import AiohttpResponseStream

from monitor.errors import (
    BlockedAddressError,
    BodyTooLargeError,
    ConfigError,
    FetchError,
    RateLimitedError,
    RobotsDisallowedError,
    TransportError,
)
from monitor.types import Fetched
from sources.fetch.network_errors import describe, dns_failure
from sources.fetch.politeness import HostLimiter, host_key
from sources.fetch.redact import MASK, redact_url, rewrite
from sources.fetch.retry_after import retry_after
from sources.fetch.robots import ROBOTS_TOKEN, RobotsCache
from sources.fetch.ssrf import AddressGuard, GuardedResolver, odd_host_reason

logger = logging.getLogger(__name__)

_POSITIVE = (
    "connect_timeout",
    "read_timeout",
    "max_body_bytes",
    "per_host_concurrency",
    "global_concurrency",
    "total_timeout",
)
_NOT_NEGATIVE = (
    "max_redirects",
    "retries",
    "backoff_base",
    "backoff_max",
    "max_retry_after",
    "robots_ttl",
    "per_host_spacing",
)


@dataclass(frozen=True, kw_only=True)
class FetchPolicy:
    """How lexwatch fetches: timeouts in seconds, sizes in bytes, politeness limits.

    ``allow_private_addresses`` defaults to True here, for code that builds a policy by hand
    to fetch from its own loopback servers (tests, benchmarks). The application builds its
    policy from ``Settings`` (``monitor.app.fetch_policy``), where the default is False: a
    configured lexwatch refuses private, loopback and metadata addresses.
    """

    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0  # one request, all of its body and redirects included
    max_redirects: int = 10
    allow_private_addresses: bool = True
    allowed_hosts: tuple[str, ...] = ()  # host names or CIDRs allowed even when private
    max_body_bytes: int = 20_000_000
    retries: int = 3  # extra attempts after the first
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 300.0
    respect_robots: bool = True
    robots_ttl: float = 86400.0
    per_host_concurrency: int = 2
    per_host_spacing: float = 1.0  # min seconds between request starts to one host
    global_concurrency: int = 16

    def __post_init__(self) -> None:
        if not self.user_agent.strip():
            raise ConfigError("fetch.user_agent is empty; give one that names lexwatch")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in _POSITIVE:
            if values[name] <= 0:
                raise ConfigError(f"fetch.{name}={values[name]!r} is not allowed; use a value > 0")
        for name in _NOT_NEGATIVE:
            if values[name] < 0:
                raise ConfigError(f"fetch.{name}={values[name]!r} is not allowed; use a value >= 0")
        self.address_guard()  # a bad allowed_hosts entry fails here, not at the first fetch

    def address_guard(self) -> AddressGuard:
        return AddressGuard.build(
            allow_private=self.allow_private_addresses, allowed_hosts=self.allowed_hosts
        )


def make_client(policy: FetchPolicy) -> httpx.AsyncClient:
    """The one shared client: aiohttp transport, verified TLS, redirects followed, our UA."""
    timeout = httpx.Timeout(
        connect=policy.connect_timeout,
        read=policy.read_timeout,
        write=policy.read_timeout,
        pool=policy.connect_timeout,  # aiohttp's "connect": pool wait plus connecting
    )
    # Headroom over the limiter's cap for robots.txt fetches, which bypass the limiter.
    limits = httpx.Limits(max_connections=policy.global_concurrency * 2)
    transport = GuardedTransport(
        limits=limits,
        guard=policy.address_guard(),
        total_timeout=policy.total_timeout,
        max_body_bytes=policy.max_body_bytes,
    )
    return _Client(
        transport=transport,
        follow_redirects=True,
        max_redirects=policy.max_redirects,
        timeout=timeout,
        event_hooks={"response": [refuse_odd_redirect]},
        # Only what _Decoder can inflate with a bound; never br or zstd.
        headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
    )


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, which skips the answers that set no cookie: httpx wraps every
    response in urllib's request and message types for the jar to find none there (a
    tenth of a 304 check's CPU)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class _Client(httpx.AsyncClient):
    """``httpx.AsyncClient`` keeping its cookies in a ``_Cookies`` jar (in ``_cookies``,
    where httpx's own ``cookies`` property keeps them)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = self._cookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._cookies = _Cookies(cookies)


async def refuse_odd_redirect(response: httpx.Response) -> None:
    """Refuse a redirect to anything but an http(s) URL with a plainly written host, saying
    why, before httpx follows it (httpx itself would only say "unsupported protocol")."""
    if not response.has_redirect_location:
        return
    shown = redact_url(str(response.request.url))
    try:
        target = urljoin(str(response.request.url), response.headers["location"].strip())
        parts = urlsplit(target)
        host = parts.hostname or ""
    except ValueError:  # not a URL at all: httpx refuses it in its own words
        return
    if parts.scheme.lower() not in ("http", "https"):
        raise BlockedAddressError(
            f"refused to follow the redirect of {shown!r} to {redact_url(target)!r}: lexwatch"
            f" follows redirects only to http(s) URLs, not {parts.scheme or 'relative'}: ones",
            url=shown,
        )
    odd = odd_host_reason(host)
    if odd is not None:
        raise BlockedAddressError(
            f"refused to follow the redirect of {shown!r} to {redact_url(target)!r}: {odd}",
            url=shown,
        )


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context every client shares.

    Loading the CA bundle takes about 30 ms, a quarter of a whole 304 cycle over 1,000
    sources (bench/cycle.py); a context is safe to share between connections and threads.
    """
    return httpx.create_ssl_context(verify=True)


class OvertimeError(httpx.TimeoutException):
    """A request (headers and whole body) did not finish within ``total_timeout``."""


class GuardedTransport(httpx_aiohttp.AiohttpTransport):
    """The aiohttp transport with the SSRF guard and a total deadline on every request.

    httpx calls it once per request, so robots.txt and every redirect hop pass through it.
    The host is checked before sending; names are checked again as they resolve, by the
    connector's ``GuardedResolver``, so the addresses checked are the ones connected to.
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits,
        guard: AddressGuard,
        total_timeout: float,
        max_body_bytes: int,
    ) -> None:
        super().__init__(verify=tls_context(), limits=limits)
        self._guard = guard
        self._total = total_timeout
        self._max_body = max_body_bytes

    def get_client(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
            limit=self.limits.max_connections or 0,
            resolver=GuardedResolver(self._guard),
        )
        return aiohttp.ClientSession(connector=connector)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shown = redact_url(str(request.url))
        self._guard.check_url(shown, request.url.host)
        deadline = asyncio.get_running_loop().time() + self._total
        # A Fetcher's attempt bounds the request, its body and its redirects with an earlier
        # deadline: timing them here again would only cost timers (one per body chunk).
        bounded = _CALLER_DEADLINE.get() <= deadline
        try:
            response = await self._send(request, None if bounded else deadline)
        except BlockedAddressError as exc:  # from the resolver, which knows only the host
            raise BlockedAddressError(f"refused to fetch {shown}: {exc}", url=shown) from exc
        # A 304 has no body: nothing to time or decode (most answers of a cycle are 304s).
        if response.status_code != 304 and isinstance(response.stream, httpx.AsyncByteStream):
            stream: httpx.AsyncByteStream = response.stream
            if isinstance(stream, AiohttpResponseStream):
                # Each chunk passes through five async generators; 16 KiB ones cost a new
                # body a tenth more CPU than 64 KiB ones.
                stream.CHUNK_SIZE = _CHUNK_BYTES
            if not bounded:
                stream = _DeadlineStream(stream, deadline, self._total)
            # Decoded here, bounded, for every caller (robots.txt too): httpx's own decoder
            # inflates a whole chunk at once, which a gzip bomb turns into gigabytes.
            coding = response.headers.pop("content-encoding", "")
            decoder = _Decoder(shown, coding, self._max_body)
            if decoder.active:
                response.headers.pop("content-length", None)
                stream = _DecodedStream(stream, decoder)
            response.stream = stream
        return response

    async def _send(self, request: httpx.Request, deadline: float | None) -> httpx.Response:
        """The answer's head, within ``deadline`` (None: the caller's)."""
        if deadline is None:
            return await super().handle_async_request(request)
        try:
            async with asyncio.timeout_at(deadline) as scope:
                return await super().handle_async_request(request)
        except TimeoutError as exc:
            if scope.expired():
                raise OvertimeError(f"no answer within {self._total:g} s") from exc
            raise


_CHUNK_BYTES = 64 * 1024
# The deadline of the Fetcher attempt under way in this task (inf: none).
_CALLER_DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar(
    "lexwatch_fetch_deadline", default=math.inf
)


class _DecodedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, decoder: _Decoder) -> None:
        self._inner = inner
        self._decoder = decoder

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            decoded = self._decoder.feed(chunk)
            if decoded:
                yield decoded

    async def aclose(self) -> None:
        await self._inner.aclose()


class _DeadlineStream(httpx.AsyncByteStream):
    """The body stream, cut off when the request's deadline passes (slowloris)."""

    def __init__(self, inner: httpx.AsyncByteStream, deadline: float, total: float) -> None:
        self._inner = inner
        self._deadline = deadline
        self._total = total

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._inner.__aiter__()
        while True:
            try:
                async with asyncio.timeout_at(self._deadline) as scope:
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError as exc:
                if scope.expired():
                    raise OvertimeError(f"body not complete within {self._total:g} s") from exc
                raise
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Fetcher:
    """Fetches URLs through a shared client, politely, and returns ``Fetched`` values."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        policy: FetchPolicy,
        *,
        limiter: HostLimiter | None = None,
        robots: RobotsCache | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        """``sleep`` waits between retries only; the default limiter keeps real time."""
        self._client = client
        self._policy = policy
        self._limiter = limiter or HostLimiter(
            policy.per_host_concurrency, policy.per_host_spacing, policy.global_concurrency
        )
        if robots is None and policy.respect_robots:
            robots = RobotsCache(client, ROBOTS_TOKEN, ttl=policy.robots_ttl)
        self._robots = robots
        self._sleep = sleep
        self._rng = rng
        self._now = now
        self._secrets = _UrlSecrets()

    def capped(self, max_bytes: int | None) -> Fetcher:
        """This fetcher with a lower body limit (a page's documents, ``max_document_mb``),
        sharing its client, politeness and robots.txt cache; itself when not lower."""
        if max_bytes is None or max_bytes >= self._policy.max_body_bytes:
            return self
        capped = copy.copy(self)
        capped._policy = dataclasses.replace(self._policy, max_body_bytes=max_bytes)
        return capped

    async def resource(
        self, url: str, *, method: str, headers: dict[str, str], body: bytes | None, max_bytes: int
    ) -> Fetched:
        """One request a rendered page makes (script, style, XHR), sent through the same client:
        the SSRF guard on the URL, each redirect and the DNS answer; the total deadline; a body
        of at most ``max_bytes``. No robots.txt, retries or per-host spacing: the page's own
        loads, made together as a browser makes them, bounded by the page's time limit."""
        _check_url(url)
        started = time.monotonic()
        try:
            async with self._client.stream(method, url, headers=headers, content=body) as answer:
                content = await _read_body(url, answer, max_bytes)
        except (httpx.HTTPError, httpx.InvalidURL, aiohttp.ClientError) as exc:
            raise TransportError(
                f"could not fetch {_shown(url)}: {_describe(exc)}", url=url
            ) from exc
        return _to_fetched(
            url, answer, content, time.monotonic() - started, self._now(), None, None
        )

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        """GET ``url`` conditionally; a 304 is ``not_modified=True``, other statuses are values.

        Raises ``RobotsDisallowedError``, ``BodyTooLargeError``, ``RateLimitedError``,
        ``BlockedAddressError`` (SSRF guard), ``TransportError`` (after the retries; at once
        for a response that overran ``total_timeout``) or ``FetchError`` (bad URL, redirect
        loop, unsupported Content-Encoding).
        """
        _check_url(url)
        url = self._secrets.restore(url)
        self._secrets.remember(url)
        await self._check_robots(url)
        headers = _conditional_headers(etag, last_modified)
        attempt = 0
        while True:
            outcome = await self._try(url, headers, etag, last_modified)
            delay = self._retry_delay(url, outcome, attempt)
            if delay is None:
                return _result(url, outcome, attempt)
            attempt += 1
            logger.warning(
                "fetch %s: %s; retry %d/%d in %.1fs",
                redact_url(url),
                _describe(outcome),
                attempt,
                self._policy.retries,
                delay,
            )
            await self._sleep(delay)

    async def _check_robots(self, url: str) -> None:
        if self._robots is None:
            return
        try:
            allowed = await self._robots.allowed(url)
        except TransportError as exc:  # the host does not resolve: the page cannot be fetched
            raise TransportError(f"could not fetch {_shown(url)}: {exc}", url=url) from exc
        if not allowed:
            reason = self._robots.explain(url)
            raise RobotsDisallowedError(f"{_shown(url)} not fetched: {reason}", url=url)
        delay = self._robots.crawl_delay(url)
        if delay is not None:
            self._limiter.set_spacing(host_key(url), delay)

    async def _try(
        self, url: str, headers: dict[str, str], etag: str | None, last_modified: str | None
    ) -> Fetched | Exception:
        """One attempt: the answer, a retryable transport error, or a raised FetchError."""
        try:
            return await self._attempt(url, headers, etag, last_modified)
        except OvertimeError as exc:
            # Not retried: a server that trickles its answer will trickle it again.
            raise TransportError(
                f"{_shown(url)} did not finish within http.total_timeout="
                f"{self._policy.total_timeout:g} s ({exc}); gave up",
                url=url,
            ) from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(
                f"cannot fetch {_shown(url)}: TooManyRedirects: more than"
                f" max_redirects={self._policy.max_redirects} redirects"
                " (a redirect loop?)",
                url=url,
            ) from exc
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(f"cannot fetch {_shown(url)}: {exc}", url=url) from exc
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            return exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(f"cannot fetch {_shown(url)}: {_describe(exc)}", url=url) from exc

    async def _attempt(
        self, url: str, headers: dict[str, str], etag: str | None, last_modified: str | None
    ) -> Fetched:
        async with self._limiter.slot(url):
            started = time.monotonic()
            # One deadline for the request, its body and its redirects (the transport sees it).
            deadline = asyncio.get_running_loop().time() + self._policy.total_timeout
            token = _CALLER_DEADLINE.set(deadline)
            try:
                async with asyncio.timeout_at(deadline) as scope:
                    response, body = await self._get(url, headers)
            except TimeoutError as exc:
                if scope.expired():
                    raise OvertimeError("the answer took too long") from exc
                raise
            finally:
                _CALLER_DEADLINE.reset(token)
            elapsed = time.monotonic() - started
        return _to_fetched(url, response, body, elapsed, self._now(), etag, last_modified)

    async def _get(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        async with self._client.stream("GET", _httpx_url(url), headers=headers) as response:
            if response.status_code == 304:
                return response, b""
            return response, await _read_body(url, response, self._policy.max_body_bytes)

    def _retry_delay(self, url: str, outcome: Fetched | Exception, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when ``outcome`` is final."""
        wait = None
        if isinstance(outcome, Fetched):
            wait = self._retry_after(url, outcome)
            if not (outcome.status == 429 or outcome.status >= 500):
                return None
        elif dns_failure(outcome):  # the next check asks DNS again; at once it says the same
            return None
        if attempt >= self._policy.retries:
            return None
        if wait is not None:
            return wait
        backoff = min(self._policy.backoff_max, self._policy.backoff_base * 2.0**attempt)
        return backoff * (0.5 + self._rng())

    def _retry_after(self, url: str, fetched: Fetched) -> float | None:
        """The wait a 429/503 asks for; RateLimitedError if that is more than we accept."""
        if fetched.status not in (429, 503):
            return None
        value = fetched.headers.get("retry-after")
        wait = retry_after(value, now=self._now)
        if wait is not None and wait > self._policy.max_retry_after:
            raise RateLimitedError(
                f"{_shown(url)} answered HTTP {fetched.status} with Retry-After {value!r}"
                f" ({wait:.0f} s),"
                f" more than max_retry_after={self._policy.max_retry_after:g} s",
                url=url,
            )
        return wait


def _httpx_url(url: str) -> httpx.URL:
    """``url`` as ``_check_url`` parsed it (parsing it is a seventh of a 304 check's CPU);
    parsed anew when a secret was put back into it since (``_PARSED`` holds checked URLs)."""
    parsed = _PARSED.get(url)
    return parsed if parsed is not None else httpx.URL(url)


def _check_url(url: str) -> None:
    """FetchError unless ``url`` is an absolute http(s) URL that httpx and urllib both accept."""
    if url not in _PARSED:
        _remember(url, _parse_url(url))


# URLs that passed, as httpx parsed them: a check cycle fetches the same URLs again and
# again, and parsing one twice costs a tenth of a 304 check.
_PARSED: dict[str, httpx.URL] = {}


def _remember(url: str, parsed: httpx.URL) -> httpx.URL:
    if len(_PARSED) >= 10_000:  # a bound, not an LRU: sources are a few thousand
        _PARSED.clear()
    _PARSED[url] = parsed
    return parsed


def _parse_url(url: str) -> httpx.URL:
    try:
        host = urlsplit(url).hostname or ""  # the limiter and the robots cache key on it
    except ValueError as exc:
        raise FetchError(f"cannot fetch {_shown(url)}: {exc}", url=url) from exc
    odd = odd_host_reason(host)  # before httpx, which has its own words for some of them
    if odd is not None:
        raise BlockedAddressError(f"refused to fetch {_shown(url)}: {odd}", url=url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(f"cannot fetch {_shown(url)}: {exc}", url=url) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"cannot fetch {_shown(url)}: not an absolute http(s) URL", url=url)
    return parsed


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


async def _read_body(url: str, response: httpx.Response, limit: int) -> bytes:
    """The decoded body; BodyTooLargeError as soon as it (or its Content-Length) passes limit.

    Both the bytes on the wire and the decompressed bytes count against ``limit``, and each
    chunk is inflated only up to what is left of it, so memory stays near ``limit``.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(
            f"{_shown(url)} declares {declared} bytes, more than max_body_bytes={limit}", url=url
        )
    # GuardedTransport has decoded already; this covers other transports (replay, tests).
    decoder = _Decoder(url, response.headers.get("content-encoding", ""), limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > limit:
            raise _too_large(url, limit)
        chunks.append(decoder.feed(chunk) if decoder.active else chunk)
    return b"".join(chunks)  # one copy, where a bytearray copies as it grows and once more


def _too_large(url: str, limit: int) -> BodyTooLargeError:
    return BodyTooLargeError(
        f"{_shown(url)} sent more than max_body_bytes={limit} bytes; stopped reading", url=url
    )


class _Decoder:
    """Undoes Content-Encoding (gzip, deflate, stacked) with the output capped at ``limit``."""

    def __init__(self, url: str, header: str, limit: int) -> None:
        codings = [c.strip().lower() for c in header.split(",") if c.strip()]
        unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate", "identity")]
        if unknown:
            raise FetchError(
                f"cannot fetch {_shown(url)}: unsupported Content-Encoding {header!r}", url=url
            )
        # Applied last to first.
        self._stages = [_Inflater(c) for c in reversed(codings) if c != "identity"]
        self._url, self._limit = url, limit
        self._total = self._raw = 0

    @property
    def active(self) -> bool:
        return bool(self._stages)

    def feed(self, chunk: bytes) -> bytes:
        """The decoded bytes of ``chunk``; BodyTooLargeError once they pass the limit."""
        self._raw += len(chunk)
        if self._raw > self._limit:
            raise _too_large(self._url, self._limit)
        room = self._limit - self._total
        for index, stage in enumerate(self._stages):
            last = index == len(self._stages) - 1
            # A compressed intermediate stream can be a little larger than what it holds.
            chunk = stage.inflate(chunk, room if last else room + room // 64 + 65_536, self)
        self._total += len(chunk)
        if self._total > self._limit:
            raise _too_large(self._url, self._limit)
        return chunk

    def broken(self, exc: zlib.error) -> FetchError:
        return FetchError(
            f"cannot fetch {_shown(self._url)}: the compressed body is corrupt ({exc})",
            url=self._url,
        )

    def too_large(self) -> BodyTooLargeError:
        return _too_large(self._url, self._limit)


class _Inflater:
    """One zlib stream; deflate falls back to raw deflate as browsers (and httpx) do."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding != "deflate"
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._first = True

    def inflate(self, data: bytes, room: int, owner: _Decoder) -> bytes:
        """At most ``room`` bytes of output (more is BodyTooLargeError), never all at once."""
        if self._zlib.eof:
            return b""  # trailing bytes after the end of the stream are ignored
        try:
            out = self._zlib.decompress(data, max(room, 0) + 1)
        except zlib.error as exc:
            if self._gzip or not self._first:
                raise owner.broken(exc) from exc
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._first = False
            return self.inflate(data, room, owner)
        self._first = False
        if len(out) > room or self._zlib.unconsumed_tail:
            raise owner.too_large()
        return out


def _to_fetched(
    url: str,
    response: httpx.Response,
    body: bytes,
    elapsed: float,
    fetched_at: datetime,
    etag: str | None,
    last_modified: str | None,
) -> Fetched:
    headers = {key.lower(): value for key, value in response.headers.items()}
    not_modified = response.status_code == 304
    # A 304 may omit the validators; then the ones we sent are still current.
    return Fetched(
        url=url,
        # Logged, stored and shown in alerts: no credentials (``_UrlSecrets`` restores them).
        final_url=redact_url(str(response.url)),
        status=response.status_code,
        headers=headers,
        content=body,
        content_type=headers.get("content-type", ""),
        etag=headers.get("etag", etag if not_modified else None),
        last_modified=headers.get("last-modified", last_modified if not_modified else None),
        fetched_at=fetched_at,
        elapsed=elapsed,
        not_modified=not_modified,
    )


def _result(url: str, outcome: Fetched | Exception, attempt: int) -> Fetched:
    if isinstance(outcome, Fetched):
        return outcome
    dns = dns_failure(outcome)
    if dns is not None:
        raise TransportError(f"could not fetch {_shown(url)}: {dns}", url=url) from outcome
    raise TransportError(
        f"could not fetch {_shown(url)} after {attempt + 1} attempt(s): {_describe(outcome)}",
        url=url,
    ) from outcome


def _describe(outcome: Fetched | BaseException) -> str:
    if isinstance(outcome, Fetched):
        return f"HTTP {outcome.status}"
    return describe(outcome)


class _UrlSecrets:
    """Secrets seen in requested URLs, put back into a redacted URL that is handed back.

    ``Fetched.url`` and ``final_url`` are redacted (they are logged and stored); a paginated
    API's next page is built from ``final_url``, so its masked key is restored here.
    """

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], str] = {}

    def remember(self, url: str) -> None:
        if "?" not in url and "@" not in url:  # no password, no query: nothing to keep
            return

        def keep(host: str, name: str, value: str) -> str:
            if value != MASK:
                self._values[host, name] = value
            return value

        rewrite(url, keep)

    def restore(self, url: str) -> str:
        if MASK not in url:
            return url
        return rewrite(
            url,
            lambda host, name, value: (
                self._values.get((host, name), value) if value == MASK else value
            ),
        )


def _shown(url: str) -> str:
    return repr(redact_url(url))
