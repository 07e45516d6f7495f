"""What a new entry, a new section or a removed section is.

A new entry of a feed or listing, or a page that appeared, is classified by what it *is* (a
corrigendum, an act, a consultation, an event, else a publication) from its title, type line
and fields, with the source's tags as the tier-3 default (``_tag_kind``). A section that
appeared on a known page is read by its heading, else as new content; a section removed from a
page is an amendment when it held real text, and nothing when it was site chrome."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from monitor.classify.changes import build_change
from monitor.classify.delta import added_text
from monitor.classify.fields import oeil_event
from monitor.classify.findings import MAX_EVIDENCE, Call, Delta, Finding
from monitor.classify.language import has
from monitor.classify.naming import (
    clean_title,
    event_key,
    is_faq,
    item_key,
    lead_of,
    name_of,
    type_line,
)
from monitor.classify.quiet import amendment, is_chrome
from monitor.classify.sentences import shorten, split_sentences, substantive_words
from monitor.classify.stated_dates import (
    dates_in,
    event_date,
    field_date,
    oj_date,
    published,
    text_closing,
)
from monitor.classify.vocabulary import (
    ACT_TITLE,
    ADOPTED_ACT,
    CONSOLIDATED,
    CONSULTATION_TITLE,
    CONSULTATION_WORD,
    CORRIGENDUM,
    DEADLINE_FIELDS,
    EVENT,
    EVENT_PAST,
    IN_FORCE,
    NOT_ACT,
    NOT_ADOPTION,
    OPEN,
    OUTCOME,
    REPORTS,
)
from monitor.dates import format_day
from monitor.types import Category, Change, ClassifyContext, Item, ItemDiff

_I = re.IGNORECASE


def what_is_it(item: Item, call: Call, text: str) -> Finding:
    """What a new entry or page is: corrigendum, act, consultation, event or publication."""
    fields = item.fields
    title = clean_title(item.title or item.key)
    if fields.get("event"):
        return oeil_event(item, fields["event"], call)
    status = fields.get("status", "").upper()
    kind = _entry_kind(title, text, fields, status)
    if kind is None:
        kind = _tag_kind(call.source.tags) or Category.PUBLICATION_ADDED
    return _entry_finding(kind, item, title, text, call)


def _entry_kind(title: str, text: str, fields: Mapping[str, str],
                status: str) -> Category | None:
    celex = fields.get("celex", "")
    act_type = fields.get("act_type", "") + " " + fields.get("document_type", "")
    if (CORRIGENDUM.search(title) or "corrigend" in act_type.lower()
            or re.search(r"R\(\d{2}\)$", celex)):
        return Category.CORRIGENDUM
    if status == OPEN:
        return Category.CONSULTATION_OPENED
    if status:
        return Category.PUBLICATION_ADDED
    if celex[:1] == "0" or CONSOLIDATED.search(title):
        return Category.AMENDMENT  # a new consolidated version: the act as amended
    if _is_act_title(title, celex, act_type) or IN_FORCE.search(title) or (
            ADOPTED_ACT.search(title) and not NOT_ADOPTION.search(title)):
        return Category.LEGAL_ACT
    type_word = f"{type_line(text)} {act_type}"
    if OUTCOME.search(title):
        return Category.PUBLICATION_ADDED
    if CONSULTATION_TITLE.search(title) or CONSULTATION_WORD.search(type_word):
        return Category.CONSULTATION_OPENED
    if REPORTS.search(title) or EVENT_PAST.search(title):
        return Category.PUBLICATION_ADDED
    if EVENT.search(title) or re.search(r"\bevents?\b", type_word, _I) or EVENT.search(
            type_word):
        return Category.EVENT_ANNOUNCED
    return None


def _is_act_title(title: str, celex: str, act_type: str) -> bool:
    if NOT_ACT.search(title) or NOT_ACT.search(act_type):
        return False
    if celex[:1] == "3" and celex[5:6] in ("R", "L", "D"):
        return True  # CELEX sector 3: legislation (R regulation, L directive, D decision)
    return bool(ACT_TITLE.search(title))


def _tag_kind(tags: Iterable[str]) -> Category | None:
    """Tier 3: what a source's entries are by default ("consultations", "events", ...)."""
    for tag in tags:
        low = tag.lower()
        if "consultation" in low:
            return Category.CONSULTATION_OPENED
        if "event" in low:
            return Category.EVENT_ANNOUNCED
        if low in ("legal-act", "legal-acts", "oj", "official-journal"):
            return Category.LEGAL_ACT
    return None


def _entry_finding(kind: Category, item: Item, title: str, text: str,
                   call: Call) -> Finding:
    lead = lead_of(text)
    if kind is Category.CONSULTATION_OPENED:
        closing = field_date(item, *DEADLINE_FIELDS) or text_closing(text, call)
        until = f", open until {format_day(closing)}" if closing else ""
        return Finding(category=kind, new_date=closing, evidence=lead or _facts(item),
                       summary=f"Consultation opened: {title}{until}",
                       event_key=item_key(item, call, consultation=True))
    if kind is Category.EVENT_ANNOUNCED:
        day = field_date(item, "event_date") or event_date(title, text, call)
        on = f" on {format_day(day)}" if day else ""
        dated = tuple(s for s in split_sentences(text[:5_000]) if day and EVENT.search(s)
                      and day in {f.first for f in dates_in(s, call)})
        return Finding(category=kind, new_date=day, evidence=(*dated[:1], *lead),
                       summary=f"Event announced: {title}{on}", event_key=item_key(item, call))
    if kind in (Category.LEGAL_ACT, Category.CORRIGENDUM):
        day = field_date(item, "oj_date") or oj_date(text, call) or published(item)
        on = f" (OJ {format_day(day)})" if day else ""
        what = "New legal act" if kind is Category.LEGAL_ACT else "Corrigendum published"
        return Finding(category=kind, new_date=day, evidence=(title, *lead)[:MAX_EVIDENCE],
                       summary=f"{what}: {title}{on}", event_key=item_key(item, call))
    what = "New consolidated version" if kind is Category.AMENDMENT else "New publication"
    return Finding(category=kind, evidence=lead or _facts(item), summary=f"{what}: {title}",
                   event_key=item_key(item, call))


def _facts(item: Item) -> tuple[str, ...]:
    """Evidence for an entry without text: its structured facts."""
    names = ("status", "stage", "feedback_start", "feedback_end", "deadline", "document_type",
             "act_type", "published")
    facts = [f"{name}: {item.fields[name]}" for name in names if item.fields.get(name)]
    return ("; ".join(facts),) if facts else ()


def added_section(diff: ItemDiff, delta: Delta, call: Call,
                  have: Sequence[Finding]) -> list[Finding]:
    """A section that appeared on a known page: by its heading, else as new content."""
    title = diff.item.title
    if title.rstrip().endswith("?") and is_faq(diff, call):
        answer = delta.added[0].text if delta.added else ""
        return [Finding(category=Category.PUBLICATION_ADDED, name=title,
                        evidence=tuple(t for t in (title, answer) if t),
                        summary=f"{name_of(diff, call)}: new FAQ entry “{shorten(title, 140)}”",
                        event_key=event_key(diff, call))]
    kind = _entry_kind(title, "", {}, "")
    if kind is not None and not has(have, kind):
        return [_entry_finding(kind, diff.item, clean_title(title), added_text(diff, call),
                               call)]
    if have:
        return []
    return amendment(diff, delta, call, have=have)


def removed_section(diff: ItemDiff, call: Call) -> list[Finding]:
    text = diff.item.text
    if substantive_words(text) < 8 or is_chrome(text):
        return []
    return [Finding(category=Category.AMENDMENT, evidence=lead_of(text),
                    summary=f"{name_of(diff, call)}: section removed from the page",
                    event_key=event_key(diff, call))]


def new_page(diffs: Sequence[ItemDiff], call: Call) -> Change:
    """A page that appeared: one Change saying what the page is."""
    items = [diff.item for diff in diffs]
    text = "\n".join(item.text for item in items if item.text)[:20_000]
    fields = {name: value for item in items for name, value in item.fields.items()}
    title = _page_title(call.context, items)
    page = Item(key=call.source.url, title=title, url=call.source.url, text=text,
                fields=fields)
    finding = what_is_it(page, call, text)
    return build_change(diffs[0], replace(finding, name=title), call)


def _page_title(context: ClassifyContext, items: Sequence[Item]) -> str:
    """The page's own title: the document title without the site name, else its first
    heading."""
    heading = next((item.title for item in items if item.key != "(top)" and item.title), "")
    own = re.split(r"\s+[|–—-]\s+", context.document_title)[0].strip()
    return clean_title(heading or own or context.source.title)
