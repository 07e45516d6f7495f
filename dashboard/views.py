"""View-model helpers for the pages: times in the configured zone, labels, diff rows.

Everything here is pure: stored values in, small frozen values out, which the templates
render (with autoescaping: scraped text is never trusted).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from monitor.types import Category, Severity, web_url

SEVERITY_LABELS: dict[str, str] = {
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
}


def category_label(value: str) -> str:
    """The registry's label (``monitor.types.CATEGORIES``); a stored value it no longer knows
    is shown as itself, made readable."""
    if value in _CATEGORIES:
        return Category(value).label
    return value.replace("_", " ").capitalize()


_CATEGORIES = frozenset(category.value for category in Category)


def severity_label(value: str) -> str:
    return SEVERITY_LABELS.get(value, value.capitalize())


# -- times ----------------------------------------------------------------------------------


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def format_time(moment: datetime | None, zone: str) -> str:
    """ "20 Nov 2026 10:00 CET": the zone's abbreviation says which clock it is."""
    if moment is None:
        return ""
    shown = local(moment, zone)
    return f"{shown.day} {shown:%b %Y %H:%M %Z}"


def format_date(day: date | datetime | None, zone: str | None = None) -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = local(day, zone).date() if zone else day.date()
    return f"{day.day} {day:%b %Y}"


def iso(moment: datetime | date | None) -> str:
    """For ``<time datetime>``: HTML allows at most three digits of a second, so none."""
    if isinstance(moment, datetime):
        return moment.isoformat(timespec="seconds")
    return moment.isoformat() if moment is not None else ""


def format_duration(seconds: int | None) -> str:
    """ "6 h", "2 d", "3 w": the largest whole unit."""
    if not seconds:
        return ""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds} s"


# -- diffs ----------------------------------------------------------------------------------

Op = Literal["equal", "insert", "delete"]
FOLD_WORDS = 40  # an unchanged run longer than this is folded ...
CONTEXT_WORDS = 12  # ... keeping this many words visible on each side
CONTEXT_BLOCKS = 1  # unchanged paragraphs shown around a changed one


@dataclass(frozen=True, kw_only=True, slots=True)
class Segment:
    """A run of words; ``folded`` ones are shown collapsed (a <details>)."""

    op: Op
    text: str
    folded: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class DiffRow:
    """One paragraph: changed (with word segments) or unchanged context, maybe folded."""

    kind: Literal["changed", "context", "folded"]
    inline: tuple[Segment, ...] = ()
    old: tuple[Segment, ...] = ()
    new: tuple[Segment, ...] = ()
    hidden: tuple[str, ...] = ()  # the folded unchanged paragraphs


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldRow:
    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DiffView:
    kind: str
    title_old: str | None
    title_new: str | None
    fields: tuple[FieldRow, ...]
    rows: tuple[DiffRow, ...]

    @property
    def empty(self) -> bool:
        return not (self.fields or self.rows or self.title_old != self.title_new)


def diff_view(diff: dict[str, Any]) -> DiffView:
    """A stored change's diff as rows: changed paragraphs among folded unchanged ones."""
    old, new = diff.get("old") or {}, diff.get("new") or {}
    blocks = [_ops(block) for block in diff.get("blocks", [])]
    rows = _rows_in_context(old.get("text") or "", new.get("text") or "", blocks)
    fields = tuple(
        FieldRow(name=f["name"], old=f.get("old"), new=f.get("new")) for f in diff.get("fields", [])
    )
    return DiffView(
        kind=str(diff.get("kind", "")),
        title_old=old.get("title"),
        title_new=new.get("title"),
        fields=fields,
        rows=tuple(rows),
    )


def _ops(block: dict[str, Any]) -> tuple[tuple[Op, str], ...]:
    return tuple((op, text) for op, text in block.get("ops", []))


def _rows_in_context(
    old_text: str, new_text: str, blocks: Sequence[tuple[tuple[Op, str], ...]]
) -> list[DiffRow]:
    """Changed rows in the order of the text, with a little unchanged context around them.

    The stored blocks are the changed paragraphs in order; re-aligning the paragraphs of
    both texts says where they sit. If the texts do not match the blocks (an old record),
    the changed rows are shown alone.
    """
    if not (old_text and new_text):
        return [changed_row(ops) for ops in blocks]
    old_blocks, new_blocks = old_text.split("\n"), new_text.split("\n")
    matcher = difflib.SequenceMatcher(None, old_blocks, new_blocks, autojunk=False)
    rows: list[DiffRow] = []
    pending = iter(blocks)
    used = 0
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            rows.extend(
                _context(new_blocks[j1:j2], first=index == 0, last=index == len(opcodes) - 1)
            )
            continue
        count = max(i2 - i1, j2 - j1)
        rows.extend(changed_row(ops) for ops in _take(pending, count))
        used += count
    if used != len(blocks):
        return [changed_row(ops) for ops in blocks]
    return rows


def _take(
    pending: Iterator[tuple[tuple[Op, str], ...]], count: int
) -> list[tuple[tuple[Op, str], ...]]:
    return [ops for _, ops in zip(range(count), pending, strict=False)]


def _context(paragraphs: Sequence[str], *, first: bool, last: bool) -> list[DiffRow]:
    """Unchanged paragraphs: the ones next to a change shown, the rest folded."""
    keep_before = 0 if first else CONTEXT_BLOCKS
    keep_after = 0 if last else CONTEXT_BLOCKS
    if len(paragraphs) <= keep_before + keep_after + 1:
        return [_context_row(text) for text in paragraphs]
    head = [_context_row(text) for text in paragraphs[:keep_before]]
    tail_start = len(paragraphs) - keep_after
    tail = [_context_row(text) for text in paragraphs[tail_start:]]
    folded = DiffRow(kind="folded", hidden=tuple(paragraphs[keep_before:tail_start]))
    return [*head, folded, *tail]


def _context_row(text: str) -> DiffRow:
    segments = fold_segments([("equal", text)], first=True, last=True)
    return DiffRow(kind="context", inline=segments, old=segments, new=segments)


def changed_row(ops: Sequence[tuple[Op, str]]) -> DiffRow:
    """One changed paragraph, inline and as its old and new sides."""
    return DiffRow(
        kind="changed",
        inline=fold_segments(ops),
        old=fold_segments([(op, text) for op, text in ops if op != "insert"]),
        new=fold_segments([(op, text) for op, text in ops if op != "delete"]),
    )


def fold_segments(
    ops: Sequence[tuple[Op, str]], *, first: bool = False, last: bool = False
) -> tuple[Segment, ...]:
    """Segments with every long unchanged run folded, its edges kept next to the changes."""
    segments: list[Segment] = []
    for index, (op, text) in enumerate(ops):
        if op != "equal":
            segments.append(Segment(op=op, text=text))
            continue
        at_start = first or index == 0
        at_end = last or index == len(ops) - 1
        segments.extend(_fold_equal(text, at_start=at_start, at_end=at_end))
    return tuple(segments)


def _fold_equal(text: str, *, at_start: bool, at_end: bool) -> list[Segment]:
    words = text.split(" ")
    if len(words) <= FOLD_WORDS:
        return [Segment(op="equal", text=text)]
    before = 0 if at_start else CONTEXT_WORDS
    after = 0 if at_end else CONTEXT_WORDS
    if at_start and at_end:  # a whole unchanged paragraph: its start says what it is
        before = CONTEXT_WORDS
    parts = [Segment(op="equal", text=" ".join(words[:before]))] if before else []
    parts.append(
        Segment(op="equal", text=" ".join(words[before : len(words) - after]), folded=True)
    )
    if after:
        parts.append(Segment(op="equal", text=" ".join(words[len(words) - after :])))
    return parts


def http_url(url: str | None) -> str | None:
    """The URL if it is http(s): a scraped ``javascript:`` link must never become a link."""
    return web_url(url)
