"""Terminal rendering for the CLI (rich). Scraped text is always added as plain Text,
never parsed as rich markup, so a page cannot restyle or fake lexwatch's output."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from monitor.service.status import ago
from monitor.types import Category, CheckOutcome
from storage.documents import pages_of
from storage.health import Health, SourceHealth, source_health

if TYPE_CHECKING:  # rows and results are only read here; importing them costs start-up time
    from monitor.pipeline import CheckResult
    from storage.event_browse import EventDetail, EventPage
    from storage.models import ChangeRow, CheckRow, DeadlineRow, SourceRow

_OUTCOME_STYLE = {
    CheckOutcome.BASELINE: "cyan",
    CheckOutcome.NOT_MODIFIED: "dim",
    CheckOutcome.UNCHANGED: "dim",
    CheckOutcome.CHANGED: "bold yellow",
    CheckOutcome.FAILED: "bold red",
    CheckOutcome.SKIPPED: "magenta",
}
_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}


def with_documents(results: Sequence[CheckResult]) -> list[CheckResult]:
    """Each check followed by the checks of the documents its page links to."""
    return [each for result in results for each in (result, *result.documents)]


def check_table(results: Sequence[CheckResult]) -> Table:
    """One row per check; a page's documents under it ("└ key"), their title as the note."""
    table = Table(title="Checks", title_justify="left")
    for name in ("source", "outcome", "changes", "HTTP", "ms", "note"):
        table.add_column(name, overflow="fold")
    for result in results:
        for each in (result, *result.documents):
            alerts = sum(1 for c in each.changes if c.category.alertable)
            table.add_row(
                Text(f"└ {each.source_key}" if each is not result else each.source_key),
                Text(each.outcome.value, style=_OUTCOME_STYLE[each.outcome]),
                str(alerts) if each.changes else "",
                str(each.http_status or ""),
                str(each.duration_ms),
                Text(each.error or each.title),
            )
    return table


def change_lines(results: Sequence[CheckResult]) -> Iterable[Text]:
    for result in results:
        for change in result.changes:
            line = Text()
            line.append(
                f"[{change.category.value}/{change.severity.value}] ",
                style=_SEVERITY_STYLE[change.severity.value],
            )
            line.append(change.title)
            line.append(f"\n    {change.summary}", style="dim")
            yield line


def changes_table(rows: Sequence[ChangeRow]) -> Table:
    table = Table(title="Changes (newest first)", title_justify="left")
    for name in ("id", "detected", "source", "category", "severity", "title"):
        table.add_column(name, overflow="fold")
    for row in rows:
        muted = not Category(row.category).alertable or row.marked_noise_at is not None
        category = row.category + (" (marked noise)" if row.marked_noise_at else "")
        title = Text(row.title)
        if row.related_to:
            title.append(f"  (same event as #{row.related_to})", style="dim")
        table.add_row(
            str(row.id),
            row.detected_at.strftime("%Y-%m-%d %H:%M"),
            Text(row.source_key),
            Text(category, style="dim" if muted else ""),
            Text(row.severity, style=_SEVERITY_STYLE.get(row.severity, "")),
            title,
        )
    return table


def events_table(page: EventPage) -> Table:
    """One row per event: what happened, how many sources told it, its triage state."""
    table = Table(title="Events (latest first)", title_justify="left")
    for name in ("id", "last seen", "category", "severity", "title", "sources", "state"):
        table.add_column(name, overflow="fold")
    for row in page.rows:
        keys = page.sources.get(row.id or 0, [])
        table.add_row(
            str(row.id),
            row.last_detected_at.strftime("%Y-%m-%d %H:%M"),
            Text(row.category),
            Text(row.severity, style=_SEVERITY_STYLE.get(row.severity, "")),
            Text(row.title),
            Text(f"{len(keys)}: " + ", ".join(keys)),
            Text(row.state + (f" ({row.assignee})" if row.assignee else "")),
        )
    return table


def event_table(detail: EventDetail) -> Table:
    """An event's changes, each with its source and why it was grouped."""
    event = detail.event
    title = f"Event {event.id}: {event.title} (seen on {detail.source_count} source(s))"
    table = Table(title=title, title_justify="left")
    for name in ("change", "detected", "source", "category", "title", "grouped by"):
        table.add_column(name, overflow="fold")
    for one in detail.changes:
        change, why = one.change, detail.rule_of(one.change.id)
        table.add_row(
            str(change.id),
            change.detected_at.strftime("%Y-%m-%d %H:%M"),
            Text(one.source_title),
            Text(change.category),
            Text(change.title),
            Text(f"{why.get('rule', '')}: {why.get('detail', '')}" if why else ""),
        )
    return table


def deadlines_table(rows: Sequence[DeadlineRow], now: datetime) -> Table:
    from monitor.analysis.dates import BRUSSELS

    table = Table(title="Deadlines (soonest first)", title_justify="left")
    for name in ("due (Brussels)", "in", "what", "kind", "source", "moved"):
        table.add_column(name, overflow="fold")
    for row in rows:
        days = (row.due - now).days
        table.add_row(
            f"{row.due.astimezone(BRUSSELS):%a %d %b %Y %H:%M}",
            Text(
                f"{days} d" if days >= 0 else "passed", style="bold red" if 0 <= days <= 7 else ""
            ),
            Text(row.label),
            row.kind,
            Text(row.source_key),
            Text(
                " → ".join(entry["due"][:10] for entry in row.history)
                if len(row.history) > 1
                else ""
            ),
        )
    return table


_SOURCE_COLUMNS = ("key", "status", "every", "last check", "parser", "tags", "url")


def sources_table(
    rows: Sequence[SourceRow], now: datetime | None = None, width: int | None = None
) -> Table:
    """One line per source, however long its URL or last error (why a check failed is in
    `lexwatch history KEY`). ``width``: the terminal's; the URL is cut with "…" to fit, and
    parser and tags are left out when there is no room. None (piped): everything, whole."""
    now = now or datetime.now(UTC)
    cells = [
        {
            "key": Text(row.key),
            "status": _source_status(row, now),
            "every": Text(_duration(row.interval_seconds)),
            "last check": Text(ago(now, row.last_check_at) if row.last_check_at else "never"),
            "parser": Text(row.parser),
            "tags": Text(", ".join(row.tags)),
            "url": Text(row.url),
        }
        for row in rows
    ]
    natural = {
        name: max([len(name), *(len(c[name].plain) for c in cells)]) for name in _SOURCE_COLUMNS
    }
    widths = _fit_columns(natural, width)
    table = Table(
        title="Sources",
        title_justify="left",
        caption="why a check failed: lexwatch history KEY",
        caption_justify="left",
    )
    shown = [name for name in _SOURCE_COLUMNS if name in widths]
    for name in shown:
        table.add_column(name, no_wrap=True)
    for row_cells in cells:
        table.add_row(*(_cut(row_cells[name], widths[name]) for name in shown))
    return table


def _fit_columns(natural: dict[str, int], width: int | None) -> dict[str, int]:
    """Each shown column's width: key, status, every and last check always; then parser and
    tags while the URL keeps 30 characters; the URL gets the rest (at least 10)."""
    if width is None:
        return dict(natural)
    fit = {name: natural[name] for name in ("key", "status", "every", "last check")}
    left = width - 1 - sum(w + 3 for w in fit.values())  # a border and padding per column
    url = min(natural["url"], 30) + 3
    for name in ("parser", "tags"):
        if left - (natural[name] + 3) >= url:
            fit[name] = natural[name]
            left -= natural[name] + 3
    fit["url"] = max(10, min(natural["url"], left - 3))
    return fit


def _cut(text: Text, width: int) -> Text:
    if text.cell_len <= width:
        return text
    cut = text.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut


_HEALTH_STYLE = {
    Health.OK: "green",
    Health.NEW: "cyan",
    Health.FAILING: "bold red",
    Health.SILENT: "yellow",
    Health.DISABLED: "dim",
}


def source_health_of(row: SourceRow, now: datetime) -> SourceHealth:
    return source_health(
        enabled=row.enabled,
        failure_streak=row.failure_streak,
        last_error=row.last_error,
        first_success_at=row.first_success_at,
        last_change_at=row.last_change_at,
        expected_change=row.expected_change_seconds,
        now=now,
    )


def _source_status(row: SourceRow, now: datetime) -> Text:
    """The health in a word, and how many checks failed in a row: never the error itself."""
    health = source_health_of(row, now)
    text = Text(health.status.value, style=_HEALTH_STYLE[health.status])
    if row.failure_streak:
        text.append(f" ({row.failure_streak} failed)", style="red")
    elif health.status is Health.SILENT:
        text.append(f" ({(now - (row.last_change_at or row.first_success_at or now)).days} d)")
    return text


def source_json(row: SourceRow, now: datetime) -> dict[str, Any]:
    """A source and its health, for `lexwatch sources --json`."""
    health = source_health_of(row, now)
    return {
        "key": row.key,
        "title": row.title,
        "url": row.url,
        "parser": row.parser,
        "interval_seconds": row.interval_seconds,
        "tags": list(row.tags),
        "enabled": row.enabled,
        "official": row.official,
        "status": health.status.value,
        "reason": health.reason or None,
        "failure_streak": row.failure_streak,
        "last_error": row.last_error,
        "last_check_at": _iso(row.last_check_at),
        "last_success_at": _iso(row.last_success_at),
        "last_change_at": _iso(row.last_change_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def history_table(key: str, checks: Sequence[CheckRow]) -> Table:
    table = Table(title=f"History of {key} (newest first)", title_justify="left")
    for name in ("check", "started", "outcome", "HTTP", "bytes", "ms", "changes", "note"):
        table.add_column(name, overflow="fold")
    for check in checks:
        outcome = CheckOutcome(check.outcome)
        table.add_row(
            str(check.id),
            check.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            Text(outcome.value, style=_OUTCOME_STYLE[outcome]),
            str(check.http_status or ""),
            str(check.bytes),
            str(check.duration_ms),
            str(check.change_count or ""),
            Text(check.error or ""),
        )
    return table


def word_diff(row: ChangeRow, *, marks: bool = False) -> Group:
    """A change with its word diff: deletions red and struck through, insertions green.

    With ``marks`` (output that is not a colour terminal) deletions read ``[-old-]`` and
    insertions ``{+new+}``, as wdiff writes them.
    """
    header = Text()
    header.append(f"#{row.id} ", style="bold")
    header.append(f"[{row.category}/{row.severity}] ", style=_SEVERITY_STYLE.get(row.severity, ""))
    header.append(row.title, style="bold")
    header.append(
        f"\nsource {row.source_key} · item {row.item_key}"
        f" · detected {row.detected_at:%Y-%m-%d %H:%M} UTC",
        style="dim",
    )
    if row.url:
        header.append(f"\n{row.url}", style="underline")
    before, now = pages_of(row.diff)
    if before or now:  # a document's item: where it is (``pages`` is never compared)
        moved = before and now and before != now
        header.append(
            f"\npages {before} before, {now} now" if moved else f"\npages {now or before}",
            style="dim",
        )
    header.append(f"\n{row.summary}")
    parts: list[Text] = [header]
    parts.extend(_field_lines(row.diff.get("fields", []), marks))
    parts.extend(_block_text(block, marks) for block in row.diff.get("blocks", []))
    return Group(*parts)


_MARKS = {"delete": ("[-", "-]"), "insert": ("{+", "+}"), "equal": ("", "")}
_STYLES = {"delete": "red strike", "insert": "green bold", "equal": ""}


def _field_lines(fields: list[dict[str, Any]], marks: bool) -> Iterable[Text]:
    for field in fields:
        line = Text(f"  {field['name']}: ")
        _append(line, "delete", str(field["old"]), marks)
        line.append(" → ")
        _append(line, "insert", str(field["new"]), marks)
        yield line


def _block_text(block: dict[str, Any], marks: bool) -> Text:
    text = Text("\n")
    for op, words in block["ops"]:
        _append(text, op, words, marks)
        text.append(" ")
    return text


def _append(text: Text, op: str, words: str, marks: bool) -> None:
    start, end = _MARKS[op] if marks else ("", "")
    text.append(f"{start}{words}{end}", style=_STYLES[op])


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def make_console(*, stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)
