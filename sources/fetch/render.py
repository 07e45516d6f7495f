"""Rendering a page in headless Chromium for a source with ``render = true``.

The page itself is fetched first by the ``Fetcher`` (conditional GET, robots.txt, politeness,
the SSRF guard): a 304 never starts the browser. A 2xx body is then handed to Chromium as the
answer to its navigation, so the server is asked once, and the DOM after the page's scripts
ran is what the parsers read.

Chromium itself never touches the network. Every request the page makes (scripts, styles,
XHR, frames, later navigations) is intercepted and sent through the Fetcher's own client, so
the SSRF guard checks its URL, every redirect and every DNS answer exactly as for a source;
a refused one is aborted, logged and counted, and the page renders without it. Only http(s)
is fetched: ``file:``, ``chrome:`` and the rest are refused (``data:`` and ``blob:`` never
leave the page). WebSockets are answered by a stub that closes them; WebRTC, which the
interception does not see, may only use a proxy, and there is none; service workers and
downloads are off; and the browser's own resolver resolves nothing (``MAP * ~NOTFOUND``) in
case a request ever slipped past the interception.

Bounds: ``page_timeout`` for the whole page (load and network quiet included), ``max_bytes``
over everything it loads, ``max_pages`` pages at a time. A page that does not settle in time
is a failed check, never a half-built snapshot: a DOM taken mid-load would lose items and
report them removed. The browser starts at the first render and is reused until ``close``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from monitor.errors import (
    BlockedAddressError,
    BodyTooLargeError,
    FetchError,
    RenderError,
)
from monitor.types import Fetched
from sources.fetch.redact import redact_url

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright, Request, Route, WebSocketRoute

    from sources.fetch.fetcher import Fetcher

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "render = true needs Chromium: install it (Debian/Ubuntu: apt-get install chromium)"
    " or set render.chromium (or LEXWATCH_CHROMIUM) to its path"
)
# The browser's own resolver answers nothing: every request is fetched by lexwatch instead.
# WebRTC is the one way out that request interception does not see (STUN and TURN over UDP,
# to any address a script names): it may only use a proxy, and there is none.
_LAUNCH_ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-background-networking",
]
# Request headers the page may set on what lexwatch fetches for it; the rest (User-Agent,
# Accept-Encoding, Host, Connection) are the client's own.
_FORWARDED = frozenset(
    {"accept", "accept-language", "content-type", "cookie", "origin", "referer", "x-requested-with"}
)
# Answer headers not handed back to Chromium: the body it gets is already decoded and whole.
_DROPPED = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})
_RENDERED_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True, kw_only=True)
class RenderPolicy:
    """How pages are rendered: seconds per page, bytes per page, pages at a time."""

    page_timeout: float = 30.0
    max_bytes: int = 20_000_000
    max_pages: int = 1  # 1 or 2; the bounds are checked once, in RenderSettings
    chromium: str | None = None  # a path or a command; None: see ``chromium_executable``


def chromium_executable(configured: str | None, environ: Mapping[str, str]) -> str | None:
    """render.chromium, else $LEXWATCH_CHROMIUM, else ``chromium`` on PATH; None: the browser
    Playwright downloads itself (``playwright install chromium``)."""
    for given in (configured, environ.get("LEXWATCH_CHROMIUM")):
        if given:
            return shutil.which(given) or given
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Renderer:
    """Renders fetched pages in one lazily started, shared Chromium; ``close`` stops it.

    ``launches``, ``rendered`` and ``blocked`` count browser starts, pages rendered and
    requests refused; ``most_at_once`` is the most pages open together (``max_pages``).
    """

    def __init__(
        self, fetcher: Fetcher, policy: RenderPolicy, *, environ: Mapping[str, str] = os.environ
    ) -> None:
        self._fetcher = fetcher
        self._policy = policy
        self._executable = chromium_executable(policy.chromium, environ)
        self._slots = asyncio.Semaphore(policy.max_pages)
        self._starting = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self.launches = self.rendered = self.blocked = 0
        self.open_pages = self.most_at_once = 0

    async def render(self, fetched: Fetched) -> Fetched:
        """``fetched`` with its content replaced by the rendered DOM (UTF-8 HTML).

        Raises ``RenderError`` (no Chromium, the page did not settle in time, the browser
        failed) or ``BodyTooLargeError`` (the page loaded more than ``max_bytes``)."""
        async with self._slots:
            browser = await self._started(fetched.url)
            self.open_pages += 1
            self.most_at_once = max(self.most_at_once, self.open_pages)
            try:
                dom = await _PageRun(self, self._fetcher, self._policy, fetched).run(browser)
            finally:
                self.open_pages -= 1
        self.rendered += 1
        headers = {**fetched.headers, "content-type": _RENDERED_TYPE}
        return replace(fetched, content=dom, content_type=_RENDERED_TYPE, headers=headers)

    async def close(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        if browser is not None:
            await _quietly(browser.close())
        if playwright is not None:
            await _quietly(playwright.stop())

    async def _started(self, url: str) -> Browser:
        async with self._starting:
            if self._browser is None or not self._browser.is_connected():
                self._browser = await self._launch(url)
                self.launches += 1
            return self._browser

    async def _launch(self, url: str) -> Browser:
        url = redact_url(url)  # the message is stored with the check
        executable = self._executable
        if executable is not None and not os.path.isfile(executable):
            raise RenderError(
                f"cannot render {url}: {executable} not found; {INSTALL_HINT}", url=url
            )
        try:
            from playwright.async_api import Error, async_playwright
        except ImportError as exc:  # a trimmed install: the package is a dependency
            raise RenderError(
                f"cannot render {url}: the playwright package is missing"
                f" (pip install playwright); {INSTALL_HINT}",
                url=url,
            ) from exc
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        try:
            return await self._playwright.chromium.launch(
                executable_path=executable, headless=True, args=_LAUNCH_ARGS
            )
        except Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RenderError(
                f"cannot render {url}: Chromium did not start ({first}); {INSTALL_HINT}", url=url
            ) from exc

    def count_blocked(self, page_url: str, url: str, reason: str) -> None:
        self.blocked += 1
        logger.warning(
            "render %s: blocked a request to %s: %s", redact_url(page_url), redact_url(url), reason
        )


class _PageRun:
    """One page in a fresh browser context: its requests served, its budget counted."""

    def __init__(
        self, renderer: Renderer, fetcher: Fetcher, policy: RenderPolicy, fetched: Fetched
    ) -> None:
        self._renderer = renderer
        self._policy = policy
        self._fetcher = fetcher
        self._fetched = fetched
        self._url = fetched.final_url or fetched.url
        self._served = False
        self._spent = len(fetched.content)
        self._failure: FetchError | None = None
        self._loaded = self._refused = 0
        # The page's own requests end with it: one that hangs holds nothing past the limit.
        self._deadline = asyncio.get_running_loop().time() + self._policy.page_timeout

    async def run(self, browser: Browser) -> bytes:
        from playwright.async_api import Error
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        context = await browser.new_context(accept_downloads=False, service_workers="block")
        # Playwright's own limit only backs up ours, which ends the page first.
        context.set_default_timeout((self._policy.page_timeout + 5) * 1000)
        try:
            await context.route("**/*", self._route)
            await context.route_web_socket(re.compile(".*"), self._socket)
            page = await context.new_page()
            async with asyncio.timeout_at(self._deadline):
                await page.goto(self._url, wait_until="load")
                await page.wait_for_load_state("networkidle")
                dom = (await page.content()).encode("utf-8")
        except (TimeoutError, PlaywrightTimeout) as exc:
            raise self._failure or self._overtime() from exc
        except Error as exc:
            raise self._failure or RenderError(
                f"cannot render {redact_url(self._url)}: {str(exc).strip().splitlines()[0]}",
                url=self._url,
            ) from exc
        finally:
            await _quietly(context.close())
        if self._failure is not None:
            raise self._failure
        if len(dom) > self._policy.max_bytes:
            raise self._too_large()
        logger.info(
            "render %s: %d request(s) loaded, %d refused, %d bytes in all",
            redact_url(self._url),
            self._loaded,
            self._refused,
            self._spent,
        )
        return dom

    async def _route(self, route: Route) -> None:
        try:
            await self._answer(route, route.request)
        except Exception as exc:  # the page went away under us: nothing left to answer
            logger.debug("render %s: %s", redact_url(self._url), exc)

    async def _answer(self, route: Route, request: Request) -> None:
        if not self._served and request.is_navigation_request():
            self._served = True  # the page itself: the body the Fetcher already read
            await route.fulfill(
                status=200,
                headers={"content-type": self._fetched.content_type or "text/html"},
                body=self._fetched.content,
            )
            return
        scheme = urlsplit(request.url).scheme.lower()
        if scheme not in ("http", "https"):
            self._block(request.url, f"{scheme}: URLs are not loaded")
            await route.abort("blockedbyclient")
            return
        answer = await self._fetch(request)
        if answer is None:
            await route.abort("blockedbyclient")
            return
        headers = {k: v for k, v in answer.headers.items() if k not in _DROPPED}
        await route.fulfill(status=answer.status, headers=headers, body=answer.content)

    async def _fetch(self, request: Request) -> Fetched | None:
        """The answer to one of the page's requests, or None when it is not to be loaded."""
        room = self._policy.max_bytes - self._spent
        sent = {k: v for k, v in (await request.all_headers()).items() if k in _FORWARDED}
        try:
            async with asyncio.timeout_at(self._deadline):
                answer = await self._fetcher.resource(
                    request.url,
                    method=request.method,
                    headers=sent,
                    body=request.post_data_buffer,
                    max_bytes=max(room, 1),
                )
        except TimeoutError:  # the page is over: run() reports it
            return None
        except BlockedAddressError as exc:
            self._block(request.url, str(exc))
            return None
        except BodyTooLargeError:
            self._failure = self._failure or self._too_large()
            return None
        except FetchError as exc:  # a missing script: the page renders as a browser shows it
            logger.info("render %s: %s", redact_url(self._url), exc)
            return None
        self._spent += len(answer.content)
        self._loaded += 1
        if self._spent > self._policy.max_bytes:
            self._failure = self._failure or self._too_large()
            return None
        return answer

    async def _socket(self, socket: WebSocketRoute) -> None:
        self._block(socket.url, "WebSockets are not opened")
        await _quietly(socket.close())

    def _block(self, url: str, reason: str) -> None:
        self._refused += 1
        self._renderer.count_blocked(self._url, url, reason)

    def _overtime(self) -> RenderError:
        return RenderError(
            f"{redact_url(self._url)} did not settle within render.page_timeout="
            f"{self._policy.page_timeout:g} s (the page kept loading); no snapshot taken",
            url=self._url,
        )

    def _too_large(self) -> BodyTooLargeError:
        return BodyTooLargeError(
            f"{redact_url(self._url)} loaded more than render.max_mb="
            f"{self._policy.max_bytes / 1_000_000:g} MB with its resources; stopped",
            url=self._url,
        )


async def _quietly(closing: Any) -> None:
    """Await a close that may fail because the browser is already gone."""
    try:
        await closing
    except Exception as exc:
        logger.debug("render: closing: %s", exc)
