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

from monitor.analysis.classify.changes import build_change
from monitor.analysis.classify.delta import added_text
from monitor.analysis.classify.fields import oeil_event
from monitor.analysis.classify.findings import (
    MAX_EVIDENCE,
    REMOVED_SECTION,
    Call,
    Delta,
    Finding,
)
from monitor.analysis.classify.language import has, opens_consultation
from monitor.analysis.classify.moves import moves_in_new_text
from monitor.analysis.classify.naming import (
    celex_key,
    clean_title,
    event_key,
    is_faq,
    item_key,
    lead_of,
    name_of,
    type_line,
)
from monitor.analysis.classify.quiet import amendment, is_chrome
from monitor.analysis.classify.sentences import shorten, split_sentences, substantive_words
from monitor.analysis.classify.stated_dates import (
    dates_in,
    event_date,
    field_date,
    oj_date,
    published,
    text_closing,
)
from monitor.analysis.classify.vocabulary import (
    ACT_NAME,
    ACT_TITLE,
    ADOPTED_ACT,
    CLOSED,
    CONSOLIDATED,
    CONSULTATION_TITLE,
    CONSULTATION_WORD,
    CORRIGENDUM,
    DEADLINE_FIELDS,
    DOCUMENT_LEAD,
    ELI,
    ELSEWHERE,
    EVENT,
    EVENT_PAST,
    EVENT_WHEN,
    FUTURE,
    IN_FORCE,
    NEW_DOCUMENT,
    NOT_ACT,
    NOT_ADOPTION,
    OJ_REF,
    OPEN,
    OUTCOME,
    PUBLISHED,
    REPORTS,
    TIME_SPAN,
)
from monitor.analysis.dates import format_day
from monitor.types import Category, Change, ClassifyContext, DiffKind, Item, ItemDiff

_I = re.IGNORECASE


def what_is_it(diff: ItemDiff, call: Call, text: str) -> list[Finding]:
    """What a new entry or page is: corrigendum, act, consultation, event or publication,
    sometimes two of them (a publication that opens a consultation), and the dates it says
    moved. An entry whose only news is a postponement ("Council and Parliament agree ...:
    the new application dates will be ...") is that postponement, not a publication."""
    item = diff.item
    fields = item.fields
    title = clean_title(item.title or item.key)
    if fields.get("event"):
        return [oeil_event(item, fields["event"], call)]
    kinds = _structural_kinds(item, title, text) or _worded_kinds(title, text, fields, call)
    moves = moves_in_new_text(diff, text, call)
    if not kinds and not moves:
        kinds = [_tag_kind(call.source.tags) or _unworded_kind(text)]
    return [_entry_finding(kind, item, title, text, call) for kind in kinds] + moves


def _unworded_kind(text: str) -> Category:
    """An entry whose words name nothing: an event when it gives its hours ("Thursday 11
    December, 09:30 - 17:30"), else a publication."""
    timed = TIME_SPAN.search(text[:1_000])
    return Category.EVENT_ANNOUNCED if timed else Category.PUBLICATION_ADDED


def _structural_kinds(item: Item, title: str, text: str) -> list[Category]:
    """What the entry's identifiers say, whatever its words: a CELEX number, an ELI or an
    Official Journal reference make an act or a corrigendum ("initiative" in a
    regulation's title is no proposal); a status field an open consultation."""
    fields = item.fields
    celex = fields.get("celex") or celex_key(f"{item.key} {item.url or ''}", bare=True) or ""
    act_type = fields.get("act_type", "") + " " + fields.get("document_type", "")
    eli = ELI.search(f"{item.key} {item.url or ''} {fields.get('eli', '')}")
    if (
        CORRIGENDUM.search(title)
        or "corrigend" in act_type.lower()
        or re.search(r"R\(\d{2}\)$", celex)
        or (eli and "corrigendum" in eli.group())
    ):
        return [Category.CORRIGENDUM]
    status = fields.get("status", "").upper()
    if status == OPEN:
        return [Category.CONSULTATION_OPENED]
    if status:
        return [Category.PUBLICATION_ADDED]
    if celex[:1] == "0" or CONSOLIDATED.search(title):
        return [Category.AMENDMENT]  # a new consolidated version: the act as amended
    legislation = celex[:1] == "3" and celex[5:6] in ("R", "L", "D")
    if legislation or eli or (OJ_REF.search(f"{title} {text[:600]}") and ACT_NAME.search(title)):
        return [Category.LEGAL_ACT]
    return []


def _worded_kinds(title: str, text: str, fields: Mapping[str, str], call: Call) -> list[Category]:
    """What the title says the entry is, else its opening sentences. A publication that also
    opens a consultation ("Third draft of the Code published ... comments until 30 March") is
    both; a consultation on a draft is a consultation, its draft the object, not news of its
    own (the convention of the shared evaluation set)."""
    act_type = fields.get("act_type", "") + " " + fields.get("document_type", "")
    kind = _entry_kind(title, f"{type_line(text)} {act_type}")
    body = split_sentences(text[:3_000])[:12]
    if kind is Category.CONSULTATION_OPENED and _says_closed(body):
        kind = None  # "About the consultation: it has now closed" opens nothing
    if kind is None and body:
        kind = _lead_kind(body[:3], call)
    if kind is Category.PUBLICATION_ADDED and _opens(body, call):
        return [kind, Category.CONSULTATION_OPENED]
    return [kind] if kind is not None else []


def _publishes(title: str, body: Sequence[str]) -> bool:
    """The entry publishes a document: "Commission publishes guidelines ...", "The third
    draft of the Code ... is published"."""
    return any(_announces_document(text) for text in (title, *body)) or bool(
        DOCUMENT_LEAD.match(title)
    )


def _announces_document(text: str) -> bool:
    """A verb that publishes a document, not one that launches a consultation about one
    ("launches a consultation on draft guidelines" publishes nothing)."""
    found = PUBLISHED.search(text)
    return (
        found is not None
        and not CONSULTATION_WORD.search(found.group(0))
        and not FUTURE.search(text)
    )


def _opens(body: Sequence[str], call: Call) -> bool:
    """Its sentences open a consultation (``opens_consultation``), and none says it closed
    ("This consultation is now closed. The deadline for submissions was 16 July")."""
    return any(opens_consultation(s, call) for s in body) and not _says_closed(body)


def _says_closed(body: Sequence[str]) -> bool:
    return any(CLOSED.search(sentence) for sentence in body)


def _lead_kind(lead: Sequence[str], call: Call) -> Category | None:
    """What the opening sentences say the entry is, when its title does not."""
    if lead and _announces_document(lead[0]):
        return Category.PUBLICATION_ADDED
    if _opens(lead, call):
        return Category.CONSULTATION_OPENED
    for sentence in lead:
        if (
            EVENT.search(sentence)
            and (EVENT_WHEN.search(sentence) or FUTURE.search(sentence))
            and not EVENT_PAST.search(sentence)
        ):
            return Category.EVENT_ANNOUNCED
    if _publishes("", lead):
        return Category.PUBLICATION_ADDED
    return None


def _entry_kind(title: str, type_word: str) -> Category | None:
    if (
        _is_act_title(title)
        or IN_FORCE.search(title)
        or (ADOPTED_ACT.search(title) and not NOT_ADOPTION.search(title))
    ):
        return Category.LEGAL_ACT
    if OUTCOME.search(title):
        return Category.PUBLICATION_ADDED
    if CONSULTATION_TITLE.search(title) or CONSULTATION_WORD.search(type_word):
        return Category.CONSULTATION_OPENED
    if (
        REPORTS.search(title)
        or EVENT_PAST.search(title)
        or DOCUMENT_LEAD.match(title)
        or NEW_DOCUMENT.search(title)
        or _announces_document(title)
    ):
        return Category.PUBLICATION_ADDED
    if EVENT.search(title) or re.search(r"\bevents?\b", type_word, _I) or EVENT.search(type_word):
        return Category.EVENT_ANNOUNCED
    return None


def _is_act_title(title: str) -> bool:
    return not NOT_ACT.search(title) and bool(ACT_TITLE.search(title))


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


def _entry_finding(kind: Category, item: Item, title: str, text: str, call: Call) -> Finding:
    lead = lead_of(text)
    if kind is Category.CONSULTATION_OPENED:
        closing = field_date(item, *DEADLINE_FIELDS) or text_closing(text, call)
        until = f", open until {format_day(closing)}" if closing else ""
        return Finding(
            category=kind,
            new_date=closing,
            evidence=lead or _facts(item),
            rule="new-entry",
            summary=f"Consultation opened: {title}{until}",
            event_key=item_key(item, call, consultation=True),
        )
    if kind is Category.EVENT_ANNOUNCED:
        day = field_date(item, "event_date") or event_date(title, text, call)
        on = f" on {format_day(day)}" if day else ""
        dated = tuple(
            s
            for s in split_sentences(text[:5_000])
            if day and EVENT.search(s) and day in {f.first for f in dates_in(s, call)}
        )
        return Finding(
            rule="new-entry",
            category=kind,
            new_date=day,
            evidence=(*dated[:1], *lead),
            summary=f"Event announced: {title}{on}",
            event_key=item_key(item, call),
        )
    if kind in (Category.LEGAL_ACT, Category.CORRIGENDUM):
        day = field_date(item, "oj_date") or oj_date(text, call) or published(item)
        on = f" (OJ {format_day(day)})" if day else ""
        what = "New legal act" if kind is Category.LEGAL_ACT else "Corrigendum published"
        return Finding(
            rule="new-entry",
            category=kind,
            new_date=day,
            evidence=(title, *lead)[:MAX_EVIDENCE],
            summary=f"{what}: {title}{on}",
            event_key=item_key(item, call),
        )
    what = "New consolidated version" if kind is Category.AMENDMENT else "New publication"
    return Finding(
        rule="new-entry",
        category=kind,
        evidence=lead or _facts(item),
        summary=f"{what}: {title}",
        event_key=item_key(item, call),
    )


def _facts(item: Item) -> tuple[str, ...]:
    """Evidence for an entry without text: its structured facts."""
    names = (
        "status",
        "stage",
        "feedback_start",
        "feedback_end",
        "deadline",
        "document_type",
        "act_type",
        "published",
    )
    facts = [f"{name}: {item.fields[name]}" for name in names if item.fields.get(name)]
    return ("; ".join(facts),) if facts else ()


def added_section(
    diff: ItemDiff, delta: Delta, call: Call, have: Sequence[Finding]
) -> list[Finding]:
    """A section that appeared on a known page: by its heading, else as new content."""
    title = diff.item.title
    if title.rstrip().endswith("?") and is_faq(diff, call):
        answer = delta.added[0].text if delta.added else ""
        return [
            Finding(
                rule="added-section",
                category=Category.PUBLICATION_ADDED,
                name=title,
                evidence=tuple(t for t in (title, answer) if t),
                summary=f"{name_of(diff, call)}: new FAQ entry “{shorten(title, 140)}”",
                event_key=event_key(diff, call),
            )
        ]
    text = added_text(diff, call)
    kinds = [
        kind for kind in _worded_kinds(title, text, diff.item.fields, call) if not has(have, kind)
    ]
    if kinds:
        return [_entry_finding(kind, diff.item, clean_title(title), text, call) for kind in kinds]
    if have:
        return []
    return amendment(diff, delta, call, have=have)


def removed_section(diff: ItemDiff, call: Call) -> list[Finding]:
    text = diff.item.text
    if substantive_words(text) < 8 or is_chrome(text):
        return []
    return [
        Finding(
            rule=REMOVED_SECTION,
            category=Category.AMENDMENT,
            evidence=lead_of(text),
            summary=f"{name_of(diff, call)}: section removed from the page",
            event_key=event_key(diff, call),
        )
    ]


def new_page(diffs: Sequence[ItemDiff], call: Call) -> list[Change]:
    """A page that appeared: the Changes saying what the page is (usually one)."""
    items = [diff.item for diff in diffs]
    text = "\n".join(item.text for item in items if item.text)[:20_000]
    fields = {name: value for item in items for name, value in item.fields.items()}
    title = _page_title(call.context, items)
    page = Item(key=call.source.url, title=title, url=call.source.url, text=text, fields=fields)
    whole = ItemDiff(kind=DiffKind.ADDED, key=page.key, old=None, new=page)
    findings = what_is_it(whole, call, text)
    if call.context.replaces is not None:
        findings = new_version(findings, title, call.context.replaces)
    return [build_change(diffs[0], replace(finding, name=title), call) for finding in findings]


def new_version(
    findings: Sequence[Finding], title: str, replaces: tuple[str, str]
) -> list[Finding]:
    """A document that appeared as the new version of one its page links to ("Third draft"
    after "Second draft") is a publication, naming and linking the version it replaces;
    what else it says (a consultation it opens, a date) is kept beside it."""
    old_title, old_url = replaces
    found = next((f for f in findings if f.category is Category.PUBLICATION_ADDED), None)
    publication = Finding(
        category=Category.PUBLICATION_ADDED,
        rule="new-version",
        summary=f"New version published: {title} (replaces {old_title})",
        evidence=(f"Previous version: {old_title} — {old_url}", *(found.evidence if found else ())),
        event_key=found.event_key if found else None,
    )
    return [publication, *(f for f in findings if f.category is not Category.PUBLICATION_ADDED)]


def _page_title(context: ClassifyContext, items: Sequence[Item]) -> str:
    """The page's own title: its first heading that is not site chrome ("Navigation und
    Service", "Skip to main content"), else the document title without the site name, else
    the first line of its text."""
    lines = (line for item in items[:1] for line in item.text.split("\n")[:5])
    candidates = (
        *(item.title for item in items if item.key != "(top)"),
        re.split(r"\s+[|–—-]\s+", context.document_title)[0],
        *lines,
    )
    own = next(
        (
            title.strip()
            for title in candidates
            if title.strip() and not is_chrome(title) and not ELSEWHERE.search(title.strip())
        ),
        "",
    )
    return clean_title(own or context.source.title)
