"""Benchmark: one check cycle over 1,000 sources, through the real pipeline and storage.

A local aiohttp server (its own process, so it is not measured) serves 1,000 sources: HTML
pages of 20-500 KB (log-uniform; header, nav, footer, and heading sections of paragraphs and
lists) and a few RSS feeds, with ETag and Last-Modified, answering 304 to either validator.
lexwatch checks all of them as `lexwatch check --all` does (App.start, app.checker(), every
enabled source gathered; per-host limits for the one host: 16 at once, no spacing, robots off)
into a temp SQLite file, with one webhook subscription so the outbox is written too:

  first      the first cycle (every source a baseline)
  changed    a cycle after 5 % of the sources changed (exactly those must be reported)
  unchanged  a cycle after nothing changed (all 304)

The floor, in the same run: a bare aiohttp client fetching the same URLs with the same
concurrency (16) and the same conditional headers, reading each body and doing nothing else
(median of 3 passes). For attribution, lexwatch's Fetcher alone (its httpx client on the
aiohttp transport, politeness limiter, SSRF guard; no parsing, no database) makes the same
passes too ("fetcher" rows), and so does a stock httpx client on the same aiohttp transport
("httpx alone" rows: the required HTTP stack with none of lexwatch's code). The parsers'
CPU time over the first cycle's bodies, in one thread with no I/O, is measured as well:
with "httpx alone", the part of each target that the required stack takes before lexwatch
does anything of its own ("lower bounds" in the results).

Targets (issue 17, CPU seconds, against the rows of the same run): unchanged <= 1.3x "httpx
alone conditional"; changed <= 1.5x ("httpx alone conditional" + the parsers alone on the
changed bodies); first <= 1.3x ("httpx alone first" + the parsers alone on every body); peak
memory < 300 MB (RSS, sampled); exactly the changed sources reported. Issue 6's ratios to
the bare-aiohttp floor (wall time) are still printed.

Run: .venv/bin/python bench/cycle.py   (writes bench/results/cycle.txt; about a minute)
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import math
import os
import platform
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench/results/cycle.txt"
SOURCES = 1000
FEEDS = 30  # every SOURCES // FEEDS-th source is an RSS feed
CHANGED = 0.05
CONCURRENCY = 16
FLOOR_RUNS = 3
SEED = 20260601
TARGETS = {"first": 4.0, "changed": 2.0, "unchanged": 1.5}  # issue 6, against the floor
STACK_TARGETS = {"first": 1.3, "changed": 1.5, "unchanged": 1.3}  # issue 17, see stack_targets
MEMORY_TARGET_MB = 300

# -- the fixture web site ---------------------------------------------------------------------

_VOCABULARY = (
    "the Commission AI Office guidelines general-purpose model providers obligations"
    " transparency code of practice consultation stakeholders deadline September Member"
    " States market surveillance authorities high-risk systems conformity assessment"
    " harmonised standards CEN-CENELEC notified bodies delegated act implementing act"
    " Official Journal entry into force application date penalties governance board"
    " scientific panel systemic risk evaluation documentation copyright training data"
    " summary template serious incident reporting cybersecurity robustness accuracy"
    " human oversight fundamental rights impact assessment deployers importers distributors"
    " sandbox testing real-world conditions SMEs start-ups guidance questions answers"
).split()
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _sentences(rng: random.Random, count: int) -> list[str]:
    pool = []
    for _ in range(count):
        words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(8, 24))]
        if rng.random() < 0.05:
            words += [
                "by",
                str(rng.randint(1, 28)),
                rng.choice(_MONTHS),
                str(rng.randint(2025, 2027)),
            ]
        pool.append(" ".join(words).capitalize() + ".")
    return pool


_POOL = _sentences(random.Random(SEED), 20_000)
_ICON = (
    "<svg class='ecl-icon ecl-icon--xs ecl-link__icon' focusable='false' aria-hidden='true'>"
    "<use xlink:href='/themes/ecl/dist/images/icons/sprites/icons.svg#external'></use></svg>"
)
_CHROME = (
    "<header class='ecl-site-header' data-ecl-auto-init='SiteHeader'><nav"
    " class='ecl-menu' aria-label='Main'><ul class='ecl-menu__list'>"
    + "".join(
        f"<li class='ecl-menu__item'><a class='ecl-menu__link ecl-link' href='/menu/{i}'>"
        f"{_ICON}<span class='ecl-link__label'>Menu {i}</span></a></li>"
        for i in range(40)
    )
    + "</ul></nav></header>"
)
_FOOTER = (
    "<footer class='ecl-site-footer'><ul class='ecl-site-footer__list'>"
    + "".join(
        f"<li class='ecl-site-footer__list-item'><a class='ecl-link ecl-link--standalone'"
        f" href='/footer/{i}'>{_ICON}Footer link {i}</a></li>"
        for i in range(40)
    )
    + "</ul></footer>"
)
TEXT_SHARE = 0.2  # of a page's bytes; the rest is markup, icons and inline scripts


def is_feed(index: int) -> bool:
    return index % (SOURCES // FEEDS) == 7


def page_size(index: int) -> int:
    """20-500 KB, log-uniform (median ~100 KB)."""
    rng = random.Random(SEED + index)
    return int(math.exp(rng.uniform(math.log(20_000), math.log(500_000))))


def html_page(index: int, version: int) -> bytes:
    """An ECL-style page: chrome, heading sections of text (~20 % of the bytes), scripts."""
    rng = random.Random(SEED * 3 + index)
    target = page_size(index)
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><title>Page {index}</title>"
        "<link rel='stylesheet' href='/themes/ecl/styles.css'>"
        "<script>var tracking = {id: 1};</script></head><body>",
        _CHROME,
        f"<main class='ecl-container'><h1 class='ecl-page-header__title'>Publication {index}</h1>",
    ]
    text, section = 0, 0
    while text < target * TEXT_SHARE:
        block, words = _section(rng, section, index, version)
        parts.append(block)
        text += words
        section += 1
    parts += ["</main>", _FOOTER]
    size = sum(map(len, parts))
    parts.append(_settings_script(rng, max(0, target - size)))
    parts.append("</body></html>")
    return "".join(parts).encode()


def _section(rng: random.Random, number: int, index: int, version: int) -> tuple[str, int]:
    """One heading section and how many bytes of text it holds."""
    paragraphs = [
        " ".join(rng.choice(_POOL) for _ in range(rng.randint(1, 4)))
        for _ in range(rng.randint(1, 3))
    ]
    links = [rng.choice(_POOL) for _ in range(rng.randint(0, 3))]
    if version and number == (index + version) % 2:  # a change: an early section grows
        paragraphs.append(
            f"Update {version}: the Commission published the revised guidelines"
            f" on {version + 1} {_MONTHS[version % 12]} 2026."
        )
    body = "".join(
        f"<div class='ecl-paragraph'><p class='ecl-u-type-paragraph'>{p}</p></div>"
        for p in paragraphs
    )
    items = "".join(
        f"<li class='ecl-unordered-list__item'><a class='ecl-link' href="
        f"'/doc/{index}/{number}/{n}'>{_ICON}<span>{link}</span></a></li>"
        for n, link in enumerate(links)
    )
    html = (
        f"<section class='ecl-u-mb-l' id='s{number}'><h2 class='ecl-u-type-heading-2'>"
        f"Section {number}: {rng.choice(_VOCABULARY)}</h2>{body}"
        + (f"<ul class='ecl-unordered-list'>{items}</ul>" if items else "")
        + "</section>"
    )
    return html, sum(map(len, paragraphs)) + sum(map(len, links))


def _settings_script(rng: random.Random, size: int) -> str:
    """Inline JSON (Drupal settings, analytics, webtools) that fills a page up to its size."""
    entries: list[str] = []
    total = 0
    while total < size:
        entry = f'"k{len(entries)}":"{rng.getrandbits(128):032x}{rng.choice(_VOCABULARY)}"'
        entries.append(entry)
        total += len(entry) + 1
    return (
        "<script type='application/json' data-drupal-selector='drupal-settings-json'>{"
        + ",".join(entries)
        + "}</script>"
    )


def rss_feed(index: int, version: int) -> bytes:
    rng = random.Random(SEED * 5 + index)
    count = rng.randint(20, 60)
    entries = [_entry(index, n, rng) for n in range(version + count, version, -1)]
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Feed {index}</title><link>http://example.eu/feed/{index}</link>"
        "<description>News</description>" + "".join(entries) + "</channel></rss>"
    ).encode()


def _entry(index: int, number: int, rng: random.Random) -> str:
    published = format_datetime(
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=number), usegmt=True
    )
    own = random.Random(index * 10_000 + number)
    text = " ".join(own.choice(_POOL) for _ in range(8))
    return (
        f"<item><title>News {number} of feed {index}</title>"
        f"<link>http://example.eu/news/{index}/{number}</link>"
        f"<guid>news-{index}-{number}</guid><pubDate>{published}</pubDate>"
        f"<description>{text}</description></item>"
    )


def body(index: int, version: int) -> bytes:
    return rss_feed(index, version) if is_feed(index) else html_page(index, version)


def path(index: int) -> str:
    return f"/feed/{index}" if is_feed(index) else f"/page/{index}"


# -- the server process ---------------------------------------------------------------------


def serve(port: int) -> None:
    """Serve every source from memory; /_bump changes some, /_stats counts (and resets)."""
    from aiohttp import web

    versions = [0] * SOURCES
    bodies = {(i, 0): body(i, 0) for i in range(SOURCES)}
    stats = {"requests": 0, "not_modified": 0, "bytes": 0}
    epoch = datetime(2026, 1, 1, tzinfo=UTC)

    async def handle(request: web.Request) -> web.StreamResponse:
        index = int(request.match_info["index"])
        version = versions[index]
        etag = f'"{index}-{version}"'
        modified = epoch + timedelta(days=version)
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        stats["requests"] += 1
        if _fresh(request, etag, modified):
            stats["not_modified"] += 1
            return web.Response(status=304, headers=headers)
        data = bodies[(index, version)]
        stats["bytes"] += len(data)
        kind = "application/rss+xml" if is_feed(index) else "text/html; charset=utf-8"
        return web.Response(body=data, headers={**headers, "Content-Type": kind})

    async def bump(request: web.Request) -> web.Response:
        for index in await request.json():
            versions[index] += 1
            bodies[(index, versions[index])] = body(index, versions[index])
        return web.json_response({"ok": True})

    async def read_stats(request: web.Request) -> web.Response:
        answer = dict(stats)
        stats.update(requests=0, not_modified=0, bytes=0)
        return web.json_response(answer)

    app = web.Application()
    app.router.add_get("/page/{index}", handle)
    app.router.add_get("/feed/{index}", handle)
    app.router.add_post("/_bump", bump)
    app.router.add_get("/_stats", read_stats)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def _fresh(request: Any, etag: str, modified: datetime) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in {tag.strip() for tag in if_none_match.split(",")}
    since = request.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class Server:
    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", str(self.port)])
        self._wait()

    def _wait(self) -> None:
        import urllib.request

        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/_stats", timeout=1).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the fixture server did not start")

    def call(self, method: str, route: str, payload: Any = None) -> Any:
        import urllib.request

        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.base + route,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# -- measuring --------------------------------------------------------------------------------


class ClassifyTimer:
    """The CPU time spent in ``RuleClassifier.classify`` while the block runs (it runs in
    the checker's worker threads: thread CPU time, summed under a lock)."""

    def __enter__(self) -> ClassifyTimer:
        from monitor.analysis.classify import RuleClassifier

        self.cpu, self.calls, lock = 0.0, 0, threading.Lock()
        self._class, self._original = RuleClassifier, RuleClassifier.classify
        original = self._original

        def timed(classifier: Any, diffs: Any, context: Any) -> Any:
            started = time.thread_time()
            try:
                return original(classifier, diffs, context)
            finally:
                with lock:
                    self.cpu += time.thread_time() - started
                    self.calls += 1

        RuleClassifier.classify = timed  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self._class.classify = self._original  # type: ignore[method-assign]


@dataclass
class Measure:
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss_mb: float = 0.0
    requests: int = 0
    not_modified: int = 0
    changed_sources: int = 0
    failed: int = 0


class RssSampler:
    """Peak resident memory of this process while the block runs (sampled every 20 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _sample(self) -> None:
        while not self._stop.is_set():
            with open("/proc/self/statm") as statm:
                self.peak = max(self.peak, int(statm.read().split()[1]) * self._page)
            self._stop.wait(0.02)

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measured(server: Server, run: Callable[[], Coroutine[Any, Any, Any]]) -> tuple[Measure, Any]:
    server.call("GET", "/_stats")  # reset the counters
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    with RssSampler() as rss:
        start = time.perf_counter()
        result: Any = asyncio.run(run())
        wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stats = server.call("GET", "/_stats")
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return Measure(
        wall=wall,
        cpu=cpu,
        peak_rss_mb=rss.peak / 1e6,
        requests=stats["requests"],
        not_modified=stats["not_modified"],
    ), result


# -- the floor: a bare aiohttp client ---------------------------------------------------------

Validators = dict[str, tuple[str | None, str | None]]


def request_headers(validators: Validators, url: str, *, conditional: bool) -> dict[str, str]:
    """The conditional headers the floor sends for ``url`` (none on a first pass)."""
    headers = {}
    etag, modified = validators.get(url, (None, None)) if conditional else (None, None)
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    return headers


async def floor_pass(urls: list[str], validators: Validators, *, conditional: bool) -> None:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    gate = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            headers = request_headers(validators, url, conditional=conditional)
            async with gate, session.get(url, headers=headers) as response:
                await response.read()
                if response.status == 200:
                    validators[url] = (
                        response.headers.get("ETag"),
                        response.headers.get("Last-Modified"),
                    )

        await asyncio.gather(*(one(url) for url in urls))


def floor(server: Server, urls: list[str], validators: Validators, *, conditional: bool) -> Measure:
    """The median (by wall time) of FLOOR_RUNS passes, each from the same validators."""
    runs = []
    for _ in range(FLOOR_RUNS):
        mine = dict(validators)
        one_pass = functools.partial(floor_pass, urls, mine, conditional=conditional)
        runs.append(measured(server, one_pass)[0])
        final = mine
    validators.update(final)
    return sorted(runs, key=lambda m: m.wall)[len(runs) // 2]


# -- lower bounds of the required stack --------------------------------------------------------


async def httpx_pass(urls: list[str], validators: Validators, *, conditional: bool) -> None:
    """The floor's pass through a stock httpx client on the aiohttp transport, nothing else."""
    import httpx
    import httpx_aiohttp

    gate = asyncio.Semaphore(CONCURRENCY)
    transport = httpx_aiohttp.AiohttpTransport(limits=httpx.Limits(max_connections=CONCURRENCY))
    async with httpx.AsyncClient(transport=transport) as client:

        async def one(url: str) -> None:
            headers = request_headers(validators, url, conditional=conditional)
            async with gate, client.stream("GET", url, headers=headers) as response:
                await response.aread()

        await asyncio.gather(*(one(url) for url in urls))


def bare_httpx(
    server: Server, urls: list[str], validators: Validators, *, conditional: bool
) -> Measure:
    """The median (by wall time) of FLOOR_RUNS stock-httpx passes with the floor's validators."""
    runs = [
        measured(server, functools.partial(httpx_pass, urls, validators, conditional=conditional))[
            0
        ]
        for _ in range(FLOOR_RUNS)
    ]
    return sorted(runs, key=lambda m: m.wall)[len(runs) // 2]


def parse_alone(versions: dict[int, int]) -> float:
    """CPU seconds of lexwatch's parsers over the bodies of ``versions`` (source index:
    version), in this one thread."""
    from monitor.types import ParseContext, SourceOptions
    from sources.parsers import PARSERS

    bodies = [(i, body(i, version)) for i, version in versions.items()]
    options = SourceOptions()
    start = time.process_time()
    for index, content in bodies:
        kind, mime = ("feed", "application/rss+xml") if is_feed(index) else ("html", "text/html")
        PARSERS[kind](
            content, ParseContext(url="http://bench/", content_type=mime, options=options)
        )
    return time.process_time() - start


# -- lexwatch ---------------------------------------------------------------------------------


def lexwatch_settings(server: Server, database: Path) -> Any:
    from monitor.config import Settings

    return Settings.model_validate(
        {
            "database_url": f"sqlite:///{database}",
            "builtin_catalog": False,
            "http": {
                "contact": "mailto:bench@example.org",
                "per_host_concurrency": CONCURRENCY,
                "per_host_spacing": 0,
                "global_concurrency": CONCURRENCY,
                "respect_robots": False,
                "allow_private_addresses": True,
            },
            "sources": {
                f"s{i:04d}": {
                    "url": server.base + path(i),
                    "interval": "1h",
                    "parser": "feed" if is_feed(i) else "html",
                }
                for i in range(SOURCES)
            },
            "subscriptions": [
                {"name": "team", "channel": "webhook", "target": "http://127.0.0.1:9/hook"}
            ],
        }
    )


def lexwatch_app(server: Server, database: Path) -> Any:
    from monitor.app import App

    return App.start(lexwatch_settings(server, database))


async def fetcher_pass(
    policy: Any, urls: list[str], validators: Validators, *, conditional: bool
) -> None:
    """The floor's pass through lexwatch's Fetcher: its HTTP stack, nothing else."""
    from sources.fetch.fetcher import Fetcher, make_client

    gate = asyncio.Semaphore(CONCURRENCY)
    async with make_client(policy) as client:
        fetcher = Fetcher(client, policy)

        async def one(url: str) -> None:
            etag, modified = validators.get(url, (None, None)) if conditional else (None, None)
            async with gate:
                await fetcher.fetch(url, etag=etag, last_modified=modified)

        await asyncio.gather(*(one(url) for url in urls))


def fetcher(
    server: Server, urls: list[str], validators: Validators, *, conditional: bool
) -> Measure:
    """The median (by wall time) of FLOOR_RUNS Fetcher passes with the floor's validators."""
    from monitor.app import fetch_policy

    policy = fetch_policy(lexwatch_settings(server, Path("unused.db")))
    runs = [
        measured(
            server,
            functools.partial(fetcher_pass, policy, urls, validators, conditional=conditional),
        )[0]
        for _ in range(FLOOR_RUNS)
    ]
    return sorted(runs, key=lambda m: m.wall)[len(runs) // 2]


async def lexwatch_cycle(app: Any) -> list[Any]:
    """What `lexwatch check --all` does, without the progress bar."""
    async with app.checker() as checker:
        return list(await asyncio.gather(*(checker.check(s) for s in app.enabled())))


def lexwatch(server: Server, app: Any) -> tuple[Measure, set[str]]:
    from monitor.types import CheckOutcome

    measure, results = measured(server, lambda: lexwatch_cycle(app))
    changed = {r.source_key for r in results if r.changes}
    measure.changed_sources = len(changed)
    measure.failed = sum(r.outcome is CheckOutcome.FAILED for r in results)
    for result in results:
        if result.outcome is CheckOutcome.FAILED:
            print(f"  failed: {result.source_key}: {result.error}", file=sys.stderr)
            break
    return measure, changed


# -- the run ----------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    """``--help`` prints the docstring above and exits before anything runs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser.parse_args()


def main() -> None:
    arguments()
    logging.basicConfig(level=logging.WARNING)
    server = Server()
    try:
        lines = run(server)
    finally:
        server.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def run(server: Server) -> list[str]:
    urls = [server.base + path(i) for i in range(SOURCES)]
    validators: Validators = {}
    floors = {"first": floor(server, urls, validators, conditional=False)}
    floors["conditional"] = floor(server, urls, validators, conditional=True)
    fetchers = {
        "first": fetcher(server, urls, validators, conditional=False),
        "conditional": fetcher(server, urls, validators, conditional=True),
    }
    stock = {
        "first": bare_httpx(server, urls, validators, conditional=False),
        "conditional": bare_httpx(server, urls, validators, conditional=True),
    }
    with tempfile.TemporaryDirectory() as tmp:
        app = lexwatch_app(server, Path(tmp) / "bench.db")
        try:
            cycles = {"first": lexwatch(server, app)[0]}
            bumped = sorted(random.Random(SEED).sample(range(SOURCES), int(SOURCES * CHANGED)))
            server.call("POST", "/_bump", bumped)
            floors["conditional, 5 % changed"] = floor(server, urls, validators, conditional=True)
            with ClassifyTimer() as classify:
                cycles["changed"], reported = lexwatch(server, app)
            cycles["unchanged"] = lexwatch(server, app)[0]
            db_mb = (Path(tmp) / "bench.db").stat().st_size / 1e6
        finally:
            app.close()
    expected = {f"s{i:04d}" for i in bumped}
    # Last: the bodies they hold would stay in the cycles' peak RSS.
    parsing = {
        "first": parse_alone(dict.fromkeys(range(SOURCES), 0)),
        "changed": parse_alone(dict.fromkeys(bumped, 1)),
    }
    lines = report(floors, fetchers, stock, cycles, reported == expected, len(expected), db_mb)
    lines += stack_targets(stock, cycles, parsing)
    lines += bounds(floors, stock, parsing["first"])
    share = classify.cpu / cycles["changed"].cpu if cycles["changed"].cpu else 0.0
    lines.append(
        f"  classify   {classify.cpu:.3f} s CPU in {classify.calls} calls: {share:.1%}"
        f" of the changed cycle's CPU  (target: adds <= 20 %)"
        f"  {'PASS' if share <= 0.2 / 1.2 else 'FAIL'}"
    )
    if reported != expected:
        lines.append(f"  missed     {sorted(expected - reported)}")
        lines.append(f"  extra      {sorted(reported - expected)}")
    return lines


def report(
    floors: dict[str, Measure],
    fetchers: dict[str, Measure],
    stock: dict[str, Measure],
    cycles: dict[str, Measure],
    exact: bool,
    bumped: int,
    db_mb: float,
) -> list[str]:
    sizes = [page_size(i) for i in range(SOURCES) if not is_feed(i)]
    lines = [
        "bench/cycle.py: one check cycle over 1,000 sources (real pipeline + SQLite storage)",
        f"run:      .venv/bin/python bench/cycle.py   ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        f"machine:  {platform.machine()}, {os.cpu_count()} cores (shared),"
        f" Python {platform.python_version()}",
        f"workload: {SOURCES - len(sizes)} RSS feeds + {len(sizes)} HTML pages of"
        f" {min(sizes) // 1000}-{max(sizes) // 1000} KB (median"
        f" {statistics.median(sizes) // 1000} KB, total {sum(sizes) / 1e6:.0f} MB, text"
        f" {TEXT_SHARE:.0%} of the bytes);"
        f" {bumped} sources ({CHANGED:.0%}) change before the second cycle",
        f"limits:   {CONCURRENCY} at once (global and per host), no spacing, robots off;"
        f" floor = bare aiohttp, same concurrency and validators, median of {FLOOR_RUNS}",
        "peak MB:  resident memory of the process, sampled; memory kept from an earlier run"
        " stays in it",
        "",
        f"{'run':28} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} {'requests':>9} {'304s':>6}"
        f" {'changed':>8}",
    ]
    for name, m in [
        *(("floor " + k, v) for k, v in floors.items()),
        *(("httpx alone " + k, v) for k, v in stock.items()),
        *(("fetcher " + k, v) for k, v in fetchers.items()),
        *(("lexwatch " + k, v) for k, v in cycles.items()),
    ]:
        changed = str(m.changed_sources) if name.startswith("lexwatch") else ""
        lines.append(
            f"{name:28} {m.wall:7.2f} {m.cpu:7.2f} {m.peak_rss_mb:8.0f}"
            f" {m.requests:9d} {m.not_modified:6d} {changed:>8}"
        )
    lines += ["", "against the bare-aiohttp floor (issue 6's targets, wall time):"]
    bases = {
        "first": floors["first"],
        "changed": floors["conditional"],
        "unchanged": floors["conditional"],
    }
    for name, target in TARGETS.items():
        ratio = cycles[name].wall / bases[name].wall
        verdict = "OK" if ratio <= target else "ABOVE TARGET"
        base = "first pass" if name == "first" else "conditional pass"
        lines.append(
            f"  {name:10} {ratio:5.2f}x the floor's {base} (target <= {target}x)  {verdict}"
        )
    for name, base in (("first", "first"), ("unchanged", "conditional")):
        ratio = fetchers[base].wall / floors[base].wall
        share = fetchers[base].wall / cycles[name].wall
        lines.append(
            f"  http       the Fetcher alone is {ratio:4.2f}x the floor's {base} pass"
            f" ({share:.0%} of the {name} cycle's wall time)"
        )
    peak = max(m.peak_rss_mb for m in cycles.values())
    lines.append(
        f"  memory     peak RSS {peak:.0f} MB (target < {MEMORY_TARGET_MB} MB)  "
        + ("OK" if peak < MEMORY_TARGET_MB else "ABOVE TARGET")
    )
    lines.append(
        f"  reported   {'exactly' if exact else 'NOT exactly'} the {bumped} changed"
        f" sources ({cycles['changed'].changed_sources} reported)  " + ("OK" if exact else "WRONG")
    )
    failed = sum(m.failed for m in cycles.values())
    lines.append(f"  failed     {failed} check(s); database {db_mb:.0f} MB after 3 cycles")
    lines.append(
        f"  ru_maxrss  {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB"
        " (whole run, floor included)"
    )
    return lines


def stack_targets(
    stock: dict[str, Measure], cycles: dict[str, Measure], parsing: dict[str, float]
) -> list[str]:
    """Issue 17's targets: each cycle's CPU against what the required stack alone costs
    for the same work (stock httpx, plus the parsers on the bodies that cycle parses)."""
    bounds = {
        "first": stock["first"].cpu + parsing["first"],
        "changed": stock["conditional"].cpu + parsing["changed"],
        "unchanged": stock["conditional"].cpu,
    }
    named = {
        "first": "httpx alone first + parsers alone",
        "changed": "httpx alone conditional + parsers alone on the changed bodies",
        "unchanged": "httpx alone conditional",
    }
    lines = ["", "targets (CPU against the required stack alone, same run):"]
    for name, target in STACK_TARGETS.items():
        ratio = cycles[name].cpu / bounds[name]
        verdict = "OK" if ratio <= target else "ABOVE TARGET"
        lines.append(
            f"  {name:10} {cycles[name].cpu:6.2f} s = {ratio:4.2f}x ({named[name]}:"
            f" {bounds[name]:.2f} s; target <= {target}x)  {verdict}"
        )
    lines.append(
        f"  parsers    alone: {parsing['first']:.2f} s CPU over the first cycle's bodies,"
        f" {parsing['changed']:.2f} s over the changed ones"
    )
    return lines


def bounds(floors: dict[str, Measure], stock: dict[str, Measure], parsing: float) -> list[str]:
    """What the required stack costs before any of lexwatch's own work, as floor ratios."""
    first, conditional = floors["first"].wall, floors["conditional"].wall
    return [
        "",
        "lower bounds (what the required stack costs on its own, same run):",
        f"  httpx      a stock httpx client (aiohttp transport) is"
        f" {stock['first'].wall / first:4.2f}x the floor's first pass and"
        f" {stock['conditional'].wall / conditional:4.2f}x its conditional pass",
        f"  parsing    the parsers alone take {parsing:.2f} s CPU over the first cycle's"
        f" bodies: {parsing / first:4.1f}x the floor's first pass on one core,"
        f" {parsing / 2 / first:4.1f}x if spread over both",
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        main()
