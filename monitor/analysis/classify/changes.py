"""Building the Changes a classify call returns.

``build_change`` turns a finding into a ``Change`` with its severity, a title naming the
source, and a shortened summary and evidence; ``page_removed`` is the one Change of a page that
disappeared; ``merge`` keeps one Change per real event, so that the same event seen in two
diffs (an events page whose teaser and date sit under different headings, or one event key)
alerts once, with the dates found in either."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from monitor.analysis.classify.findings import MAX_EVIDENCE, REMOVED_SECTION, Call, Finding
from monitor.analysis.classify.naming import lead_of, name_of, page_name
from monitor.analysis.classify.sentences import shorten
from monitor.analysis.classify.vocabulary import severity_of
from monitor.analysis.dates import format_day
from monitor.types import Category, Change, ClassifyContext, DiffKind, DocumentKind, Item, ItemDiff


def build_change(diff: ItemDiff, finding: Finding, call: Call) -> Change:
    item = diff.item
    source = call.source
    name = finding.name or name_of(diff, call)
    return Change(
        source_key=source.key,
        item_key=diff.key,
        category=finding.category,
        severity=severity_of(finding.category),
        title=f"{shorten(name, 120)} — {source.title}",
        summary=shorten(finding.summary, 300),
        url=item.url or source.url,
        diff=diff,
        evidence=tuple(shorten(text) for text in finding.evidence[:MAX_EVIDENCE] if text),
        old_date=finding.old_date,
        new_date=finding.new_date,
        event_key=finding.event_key,
        rule=finding.rule,
    )


def page_removed(diffs: Sequence[ItemDiff], context: ClassifyContext) -> Change:
    source = context.source
    name = page_name(context)
    first = (
        diffs[0]
        if diffs
        else ItemDiff(
            kind=DiffKind.REMOVED,
            key=source.url,
            new=None,
            old=Item(key=source.url, title=name, url=source.url),
        )
    )
    text = "\n".join(diff.item.text for diff in diffs if diff.item.text)
    return Change(
        source_key=source.key,
        item_key=first.key,
        category=Category.PAGE_REMOVED,
        severity=severity_of(Category.PAGE_REMOVED),
        title=f"{shorten(name, 120)} — {source.title}",
        summary=f"Page removed: {name} ({source.url})",
        url=source.url,
        diff=first,
        evidence=lead_of(text),
    )


def closing_takes_removals(changes: list[Change]) -> list[Change]:
    """A page whose consultation closed: the sections removed with it (how to respond, the
    form) went with the consultation, an editorial part of its closing, not amendments."""
    if not any(change.category is Category.CONSULTATION_CLOSED for change in changes):
        return changes
    return [
        replace(
            change,
            category=Category.EDITORIAL,
            severity=severity_of(Category.EDITORIAL),
            summary=f"{change.summary}, with the consultation's closing",
        )
        if change.rule == REMOVED_SECTION
        else change
        for change in changes
    ]


def merge(changes: list[Change], context: ClassifyContext) -> list[Change]:
    """One Change per real event: the same event seen in two diffs (an events page whose
    teaser and date sit under different headings) is merged, keeping the dates found."""
    merged: list[Change] = []
    for change in changes:
        twin = next((m for m in merged if _same_event(m, change, context)), None)
        if twin is None:
            merged.append(change)
            continue
        merged[merged.index(twin)] = _combine(twin, change)
    return merged


def _same_event(a: Change, b: Change, context: ClassifyContext) -> bool:
    if a.category is not b.category or not a.category.alertable:
        return False
    if a.event_key is not None and a.event_key == b.event_key and a.new_date == b.new_date:
        return True
    if context.document_kind is not DocumentKind.PAGE or a.category is Category.AMENDMENT:
        return False
    if a.diff.kind is DiffKind.ADDED and b.diff.kind is DiffKind.ADDED:
        return False  # two new entries are two events, dated or not
    if a.event_key is not None and b.event_key is not None and a.event_key != b.event_key:
        return False  # two consultations of one page (sections of their own) are two events
    return a.new_date is None or b.new_date is None or a.new_date == b.new_date


def _combine(kept: Change, other: Change) -> Change:
    """Prefer the added item's title (the teaser) and whichever date was found."""
    first, second = (
        (other, kept)
        if (other.diff.kind is DiffKind.ADDED and kept.diff.kind is not DiffKind.ADDED)
        else (kept, other)
    )
    day = first.new_date or second.new_date
    summary = first.summary
    if first.new_date is None and day is not None:
        summary = f"{summary} on {format_day(day)}"
    evidence = tuple(dict.fromkeys(first.evidence + second.evidence))[:MAX_EVIDENCE]
    return replace(
        first,
        new_date=day,
        old_date=first.old_date or second.old_date,
        summary=summary,
        evidence=evidence,
    )
