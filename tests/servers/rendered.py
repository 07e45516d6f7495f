"""Pages that need a browser, served on loopback: their content appears only after scripts run.

``RenderedSite`` serves them on 127.0.0.1 and counts every request by path; ``Spied`` is a
server on another loopback address (127.0.0.2) that a page tries to reach and the SSRF guard
must keep it from: it counts what reaches it; ``SpiedUdp`` does the same for WebRTC's UDP.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import threading

from aiohttp import web

from tests.servers.threaded import ThreadedApp

ETAG = '"listing-v1"'

# The shell every page shares: an empty list the page's script fills.
SHELL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
</head><body><main id="list">{static}</main>{scripts}</body></html>"""

# Builds one <article> per entry of /items.json, as a single-page app does.
LISTING_JS = """
fetch('/items.json').then(r => r.json()).then(items => {
  for (const item of items) {
    const article = document.createElement('article');
    const heading = document.createElement('h2');
    heading.textContent = item.title;
    const text = document.createElement('p');
    text.textContent = item.text;
    article.append(heading, text);
    document.getElementById('list').append(article);
  }
});
"""

ITEMS = [
    {"title": "Guidelines on prohibited AI practices", "text": "Published on 4 February 2025."},
    {"title": "Code of practice for general-purpose AI", "text": "Signatories listed in July."},
]


def spy_js(spied: str, stun: str) -> str:
    """A page that reaches for a private address five ways, then shows what it has."""
    return f"""
fetch('{spied}/secret').catch(() => null);
const peer = new RTCPeerConnection({{iceServers: [{{urls: 'stun:{stun}'}}]}});
peer.createDataChannel('out');
peer.createOffer().then(offer => peer.setLocalDescription(offer));
const image = new Image(); image.src = '{spied}/pixel.gif';
try {{ new WebSocket('{spied.replace("http", "ws")}/socket'); }} catch (e) {{}}
fetch('file:///etc/passwd').catch(() => null);
const article = document.createElement('article');
article.innerHTML = '<h2>Rendered after the blocked requests</h2><p>Scripts ran.</p>';
document.getElementById('list').append(article);
"""


class RenderedSite(ThreadedApp):
    """The JavaScript pages; ``hits`` counts requests by path, ``spied`` is set by the test."""

    def __init__(self) -> None:
        super().__init__("rendered-site", self._build, handler_cancellation=True)
        self.hits: collections.Counter[str] = collections.Counter()
        self.spied = ""
        self.stun = ""  # host:port of a UDP listener, for WebRTC
        self.heavy_bytes = 300_000
        self.items = list(ITEMS)  # what /items.json lists; a test publishes by appending
        self.etag = ETAG

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _build(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._serve)
        return app

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] = self.hits[path] + 1
        if path == "/listing":
            if request.headers.get("If-None-Match") == self.etag:
                return web.Response(status=304, headers={"ETag": self.etag})
            return _page("Listing", '<script src="/listing.js"></script>', etag=self.etag)
        if path == "/listing.js":
            return web.Response(text=LISTING_JS, content_type="application/javascript")
        if path == "/items.json":
            return web.json_response(self.items)
        if path == "/spy":
            return _page("Spy", '<script src="/spy.js"></script>')
        if path == "/spy.js":
            script = spy_js(self.spied, self.stun)
            return web.Response(text=script, content_type="application/javascript")
        if path == "/endless":  # its script never arrives: the load event never fires
            return _page("Endless", '<script src="/never.js"></script>')
        if path == "/never.js":
            await asyncio.Event().wait()
        if path == "/heavy":
            return _page("Heavy", '<script src="/heavy.js"></script>')
        if path == "/heavy.js":
            filler = "/*" + "x" * self.heavy_bytes + "*/"
            return web.Response(text=filler, content_type="application/javascript")
        return web.Response(status=404, text="not here")


def _page(title: str, scripts: str, *, etag: str | None = None) -> web.Response:
    static = "<article><h2>Always in the HTML</h2><p>Served without scripts.</p></article>"
    body = SHELL.format(title=title, static=static, scripts=scripts)
    headers = {"ETag": etag} if etag else {}
    return web.Response(text=body, content_type="text/html", headers=headers)


class Spied(ThreadedApp):
    """A server on 127.0.0.2: what reaches it got past the SSRF guard."""

    def __init__(self) -> None:
        super().__init__("spied", self._build, host="127.0.0.2")
        self.hits = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.2:{self.port}"

    def _build(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._serve)
        return app

    async def _serve(self, request: web.Request) -> web.Response:
        self.hits += 1
        return web.Response(text="the metadata of the machine")


class SpiedUdp:
    """A UDP port on 127.0.0.2 (a STUN server, for WebRTC): counts the datagrams it gets."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.2", 0))
        self._socket.settimeout(0.2)
        self.address = f"127.0.0.2:{self._socket.getsockname()[1]}"
        self.datagrams = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._count, name="spied-udp", daemon=True)
        self._thread.start()

    def _count(self) -> None:
        while not self._stop.is_set():
            try:
                self._socket.recv(4096)
            except TimeoutError:
                continue
            self.datagrams += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._socket.close()
