"""The dates a reader can act on, read from one parsed document.

``extract_deadlines`` returns:

* consultation closing times from the ``feedback_end``/``deadline`` fields of consultations
  that are open or upcoming (and, in a JSON answer read as flattened fields, from each
  record's ``feedbackEndDate``/``endDate`` beside an OPEN status);
* planned events from ``event_date`` fields (OEIL forecasts, events listings), not the key
  events a procedure file records as done;
* dates the text states something applies from, closes on, or an event happens on
  ("shall apply from 2 August 2026", "open until 18 September 2025, 23:59 CET", "Webinar |
  20 February 2025").

It runs on every changed document, the 1.2 MB AI Act included, so text is read lazily: an
item is looked at only when it holds a year and a trigger word (both plain substring tests,
in C), and only its lines holding both are parsed for dates.

Times: a closing date without a time closes at 23:59:59 Brussels; a day something applies
from or an event happens on starts at 00:00 Brussels.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, time
from typing import Literal

from monitor.analysis.dates import BRUSSELS, FoundDate, find_dates, parse_datetime
from monitor.types import Deadline, Document, Item, Source

__all__ = ["extract_deadlines"]

logger = logging.getLogger(__name__)

DeadlineKind = Literal["consultation", "application", "event", "other"]
_LABEL_CHARS = 160
_OPEN_STATES = frozenset({"OPEN", "UPCOMING"})
_CLOSING_FIELDS = ("feedback_end", "deadline")
_END_FIELDS = frozenset({"feedbackenddate", "enddate", "deadline", "feedback_end", "closingdate"})
_STATUS_FIELDS = ("receivingFeedbackStatus", "status", "feedbackStatus")
# Text is read year first: a literal-prefix regex finds "20dd" at C speed, and only a year
# with a cue word in the lowered 100 characters before it gets its line parsed.
_YEAR = re.compile(r"20[0-9][0-9]")
_CUES = (
    "appl",
    "until",
    "till",
    "deadline",
    "clos",
    "no later than",
    "jusqu",
    "bis ",
    "frist",
    "date limite",
    "webinar",
    "workshop",
    "session",
    "conference",
    "seminar",
    "hearing",
    "plenary",
    "event",
    "info day",
    "summit",
    "round",
)
_CUE_WINDOW = 100
_APPLY = re.compile(
    r"(?:\bappl(?:y|ies|ied|icable)\b(?: \w+){0,3} (?:from|as of|as from|on)\b|\bshall apply"
    r"\b|\b(?:date of|entry into|enters? into|entered into) application\b|\bbecomes?"
    r" applicable\b|\bapplication date\b)[^.;|]{0,40}$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"(?:\buntil\b|\btill\b|\bdeadline\b|\bclos(?:es|ing|e)\b(?: date)?|\bno later than\b"
    r"|\bextended to\b|\bjusqu['’]\s?au\b|\bdate limite\b|\bbis(?: zum)?\b|\bspätestens\b"
    r")[^.;|]{0,40}$",
    re.IGNORECASE,
)
_CONSULTATION = re.compile(
    r"\b(?:consultations?|call for \w+|surveys?|questionnaires?|feedback|contributions?"
    r"|submissions?|have your say|replies|responses)\b",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"\b(?:webinars?|info(?:rmation)?[ -]sessions?|info[ -]days?|workshops?|conferences?"
    r"|seminars?|hearings?|plenary|round ?tables?|summits?|stakeholder (?:event|meeting)s?"
    r"|events?)\b",
    re.IGNORECASE,
)
_PAST = re.compile(r"\b(?:took place|was held|were held|entered into)\b", re.IGNORECASE)


def extract_deadlines(document: Document, source: Source) -> list[Deadline]:
    """Every deadline ``document`` states, once each, soonest first. Never raises on text."""
    found: dict[tuple[str, str, datetime], Deadline] = {}
    language = source.options.language or "en"
    for item in document.items:
        try:
            for deadline in _item_deadlines(item, source, language):
                found.setdefault((deadline.item_key, deadline.kind, deadline.due), deadline)
        except (ValueError, OverflowError):  # an impossible date in a field: skip the item
            logger.debug("no deadlines read from %s %s", source.key, item.key, exc_info=True)
    return sorted(found.values(), key=lambda d: (d.due, d.item_key, d.label))


def _item_deadlines(item: Item, source: Source, language: str) -> Iterator[Deadline]:
    stated = []
    if item.fields:
        stated = list(_field_deadlines(item, source))
        if any("." in name for name in item.fields):
            stated += _record_deadlines(item, source)
        yield from stated
    if "20" in item.text:  # no year of this century, no deadline: most items stop here
        # The parser's closing date already weighs "extended to" against the old date the
        # text may still mention; a second closing date read from that text would be stale.
        kinds = {deadline.kind for deadline in stated}
        yield from (
            deadline
            for deadline in _text_deadlines(item, source, language)
            if deadline.kind not in kinds or deadline.kind != "consultation"
        )


# --- structured fields ----------------------------------------------------------------------


def _field_deadlines(item: Item, source: Source) -> Iterator[Deadline]:
    fields = item.fields
    status = fields.get("status", "").upper()
    if not status or status in _OPEN_STATES:
        for name in _CLOSING_FIELDS:
            value = fields.get(name)
            due = parse_datetime(value) if value else None
            if due is not None:
                yield _deadline(
                    item, source, f"Consultation closes: {_title(item)}", due, "consultation"
                )
                break
    event_day = fields.get("event_date")
    # A procedure's key events are history (their day is their publication day); what is
    # planned is a forecast or an announced event.
    if event_day and (fields.get("forecast") == "true" or fields.get("published") != event_day):
        due = parse_datetime(event_day, default_time=time(0))
        if due is not None:
            label = fields.get("event") or _title(item)
            yield _deadline(item, source, _shorten(label), due, "event")


def _record_deadlines(item: Item, source: Source) -> Iterator[Deadline]:
    """Closing dates of the records of a JSON answer read as dotted fields."""
    fields = item.fields
    for name, value in fields.items():
        prefix, _, last = name.rpartition(".")
        if not prefix or last.lower() not in _END_FIELDS:
            continue
        status = _sibling(fields, prefix, _STATUS_FIELDS).upper()
        if status not in _OPEN_STATES:
            continue
        due = parse_datetime(value)
        if due is not None:
            title = _record_title(fields, prefix) or _title(item)
            yield _deadline(item, source, f"Consultation closes: {title}", due, "consultation")


def _sibling(fields: Mapping[str, str], prefix: str, names: tuple[str, ...]) -> str:
    for name in names:
        value = fields.get(f"{prefix}.{name}")
        if value:
            return value
    return ""


def _record_title(fields: Mapping[str, str], prefix: str) -> str:
    """The title of the record a nested field belongs to (``content.0.shortTitle`` for
    ``content.0.currentStatuses.0.feedbackEndDate``)."""
    parts = prefix.split(".")
    for cut in range(len(parts), 0, -1):
        base = ".".join(parts[:cut])
        title = _sibling(fields, base, ("shortTitle", "title", "name"))
        if title:
            return title
    return ""


# --- text -----------------------------------------------------------------------------------


def _text_deadlines(item: Item, source: Source, language: str) -> Iterator[Deadline]:
    for line in _cued_lines(item.text):
        for found in find_dates(line, language):
            deadline = _line_deadline(item, source, line, found)
            if deadline is not None:
                yield deadline


def _cued_lines(text: str) -> Iterator[str]:
    """Each line holding a year with a cue word shortly before it, once."""
    seen: set[int] = set()
    for year in _YEAR.finditer(text):
        start, end = year.span()
        after = text[end : end + 1]
        if after.isdigit() or after == "/" or (start and text[start - 1].isdigit()):
            continue  # 20245, 2024/1689 (an act's number), 12024: no year
        window = text[max(0, start - _CUE_WINDOW) : start].lower()
        if not any(cue in window for cue in _CUES):
            continue
        head = text.rfind("\n", 0, start) + 1
        if head in seen:
            continue
        seen.add(head)
        tail = text.find("\n", end)
        yield text[head : tail if tail >= 0 else len(text)]


def _line_deadline(item: Item, source: Source, line: str, found: FoundDate) -> Deadline | None:
    before = line[max(0, found.start - 80) : found.start]
    sentence = found.sentence
    if _APPLY.search(before):
        return _deadline(item, source, _label(item, sentence), _start(found), "application")
    if _CLOSING.search(before) or (found.is_range and "open" in sentence.lower()):
        about = _CONSULTATION.search(sentence) or _CONSULTATION.search(item.title)
        kind: DeadlineKind = "consultation" if about else "other"
        return _deadline(item, source, _label(item, sentence), found.at, kind)
    # The event word may sit in the cell before the date ("Webinar | 20 February 2025").
    if (_EVENT.search(sentence) or _EVENT.search(before)) and not _PAST.search(sentence):
        return _deadline(item, source, _label(item, sentence), _start(found, first=True), "event")
    return None


def _start(found: FoundDate, *, first: bool = False) -> datetime:
    """The start of the day (or of the stated time) something applies or happens from."""
    day = found.first if first else found.date
    return datetime.combine(day, found.time or time(0), found.tz if found.time else BRUSSELS)


# --- building -------------------------------------------------------------------------------


def _deadline(
    item: Item, source: Source, label: str, due: datetime, kind: DeadlineKind
) -> Deadline:
    if due.tzinfo is None:  # never leave a naive time: a naive one is Brussels wall time
        due = due.replace(tzinfo=BRUSSELS)
    return Deadline(
        source_key=source.key,
        item_key=item.key,
        label=label,
        due=due,
        kind=kind,
        url=item.url or source.url,
    )


def _label(item: Item, sentence: str) -> str:
    return _shorten(f"{_title(item)}: {sentence}")


def _title(item: Item) -> str:
    return item.title or item.key


def _shorten(text: str, limit: int = _LABEL_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
