"""Terminal rendering for the CLI (rich). Scraped text is always added as plain Text,
never parsed as rich markup, so a page cannot restyle or fake lexwatch's output."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from monitor.dates import BRUSSELS
from monitor.health import Health, source_health
from monitor.pipeline import CheckResult
from monitor.types import Category, CheckOutcome
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


def check_table(results: Sequence[CheckResult]) -> Table:
    table = Table(title="Checks", title_justify="left")
    for name in ("source", "outcome", "changes", "HTTP", "ms", "note"):
        table.add_column(name, overflow="fold")
    for result in results:
        alerts = sum(1 for c in result.changes if c.category.alertable)
        table.add_row(
            Text(result.source_key),
            Text(result.outcome.value, style=_OUTCOME_STYLE[result.outcome]),
            str(alerts) if result.changes else "",
            str(result.http_status or ""),
            str(result.duration_ms),
            Text(result.error or ""),
        )
    return table


def change_lines(results: Sequence[CheckResult]) -> Iterable[Text]:
    for result in results:
        for change in result.changes:
            line = Text()
            line.append(f"[{change.category.value}/{change.severity.value}] ",
                        style=_SEVERITY_STYLE[change.severity.value])
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
        table.add_row(str(row.id), row.detected_at.strftime("%Y-%m-%d %H:%M"),
                      Text(row.source_key), Text(category, style="dim" if muted else ""),
                      Text(row.severity, style=_SEVERITY_STYLE.get(row.severity, "")),
                      title)
    return table


def deadlines_table(rows: Sequence[DeadlineRow], now: datetime) -> Table:
    table = Table(title="Deadlines (soonest first)", title_justify="left")
    for name in ("due (Brussels)", "in", "what", "kind", "source", "moved"):
        table.add_column(name, overflow="fold")
    for row in rows:
        days = (row.due - now).days
        table.add_row(f"{row.due.astimezone(BRUSSELS):%a %d %b %Y %H:%M}",
                      Text(f"{days} d" if days >= 0 else "passed",
                           style="bold red" if 0 <= days <= 7 else ""),
                      Text(row.label), row.kind, Text(row.source_key),
                      Text(" → ".join(entry["due"][:10] for entry in row.history)
                           if len(row.history) > 1 else ""))
    return table


def sources_table(rows: Sequence[SourceRow]) -> Table:
    table = Table(title="Sources", title_justify="left")
    for name in ("key", "parser", "every", "tags", "last check", "status", "url"):
        table.add_column(name, overflow="fold")
    for row in rows:
        status = _source_status(row)
        table.add_row(Text(row.key), row.parser, _duration(row.interval_seconds),
                      Text(", ".join(row.tags)),
                      f"{row.last_check_at:%Y-%m-%d %H:%M}" if row.last_check_at else "never",
                      status, Text(row.url))
    return table


_HEALTH_STYLE = {Health.OK: "green", Health.NEW: "cyan", Health.FAILING: "bold red",
                 Health.SILENT: "yellow", Health.DISABLED: "dim"}


def _source_status(row: SourceRow) -> Text:
    health = source_health(
        enabled=row.enabled, failure_streak=row.failure_streak, last_error=row.last_error,
        first_success_at=row.first_success_at, last_change_at=row.last_change_at,
        expected_change=row.expected_change_seconds, now=datetime.now(UTC))
    text = Text(health.status.value, style=_HEALTH_STYLE[health.status])
    if row.failure_streak and health.status is not Health.FAILING:
        text.append(f" (last check failed: {row.last_error})", style="red")
    elif health.reason:
        text.append(f" ({health.reason})")
    return text


def history_table(key: str, checks: Sequence[CheckRow]) -> Table:
    table = Table(title=f"History of {key} (newest first)", title_justify="left")
    for name in ("check", "started", "outcome", "HTTP", "bytes", "ms", "changes", "note"):
        table.add_column(name, overflow="fold")
    for check in checks:
        outcome = CheckOutcome(check.outcome)
        table.add_row(str(check.id), check.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                      Text(outcome.value, style=_OUTCOME_STYLE[outcome]),
                      str(check.http_status or ""), str(check.bytes), str(check.duration_ms),
                      str(check.change_count or ""), Text(check.error or ""))
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
    header.append(f"\nsource {row.source_key} · item {row.item_key}"
                  f" · detected {row.detected_at:%Y-%m-%d %H:%M} UTC", style="dim")
    if row.url:
        header.append(f"\n{row.url}", style="underline")
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
