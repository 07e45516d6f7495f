"""Fetcher, HostLimiter and RobotsCache against a real loopback server and the real client.

Waits between retries go to a recording fake ``sleep``; only politeness tests sleep for real,
for a fraction of a second.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from monitor.errors import (
    BodyTooLargeError,
    ConfigError,
    FetchError,
    RateLimitedError,
    RobotsDisallowedError,
    TransportError,
)
from monitor.types import Fetched
from sources.fetch.fetcher import Fetcher, FetchPolicy, make_client
from sources.fetch.politeness import HostLimiter
from sources.fetch.retry_after import retry_after
from sources.fetch.robots import RobotsCache
from tests.servers.replay import MAINTENANCE_PAGE, ReplayServer
from tests.virtual_time import VirtualTime

UA = "lexwatch-test/1.0 (+https://example.invalid/lexwatch)"
T = TypeVar("T")


def make_policy(**overrides: Any) -> FetchPolicy:
    """Two retries, no spacing, robots off unless asked. Timeouts far longer than any
    answer of the loopback server, even on a busy machine (a 1 s read timeout once turned a
    slow answer into a retry there); a test of timeouts sets its own short one."""
    values: dict[str, Any] = {
        "user_agent": UA,
        "connect_timeout": 30.0,
        "read_timeout": 30.0,
        "retries": 2,
        "per_host_spacing": 0.0,
        "respect_robots": False,
    }
    return FetchPolicy(**(values | overrides))


class RecordingSleep:
    """A fake ``sleep`` that returns at once and remembers what it was asked for."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def with_fetcher(policy: FetchPolicy, use: Callable[[Fetcher], Awaitable[T]], **kw: Any) -> T:
    """Run ``use(fetcher)`` in a fresh loop with a real client; rng is fixed at 0.5."""

    async def main() -> T:
        async with make_client(policy) as client:
            return await use(Fetcher(client, policy, rng=lambda: 0.5, **kw))

    return asyncio.run(main())


def fetch(url: str, policy: FetchPolicy | None = None, **kw: Any) -> Fetched:
    """One fetch; ``etag``/``last_modified`` go to ``fetch``, the rest to ``Fetcher``."""
    conditional = {k: kw.pop(k) for k in ("etag", "last_modified") if k in kw}
    kw.setdefault("sleep", RecordingSleep())
    return with_fetcher(policy or make_policy(), lambda f: f.fetch(url, **conditional), **kw)


def fetch_all(urls: list[str], policy: FetchPolicy) -> list[Fetched]:
    """Fetch ``urls`` concurrently through one Fetcher (one limiter)."""

    async def use(fetcher: Fetcher) -> list[Fetched]:
        return list(await asyncio.gather(*(fetcher.fetch(u) for u in urls)))

    return with_fetcher(policy, use, sleep=RecordingSleep())


def starts(server: ReplayServer, prefix: str) -> list[float]:
    return [r.time for r in server.requests if r.path.startswith(prefix)]


# -- plain fetches -----------------------------------------------------------------------


def test_ok_fetch_records_every_field(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "<p>Hello AI Act</p>")
    before, started = datetime.now(UTC), time.monotonic()
    got = fetch(url)
    took = time.monotonic() - started
    assert 0 < got.elapsed <= took
    assert (got.url, got.final_url, got.status, got.not_modified) == (url, url, 200, False)
    assert got.content == b"<p>Hello AI Act</p>"
    assert got.content_type == "text/html; charset=utf-8"
    assert got.etag is not None and got.etag.startswith('"')
    assert got.etag == got.headers["etag"]
    assert got.last_modified == "Mon, 01 Jan 2024 09:00:00 GMT"
    assert all(key == key.lower() for key in got.headers)
    assert got.fetched_at.tzinfo is not None
    assert before <= got.fetched_at <= datetime.now(UTC)


@pytest.mark.parametrize("robots", [True, False])
def test_a_host_that_does_not_resolve_is_said_once_as_a_dns_failure(
    robots: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Offline, or a typo in a URL: not a robots.txt timeout, and not retried at once."""
    sleep = RecordingSleep()  # .invalid never resolves (RFC 2606)
    with caplog.at_level(logging.INFO), pytest.raises(TransportError) as info:
        fetch("https://no-such-host.invalid/ai", make_policy(respect_robots=robots), sleep=sleep)
    said = str(info.value)
    assert said == (
        "could not fetch 'https://no-such-host.invalid/ai': could not resolve host"
        " 'no-such-host.invalid' (DNS: " + said.split("(DNS: ")[1]
    )
    assert "robots" not in said and "Timeout" not in said
    assert sleep.calls == [] and "retry" not in caplog.text and "robots" not in caplog.text


def test_user_agent_reaches_the_server(replay_server: ReplayServer) -> None:
    fetch(replay_server.add("/page", "x"))
    assert replay_server.requests[0].headers["user-agent"] == UA


def test_etag_gives_304_then_new_version_gives_200(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "v1", "v2", last_modified=False)
    first = fetch(url)
    second = fetch(url, etag=first.etag, last_modified="Sat, 01 Jun 2024 00:00:00 GMT")
    assert replay_server.requests[1].headers["if-none-match"] == first.etag
    assert second.not_modified and second.status == 304 and second.content == b""
    assert second.etag == first.etag
    # The 304 carried no Last-Modified, so the stored one stays.
    assert second.last_modified == "Sat, 01 Jun 2024 00:00:00 GMT"
    replay_server.set_version("/page", 1)
    third = fetch(url, etag=first.etag)
    assert (third.status, third.content, third.not_modified) == (200, b"v2", False)
    assert third.etag != first.etag


def test_bare_304_keeps_the_stored_validators(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "v1")
    replay_server.fault("/page", "status", status=304)
    got = fetch(url, etag='"stored"', last_modified="Sat, 01 Jun 2024 00:00:00 GMT")
    assert "etag" not in got.headers and got.not_modified
    assert (got.etag, got.last_modified) == ('"stored"', "Sat, 01 Jun 2024 00:00:00 GMT")


def test_last_modified_alone_gives_304(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "v1")
    first = fetch(url)
    assert first.last_modified is not None
    second = fetch(url, last_modified=first.last_modified)
    seen = replay_server.requests[1].headers
    assert seen["if-modified-since"] == first.last_modified
    assert "if-none-match" not in seen
    assert second.not_modified and second.last_modified == first.last_modified


def test_a_cookie_set_by_one_answer_goes_back_with_the_next_requests(
    replay_server: ReplayServer,
) -> None:
    """Answers that set no cookie (304s among them) leave the jar as it was."""
    url = replay_server.add("/page", "<p>Hello</p>")
    replay_server.fault(
        "/page", "body", body="<p>Hi</p>", headers={"Set-Cookie": "session=abc; Path=/"}
    )

    async def use(fetcher: Fetcher) -> None:
        await fetcher.fetch(url)
        second = await fetcher.fetch(url)
        await fetcher.fetch(url, etag=second.etag)

    with_fetcher(make_policy(), use, sleep=RecordingSleep())
    cookies = [r.headers.get("cookie") for r in replay_server.requests if r.path == "/page"]
    assert cookies == [None, "session=abc", "session=abc"]


def test_redirects_are_followed_and_final_url_recorded(replay_server: ReplayServer) -> None:
    target = replay_server.add("/new", "moved here")
    replay_server.redirect("/b", "/new", status=302)
    start = replay_server.redirect("/old", "/b")
    got = fetch(start)
    assert (got.url, got.final_url, got.content) == (start, target, b"moved here")


def test_redirect_loop_is_a_fetch_error(replay_server: ReplayServer) -> None:
    url = replay_server.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="TooManyRedirects") as info:
        fetch(url)
    assert info.value.url == url


@pytest.mark.parametrize(
    ("declare_length", "found"),
    [(True, "declares 300000 bytes"), (False, "sent more than")],
    ids=["content-length", "chunked"],
)
def test_body_over_maximum_is_an_error(
    replay_server: ReplayServer, declare_length: bool, found: str
) -> None:
    url = replay_server.large("/big", 300_000, declare_length=declare_length)
    small = replay_server.large("/small", 100_000, declare_length=declare_length)
    policy = make_policy(max_body_bytes=100_000)
    assert len(fetch(small, policy).content) == 100_000
    with pytest.raises(BodyTooLargeError, match=f"{found}.*max_body_bytes=100000") as info:
        fetch(url, policy)
    assert info.value.url == url
    assert replay_server.hits("/big") == 1


def test_other_4xx_is_returned_at_once(replay_server: ReplayServer) -> None:
    url = replay_server.add("/gone", "x")
    replay_server.fault("/gone", "status", status=404)
    sleep = RecordingSleep()
    got = fetch(url, sleep=sleep)
    assert got.status == 404 and b"404 Not Found" in got.content
    assert replay_server.hits("/gone") == 1 and sleep.calls == []


def test_maintenance_page_is_a_value_not_an_error(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "real content")
    replay_server.fault("/page", "maintenance")
    replay_server.fault("/page", "body", body="<rss><broken", content_type="application/rss+xml")
    assert fetch(url).content == MAINTENANCE_PAGE.encode()
    feed = fetch(url)
    assert (feed.content, feed.content_type) == (b"<rss><broken", "application/rss+xml")
    assert fetch(url).content == b"real content"


# -- retries -----------------------------------------------------------------------------


def test_5xx_twice_then_success(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "ok")
    replay_server.fault("/page", "status", status=500, times=2)
    sleep = RecordingSleep()
    got = fetch(url, make_policy(retries=3), sleep=sleep)
    assert (got.status, got.content) == (200, b"ok")
    assert replay_server.hits("/page") == 3
    # backoff_base * 2**attempt * (0.5 + 0.5)
    assert sleep.calls == [1.0, 2.0]


def test_5xx_forever_returns_last_answer(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "ok")
    replay_server.fault("/page", "status", status=502, times=100)
    sleep = RecordingSleep()
    got = fetch(url, make_policy(retries=2, backoff_base=10, backoff_max=15), sleep=sleep)
    assert got.status == 502
    assert replay_server.hits("/page") == 3
    assert sleep.calls == [10.0, 15.0]


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(replay_server: ReplayServer, status: int) -> None:
    url = replay_server.add("/page", "ok")
    replay_server.fault("/page", "retry_after", status=status, retry_after="1")
    sleep = RecordingSleep()
    got = fetch(url, make_policy(backoff_base=7), sleep=sleep)
    assert got.status == 200
    assert sleep.calls == [1.0]
    assert replay_server.hits("/page") == 2


def test_retry_after_as_http_date(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "ok")
    replay_server.fault("/page", "retry_after", retry_after="Wed, 01 Jan 2025 00:00:30 GMT")
    sleep = RecordingSleep()
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert fetch(url, sleep=sleep, now=lambda: now).status == 200
    assert sleep.calls == [30.0]


def test_retry_after_above_maximum_is_rate_limited(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "ok")
    replay_server.fault("/page", "retry_after", retry_after="3600")
    sleep = RecordingSleep()
    with pytest.raises(RateLimitedError, match="3600.*max_retry_after=300"):
        fetch(url, make_policy(max_retry_after=300), sleep=sleep)
    assert replay_server.hits("/page") == 1 and sleep.calls == []


def test_parse_retry_after() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert retry_after("120", now=lambda: now) == 120.0
    assert retry_after("Tue, 31 Dec 2024 00:00:00 GMT", now=lambda: now) == 0.0
    assert retry_after("soon", now=lambda: now) is None
    assert retry_after(None, now=lambda: now) is None


def test_timeout_is_a_transport_error_after_retries(replay_server: ReplayServer) -> None:
    url = replay_server.add("/slow", "ok")
    replay_server.fault("/slow", "timeout", delay=2.0, times=3)
    sleep = RecordingSleep()
    with pytest.raises(TransportError, match="after 3 attempt") as info:
        fetch(url, make_policy(read_timeout=0.2), sleep=sleep)
    assert info.value.url == url and url in str(info.value)
    assert isinstance(info.value.__cause__, httpx.TimeoutException)
    assert replay_server.hits("/slow") == 3 and sleep.calls == [1.0, 2.0]


def test_truncated_body_is_never_a_snapshot(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "<p>" + "full text " * 200 + "</p>")
    replay_server.fault("/page", "truncated", times=3)
    with pytest.raises(TransportError) as info:
        fetch(url)
    assert isinstance(info.value.__cause__, httpx.ReadError)
    assert replay_server.hits("/page") == 3


def test_truncated_once_then_the_whole_body(replay_server: ReplayServer) -> None:
    body = "<p>" + "full text " * 200 + "</p>"
    url = replay_server.add("/page", body)
    replay_server.fault("/page", "truncated")
    assert fetch(url).content == body.encode()
    assert replay_server.hits("/page") == 2


def test_disconnect_is_a_transport_error(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "ok")
    replay_server.fault("/page", "disconnect", times=100)
    with pytest.raises(TransportError, match="after 3 attempt"):
        fetch(url)
    # aiohttp itself re-sends a GET once on "Server disconnected" (RFC 9112 section 9.3.1).
    assert 3 <= replay_server.hits("/page") <= 6


def test_connection_refused_is_a_transport_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransportError, match="after 3 attempt"):
        fetch(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http://[bad/", "no-scheme"])
def test_unusable_url_is_a_fetch_error(url: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(url)
    assert not isinstance(info.value, TransportError)


def test_policy_is_validated() -> None:
    with pytest.raises(ConfigError, match="fetch.retries=-1"):
        make_policy(retries=-1)
    with pytest.raises(ConfigError, match="user_agent"):
        make_policy(user_agent=" ")


# -- robots.txt --------------------------------------------------------------------------


def test_robots_disallow_means_never_requested(replay_server: ReplayServer) -> None:
    replay_server.robots("User-agent: *\nDisallow: /\n\nUser-agent: lexwatch\nDisallow: /private\n")
    secret = replay_server.add("/private/page", "secret")
    public = replay_server.add("/public", "hello")
    policy = make_policy(respect_robots=True)

    async def use(fetcher: Fetcher) -> Fetched:
        with pytest.raises(RobotsDisallowedError, match="disallows it for user-agent 'lexwatch'"):
            await fetcher.fetch(secret)
        return await fetcher.fetch(public)

    assert with_fetcher(policy, use).content == b"hello"
    assert replay_server.hits("/private/page") == 0
    assert replay_server.hits("/robots.txt") == 1


def test_robots_404_allows_everything(replay_server: ReplayServer) -> None:
    url = replay_server.add("/page", "ok")
    assert fetch(url, make_policy(respect_robots=True)).status == 200
    assert replay_server.hits("/robots.txt") == 1


def test_robots_is_ignored_when_policy_says_so(replay_server: ReplayServer) -> None:
    replay_server.robots("User-agent: *\nDisallow: /\n")
    assert fetch(replay_server.add("/page", "ok")).status == 200
    assert replay_server.hits("/robots.txt") == 0


def test_robots_5xx_disallows_for_a_minute_only(replay_server: ReplayServer) -> None:
    replay_server.fault("/robots.txt", "status", status=503)
    url = replay_server.url("/page")
    now = [1000.0]

    async def main() -> list[bool]:
        async with make_client(make_policy()) as client:
            robots = RobotsCache(client, "lexwatch", ttl=86400, clock=lambda: now[0])
            answers = [await robots.allowed(url)]
            assert "unreachable (HTTP 503)" in robots.explain(url)
            now[0] += 59
            answers.append(await robots.allowed(url))
            now[0] += 2
            answers.append(await robots.allowed(url))
            return answers

    assert asyncio.run(main()) == [False, False, True]
    assert replay_server.hits("/robots.txt") == 2


def test_robots_is_fetched_once_for_concurrent_callers(replay_server: ReplayServer) -> None:
    replay_server.robots("User-agent: lexwatch\nDisallow: /no\nCrawl-delay: 3\n")
    replay_server.fault("/robots.txt", "timeout", delay=0.2)

    async def main() -> tuple[list[bool], float | None]:
        async with make_client(make_policy()) as client:
            robots = RobotsCache(client, "lexwatch", ttl=86400)
            paths = ["/yes", "/no", "/yes/2", "/no/2"]
            answers = await asyncio.gather(*(robots.allowed(replay_server.url(p)) for p in paths))
            return list(answers), robots.crawl_delay(replay_server.url("/"))

    assert asyncio.run(main()) == ([True, False, True, False], 3.0)
    assert replay_server.hits("/robots.txt") == 1


def test_robots_crawl_delay_raises_host_spacing(replay_server: ReplayServer) -> None:
    replay_server.robots("User-agent: lexwatch\nCrawl-delay: 4\n")
    url = replay_server.add("/page", "ok")
    policy = make_policy(respect_robots=True, per_host_spacing=1.0)
    limiter = HostLimiter(1, 1.0, 4)
    fetch(url, policy, limiter=limiter)
    assert limiter.spacing("127.0.0.1") == 4.0
    assert limiter.spacing("localhost") == 1.0


# -- politeness --------------------------------------------------------------------------


@pytest.mark.parametrize("per_host", [1, 3])
def test_per_host_concurrency(replay_server: ReplayServer, per_host: int) -> None:
    urls = []
    for i in range(5):
        urls.append(replay_server.add(f"/slot/{i}", "ok"))
        replay_server.fault(f"/slot/{i}", "timeout", delay=0.15)
    fetch_all(urls, make_policy(per_host_concurrency=per_host))
    assert replay_server.max_concurrency("/slot/") == per_host


def test_spacing_between_request_starts(replay_server: ReplayServer) -> None:
    urls = [replay_server.add(f"/s/{i}", "ok") for i in range(3)]
    policy = make_policy(per_host_concurrency=3, per_host_spacing=0.2)
    time = VirtualTime()
    limiter = HostLimiter(3, 0.2, 16, clock=time.clock, sleep=time.sleep)
    with_fetcher(
        policy,
        lambda f: asyncio.gather(*(f.fetch(u) for u in urls)),
        sleep=RecordingSleep(),
        limiter=limiter,
    )
    # Every request went through the limiter: the second and third each waited 0.2 s.
    assert len(starts(replay_server, "/s/")) == 3
    assert time.slept == pytest.approx([0.2, 0.2])


def test_hosts_do_not_block_each_other(replay_server: ReplayServer) -> None:
    for path in ("/a", "/b", "/c"):
        replay_server.add(path, "ok")
        replay_server.fault(path, "timeout", delay=0.3)
    urls = [
        replay_server.url("/a"),
        replay_server.url("/b"),
        replay_server.url("/c", host="localhost"),
    ]
    time = VirtualTime()
    limiter = HostLimiter(1, 0.5, 16, clock=time.clock, sleep=time.sleep)
    with_fetcher(
        make_policy(per_host_concurrency=1, per_host_spacing=0.5),
        lambda f: asyncio.gather(*(f.fetch(u) for u in urls)),
        sleep=RecordingSleep(),
        limiter=limiter,
    )
    assert replay_server.requests[-1].path == "/b"  # waited for /a on its own host
    assert time.slept == [0.5]  # /b waited its spacing; localhost's /c did not wait
    assert replay_server.max_concurrency() == 2  # /c ran alongside /a


def test_limiter_waits_out_spacing_with_injected_time() -> None:
    clock = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    async def main() -> None:
        limiter = HostLimiter(1, 2.0, 4, clock=lambda: clock[0], sleep=sleep)
        for _ in range(2):
            async with limiter.slot("https://a.example/x"):
                clock[0] += 0.5
        limiter.set_spacing("a.example", 10.0)
        limiter.set_spacing("b.example", 0.1)  # never below the default
        for url in ("https://a.example/y", "https://b.example/", "https://b.example/z"):
            async with limiter.slot(url):
                pass

    asyncio.run(main())
    assert waits == [1.5, 9.5, 2.0]


def test_request_times_are_monotonic_clock(replay_server: ReplayServer) -> None:
    before = time.monotonic()
    fetch(replay_server.add("/page", "x"))
    assert before <= replay_server.requests[0].time <= time.monotonic()
    assert replay_server.requests[0].method == "GET"


def test_fetched_at_uses_the_injected_now(replay_server: ReplayServer) -> None:
    moment = datetime(2025, 3, 1, 12, tzinfo=UTC)
    got = fetch(replay_server.add("/page", "x"), now=lambda: moment)
    assert got.fetched_at == moment and got.fetched_at - moment == timedelta(0)
