"""Fetching one URL politely: conditional GET, size cap, retries, robots.txt, rate limits.

All HTTP goes through one shared ``httpx.AsyncClient`` on the aiohttp transport
(``make_client``). Every library error is translated here, at the seam, into
``monitor.errors.FetchError`` or one of its subclasses: no httpx or aiohttp exception
leaves ``Fetcher.fetch``. Non-2xx answers that survive the retries are returned as values.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp
import httpx
import httpx_aiohttp

from monitor.errors import (
    BodyTooLargeError,
    ConfigError,
    FetchError,
    RateLimitedError,
    RobotsDisallowedError,
    TransportError,
)
from monitor.politeness import HostLimiter, host_key
from monitor.robots import ROBOTS_TOKEN, RobotsCache
from monitor.types import Fetched

logger = logging.getLogger(__name__)

_POSITIVE = (
    "connect_timeout",
    "read_timeout",
    "max_body_bytes",
    "per_host_concurrency",
    "global_concurrency",
)
_NOT_NEGATIVE = (
    "retries",
    "backoff_base",
    "backoff_max",
    "max_retry_after",
    "robots_ttl",
    "per_host_spacing",
)


@dataclass(frozen=True, kw_only=True)
class FetchPolicy:
    """How lexwatch fetches: timeouts in seconds, sizes in bytes, politeness limits."""

    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
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
    return httpx.AsyncClient(
        transport=httpx_aiohttp.AiohttpTransport(verify=True, limits=limits),
        follow_redirects=True,
        max_redirects=10,
        timeout=timeout,
        headers={"User-Agent": policy.user_agent},
    )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


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

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        """GET ``url`` conditionally; a 304 is ``not_modified=True``, other statuses are values.

        Raises ``RobotsDisallowedError``, ``BodyTooLargeError``, ``RateLimitedError``,
        ``TransportError`` (after the retries) or ``FetchError`` (bad URL, redirect loop).
        """
        _check_url(url)
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
                url,
                _describe(outcome),
                attempt,
                self._policy.retries,
                delay,
            )
            await self._sleep(delay)

    async def _check_robots(self, url: str) -> None:
        if self._robots is None:
            return
        if not await self._robots.allowed(url):
            reason = self._robots.explain(url)
            raise RobotsDisallowedError(f"{url!r} not fetched: {reason}", url=url)
        delay = self._robots.crawl_delay(url)
        if delay is not None:
            self._limiter.set_spacing(host_key(url), delay)

    async def _try(
        self, url: str, headers: dict[str, str], etag: str | None, last_modified: str | None
    ) -> Fetched | Exception:
        """One attempt: the answer, a retryable transport error, or a raised FetchError."""
        try:
            return await self._attempt(url, headers, etag, last_modified)
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(f"cannot fetch {url!r}: {exc}", url=url) from exc
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            return exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(f"cannot fetch {url!r}: {_describe(exc)}", url=url) from exc

    async def _attempt(
        self, url: str, headers: dict[str, str], etag: str | None, last_modified: str | None
    ) -> Fetched:
        async with self._limiter.slot(url):
            started = time.monotonic()
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    body = b""
                else:
                    body = await _read_body(url, response, self._policy.max_body_bytes)
            elapsed = time.monotonic() - started
        return _to_fetched(url, response, body, elapsed, self._now(), etag, last_modified)

    def _retry_delay(self, url: str, outcome: Fetched | Exception, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when ``outcome`` is final."""
        wait = None
        if isinstance(outcome, Fetched):
            wait = self._retry_after(url, outcome)
            if not (outcome.status == 429 or outcome.status >= 500):
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
        wait = parse_retry_after(value, self._now())
        if wait is not None and wait > self._policy.max_retry_after:
            raise RateLimitedError(
                f"{url!r} answered HTTP {fetched.status} with Retry-After {value!r} ({wait:.0f} s),"
                f" more than max_retry_after={self._policy.max_retry_after:g} s",
                url=url,
            )
        return wait


def _check_url(url: str) -> None:
    """FetchError unless ``url`` is an absolute http(s) URL that httpx and urllib both accept."""
    try:
        parsed = httpx.URL(url)
        urlsplit(url)  # the limiter and the robots cache key on it
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(f"cannot fetch {url!r}: {exc}", url=url) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"cannot fetch {url!r}: not an absolute http(s) URL", url=url)


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


async def _read_body(url: str, response: httpx.Response, limit: int) -> bytes:
    """The decoded body; BodyTooLargeError as soon as it (or its Content-Length) passes limit."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(
            f"{url!r} declares {declared} bytes, more than max_body_bytes={limit}", url=url
        )
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise BodyTooLargeError(
                f"{url!r} sent more than max_body_bytes={limit} bytes; stopped reading", url=url
            )
    return bytes(body)


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
        final_url=str(response.url),
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
    raise TransportError(
        f"could not fetch {url!r} after {attempt + 1} attempt(s): {_describe(outcome)}", url=url
    ) from outcome


def _describe(outcome: Fetched | BaseException) -> str:
    if isinstance(outcome, Fetched):
        return f"HTTP {outcome.status}"
    # httpx-aiohttp reports every aiohttp connection error as ConnectTimeout: name the real one.
    cause = outcome.__cause__ if isinstance(outcome.__cause__, aiohttp.ClientError) else outcome
    return f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
