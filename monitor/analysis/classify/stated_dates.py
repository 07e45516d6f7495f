"""The dates a text or a field states, read as days, never compared as strings.

``cued_dates`` keeps only the dates a cue says something closes or applies on ("until",
"deadline", "shall apply from"), not the old date of "instead of X"; ``event_date`` and
``date_near`` pick the day an event word points at; ``oj_date`` reads an Official Journal
reference; ``field_date`` and ``as_day`` read a structured field as a Brussels day (an ISO
instant in UTC converted first). Named so as not to be confused with ``monitor.analysis.dates``, the
date parser these helpers call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from monitor.analysis.classify.findings import Call
from monitor.analysis.classify.sentences import has_digit, split_sentences
from monitor.analysis.classify.vocabulary import (
    CLOSING_CUE,
    DEADLINE_NOUN,
    EVENT,
    EVENT_WHEN,
    OJ_REF,
    PERIOD,
    REPLACED,
    Words,
)
from monitor.analysis.dates import BRUSSELS, FoundDate, find_dates, parse_datetime
from monitor.types import Item, ItemDiff


def dates_in(text: str, call: Call) -> list[FoundDate]:
    if not has_digit(text):
        return []
    return find_dates(text, call.language, today=call.reference)


def reference_day(diff: ItemDiff, call: Call) -> date | None:
    """The day a date without a year is read near: the fetch, else the latest full date of
    the changed paragraphs, else of the item (its old deadline, its publication date)."""
    if call.context.fetched_on is not None:
        return call.context.fetched_on
    changed = [text for block in diff.blocks for text in (block.old, block.new) if text]
    whole = [item.text[:20_000] for item in (diff.old, diff.new) if item is not None]
    for texts in (changed, whole):
        days = [
            found.date
            for text in texts
            for found in find_dates(text, call.language)
            if found.year_given
        ]
        if days:
            return max(days)
    return None


def cued_dates(text: str, cue: Words, call: Call) -> list[date]:
    """Dates the text says something closes (or applies) on."""
    return [found.date for found in cued_found(text, cue, call)]


def cued_found(text: str, cue: Words, call: Call) -> list[FoundDate]:
    """``cued_dates`` with how each date was written (its year given or inferred)."""
    days = []
    previous_end = 0
    for found in dates_in(text, call):
        before = text[max(0, found.start - 60) : found.start]
        if not REPLACED.search(before) and (
            cue.search(before) or (cue is CLOSING_CUE and _closing(text, found, previous_end))
        ):
            days.append(found)
        previous_end = found.end
    return days


def _closing(text: str, found: FoundDate, previous_end: int) -> bool:
    """A closing date without a cue right before it: a period "10–18 September" of a
    consultation, or a date that a deadline noun earlier in the sentence names, with no
    other date between ("Deadline for feedback on the draft, which ...: 28 November")."""
    if found.is_range and (PERIOD.search(text) or CLOSING_CUE.search(found.text + " ")):
        return True
    span = text[max(previous_end, found.start - _FAR_CUE) : found.start]
    return bool(DEADLINE_NOUN.search(span))


_FAR_CUE = 200  # characters of a sentence a deadline noun may stand before its date


def text_closing(text: str, call: Call) -> date | None:
    days = [d for s in split_sentences(text[:20_000]) for d in cued_dates(s, CLOSING_CUE, call)]
    return max(days) if days else None


def event_date(title: str, text: str, call: Call) -> date | None:
    """The event's (first) day: in the title, or beside an event word or "takes place"."""
    for sentence in (title, *split_sentences(text[:20_000])):
        cue = EVENT.search(sentence) or EVENT_WHEN.search(sentence)
        if sentence is title or cue:
            found = dates_in(sentence, call)
            if found:
                return date_near(found, cue.start() if cue else 0)
    return None


def date_near(found: Sequence[FoundDate], position: int) -> date:
    """The (first) day of the date that follows ``position`` most closely, else the last
    one before it: "published on 14 November and will hold a plenary on 22 November"."""
    after = [f for f in found if f.start >= position]
    return (after[0] if after else found[-1]).first


def first_day(text: str, call: Call) -> date | None:
    found = dates_in(text, call)
    return found[0].date if found else None


def oj_date(text: str, call: Call) -> date | None:
    """The Official Journal date of "OJ L, 2025/454, 10.3.2025"."""
    match = OJ_REF.search(text)
    if match is None:
        return None
    found = dates_in(match.group(1), call)
    return found[0].date if found else None


def field_date(item: Item, *names: str) -> date | None:
    for name in names:
        value = item.fields.get(name)
        day = as_day(value) if value else None
        if day is not None:
            return day
    return None


def as_day(value: str) -> date | None:
    """The Brussels day a field value means (an ISO instant in UTC is converted first)."""
    moment = parse_datetime(value)
    return moment.astimezone(BRUSSELS).date() if moment is not None else None


def published(item: Item) -> date | None:
    return field_date(item, "published")
