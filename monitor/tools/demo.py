"""``lexwatch demo``: a newcomer's first minute, offline.

A small example site of our own making (``sources/demo/``: the fictional "Example AI Office"
with a consultation page, a news feed and a consultation API shaped like Have Your Say) is
served from 127.0.0.1, and three cycles of checks run against it with the real App, store and
classifier:

1. baseline: every source is read and stored; nothing is reported;
2. a new consultation opens: a new feed entry and a new initiative with status OPEN;
3. the open consultation's deadline is extended (page and API), and the page also changes in
   ways that are not news: cookie banner text, "Last update" stamp, tracking ids, menu order.

Everything goes into a database of the demo's own (never ./lexwatch.db), and the user is told
the commands that show it (with the demo's own config file, so they never add the built-in
catalog to that database); ``--serve`` opens the dashboard on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shlex
import signal
import socket
import string
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web
from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from monitor import console as render
from monitor.app import App
from monitor.config import HttpSettings, Settings, SourceSettings, load_settings
from monitor.errors import ConfigError
from monitor.pipeline import CheckResult
from monitor.types import Category
from sources.fetch.replay import body_response, serve_loopback
from sources.parsers import PARSERS
from storage.queries import ChangeFilter

__all__ = [
    "CYCLES",
    "DOCUMENTS",
    "Cycle",
    "DemoDocument",
    "DemoReport",
    "DemoSite",
    "demo_values",
    "run_demo",
    "write_config",
]

logger = logging.getLogger(__name__)

HYS_PATH = "/brpapi/searchInitiatives"
HYS_QUERY = "?text=artificial%20intelligence&page=0&size=10&language=EN"


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoDocument:
    """One document of the example site: its path and its file in each version (0, 1, 2)."""

    path: str
    content_type: str
    files: tuple[str, str, str]


DOCUMENTS = (
    # Unchanged in cycle 2, so that check shows a conditional GET answered with 304.
    DemoDocument(
        path="/consultations/transparency-guidelines",
        content_type="text/html; charset=utf-8",
        files=("consultation-1.html", "consultation-1.html", "consultation-3.html"),
    ),
    DemoDocument(
        path="/news/rss.xml",
        content_type="application/rss+xml; charset=utf-8",
        files=("news-1.xml", "news-2.xml", "news-3.xml"),
    ),
    DemoDocument(
        path=HYS_PATH,
        content_type="application/json;charset=UTF-8",
        files=("initiatives-1.json", "initiatives-2.json", "initiatives-3.json"),
    ),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Cycle:
    version: int
    title: str
    story: str


CYCLES = (
    Cycle(
        version=0,
        title="Cycle 1 — baseline",
        story="lexwatch reads each source for the first time and stores it. A first look"
        " is a baseline: nothing is reported.",
    ),
    Cycle(
        version=1,
        title="Cycle 2 — a new consultation opens",
        story="The news feed announces a consultation on AI regulatory sandboxes and the"
        " consultation API lists it as OPEN. The page did not change: the server"
        " answers the conditional GET with 304.",
    ),
    Cycle(
        version=2,
        title="Cycle 3 — a deadline is extended, plus noise",
        story="The transparency consultation now closes three weeks later, on the page and"
        " in the API. The page also got a new cookie banner text, a new 'Last update'"
        " stamp, new tracking ids and a reordered menu: none of that is a change. The"
        " feed only has a new lastBuildDate.",
    ),
)


def demo_values(today: date) -> dict[str, str]:
    """The dates the example site's files name, relative to ``today`` so they stay current."""
    days = {
        "open_start": -14,
        "open_until": 30,
        "extended_until": 51,
        "closed_start": -120,
        "closed_end": -92,
        "new_start": 0,
        "new_end": 28,
    }
    values: dict[str, str] = {}
    for name, offset in days.items():
        day = today + timedelta(days=offset)
        clock = "23:59:59" if name.endswith(("_until", "_end")) else "00:00:00"
        values[f"{name}_text"] = _long_date(day)
        values[f"{name}_api"] = f"{day:%Y/%m/%d} {clock}"
    stamps = {"last_update_1": -14, "last_update_3": 0}
    values.update({name: _long_date(today + timedelta(days=d)) for name, d in stamps.items()})
    moments = {
        "pub_101": -90,
        "pub_102": -30,
        "pub_103": -14,
        "pub_104": 0,
        "build_1": -14,
        "build_2": 0,
        "build_3": 0,
    }
    for n, (name, offset) in enumerate(moments.items()):
        moment = datetime.combine(today, time(9, n), UTC) + timedelta(days=offset)
        values[name] = format_datetime(moment, usegmt=True)
    return values


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _render(name: str, values: Mapping[str, str]) -> bytes:
    text = resources.files("sources.demo").joinpath(name).read_text(encoding="utf-8")
    return string.Template(text).substitute(values).encode("utf-8")


class DemoSite:
    """The example site on 127.0.0.1, serving ``version`` of each document (set it freely)."""

    def __init__(self, today: date) -> None:
        values = demo_values(today)
        self._bodies = {name: _render(name, values) for doc in DOCUMENTS for name in doc.files}
        self._epoch = datetime.combine(today, time(8), UTC)
        self.version = 0
        self.base_url = ""

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[DemoSite]:
        async with serve_loopback(self._handle) as base_url:
            self.base_url = base_url
            yield self

    def url(self, document: DemoDocument) -> str:
        query = HYS_QUERY if document.path == HYS_PATH else ""
        return f"{self.base_url}{document.path}{query}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        document = next((d for d in DOCUMENTS if d.path == request.path), None)
        if document is None:  # robots.txt too: everything may be fetched
            return web.Response(status=404, text="not part of the example site\n")
        name = document.files[self.version]
        body = self._bodies[name]
        if document.path == HYS_PATH and request.query.get("page", "0") != "0":
            body = _empty_hys_page(body)  # one page only, whatever a pager asks for
        # An unchanged file keeps the Last-Modified of the version that introduced it.
        first = document.files.index(name)
        modified = format_datetime(self._epoch + timedelta(hours=first), usegmt=True)
        return body_response(
            request, body, content_type=document.content_type, last_modified=modified
        )


def _empty_hys_page(body: bytes) -> bytes:
    data = json.loads(body)
    page = data["initiativeResultDtoPage"]
    page.update(content=[], numberOfElements=0, empty=True, first=False)
    return json.dumps(data).encode()


def _sources(site: DemoSite) -> dict[str, dict[str, Any]]:
    """The demo's three sources, with the best parser this version of lexwatch has."""
    page, feed, api = (site.url(document) for document in DOCUMENTS)
    common: dict[str, Any] = {"interval": "1h", "official": False, "tags": ["demo"]}
    hys: dict[str, Any] = {"parser": "hys_search"}
    if "hys_search" not in PARSERS:
        hys = {
            "parser": "json",
            "items_path": "initiativeResultDtoPage.content",
            "key_field": "id",
            "title_field": "shortTitle",
        }
    return {
        "demo-consultation": {
            **common,
            "url": page,
            "parser": "ds_page" if "ds_page" in PARSERS else "html",
            "title": "Example AI Office: consultation page",
        },
        "demo-news": {
            **common,
            "url": feed,
            "parser": "feed",
            "title": "Example AI Office: news",
            "keywords": ["artificial intelligence"],
        },
        "demo-hys": {**common, "url": api, **hys, "title": "Example AI Office: consultations API"},
    }


def write_config(path: Path, database: Path, site: DemoSite) -> dict[str, Any]:
    """Write the demo's own lexwatch.toml to ``path``; return what it says."""
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{database.resolve()}",
        "builtin_catalog": False,
        "http": {
            "contact": "mailto:demo@lexwatch.invalid",
            "per_host_spacing": 0,
            "allowed_hosts": ["127.0.0.1"],  # the example site is served locally
            "retries": 1,
            "backoff_base": 0.1,
            "connect_timeout": 5,
            "read_timeout": 10,
        },
        "sources": _sources(site),
    }
    lines = [f"# lexwatch demo: the example site was served at {site.base_url}", ""]
    lines += [
        f"{key} = {_toml(value)}" for key, value in data.items() if key not in ("http", "sources")
    ]
    lines += ["", "[http]", *(f"{k} = {_toml(v)}" for k, v in data["http"].items())]
    for key, values in data["sources"].items():
        lines += ["", f"[sources.{key}]", *(f"{k} = {_toml(v)}" for k, v in values.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def _toml(value: Any) -> str:
    # JSON strings, numbers, booleans and arrays of them are valid TOML values too.
    return json.dumps(value, ensure_ascii=False)


def _settings(path: Path, data: Mapping[str, Any]) -> Settings:
    """The demo's settings; LEXWATCH_* variables of the shell must not send it elsewhere."""
    update: dict[str, Any] = {
        "database_url": data["database_url"],
        "builtin_catalog": False,
        "http": HttpSettings(**data["http"]),
        "sources": {key: SourceSettings(**values) for key, values in data["sources"].items()},
    }
    if "replay" in Settings.model_fields:  # the demo's site is live: never a recording
        update["replay"] = Settings.model_fields["replay"].get_default(call_default_factory=True)
    return load_settings(path).model_copy(update=update)


@dataclass(kw_only=True)
class DemoReport:
    """What the demo did: where it stored it, and what each cycle found."""

    database: Path
    config: Path
    cycles: list[list[CheckResult]] = field(default_factory=list)
    spotlight: int | None = None  # id of the change the user is pointed at


async def run_demo(
    database: Path,
    out: Console,
    *,
    keep_serving: bool = False,
    dashboard_port: int | None = None,
    today: date | None = None,
) -> DemoReport:
    """Run the three cycles into ``database`` (which must not exist) and report to ``out``.

    ``keep_serving``: then serve the example site until interrupted; ``dashboard_port``: then
    serve the dashboard on the demo's data (and the site) on 127.0.0.1 until interrupted.
    """
    if database.exists():
        raise ConfigError(
            f"{database} already exists; the demo only writes a new database"
            " (give another --db path, or leave it out for a temporary one)"
        )
    sock = _bind(dashboard_port) if dashboard_port is not None else None
    database.parent.mkdir(parents=True, exist_ok=True)
    config = database.with_name(database.name + ".toml")
    report = DemoReport(database=database.resolve(), config=config.resolve())
    site = DemoSite(today or datetime.now(UTC).date())
    async with site.serving():
        settings = _settings(config, write_config(config, database, site))
        app = await asyncio.to_thread(App.start, settings)
        try:
            await _cycles(app, site, out, report)
            report.spotlight = _spotlight(app)
            _where_to_look(out, report)
            if sock is not None:
                await _serve_dashboard(out, app, site, sock)
            elif keep_serving:
                await _serve_until_interrupted(out, site, report)
        finally:
            app.close()
            if sock is not None:
                sock.close()
    return report


async def _cycles(app: App, site: DemoSite, out: Console, report: DemoReport) -> None:
    async with app.checker() as checker:
        for cycle in CYCLES:
            site.version = cycle.version
            results = await asyncio.gather(*(checker.check(s) for s in app.enabled()))
            report.cycles.append(list(results))
            _show_cycle(out, cycle, results)


def _show_cycle(out: Console, cycle: Cycle, results: Sequence[CheckResult]) -> None:
    out.print(Rule(Text(cycle.title, style="bold"), align="left"))
    out.print(Text(cycle.story, style="dim"))
    out.print(render.check_table(results))
    for line in render.change_lines(results):
        out.print(line)
    changes = [c for r in results for c in r.changes]
    muted = sum(1 for c in changes if not c.category.alertable)
    if muted:
        out.print(
            Text(
                f"{muted} change(s) stored as editorial/noise: kept for the record, never alerted.",
                style="dim",
            )
        )
    out.print()


def _spotlight(app: App) -> int | None:
    """The newest alertable change, preferring one with a word diff (the page's deadline)."""
    rows = [
        row
        for row in app.store.changes(ChangeFilter(limit=100))
        if Category(row.category).alertable
    ]
    worded = [row for row in rows if row.diff.get("blocks")]
    chosen = worded or rows
    return chosen[0].id if chosen else None


def _where_to_look(out: Console, report: DemoReport) -> None:
    # --config names the demo's own file: its database, its three sources and no built-in
    # catalog, so these commands never add the 22 EU sources to the demo's database.
    config = f"lexwatch --config {shlex.quote(str(report.config))}"
    out.print(Rule(Text("Where to look", style="bold"), align="left"))
    out.print(
        Text(
            f"Everything is stored in {report.database}, with the demo's config in"
            f" {report.config}. Your own ./lexwatch.db was not touched.\n"
        )
    )
    lines = [("every change, newest first", f"{config} changes")]
    if report.spotlight is not None:
        lines.append(("the deadline extension, word by word", f"{config} diff {report.spotlight}"))
    lines.append(("the checks of one source", f"{config} history demo-hys"))
    lines.append(
        ("the dashboard on these changes (or run `lexwatch demo --serve`)", f"{config} serve")
    )
    for what, command in lines:
        out.print(Text(f"  # {what}", style="dim"))
        # One line however narrow the terminal: it is meant to be copied.
        out.print(Text(f"  {command}", style="bold"), soft_wrap=True)
    out.print()


def _bind(port: int) -> socket.socket:
    """The dashboard's socket, bound before the demo runs: a port in use stops it at once."""
    from dashboard.app import bind

    try:
        return bind("127.0.0.1", port)
    except ConfigError as exc:
        reason = exc.__cause__.strerror if isinstance(exc.__cause__, OSError) else exc
        raise ConfigError(
            f"cannot serve the dashboard on 127.0.0.1:{port}: {reason};"
            " choose another port with --port"
        ) from exc


async def _serve_dashboard(out: Console, app: App, site: DemoSite, sock: socket.socket) -> None:
    """The dashboard on the demo's database, and the example site, until Ctrl-C/SIGTERM."""
    from dashboard.app import serve

    port = int(sock.getsockname()[1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    out.print(
        Text(
            f"The dashboard shows the demo's changes at http://127.0.0.1:{port}/ until"
            f" you press Ctrl-C (the example site stays up at {site.base_url})."
        ),
        soft_wrap=True,
    )
    try:
        await serve(app, host="127.0.0.1", port=port, stop=stop, sock=sock)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _serve_until_interrupted(out: Console, site: DemoSite, report: DemoReport) -> None:
    config = f"lexwatch --config {shlex.quote(str(report.config))}"
    out.print(
        Text(
            f"The example site stays up at {site.base_url} (as in cycle 3) until you"
            f" press Ctrl-C. Check it yourself:\n  {config} check --all"
        )
    )
    await asyncio.Event().wait()
