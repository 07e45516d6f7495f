"""Hostile and broken answers through the real pipeline: bounded, recorded, never an alert.

Each source first gets a good baseline from a loopback server (tests/servers/hostile.py),
then the server turns hostile. The check must fail with a reason a person can act on, be
recorded as a failed Check row, add no Change (so nothing can be delivered), keep the last
good snapshot, and stay within a time and memory bound. Broken encodings and deep markup,
which are not errors, must read sensibly instead.

Peak memory is the process's resident-set high-water mark (VmHWM, reset through
/proc/self/clear_refs before each check), so libxml2's and zlib's allocations count too.
Run with ``-s`` to print the matrix.
"""

from __future__ import annotations

import codecs
import contextlib
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from monitor.app import App
from monitor.config import load_settings
from monitor.pipeline import CheckResult
from monitor.types import CheckOutcome
from storage.queries import ChangeFilter
from tests.checking import check
from tests.servers.hostile import HostileServer, gzip_bomb, running


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with running() as started:
        yield started


MAX_BODY_MB = 5
TOTAL_TIMEOUT = 3.0
MEMORY_BOUND_MB = 120  # well under any of the bodies thrown at the client (1 GB)

PAGE = """<!DOCTYPE html><html lang="de"><head><title>KI-Verordnung</title></head><body>
<nav><a href="/">Start</a></nav><main><h1>KI-Verordnung</h1>
<p>Leitlinien zur Überwachung – Fassung für Anbieter.</p>
<h2>Fristen</h2><p>Die Konsultation endet am 10. September 2025.</p></main></body></html>"""

FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>AI news</title><link>https://example.eu/</link>
<item><guid>https://example.eu/n/1</guid><title>AI Pact webinar</title>
<link>https://example.eu/n/1</link><description>Join us.</description></item>
</channel></rss>"""

EURLEX_FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>EUR-Lex</title><link>https://eur-lex.europa.eu/</link>
<item><guid>https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32024R1689</guid>
<title>Regulation (EU) 2024/1689 of the European Parliament and of the Council</title>
<link>https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32024R1689</link>
<description>OJ L, 2024/1689, 12.7.2024</description></item></channel></rss>"""

JSON = '{"items": [{"id": 1, "title": "Call for evidence", "status": "OPEN"}]}'

CLOUDFLARE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper">
<h1>example.eu</h1><p>Verifying you are human. This may take a few seconds.</p>
<noscript>Enable JavaScript and cookies to continue</noscript>
<script>window._cf_chl_opt={cvId:'3',cZone:'example.eu'};</script></div></body></html>"""

AKAMAI = """<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY>
<H1>Access Denied</H1>You don't have permission to access "http://example.eu/" on this
server.<P>Reference #18.2f1d3e17.1732345678.5a6b7c8</BODY></HTML>"""

LOGIN = """<!DOCTYPE html><html><head><title>EU Login</title></head><body>
<header><p>European Commission</p></header><main><h1>Sign in to continue</h1>
<form method="post" action="/cas/login"><label>E-mail <input name="username"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Next</button></form><p>Forgot your password?</p></main></body></html>"""

NESTED_DEPTH = 100_000


def nested_page(depth: int = NESTED_DEPTH) -> str:
    return (
        f"<html><head><title>Deep</title></head><body><main><h1>Deep</h1>"
        f"{'<div>' * depth}<p>Innermost text.</p>{'</div>' * depth}</main></body></html>"
    )


@dataclass(frozen=True)
class Case:
    id: str
    parser: str
    good: str
    content_type: str
    kind: str
    kw: dict[str, Any] = field(default_factory=dict)
    # What the recorded error must say (lower-case substring): which bound stopped it. How
    # long each took is printed in the matrix, never asserted (no wall-clock thresholds).
    reason: str = ""


HTML, RSS, JSONT = "text/html; charset=utf-8", "application/rss+xml", "application/json"
CASES = [
    Case(
        "gzip-bomb-1GB",
        "html",
        PAGE,
        HTML,
        "gzip_bomb",
        {"inflated": 1_000_000_000},
        "max_body_bytes",
    ),
    Case(
        "gzip-bomb-2-layers-1GB",
        "html",
        PAGE,
        HTML,
        "gzip_bomb",
        {"inflated": 1_000_000_000, "layers": 2},
        "max_body_bytes",
    ),
    Case("huge-content-length", "html", PAGE, HTML, "huge", {"declare": True}, "declares"),
    Case("huge-chunked", "html", PAGE, HTML, "huge", {"declare": False}, "max_body_bytes"),
    Case("slowloris", "html", PAGE, HTML, "slowloris", {"interval": 0.1}, "total_timeout"),
    Case("redirect-loop", "html", PAGE, HTML, "redirect_loop", {}, "redirect"),
    Case("bot-check-200", "html", PAGE, HTML, "body", {"body": CLOUDFLARE}, "just a moment"),
    Case("bot-check-403", "html", PAGE, HTML, "body", {"body": AKAMAI, "status": 403}, "http 403"),
    Case(
        "bot-check-503", "html", PAGE, HTML, "body", {"body": CLOUDFLARE, "status": 503}, "http 503"
    ),
    Case("login-wall-200", "html", PAGE, HTML, "body", {"body": LOGIN}, "login"),
    Case(
        "invalid-xml-feed",
        "feed",
        FEED,
        RSS,
        "body",
        {"body": "<rss><channel><item><title>cut &bad; <", "content_type": RSS},
        "feed",
    ),
    Case(
        "invalid-xml-eurlex-feed",
        "eurlex_feed",
        EURLEX_FEED,
        RSS,
        "body",
        {"body": b"\x00\x01<?xml version='1.0'?><rss><chan", "content_type": RSS},
        "feed",
    ),
    Case(
        "invalid-json",
        "json",
        JSON,
        JSONT,
        "body",
        {"body": '{"items": [{"id": 1, "title": "Call', "content_type": JSONT},
        "json",
    ),
    Case(
        "json-not-an-object",
        "json",
        JSON,
        JSONT,
        "body",
        {"body": "[1, 2, 3]", "content_type": JSONT},
        "items",
    ),
    Case(
        "html-instead-of-json",
        "json",
        JSON,
        JSONT,
        "body",
        {"body": PAGE, "content_type": "text/html"},
        "json",
    ),
    Case(
        f"nested-{NESTED_DEPTH}-divs",
        "html",
        PAGE,
        HTML,
        "body",
        {"body": nested_page()},
        "excessive depth",
    ),
]


@dataclass
class Row:
    case: str
    outcome: str
    recorded: str
    seconds: float
    peak_mb: float | None


MATRIX: list[Row] = []


@pytest.fixture(autouse=True)
def address_guard_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SSRF guard as shipped; only allowed_hosts (in make_app) admits 127.0.0.1."""
    monkeypatch.delenv("LEXWATCH_HTTP__ALLOW_PRIVATE_ADDRESSES", raising=False)


@pytest.fixture(scope="module", autouse=True)
def print_matrix() -> Iterator[None]:
    yield
    if MATRIX:
        print("\n| case | outcome | recorded error | time s | peak RSS growth MB |")
        print("|---|---|---|---|---|")
        for row in MATRIX:
            peak = "n/a" if row.peak_mb is None else f"{row.peak_mb:.1f}"
            print(
                f"| {row.case} | {row.outcome} | {row.recorded[:110]} | {row.seconds:.2f}"
                f" | {peak} |"
            )


def make_app(tmp_path: Path, server: HostileServer, sources: dict[str, tuple[str, str]]) -> App:
    """An App on SQLite in tmp_path watching ``{key: (path, parser)}`` on the server."""
    blocks = []
    for key, (path, parser) in sources.items():
        blocks.append(f'[sources.{key}]\nurl = "{server.url(path)}"\nparser = "{parser}"\n')
        if parser == "json":
            blocks.append('items_path = "items"\nkey_field = "id"\ntitle_field = "title"\n')
    config = tmp_path / "lexwatch.toml"
    config.write_text(f"""
database_url = "sqlite:///{tmp_path / "lexwatch.db"}"
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
allowed_hosts = ["127.0.0.1"]
connect_timeout = 2
read_timeout = 2
total_timeout = {TOTAL_TIMEOUT}
max_body_mb = {MAX_BODY_MB}
retries = 0
per_host_spacing = 0
{"".join(blocks)}""")
    return App.start(load_settings(config))


class PeakMemory:
    """Growth of the resident set's high-water mark over a block, in MB (None: unsupported)."""

    def __init__(self) -> None:
        self.mb: float | None = None

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        try:
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            start = _status_kb("VmRSS")
        except OSError:
            yield
            return
        yield
        self.mb = (_status_kb("VmHWM") - start) / 1024


def _status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise OSError(f"{name} not in /proc/self/status")


def measured_check(app: App, key: str) -> tuple[CheckResult, float, float | None]:
    memory = PeakMemory()
    started = time.perf_counter()
    with memory.measure():
        result = check(app, key)
    return result, time.perf_counter() - started, memory.mb


@pytest.fixture(scope="module")
def warm_bombs() -> None:
    """Compress the bombs once, before any measurement (it takes the server ~2 s)."""
    gzip_bomb(1_000_000_000, 1)
    gzip_bomb(1_000_000_000, 2)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_answer_is_a_recorded_failure_never_a_change(
    case: Case, tmp_path: Path, server: HostileServer, warm_bombs: None
) -> None:
    server.good("/doc", case.good, case.content_type)
    app = make_app(tmp_path, server, {"doc": ("/doc", case.parser)})
    try:
        assert check(app, "doc").outcome is CheckOutcome.BASELINE
        good_snapshot = app.store.state("doc").snapshot_id
        server.misbehave("/doc", case.kind, **case.kw)

        result, seconds, peak = measured_check(app, "doc")
        MATRIX.append(Row(case.id, result.outcome.value, result.error or "", seconds, peak))

        assert result.outcome is CheckOutcome.FAILED, result
        assert result.changes == ()
        assert case.reason in (result.error or "").lower()
        assert peak is None or peak < MEMORY_BOUND_MB
        [latest, _] = app.store.checks("doc")
        assert (latest.outcome, latest.change_count) == ("failed", 0)
        assert latest.error and case.reason in latest.error.lower()
        assert app.store.changes(ChangeFilter()) == []
        assert app.store.counts()["deliveries"] == 0
        state = app.store.state("doc")
        assert state.snapshot_id == good_snapshot and state.failure_streak == 1

        server.good("/doc", case.good, case.content_type)  # it recovers
        assert check(app, "doc").outcome in (CheckOutcome.UNCHANGED, CheckOutcome.NOT_MODIFIED)
        assert app.store.changes(ChangeFilter()) == []
    finally:
        app.close()


def test_redirect_to_another_loopback_address_is_refused(
    tmp_path: Path, server: HostileServer
) -> None:
    """allowed_hosts lets 127.0.0.1 through, not a redirect to 127.0.0.2 (same server)."""
    server.good("/doc", PAGE, HTML)
    app = make_app(tmp_path, server, {"doc": ("/doc", "html")})
    try:
        check(app, "doc")
        server.misbehave("/doc", "redirect", location=server.url("/doc", host="127.0.0.2"))
        before = server.hits("/doc")
        result, seconds, peak = measured_check(app, "doc")
        MATRIX.append(
            Row("redirect-to-127.0.0.2", result.outcome.value, result.error or "", seconds, peak)
        )
        assert result.outcome is CheckOutcome.FAILED and result.changes == ()
        assert "127.0.0.2 is loopback" in (result.error or "")
        assert server.hits("/doc") == before + 1  # the hop was never sent
    finally:
        app.close()


def test_gzip_bomb_as_robots_txt_is_bounded(tmp_path: Path, server: HostileServer) -> None:
    """robots.txt is read through the same bounded decoder as the pages."""
    server.good("/doc", PAGE, HTML)
    app = make_app(tmp_path, server, {"doc": ("/doc", "html")})
    try:
        check(app, "doc")
        server.misbehave("/robots.txt", "gzip_bomb", inflated=1_000_000_000, layers=2)
        result, seconds, peak = measured_check(app, "doc")
        MATRIX.append(
            Row(
                "robots.txt-gzip-bomb-2-layers",
                result.outcome.value,
                result.error or "",
                seconds,
                peak,
            )
        )
        assert result.outcome is CheckOutcome.FAILED and result.changes == ()
        assert "robots.txt" in (result.error or "") and "max_body_bytes" in (result.error or "")
        assert peak is None or peak < MEMORY_BOUND_MB
    finally:
        app.close()


def _deflate(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


COMPRESSED = {
    "gzip": _deflate(PAGE.encode(), zlib.MAX_WBITS | 16),
    "x-gzip": _deflate(PAGE.encode(), zlib.MAX_WBITS | 16),
    "deflate": _deflate(PAGE.encode(), zlib.MAX_WBITS),  # zlib-wrapped, as RFC 9110 says
    "deflate, identity": _deflate(PAGE.encode(), -zlib.MAX_WBITS),  # raw, as IIS sends it
    "gzip, gzip": _deflate(_deflate(PAGE.encode(), zlib.MAX_WBITS | 16), zlib.MAX_WBITS | 16),
}


@pytest.mark.parametrize("coding", list(COMPRESSED))
def test_honest_compressed_page_reads_whole(
    coding: str, tmp_path: Path, server: HostileServer
) -> None:
    server.misbehave(
        "/doc",
        "body",
        body=COMPRESSED[coding],
        content_type=HTML,
        headers={"Content-Encoding": coding},
    )
    app = make_app(tmp_path, server, {"doc": ("/doc", "html")})
    try:
        result = check(app, "doc")
        assert result.outcome is CheckOutcome.BASELINE, result.error
        assert "Überwachung – Fassung für Anbieter" in _text(app)
    finally:
        app.close()


ENCODED = {
    # Declared UTF-8, sent as Windows-1252: a CMS misconfiguration seen in the wild.
    "declared-utf8-sent-cp1252": (PAGE.encode("cp1252"), "text/html; charset=utf-8"),
    # UTF-8 text with one Latin-1 paragraph pasted in, no declaration.
    "mixed-utf8-latin1": (
        PAGE.encode("utf-8").replace("Fassung für".encode(), "Fassung für".encode("latin-1")),
        "text/html",
    ),
    # A BOM contradicts the header; the BOM wins, as in browsers.
    "utf8-bom-declared-latin1": (codecs.BOM_UTF8 + PAGE.encode(), "text/html; charset=iso-8859-1"),
    "utf16-bom-no-charset": (codecs.BOM_UTF16_LE + PAGE.encode("utf-16-le"), "text/html"),
    "unknown-charset": (PAGE.encode(), "text/html; charset=x-klingon"),
}


@pytest.mark.parametrize("name", list(ENCODED))
def test_broken_encoding_reads_sensibly(name: str, tmp_path: Path, server: HostileServer) -> None:
    body, content_type = ENCODED[name]
    server.good("/doc", body, content_type)
    app = make_app(tmp_path, server, {"doc": ("/doc", "html")})
    try:
        result, seconds, peak = measured_check(app, "doc")
        snapshot_text = _text(app) if result.outcome is CheckOutcome.BASELINE else ""
        MATRIX.append(
            Row(
                f"encoding:{name}",
                result.outcome.value,
                snapshot_text.replace("\n", " / ")[:110],
                seconds,
                peak,
            )
        )
        assert result.outcome is CheckOutcome.BASELINE, result.error
        assert "Die Konsultation endet am 10. September 2025." in snapshot_text
        assert "Leitlinien zur" in snapshot_text and "Anbieter." in snapshot_text
        assert "Überwachung – Fassung für Anbieter" in snapshot_text
        assert check(app, "doc").outcome is CheckOutcome.NOT_MODIFIED
    finally:
        app.close()


def _text(app: App) -> str:
    document = app.store.document(_snapshot(app))
    return "\n".join(item.text for item in document.items)


def test_nesting_within_the_parser_limit_reads_whole(tmp_path: Path, server: HostileServer) -> None:
    """250 nested <div>s (libxml2 stops at 256): no recursion error, the innermost text read."""
    server.good("/doc", nested_page(250), HTML)
    app = make_app(tmp_path, server, {"doc": ("/doc", "html")})
    try:
        result, seconds, peak = measured_check(app, "doc")
        MATRIX.append(Row("nested-250-divs", result.outcome.value, _text(app), seconds, peak))
        assert result.outcome is CheckOutcome.BASELINE, result.error
        assert _text(app) == "Innermost text."
        server.good("/doc", nested_page(250) + "\n", HTML)  # new ETag, same text
        assert check(app, "doc").outcome is CheckOutcome.UNCHANGED
    finally:
        app.close()


def _snapshot(app: App) -> int:
    snapshot_id = app.store.state("doc").snapshot_id
    assert snapshot_id is not None
    return snapshot_id
