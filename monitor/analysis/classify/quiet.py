"""What a diff that announces nothing is: an amendment, an editorial change, or noise.

``amendment`` decides when a substantive rewrite that no event explains is worth telling
(enough words really changed, or a normative word such as "shall" → "may", or a quantity);
``quiet_finding`` says why the rest means nothing: moved or reordered text, counters, update
stamps, site chrome, a feed entry scrolling off (noise), or small wording, punctuation and
title tweaks (editorial). Those are stored, never alerted. ``quiet_block`` and ``net_words``
are shared with the delta, which drops chrome, stamps and rewordings before any rule reads it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import date

from monitor.analysis.classify.findings import MAX_EVIDENCE, Call, Delta, Finding, Sentence
from monitor.analysis.classify.naming import event_key, is_legal, lead_of, name_of
from monitor.analysis.classify.sentences import (
    has_digit,
    norm,
    shorten,
    substantive_words,
    words_of,
)
from monitor.analysis.classify.stated_dates import dates_in
from monitor.analysis.classify.vocabulary import (
    CHROME,
    CONSULTATION_WORD,
    COUNTERS,
    FEEDBACK,
    FUNCTION_WORDS,
    IMAGE,
    NORMATIVE,
    STAMP,
    WORD,
)
from monitor.types import Category, DiffKind, ItemDiff


def amendment(diff: ItemDiff, delta: Delta, call: Call, have: Sequence[Finding]) -> list[Finding]:
    """A substantive rewrite of a document's text that no event explains is an amendment.

    It must be evidenced: words of its prose changed (any word in a legal text), or a
    normative word or a quantity. What changed only in label lines (menus, link lists,
    teaser titles) is an unnamed ``update``, and what an event already explains (the
    sentences it quotes, the dates it moved) is not counted twice."""
    residual = _unexplained(diff, delta, have, call)
    if have:  # beside an event, only a rewrite of its own makes an amendment
        words = sum(substantive_words(s.text) for s in residual)
        return [_amended(diff, residual, call)] if words >= 25 else []
    prose, labels = _changed_words(diff, call)
    if prose >= (1 if is_legal(diff, call) else 3) or _changes_substance(diff, call):
        return [_amended(diff, residual, call)]
    if labels >= 6:
        return [
            Finding(
                category=Category.UPDATE,
                rule="labels-rewritten",
                evidence=tuple(shorten(t) for t in _changed_texts(diff)[:MAX_EVIDENCE]),
                summary=f"{name_of(diff, call)}: links or labels changed",
                event_key=event_key(diff, call),
            )
        ]
    return []


def _amended(diff: ItemDiff, residual: Sequence[Sentence], call: Call) -> Finding:
    count = len([b for b in diff.blocks if not quiet_block(b.new or b.old or "", call)])
    return Finding(
        category=Category.AMENDMENT,
        rule="text-amended",
        evidence=tuple(s.text for s in residual[:MAX_EVIDENCE]) or lead_of(diff.item.text),
        summary=f"{name_of(diff, call)}: text amended ({count} paragraph"
        f"{'s' if count != 1 else ''} changed)",
        event_key=event_key(diff, call),
    )


def _unexplained(
    diff: ItemDiff, delta: Delta, have: Sequence[Finding], call: Call
) -> list[Sentence]:
    """The added sentences no finding explains: not in a paragraph it quotes, not restating a
    date it moved ("open until 9 October" after "extended to 9 October"), not the new entry
    describing a document it published, not a rewrite of the consultation it opened or
    closed, and outside a legal text not the dated lines of a timeline it moved."""
    explained = {s.block for s in delta.added if any(s.text in f.evidence for f in have)}
    found = {f.category for f in have}
    if Category.PUBLICATION_ADDED in found:
        explained |= {b.new for b in diff.blocks if b.old is None and b.new}
    days = {day for f in have for day in (f.new_date, f.old_date) if day is not None}
    timeline = bool(found & _DATED) and not is_legal(diff, call)
    about = bool(found & (_CONSULTATIONS | _DATED))  # how to take part is the same news
    return [
        s
        for s in delta.added
        if s.block not in explained
        and not (about and (CONSULTATION_WORD.search(s.text) or FEEDBACK.search(s.text)))
        and not _dated_by(s.text, days, timeline, call)
    ]


def _dated_by(text: str, days: set[date], timeline: bool, call: Call) -> bool:
    if not days or not has_digit(text):
        return False
    stated = {f.date for f in dates_in(text, call)}
    return bool(stated and (timeline or days & stated))


_DATED = frozenset({Category.DEADLINE_EXTENDED, Category.DEADLINE_CHANGED})
_CONSULTATIONS = frozenset({Category.CONSULTATION_OPENED, Category.CONSULTATION_CLOSED})


def quiet_finding(diff: ItemDiff, call: Call) -> Finding:
    """Why a diff means nothing: noise (moved, counters, stamps, chrome, a feed entry gone)
    or editorial (small wording, punctuation, a title tweak)."""
    name = name_of(diff, call)
    if diff.kind is DiffKind.REMOVED:
        return Finding(
            rule="quiet-finding", category=Category.NOISE, summary=f"{name}: entry no longer listed"
        )
    if diff.kind is DiffKind.MODIFIED and not diff.blocks and not diff.title_changed:
        if all(_is_counter(change.name) for change in diff.fields):
            return Finding(
                rule="quiet-finding", category=Category.NOISE, summary=f"{name}: counters changed"
            )
        names = ", ".join(change.name for change in diff.fields[:5])
        return Finding(
            rule="quiet-finding",
            category=Category.EDITORIAL,
            summary=f"{name}: fields changed ({names})",
        )
    worded = diff.title_changed or any(
        not (quiet_block(b.new or "", call) or quiet_block(b.old or "", call))
        and any(WORD.search(op.text) for op in b.ops if op.op != "equal")
        for b in diff.blocks
    )
    if not worded:
        return Finding(
            rule="quiet-finding",
            category=Category.NOISE,
            summary=f"{name}: moved, boilerplate or stamp changes only",
        )
    return Finding(
        rule="quiet-finding",
        category=Category.EDITORIAL,
        summary=f"{name}: editorial change",
        evidence=tuple(shorten(t) for t in _changed_texts(diff)[:MAX_EVIDENCE]),
    )


def _changed_words(diff: ItemDiff, call: Call) -> tuple[int, int]:
    """Words a diff really changed, in prose and in label lines: not moved, not chrome or
    stamps, not typo fixes, punctuation or case; numbers only in legal texts (elsewhere they
    are counters). A label line is a menu entry, a site header, a button, a link."""
    prose: tuple[list[str], list[str]] = ([], [])
    labels: tuple[list[str], list[str]] = ([], [])
    for block in diff.blocks:
        if quiet_block(block.new or "", call) or quiet_block(block.old or "", call):
            continue
        target = labels if _is_label(block.new or block.old or "") else prose
        target[0].extend(w for op in block.ops if op.op == "delete" for w in words_of(op.text))
        target[1].extend(w for op in block.ops if op.op == "insert" for w in words_of(op.text))
    if diff.title_changed and diff.old is not None and diff.new is not None:
        prose[0].extend(words_of(diff.old.title))
        prose[1].extend(words_of(diff.new.title))
    numbers = is_legal(diff, call)
    return net_words(*prose, numbers=numbers), net_words(*labels, numbers=numbers)


# A quantity a reader acts on (money, shares, periods, thresholds, cross-references), as
# opposed to a counter of views or staff: changing one is never editorial.
_QUANTITY = re.compile(
    r"(?:€|EUR|USD)\s?\d[\d.,\s]*(?:million|billion|thousand)?"
    r"|\b\d[\d.,]*\s?(?:%|per ?cent\b|million\b|billion\b|months?\b|years?\b|weeks?\b"
    r"|working days?\b|days?\b|hours?\b|FLOPs?\b|parameters\b)"
    r"|\b(?:Article|Art\.|Annex|paragraph|point|Section)\s+[\dIVXLC]+(?:\(\w+\))*",
    re.IGNORECASE,
)


def _changes_substance(diff: ItemDiff, call: Call) -> bool:
    """A small change that still matters: a normative word, or a quantity, changed."""
    for block in diff.blocks:
        if quiet_block(block.new or "", call) or quiet_block(block.old or "", call):
            continue
        deleted = [w for op in block.ops if op.op == "delete" for w in op.text.split()]
        inserted = [w for op in block.ops if op.op == "insert" for w in op.text.split()]
        if _normative_change(deleted, inserted) or _normative_change(inserted, deleted):
            return True
        if set(_QUANTITY.findall(block.old or "")) != set(_QUANTITY.findall(block.new or "")):
            return True
    return False


def _normative_change(words: list[str], others: list[str]) -> bool:
    """A normative word in ``words`` that is not a typo fix of one in ``others``."""
    return any(
        _normative(word)
        and not any(
            difflib.SequenceMatcher(None, word.lower(), other.lower()).ratio() >= 0.8
            for other in others
        )
        for word in words
    )


def _normative(word: str) -> bool:
    bare = word.strip(".,;:!?()'\"")
    # "May" capitalised mid-sentence is the month; "may" is permission.
    return bare == "may" or bare.lower() in NORMATIVE


def _is_label(line: str) -> bool:
    """A short line without a sentence in it: a heading, menu entry, button or list item."""
    return len(line.split()) <= 6 and not line.rstrip().endswith((".", "!", "?", ":"))


def net_words(deleted: list[str], inserted: list[str], *, numbers: bool) -> int:
    """Words changed, net of moves and typo fixes. Outside legal texts (``numbers`` False)
    numbers and function words do not count: "ran between X and Y" → "ran from X to Y"
    says the same."""
    remaining_old = _multiset_minus(deleted, inserted)
    remaining_new = _multiset_minus(inserted, deleted)
    remaining_old, remaining_new = _rejoined(remaining_old, remaining_new)
    remaining_new, remaining_old = _rejoined(remaining_new, remaining_old)
    counted = [
        w
        for w in remaining_old + remaining_new
        if numbers or not (w.isdigit() or w in FUNCTION_WORDS)
    ]
    if len(counted) > 40:  # dozens of words: a rewrite, whatever typos it also fixes
        return len(counted)
    typos = 0
    for word in remaining_old:
        if any(
            abs(len(word) - len(other)) <= 2
            and difflib.SequenceMatcher(None, word, other).ratio() >= 0.8
            for other in remaining_new
        ):
            typos += 2
    return max(0, len(counted) - typos)


def _rejoined(split: list[str], whole: list[str]) -> tuple[list[str], list[str]]:
    """Drop the words a line-break hyphen split apart ("datenschutz- rechtlichen" and
    "datenschutzrechtlichen"): one word, written twice."""
    joined = set(whole)
    left, used = list(split), []
    for first, second in zip(split, split[1:], strict=False):
        if first + second in joined and first in left and second in left:
            left.remove(first)
            left.remove(second)
            used.append(first + second)
    return left, _multiset_minus(whole, used)


def _multiset_minus(words: list[str], other: list[str]) -> list[str]:
    pool: dict[str, int] = {}
    for word in other:
        pool[word] = pool.get(word, 0) + 1
    left = []
    for word in words:
        if pool.get(word, 0):
            pool[word] -= 1
        else:
            left.append(word)
    return left


def quiet_block(text: str, call: Call) -> bool:
    """A block that never carries news: moved elsewhere, site chrome, an update stamp."""
    if not text:
        return False
    key = norm(text)
    return (
        key in call.moved
        or key in call.context.site_blocks
        or is_chrome(text)
        or bool(STAMP.match(text))
        or bool(IMAGE.search(text))
    )


def is_chrome(text: str) -> bool:
    return len(text) < 600 and bool(CHROME.search(text))


def _is_counter(name: str) -> bool:
    last = name.rsplit(".", 1)[-1].lower()
    return (
        last in COUNTERS
        or name.lower().startswith("pageable.")
        or last in ("published", "updated", "modified")
    )


def _changed_texts(diff: ItemDiff) -> list[str]:
    return [block.new or block.old or "" for block in diff.blocks]
