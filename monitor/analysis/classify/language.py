"""Tier 2: what the language of the changed text announces.

Only added sentences can announce something, and a fact the old sentence already stated is no
news (``_said_before``). These rules find deadlines moved or extended (dates compared as days,
a sentence paired with the one it rewrites), consultations opened or closed, publications, FAQ
entries, legal acts, corrigenda and events; ``fold`` keeps one finding per category for one
diff. ``pair_renamed`` lives here too: a section whose heading was reworded is read as one
modified section, not as one removed and one added."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date

from monitor.analysis.classify.delta import twin_of
from monitor.analysis.classify.findings import Call, Delta, Finding, Sentence
from monitor.analysis.classify.moves import deadline_text_findings
from monitor.analysis.classify.naming import celex_key, event_key, is_consultation, is_faq, name_of
from monitor.analysis.classify.sentences import has_digit, norm, shorten, words_of
from monitor.analysis.classify.stated_dates import (
    cued_dates,
    date_near,
    dates_in,
    first_day,
    oj_date,
)
from monitor.analysis.classify.vocabulary import (
    ACT_EVENT,
    ACT_NAME,
    ACT_PUBLISHED,
    CLOSED,
    CLOSING_CUE,
    CONSULTATION_WORD,
    CONSULTS,
    CORRIGENDUM,
    DOCUMENT_LEAD,
    DOWNLOAD,
    EVENT,
    EVENT_PAST,
    FEEDBACK,
    FUTURE,
    NEGATION,
    NOT_ACT,
    OPENED,
    OUTCOME,
    PUBLISHED,
)
from monitor.analysis.dates import format_day, is_month_name
from monitor.analysis.diff import diff_text
from monitor.types import Category, DiffKind, FieldChange, Item, ItemDiff

_I = re.IGNORECASE
_DATED = frozenset({Category.DEADLINE_EXTENDED, Category.DEADLINE_CHANGED})


def text_findings(
    diff: ItemDiff, delta: Delta, call: Call, have: Sequence[Finding]
) -> list[Finding]:
    if not delta.added and not delta.removed:
        return []
    found: list[Finding] = []
    closed = _closed_finding(diff, delta, call)
    found += deadline_text_findings(diff, delta, call, closed is not None)
    if closed is not None:
        found.append(closed)
    if not found and not has(have, Category.CONSULTATION_OPENED):
        found += _opened_finding(diff, delta, call)
    found += _publication_findings(diff, delta, call, have)
    found += _act_findings(diff, delta, call, have)
    found += _event_findings(diff, delta, call, have)
    return found


def fold(findings: list[Finding]) -> list[Finding]:
    """One finding per category for one diff (per moved date for the deadline categories:
    each date a passage moves is its own change): a field and a sentence saying the same keep
    the field's dates and the sentence's evidence first."""
    folded: dict[tuple[Category, date | None], Finding] = {}
    for finding in findings:
        key = (finding.category, finding.new_date if finding.category in _DATED else None)
        kept = folded.get(key)
        if kept is None:
            folded[key] = finding
            continue
        folded[key] = replace(
            kept,
            new_date=kept.new_date or finding.new_date,
            old_date=kept.old_date or finding.old_date,
            evidence=tuple(dict.fromkeys(finding.evidence + kept.evidence)),
        )
    return list(folded.values())


def pair_renamed(diffs: list[ItemDiff]) -> list[ItemDiff]:
    """A section whose heading was reworded (or cut differently) is the same section: an
    added and a removed section with near-identical headings become one modification."""
    added = [d for d in diffs if d.kind is DiffKind.ADDED]
    removed = [d for d in diffs if d.kind is DiffKind.REMOVED]
    if not added or not removed or len(added) * len(removed) > 400:
        return diffs
    pairs: dict[int, ItemDiff] = {}
    used: set[int] = set()
    for new in added:
        old = next((r for r in removed if id(r) not in used and _renamed(r.item, new.item)), None)
        if old is not None and old.old is not None and new.new is not None:
            used.add(id(old))
            pairs[id(new)] = _as_modified(old.old, new.new)
    return [pairs.get(id(d), d) for d in diffs if id(d) not in used]


def _renamed(old: Item, new: Item) -> bool:
    a, b = norm(old.title or old.key), norm(new.title or new.key)
    if min(len(a), len(b)) >= 20 and (a.startswith(b) or b.startswith(a)):
        return True
    if len(a) >= 12 and _undated(a) == _undated(b):
        return True  # "Status in June 2022" → "Status in September 2023": the same section
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.85


def _undated(title: str) -> list[str]:
    return [word for word in words_of(title) if not word.isdigit() and not is_month_name(word)]


def _as_modified(old: Item, new: Item) -> ItemDiff:
    blocks = diff_text(old.text, new.text)
    fields = tuple(
        FieldChange(name=n, old=old.fields.get(n), new=new.fields.get(n))
        for n in sorted(set(old.fields) | set(new.fields))
        if old.fields.get(n) != new.fields.get(n)
    )
    return ItemDiff(
        kind=DiffKind.MODIFIED,
        key=new.key,
        old=old,
        new=new,
        fields=fields,
        blocks=blocks,
        title_changed=old.title != new.title,
    )


def has(findings: Iterable[Finding], category: Category) -> bool:
    return any(finding.category is category for finding in findings)


def _closed_finding(diff: ItemDiff, delta: Delta, call: Call) -> Finding | None:
    for sentence in delta.added:
        if not CLOSED.search(sentence.text):
            continue
        if not (CONSULTATION_WORD.search(sentence.text) or is_consultation(diff, call, delta)):
            continue
        twin = twin_of(sentence.text, delta)
        if twin is not None and CLOSED.search(twin):
            continue
        return Finding(
            rule="closed-finding",
            category=Category.CONSULTATION_CLOSED,
            evidence=(sentence.text,),
            summary=f"{name_of(diff, call)}: consultation closed",
            event_key=event_key(diff, call, consultation=True),
        )
    return None


def _opened_finding(diff: ItemDiff, delta: Delta, call: Call) -> list[Finding]:
    old_text = diff.old.text if diff.old is not None else ""
    if diff.kind is DiffKind.MODIFIED and (
        OPENED.search(old_text)
        and (CONSULTATION_WORD.search(old_text) or is_consultation(diff, call, delta))
    ):
        return []  # it was already open: the new wording is no opening
    for sentence in delta.added:
        text = sentence.text
        if not opens_consultation(text, call):
            continue
        closing = _closing_date(sentence, delta, call)
        until = f", open until {format_day(closing)}" if closing else ""
        return [
            Finding(
                rule="opened-finding",
                category=Category.CONSULTATION_OPENED,
                new_date=closing,
                evidence=(text,),
                summary=f"{name_of(diff, call)}: consultation opened{until}",
                event_key=event_key(diff, call, consultation=True),
            )
        ]
    return []


def opens_consultation(text: str, call: Call) -> bool:
    """The sentence opens a consultation: "the Commission launches a consultation", "you can
    now submit comments", or what it collects and until when ("feedback on the draft until
    23 January", "Stellungnahmen können bis zum 10. August eingereicht werden")."""
    if OUTCOME.search(text) or NEGATION.search(text):
        return False
    asks = bool(CONSULTS.search(text) or FEEDBACK.search(text))
    if asks and cued_dates(text, CLOSING_CUE, call):
        return True  # "comments can be submitted until ...": open now, whatever the tense
    if CONSULTS.search(text) or (OPENED.search(text) and CONSULTATION_WORD.search(text)):
        return not FUTURE.search(text)
    return False


def _closing_date(sentence: Sentence, delta: Delta, call: Call) -> date | None:
    own = cued_dates(sentence.text, CLOSING_CUE, call)
    if own:
        return max(own)
    nearby = [
        d
        for s in delta.added
        if s.block == sentence.block
        for d in cued_dates(s.text, CLOSING_CUE, call)
    ]
    return max(nearby) if nearby else None


def _publication_findings(
    diff: ItemDiff, delta: Delta, call: Call, have: Sequence[Finding]
) -> list[Finding]:
    if has(have, Category.PUBLICATION_ADDED):
        return []
    # A rewrite of many sentences (a status section brought up to date) narrates what was
    # published meanwhile: background, and the rewrite itself is the amendment.
    if len(delta.added) > 5 and len(delta.removed) > 5:
        return []
    for sentence in delta.added:
        text = sentence.text
        if _is_publication_sentence(text) and not _said_before(
            text, delta, _is_publication_sentence
        ):
            return [
                Finding(
                    category=Category.PUBLICATION_ADDED,
                    evidence=(text,),
                    rule="publication-sentence",
                    summary=f"{name_of(diff, call)}: new publication — {shorten(text, 160)}",
                    event_key=event_key(diff, call),
                )
            ]
    listed = _listed_document(diff, delta)
    if listed is not None:
        return [
            Finding(
                category=Category.PUBLICATION_ADDED,
                evidence=(listed,),
                rule="document-listed",
                name=shorten(listed, 120),
                summary=f"{name_of(diff, call)}: new document listed — {shorten(listed, 160)}",
                event_key=event_key(diff, call),
            )
        ]
    downloads = [s.text for s in delta.added if DOWNLOAD.search(s.text) and len(s.text) < 300]
    if downloads:
        shown = "; ".join(shorten(_strip_download(t), 100) for t in downloads[:3])
        return [
            Finding(
                rule="publication-findings",
                category=Category.PUBLICATION_ADDED,
                evidence=tuple(downloads[:3]),
                summary=f"{name_of(diff, call)}: new document {shown}",
                name=_strip_download(downloads[0]),
                event_key=event_key(diff, call),
            )
        ]
    return _faq_findings(diff, delta, call)


def _fresh_blocks(diff: ItemDiff) -> set[str]:
    """The paragraphs the diff adds whole (not rewrites of old ones)."""
    if diff.kind is DiffKind.ADDED and diff.new is not None:
        return set(diff.new.text.split("\n"))
    return {block.new for block in diff.blocks if block.old is None and block.new}


def _listed_document(diff: ItemDiff, delta: Delta) -> str | None:
    """A new paragraph or list entry that names a document ("Second draft of the Code of
    Practice ...", "Guidelines on ..."): a document added to the page's list of them."""
    new_blocks = _fresh_blocks(diff)
    for sentence in delta.added:
        if (
            sentence.block in new_blocks
            and sentence.block.startswith(sentence.text)
            and DOCUMENT_LEAD.match(sentence.text)
            and not FUTURE.search(sentence.text)
        ):
            return sentence.text
    return None


def _is_publication_sentence(text: str) -> bool:
    found = PUBLISHED.search(text)
    return found is not None and not FUTURE.search(text[: found.end()])


def _strip_download(text: str) -> str:
    return re.sub(r"\s*\bdownload\b\s*$", "", text, flags=_I).strip() or text


def _faq_findings(diff: ItemDiff, delta: Delta, call: Call) -> list[Finding]:
    """A new question with its answer on a FAQ page is a new FAQ entry."""
    if not is_faq(diff, call):
        return []
    removed = {norm(s.text) for s in delta.removed}
    questions = [
        s.text
        for s in delta.added
        if s.text.rstrip().endswith("?")
        and len(s.text) < 300
        and norm(s.text) not in removed
        and twin_of(s.text, delta) is None
    ]
    answers = [s for s in delta.added if not s.text.rstrip().endswith("?")]
    if not questions or not answers:
        return []
    return [
        Finding(
            rule="faq-findings",
            category=Category.PUBLICATION_ADDED,
            evidence=(questions[0], answers[0].text),
            name=questions[0],
            summary=f"{name_of(diff, call)}: new FAQ entry “{shorten(questions[0], 140)}”",
            event_key=event_key(diff, call),
        )
    ]


def _act_findings(
    diff: ItemDiff, delta: Delta, call: Call, have: Sequence[Finding]
) -> list[Finding]:
    found: list[Finding] = []
    # In a rewrite of many sentences, an act's publication is background, not the news.
    targeted = diff.kind is DiffKind.ADDED or len(delta.added) <= 3
    for sentence in delta.added:
        text = sentence.text
        if (
            not has(have, Category.CORRIGENDUM)
            and not has(found, Category.CORRIGENDUM)
            and (CORRIGENDUM.search(text) and not _said_before(text, delta, CORRIGENDUM.search))
        ):
            found.append(_corrigendum_finding(diff, text, call))
        elif (
            targeted
            and not has(found, Category.LEGAL_ACT)
            and _is_act_sentence(text)
            and not _said_before(text, delta, _is_act_sentence)
        ):
            day = oj_date(text, call) or first_day(text, call)
            on = f", published {format_day(day)}" if day else ""
            found.append(
                Finding(
                    rule="act-findings",
                    category=Category.LEGAL_ACT,
                    new_date=day,
                    evidence=(text,),
                    summary=f"{name_of(diff, call)}: new legal act{on} — {shorten(text, 160)}",
                    event_key=celex_key(text),
                )
            )
    return found


def _is_act_sentence(text: str) -> bool:
    if ACT_EVENT.search(text) and has_digit(text):
        return not FUTURE.search(text)
    named = ACT_NAME.search(text)
    return bool(
        named
        and ACT_PUBLISHED.search(text)
        and not NOT_ACT.search(text)
        and not FUTURE.search(text)
    )


def _corrigendum_finding(diff: ItemDiff, text: str, call: Call) -> Finding:
    celex = celex_key(text)
    return Finding(
        rule="corrigendum-finding",
        category=Category.CORRIGENDUM,
        evidence=(text,),
        event_key=celex,
        summary=f"{name_of(diff, call)}: corrected — {shorten(text, 160)}",
    )


def _event_findings(
    diff: ItemDiff, delta: Delta, call: Call, have: Sequence[Finding]
) -> list[Finding]:
    if has(have, Category.EVENT_ANNOUNCED):
        return []
    for sentence in delta.added:
        text = sentence.text
        if not EVENT.search(text) or EVENT_PAST.search(text) or ACT_EVENT.search(text):
            continue
        dates = dates_in(text, call)
        if not dates or _said_before(text, delta, EVENT.search, same_dates=True, call=call):
            continue
        noun = EVENT.search(text)
        day = date_near(dates, noun.start() if noun else 0)
        if day in cued_dates(text, CLOSING_CUE, call):
            continue  # "feedback on the draft presented at the plenary: 11 December"
        what = noun.group(0).lower() if noun else "event"
        return [
            Finding(
                rule="event-findings",
                category=Category.EVENT_ANNOUNCED,
                new_date=day,
                evidence=(text,),
                summary=f"{name_of(diff, call)}: {what} on {format_day(day)}",
                event_key=event_key(diff, call),
            )
        ]
    return []


def _said_before(
    text: str,
    delta: Delta,
    rule: Callable[[str], object],
    *,
    same_dates: bool = False,
    call: Call | None = None,
) -> bool:
    """True when the old sentence this one rewrites already said the same (a fact the old
    text stated is no news)."""
    twin = twin_of(text, delta)
    if twin is None or not rule(twin):
        return False
    if same_dates and call is not None:
        return {f.first for f in dates_in(twin, call)} == {f.first for f in dates_in(text, call)}
    return True
