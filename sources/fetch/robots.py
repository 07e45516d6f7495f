"""robots.txt, fetched once per origin, cached, and read with Protego (RFC 9309).

An answer in 4xx means no rules: everything is allowed. A 5xx (or 429) or a network error
means "unreachable", which RFC 9309 section 2.3.1.4 says to treat as a complete disallow; that
verdict is cached for only ``FAILURE_TTL`` seconds so the next check asks again. A host name
that does not resolve is none of these: robots.txt was never reached, and neither would the
page be, so it is raised as the ``TransportError`` it is (not cached, not logged here: the
failed check says it, once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import httpx
from protego import Protego

from monitor.errors import TransportError
from sources.fetch.network_errors import describe, dns_failure

logger = logging.getLogger(__name__)

ROBOTS_TOKEN = "lexwatch"  # the product token our robots.txt groups are matched against
FAILURE_TTL = 60.0
MAX_ROBOTS_BYTES = 512_000  # RFC 9309 section 2.5: parse at least the first 500 KiB


@dataclass(frozen=True, kw_only=True)
class _Rules:
    expires: float
    parser: Protego | None  # None: no usable robots.txt, ``allow_all`` decides
    allow_all: bool
    reason: str


def robots_url(url: str) -> str:
    """``scheme://host[:port]/robots.txt`` for ``url`` (user info dropped)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2].lower()
    return f"{parts.scheme.lower()}://{netloc}/robots.txt"


class RobotsCache:
    """Answers "may lexwatch fetch this URL?" from each origin's cached robots.txt."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        user_agent: str,
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``user_agent`` is the product token matched against ``User-agent:`` lines."""
        self._client = client
        self._agent = user_agent
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, _Rules] = {}
        self._pending: dict[str, asyncio.Task[_Rules]] = {}

    async def allowed(self, url: str) -> bool:
        """True when robots.txt lets our user agent fetch ``url``; fetches robots.txt if needed."""
        rules = await self._rules(robots_url(url))
        if rules.parser is None:
            return rules.allow_all
        return rules.parser.can_fetch(url, self._agent)

    def crawl_delay(self, url: str) -> float | None:
        """The cached ``Crawl-delay`` for our user agent on ``url``'s origin, if any."""
        rules = self._cache.get(robots_url(url))
        if rules is None or rules.parser is None:
            return None
        return rules.parser.crawl_delay(self._agent)

    def explain(self, url: str) -> str:
        """Why ``allowed(url)`` answered as it did, for error messages."""
        location = robots_url(url)
        rules = self._cache.get(location)
        if rules is None:
            return f"{location} not checked yet"
        if rules.parser is None:
            return rules.reason
        verdict = "allows" if rules.parser.can_fetch(url, self._agent) else "disallows"
        return f"{location} {verdict} it for user-agent {self._agent!r}"

    async def _rules(self, location: str) -> _Rules:
        cached = self._cache.get(location)
        if cached is not None and cached.expires > self._clock():
            return cached
        task = self._pending.get(location)
        if task is None:
            task = asyncio.ensure_future(self._load(location))
            self._pending[location] = task
            task.add_done_callback(lambda _: self._pending.pop(location, None))
        # Shielded: one caller being cancelled must not cancel the fetch the others await.
        return await asyncio.shield(task)

    async def _load(self, location: str) -> _Rules:
        rules = await self._download(location)
        self._cache[location] = rules
        blocked = rules.parser is None and not rules.allow_all
        logger.log(logging.WARNING if blocked else logging.INFO, "robots.txt: %s", rules.reason)
        return rules

    async def _download(self, location: str) -> _Rules:
        try:
            async with self._client.stream("GET", location) as response:
                status = response.status_code
                if status == 429 or status >= 500:
                    return self._unreachable(location, f"HTTP {status}")
                if not 200 <= status < 300:
                    return self._no_rules(location, f"HTTP {status}")
                body = await _read_capped(response)
        except httpx.TooManyRedirects:
            return self._no_rules(location, "too many redirects")
        except (httpx.HTTPError, aiohttp.ClientError) as exc:
            dns = dns_failure(exc)
            if dns is not None:
                raise TransportError(dns, url=location) from exc
            return self._unreachable(location, describe(exc))
        parser = Protego.parse(body.decode("utf-8", errors="replace"))
        reason = f"{location} parsed ({len(body)} bytes)"
        expires = self._clock() + self._ttl
        return _Rules(expires=expires, parser=parser, allow_all=True, reason=reason)

    def _no_rules(self, location: str, cause: str) -> _Rules:
        reason = f"{location} unavailable ({cause}): everything allowed"
        return _Rules(expires=self._clock() + self._ttl, parser=None, allow_all=True, reason=reason)

    def _unreachable(self, location: str, cause: str) -> _Rules:
        reason = f"{location} unreachable ({cause}): RFC 9309 says assume complete disallow"
        expires = self._clock() + min(self._ttl, FAILURE_TTL)
        return _Rules(expires=expires, parser=None, allow_all=False, reason=reason)


async def _read_capped(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= MAX_ROBOTS_BYTES:
            break  # rules past the limit are ignored, as RFC 9309 allows
    return bytes(body[:MAX_ROBOTS_BYTES])
