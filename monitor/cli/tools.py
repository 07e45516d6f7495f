"""CLI commands for recording, trying and demonstrating sources (registered by monitor.cli).

``lexwatch record``, ``lexwatch sources test`` and ``lexwatch demo``. None of them touches
the configured database: record and sources test need none, the demo brings its own.

``register`` receives the groups from monitor.cli, which imports this module.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from monitor.cli.common import err, fails_cleanly, out, settings_of
from monitor.errors import ConfigError, FetchError, LexwatchError
from monitor.types import Document, Fetched, Item, ParseContext, Source, SourceOptions

if TYPE_CHECKING:  # the commands load these when they run (see monitor.cli.common)
    from rich.table import Table

    from sources.fetch.fetcher import FetchPolicy
    from sources.fetch.render import RenderPolicy

P = ParamSpec("P")
R = TypeVar("R")


_TEXT_LINES = 3
_LINE_CHARS = 120
_FIELDS_SHOWN = 8
_OPTION_NAMES = tuple(f.name for f in fields(SourceOptions))
_LIST_OPTIONS = frozenset(f.name for f in fields(SourceOptions) if f.default == ())


def register(main: click.Group, sources: click.Group) -> None:
    """Add this module's commands to the `lexwatch` group and its `sources` subgroup."""
    main.add_command(record)
    main.add_command(demo)
    sources.add_command(sources_test)


# -- lexwatch record -------------------------------------------------------------------------


@click.command()
@click.argument("keys", nargs=-1)
@click.option("--all", "record_all", is_flag=True, help="Record every enabled source.")
@click.option(
    "--out",
    "out_dir",
    default=Path("recordings"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Recording directory (one folder per source).",
)
@click.pass_context
@fails_cleanly
def record(ctx: click.Context, keys: tuple[str, ...], record_all: bool, out_dir: Path) -> None:
    """Fetch sources now and save their answers, to check them offline later (--replay)."""
    if not keys and not record_all:
        raise click.UsageError("name the sources to record (see `lexwatch sources`) or use --all")
    from monitor.app import fetch_policy, resolve_sources, warn_without_contact

    settings = settings_of(ctx)
    warn_without_contact(settings)
    known = resolve_sources(settings)
    chosen = [s for s in known.values() if s.enabled] if record_all else _select(known, keys)
    outcomes = asyncio.run(_record_all(fetch_policy(settings), chosen, out_dir))
    out.print(_record_table(outcomes, out_dir))
    if any(isinstance(outcome, LexwatchError) for _, outcome in outcomes):
        sys.exit(1)


def _select(known: Mapping[str, Source], keys: Sequence[str]) -> list[Source]:
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise ConfigError(
            f"unknown source(s) {', '.join(map(repr, unknown))}; valid keys: {', '.join(known)}"
        )
    return [known[key] for key in dict.fromkeys(keys)]


RecordOutcome = tuple[Source, list[Path] | LexwatchError]


async def _record_all(
    policy: FetchPolicy, chosen: Sequence[Source], out_dir: Path
) -> list[RecordOutcome]:
    from monitor.tools.record import record_source
    from sources.fetch.fetcher import Fetcher, make_client

    async with make_client(policy) as client:
        fetcher = Fetcher(client, policy)

        async def one(source: Source) -> RecordOutcome:
            try:
                return source, await record_source(source, fetcher, out_dir)
            except LexwatchError as exc:  # one failing source must not stop the others
                return source, exc

        return list(await asyncio.gather(*(one(source) for source in chosen)))


def _record_table(outcomes: Sequence[RecordOutcome], out_dir: Path) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Recorded into {out_dir}", title_justify="left")
    for name in ("source", "pages", "folder / error"):
        table.add_column(name, overflow="fold")
    for source, outcome in outcomes:
        if isinstance(outcome, LexwatchError):
            table.add_row(Text(source.key), "", Text(str(outcome), style="bold red"))
        else:
            folder = outcome[0].parent if outcome else out_dir
            table.add_row(Text(source.key), str(len(outcome)), Text(str(folder)))
    return table


# -- lexwatch sources test -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Trial:
    """What `sources test` read: where from, and what the parser made of it."""

    target: str
    parser: str
    fetched: Fetched
    document: Document
    next_page: str | None


@click.command("test")
@click.argument("target", metavar="URL_OR_FILE")
@click.option("--parser", "parser_name", required=True, help="Parser name, e.g. html or feed.")
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A source option, e.g. keep=main or key_field=id; repeat for lists.",
)
@click.option(
    "--content-type",
    help="Parse as this content type (default: the server's, or by file extension).",
)
@click.option(
    "--render",
    is_flag=True,
    help="Render the page in headless Chromium first ([render]); implied for the URL of a"
    " configured source with render = true.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@fails_cleanly
def sources_test(
    ctx: click.Context,
    target: str,
    parser_name: str,
    options: tuple[str, ...],
    content_type: str | None,
    render: bool,
    as_json: bool,
) -> None:
    """Fetch a URL (or read a file) and show what a parser makes of it; nothing is stored."""
    from monitor.app import fetch_policy, render_policy, warn_without_contact
    from sources.parsers import PAGERS, get_parser

    parser = get_parser(parser_name)
    source_options = parse_options(target, parser_name, options)
    if target.startswith(("http://", "https://")):
        settings = settings_of(ctx)
        warn_without_contact(settings)
        render = render or any(
            given.render and given.url == target for given in settings.sources.values()
        )
        rendering = render_policy(settings) if render else None
        fetched = asyncio.run(_fetch(fetch_policy(settings), target, rendering))
    elif render:
        raise click.BadParameter("renders URLs only, not files", param_hint="--render")
    else:
        fetched = _read_file(Path(target), content_type)
    context = ParseContext(
        url=fetched.final_url,
        content_type=content_type or fetched.content_type,
        options=source_options,
    )
    document = parser(fetched.content, context)
    pager = PAGERS.get(parser_name)
    trial = Trial(
        target=target,
        parser=parser_name,
        fetched=fetched,
        document=document,
        next_page=pager(fetched.content, fetched.final_url, source_options) if pager else None,
    )
    if as_json:
        click.echo(json.dumps(trial_json(trial), indent=2, ensure_ascii=False))
    else:
        _print_trial(trial)


def parse_options(target: str, parser: str, pairs: Sequence[str]) -> SourceOptions:
    """SourceOptions from KEY=VALUE pairs, validated as a config file's would be."""
    from pydantic import ValidationError

    from monitor.config import SourceSettings, build_source
    from sources.parsers.selectors import check_selectors

    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or key not in _OPTION_NAMES:
            raise click.BadParameter(
                f"{pair!r}: use KEY=VALUE with KEY one of {', '.join(_OPTION_NAMES)}",
                param_hint="--option",
            )
        if key in _LIST_OPTIONS:
            values.setdefault(key, []).append(value)
        else:
            values[key] = value
    try:
        given = SourceSettings(url=target, parser=parser, **values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.BadParameter(problems, param_hint="--option") from None
    options = build_source("test", None, given, 3600).options
    check_selectors(options)
    return options


async def _fetch(policy: FetchPolicy, url: str, rendering: RenderPolicy | None) -> Fetched:
    from monitor.analysis.guard import response_problem
    from sources.fetch.fetcher import Fetcher, make_client
    from sources.fetch.render import Renderer

    async with make_client(policy) as client:
        fetcher = Fetcher(client, policy)
        fetched = await fetcher.fetch(url)
        if rendering is not None and 200 <= fetched.status < 300:
            renderer = Renderer(fetcher, rendering)
            try:
                fetched = await renderer.render(fetched)
            finally:
                await renderer.close()
    problem = response_problem(fetched)
    if problem:
        raise FetchError(f"{url}: {problem}; lexwatch would record a failed check", url=url)
    return fetched


def _read_file(path: Path, content_type: str | None) -> Fetched:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror or exc} (give an http(s) URL or a readable file)"
        ) from exc
    url = path.resolve().as_uri()
    return Fetched(
        url=url,
        final_url=url,
        status=200,
        headers={},
        content=content,
        content_type=content_type or _guess_type(path),
        etag=None,
        last_modified=None,
        fetched_at=datetime.now(UTC),
        elapsed=0.0,
    )


def _guess_type(path: Path) -> str:
    suffix = path.suffix.lower()
    known = {
        ".html": "text/html",
        ".htm": "text/html",
        ".xhtml": "application/xhtml+xml",
        ".xml": "application/xml",
        ".rss": "application/rss+xml",
        ".atom": "application/atom+xml",
        ".json": "application/json",
        ".pdf": "application/pdf",
        ".odt": "application/vnd.oasis.opendocument.text",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
    return known.get(suffix, "")


def trial_json(trial: Trial) -> dict[str, Any]:
    document = trial.document
    return {
        "target": trial.target,
        "final_url": trial.fetched.final_url,
        "parser": trial.parser,
        "content_type": trial.fetched.content_type,
        "kind": document.kind.value,
        "title": document.title,
        "next_page": trial.next_page,
        "items": [
            {"key": i.key, "title": i.title, "url": i.url, "fields": dict(i.fields), "text": i.text}
            for i in document.items
        ],
    }


def _print_trial(trial: Trial) -> None:
    from rich.text import Text

    document = trial.document
    header = Text(
        f"{len(document.items)} item(s) · {document.kind.value} · parser "
        f"{trial.parser} · {trial.fetched.final_url}"
    )
    if document.title:
        header.append(f"\n{document.title}", style="bold")
    out.print(header)
    out.print(_items_table(document.items))
    if trial.next_page:
        out.print(Text(f"next page: {trial.next_page}", style="dim"))
    if not document.items:
        err.print("the parser found no items: check the options (keep, sections, items_path)")


def _items_table(items: Sequence[Item]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=True)
    for name in ("#", "key", "title", "url", "fields", "text (first lines)"):
        table.add_column(name, overflow="fold")
    for n, item in enumerate(items, start=1):
        table.add_row(
            str(n),
            Text(item.key),
            Text(item.title),
            Text(item.url or ""),
            Text(_fields_text(item.fields)),
            Text(_first_lines(item.text)),
        )
    return table


def _fields_text(values: Mapping[str, str]) -> str:
    lines = [f"{name}: {_clip(value)}" for name, value in list(values.items())[:_FIELDS_SHOWN]]
    if len(values) > _FIELDS_SHOWN:
        lines.append(f"… and {len(values) - _FIELDS_SHOWN} more (--json shows all)")
    return "\n".join(lines)


def _first_lines(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    shown = [_clip(line) for line in lines[:_TEXT_LINES]]
    if len(lines) > _TEXT_LINES:
        shown.append(f"… ({len(lines) - _TEXT_LINES} more lines)")
    return "\n".join(shown)


def _clip(value: str) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= _LINE_CHARS else value[: _LINE_CHARS - 1] + "…"


# -- lexwatch demo ---------------------------------------------------------------------------


@click.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to create the demo database (must not exist; default: a new temporary folder).",
)
@click.option(
    "--keep", is_flag=True, help="Keep serving the example site after the demo, until Ctrl-C."
)
@click.option(
    "--serve",
    is_flag=True,
    help="Then open the dashboard on the demo's data (127.0.0.1), until Ctrl-C.",
)
@click.option(
    "--port",
    default=8787,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The dashboard's port with --serve.",
)
@fails_cleanly
def demo(db_path: Path | None, keep: bool, serve: bool, port: int) -> None:
    """Watch a made-up example site change three times, offline, in its own database."""
    from monitor.tools.demo import run_demo

    database = db_path or Path(tempfile.mkdtemp(prefix="lexwatch-demo-")) / "demo.db"
    try:
        asyncio.run(
            run_demo(database, out, keep_serving=keep, dashboard_port=port if serve else None)
        )
    except KeyboardInterrupt:
        err.print("demo stopped")
