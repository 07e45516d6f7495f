"""Tier 2 for dates: deadlines and application dates that the text says moved.

Three ways a publication says a date moved, tried in this order:

1. A sentence rewritten with other dates in it (``paired_moves``): "open until 2 October" →
   "open until 9 October"; several dates rewritten in one sentence are several moves, paired
   in order. A year written into a date that had none moves nothing.
2. A sentence announcing it (``announced_moves``): "extended until 15 October", "brought
   forward to 3 March", "the 30 September deadline is postponed", "postponed from 2 August
   2026 to 2 December 2027 for Annex III and from 2 August 2027 to 2 August 2028 for Annex I"
   (two moves), "Y instead of X", or a shift from a known date: "postponed by 16 months",
   "prolongée de deux semaines", "um ein Jahr verschoben" moves each date the old text gave.
3. The old closing date gone and a new one stated elsewhere, on a consultation
   (``unpaired_move``).

A move that is only considered ("may be extended", "proposes to delay") is no move."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from monitor.analysis.classify.delta import twin_of
from monitor.analysis.classify.fields import deadline_move
from monitor.analysis.classify.findings import MAX_EVIDENCE, Call, Delta, Finding, Sentence
from monitor.analysis.classify.naming import is_consultation
from monitor.analysis.classify.sentences import has_digit, split_sentences
from monitor.analysis.classify.stated_dates import cued_dates, cued_found, dates_in
from monitor.analysis.classify.vocabulary import (
    APPLY_CUE,
    CLOSING_CUE,
    DATED_ROW,
    DATES_NOUN,
    EARLIER,
    EXTENDED,
    FROM_BEFORE,
    HYPOTHETICAL,
    INSTEAD,
    MOVED,
    NUMBERS,
    PLANNED_CUE,
    SHIFT,
    TO_BEFORE,
    UNITS,
    Words,
)
from monitor.analysis.dates import FoundDate
from monitor.types import ItemDiff

Move = tuple[date | None, date]  # (old day if known, new day)
_CUES = (CLOSING_CUE, APPLY_CUE, PLANNED_CUE)
_NEAR_VERB = 60  # characters after "brought forward" / "rescheduled" its new date may stand


def deadline_text_findings(diff: ItemDiff, delta: Delta, call: Call, closed: bool) -> list[Finding]:
    """The moves the changed text states, one finding per moved date."""
    for finder in (paired_moves, announced_moves):
        found = finder(diff, delta, call)
        if found:
            return found
    if closed:  # "ran from ... to ..., now closed" restates the old deadline, moves nothing
        return []
    return unpaired_move(diff, delta, call)


def paired_moves(diff: ItemDiff, delta: Delta, call: Call) -> list[Finding]:
    """A sentence, paragraph or table row rewritten with other closing, application or
    planned dates in it."""
    for sentence in delta.added:
        twin = twin_of(sentence.text, delta) if has_digit(sentence.text) else None
        moves = _rewritten(sentence.text, twin, call) if twin is not None else []
        if moves:
            return _findings(diff, call, moves, (sentence.text,), "date-rewritten")
    for block in diff.blocks:  # a paragraph reworded too much for its sentences to pair
        moves = _rewritten(block.new or "", block.old, call) if block.old else []
        if moves:
            return _findings(diff, call, moves, (block.new or "",), "date-rewritten")
    return _rows_moved(diff, delta, call)


def _rewritten(new_text: str, old_text: str | None, call: Call) -> list[Move]:
    if not old_text or not has_digit(new_text):
        return []
    for cue in _CUES:
        new = cued_found(new_text, cue, call)
        old = cued_found(old_text, cue, call) if new else []
        gained = sorted({f.date for f in new if not any(same_day(f, o) for o in old)})
        lost = sorted({o.date for o in old if not any(same_day(o, f) for f in new)})
        if gained and lost:
            return _paired(lost, gained)
    return _period_end_moved(new_text, old_text, call)


def _period_end_moved(new_text: str, old_text: str, call: Call) -> list[Move]:
    """A period that starts on the same day and ends on another: "19 February 2020 -
    19 May 2020" → "19 February 2020 - 31 May 2020" moved its end, whatever words frame it."""
    olds = {f.first: f.date for f in dates_in(old_text, call) if f.is_range}
    return [
        (olds[f.first], f.date)
        for f in dates_in(new_text, call)
        if f.is_range and f.first in olds and olds[f.first] != f.date
    ]


def _paired(lost: list[date], gained: list[date]) -> list[Move]:
    """Old and new dates in order; one old date that became several moves to each of them
    ("shall apply from 2 August 2027" → "from (i) 2 December 2027 ... (ii) 2 August 2028")."""
    if len(gained) == len(lost):
        return list(zip(lost, gained, strict=True))
    if len(lost) == 1:
        return [(lost[0], day) for day in gained]
    return [(lost[-1], gained[-1])]


def _rows_moved(diff: ItemDiff, delta: Delta, call: Call) -> list[Finding]:
    """A timeline's row or list entry that kept its words and changed its date:
    "2. August 2026 | Pflichten für Hochrisiko-KI-Systeme" → "2. Dezember 2027 | ...",
    "from 2 August 2026: obligations for ..." → "from 2 December 2027: ..."."""
    removed = {_undated(s.text, call): s.text for s in delta.removed if _dated_row(s.text)}
    moves: list[Move] = []
    proof: list[str] = []
    for sentence in (s for s in delta.added if removed and _dated_row(s.text)):
        key = _undated(sentence.text, call)
        if len(key.split()) < 2:  # a date alone is a stamp, not a row that says what
            continue
        old = removed.get(key) or twin_of(sentence.text, delta)
        if old is not None and _dated_row(old):
            olds, news = dates_in(old, call)[:1], dates_in(sentence.text, call)[:1]
            if olds and news and olds[0].date != news[0].date:
                moves.append((olds[0].date, news[0].date))
                proof.append(sentence.text)
    return _findings(diff, call, moves, tuple(proof[:MAX_EVIDENCE]), "timeline-row-moved")


def _dated_row(text: str) -> bool:
    return bool(DATED_ROW.match(text))


def _undated(text: str, call: Call) -> str:
    """The text without its dates: what a timeline row says apart from when."""
    found = dates_in(text, call)
    for one in reversed(found):
        text = text[: one.start] + " " + text[one.end :]
    return " ".join(text.lower().split())


def same_day(one: FoundDate, other: FoundDate) -> bool:
    """The same day, or the same day and month where one of them had no year written
    ("on 1 June" → "on 1 June 2022" gives the year, it moves nothing)."""
    if one.date == other.date:
        return True
    inferred = not (one.year_given and other.year_given)
    return inferred and (one.date.month, one.date.day) == (other.date.month, other.date.day)


def announced_moves(diff: ItemDiff, delta: Delta, call: Call) -> list[Finding]:
    """ "The deadline has been extended. You can now submit until 18 September 2025."."""
    for sentence in delta.added:
        moves = _announced(sentence, diff, delta, call)
        if moves:
            proof = tuple(dict.fromkeys((sentence.text, *_dated_neighbours(sentence, delta))))
            return _findings(diff, call, moves, proof[:MAX_EVIDENCE], "move-announced")
    return []


def _announced(sentence: Sentence, diff: ItemDiff, delta: Delta, call: Call) -> list[Move]:
    """The moves one sentence announces, read in the order the publications write them."""
    text = sentence.text
    extended = EXTENDED.search(text)
    verb = extended or MOVED.search(text)
    if verb is None or hypothetical(text, verb.start()):
        return []
    found = dates_in(text, call)
    moves = _instead(text, found) or _ranges_from(text, found, verb.start())
    if moves:
        return moves
    news = _new_dates(text, found, verb, near=extended is None)
    before = max((f.date for f in found if f.start < verb.start() and f not in news), default=None)
    olds = _Olds(before, sentence, diff, delta, call)
    if news:
        return _to_new_dates(text, sorted({f.date for f in news}), olds)
    shift = SHIFT.search(text)
    if shift is not None:
        sign = -1 if EARLIER.search(text) else 1
        return [
            (old, _shifted(old, sign, shift.group(1), shift.group(2))) for old in olds.shifted()
        ]
    nearby = [
        d
        for s in _dated_neighbours(sentence, delta)
        for d in cued_dates(s, CLOSING_CUE, call) + cued_dates(s, APPLY_CUE, call)
    ]
    return [(olds.before_or_latest(max(nearby)), max(nearby))] if nearby else []


def _new_dates(
    text: str, found: Sequence[FoundDate], verb: re.Match[str], *, near: bool
) -> list[FoundDate]:
    """The dates the verb points to: after it ("extended until 15 October"; right after it
    for "moved to", ``near``), or before it behind "to" when the verb comes last (German
    "auf den 23.06.2026 vorgezogen")."""
    after = [
        f
        for f in found
        if f.start >= verb.start() and (not near or f.start - verb.end() <= _NEAR_VERB)
    ]
    last = [
        f
        for f in found
        if f.start < verb.start() and TO_BEFORE.search(text[max(0, f.start - 20) : f.start])
    ]
    return after + last


def _to_new_dates(text: str, news: list[date], olds: _Olds) -> list[Move]:
    old = olds.before_or_latest(news[-1])
    if len(news) > 1 and DATES_NOUN.search(text):  # "the new dates will be X and Y"
        return [(old, day) for day in news]
    return [(old, news[-1])]


@dataclass(frozen=True, slots=True)
class _Olds:
    """Where an announced move finds the date it moves from, looked up only when needed."""

    before: date | None  # a date the sentence states before its verb
    sentence: Sentence
    diff: ItemDiff
    delta: Delta
    call: Call

    def before_or_latest(self, new: date) -> date | None:
        """The sentence's own old date, else the latest old deadline that is not ``new``."""
        return self.before or _latest_before(_old_deadlines(self.diff, self.delta, self.call), new)

    def shifted(self) -> list[date]:
        """The dates a shift ("postponed by 16 months") moves."""
        if self.before is not None:
            return [self.before]
        return _shifted_from(self.sentence, self.diff, self.delta, self.call)


def moves_in_new_text(diff: ItemDiff, text: str, call: Call) -> list[Finding]:
    """The moves a new entry or page announces from a date it names ("due to apply on
    2 August 2026 ... the new application dates will be 2 December 2027 and 2 August
    2028"): a press release about a postponement is news of the postponement."""
    sentences = split_sentences(text[:10_000])
    delta = Delta(added=[Sentence(sentence, sentence) for sentence in sentences])
    for sentence in delta.added:
        moves = [
            (old, new) for old, new in _announced(sentence, diff, delta, call) if old is not None
        ]
        if moves:
            return _findings(diff, call, moves, (sentence.text,), "move-announced")
    return []


def hypothetical(text: str, at: int) -> bool:
    """ "may be extended", "could be postponed", "proposes to delay": not a decision."""
    return bool(HYPOTHETICAL.search(text[max(0, at - 60) : at]))


def _instead(text: str, found: Sequence[FoundDate]) -> list[Move]:
    """ "Y instead of X" names the new date first."""
    instead = INSTEAD.search(text)
    if instead is None:
        return []
    new = [f.date for f in found if f.start < instead.start()]
    old = [f.date for f in found if f.start >= instead.start()]
    return [(max(old), max(new))] if new and old else []


def _ranges_from(text: str, found: Sequence[FoundDate], at: int) -> list[Move]:
    """Each "from X to Y" after the verb is one move: "postponed from 2 August 2026 to
    2 December 2027 (Annex III) and from 2 August 2027 to 2 August 2028 (Annex I)"."""
    moves: list[Move] = []
    last = at
    for one in (f for f in found if f.start >= at):
        if one.is_range and FROM_BEFORE.search(text[last : one.start]):
            moves.append((one.first, one.date))
        last = one.end
    return moves


def _shifted_from(sentence: Sentence, diff: ItemDiff, delta: Delta, call: Call) -> list[date]:
    """The dates a shift moves: those the rewritten sentence gave, else the item's old
    deadlines or application dates."""
    twin = twin_of(sentence.text, delta)
    if twin is not None:
        days = [d for cue in _CUES for d in cued_dates(twin, cue, call)]
        if days:
            return sorted(set(days))
    olds = _old_deadlines(diff, delta, call) or _old_dates(diff, call, APPLY_CUE)
    return sorted(set(olds))[-1:]


def _shifted(day: date, sign: int, amount: str, unit_text: str) -> date:
    """``day`` moved by "18 months", "deux semaines", "ein Jahr" (earlier when ``sign`` is
    -1: "brought forward by two weeks")."""
    count = sign * (int(amount) if amount.isdigit() else NUMBERS.get(amount.lower(), 1))
    unit = next((name for pattern, name in UNITS if pattern.match(unit_text.lower())), "day")
    if unit in ("day", "week"):
        return day + timedelta(days=count * (7 if unit == "week" else 1))
    months = day.year * 12 + day.month - 1 + count * (12 if unit == "year" else 1)
    year, month = divmod(months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _dated_neighbours(sentence: Sentence, delta: Delta) -> list[str]:
    return [
        s.text
        for s in delta.added
        if s.block == sentence.block and s is not sentence and has_digit(s.text)
    ]


def unpaired_move(diff: ItemDiff, delta: Delta, call: Call) -> list[Finding]:
    """The old closing date gone, a new one stated elsewhere: on a consultation only."""
    new = [(f, s.text) for s in delta.added for f in cued_found(s.text, CLOSING_CUE, call)]
    old = [f for s in delta.removed for f in cued_found(s.text, CLOSING_CUE, call)]
    if not new or not old or not is_consultation(diff, call, delta):
        return []
    gained = [(f.date, text) for f, text in new if not any(same_day(f, o) for o in old)]
    lost = [o.date for o in old if not any(same_day(o, f) for f, _ in new)]
    if not gained or not lost:
        return []
    day, text = max(gained)
    return [deadline_move(diff, call, max(lost), day, (text,), rule="closing-date-replaced")]


def _old_deadlines(diff: ItemDiff, delta: Delta, call: Call) -> list[date]:
    removed = [d for s in delta.removed for d in cued_dates(s.text, CLOSING_CUE, call)]
    return removed or _old_dates(diff, call, CLOSING_CUE)


def _old_dates(diff: ItemDiff, call: Call, cue: Words) -> list[date]:
    if diff.old is None or len(diff.old.text) >= 20_000:
        return []
    return [d for s in split_sentences(diff.old.text) for d in cued_dates(s, cue, call)]


def _latest_before(days: Iterable[date], limit: date) -> date | None:
    earlier = [day for day in days if day != limit]
    return max(earlier) if earlier else None


def _findings(
    diff: ItemDiff, call: Call, moves: Sequence[Move], proof: tuple[str, ...], rule: str
) -> list[Finding]:
    return [
        deadline_move(diff, call, old, new, proof, rule=rule) for old, new in dict.fromkeys(moves)
    ]
