"""What a changed thing is called, which real-world event it belongs to, and what kind
of item or page it is.

``name_of`` and ``page_name`` decide the human name in summaries (the item's title, the
page's for the top of a page); ``item_key`` and ``event_key`` give the event a stable identity
(hys:<id>, hys:<id>:pub:<id>, celex:<celex>, consultation:<path>, or
consultation:<path>#<section> for one of the consultations a page lists) so that the same
event seen twice is merged and alerted once (storage.queries decides which changes are the
same event: the identity, the category and the dates); the ``is_*`` predicates say whether
an item is about a consultation, a FAQ, a legal text or a listing page, which changes how
its text is read; ``lead_of`` gives the opening sentences used as evidence."""

from __future__ import annotations

import re
from hashlib import sha256
from urllib.parse import urlsplit

from monitor.analysis.classify.findings import Call, Delta
from monitor.analysis.classify.sentences import shorten, split_sentences
from monitor.analysis.classify.vocabulary import (
    CELEX,
    CONSULTATION_WORD,
    FAQ_HINT,
    LEGAL_KINDS,
    LISTING_PATH,
    TYPE_LINE,
)
from monitor.types import ClassifyContext, DocumentKind, Item, ItemDiff


def name_of(diff: ItemDiff, call: Call) -> str:
    """What a human calls the changed thing: the item's title, the page's for the top."""
    item = diff.item
    page = page_name(call.context)
    if (
        item.key in ("(top)", "")
        or not item.title
        or item.title == item.key
        and "://" in (item.key)
    ):
        return page
    title = clean_title(item.title)
    if " > " in item.key and len(title.split()) <= 3:
        return f"{clean_title(item.key.split(' > ')[0])} — {title}"
    return title


def page_name(context: ClassifyContext) -> str:
    own = re.split(r"\s+[|–—]\s+", context.document_title)[0].strip()
    return clean_title(own or context.source.title or context.source.key)


def clean_title(title: str) -> str:
    return shorten(" ".join(title.split()), 160)


def type_line(text: str) -> str:
    """The content type a page states above its title ("Consultation | Publication ...")."""
    match = TYPE_LINE.search(text[:400])
    return match.group(1) if match else ""


def lead_of(text: str) -> tuple[str, ...]:
    sentences = [s for s in split_sentences(text[:5_000]) if len(s) > 20 and not TYPE_LINE.match(s)]
    return tuple(shorten(s) for s in sentences[:2])


def is_consultation(diff: ItemDiff, call: Call, delta: Delta | None = None) -> bool:
    """The item is about a consultation: by its title, url, page or old text."""
    item = diff.item
    names = " ".join(
        (
            item.title,
            item.key,
            item.url or "",
            call.context.document_title,
            call.source.url,
            call.source.title,
        )
    )
    if CONSULTATION_WORD.search(names.replace("-", " ")):
        return True
    old = diff.old.text[:5_000] if diff.old is not None else ""
    return bool(CONSULTATION_WORD.search(old))


def is_faq(diff: ItemDiff, call: Call) -> bool:
    names = " ".join(
        (
            diff.item.key,
            call.context.document_title,
            call.source.url,
            call.source.title,
            diff.item.url or "",
        )
    )
    if FAQ_HINT.search(names.replace("-", " ")) or FAQ_HINT.search(names):
        return True
    old = diff.old.text if diff.old is not None else ""
    return sum(1 for line in old.split("\n") if line.rstrip().endswith("?")) >= 2


def is_listing_page(call: Call) -> bool:
    return bool(LISTING_PATH.search(urlsplit(call.source.url).path))


def is_legal(diff: ItemDiff, call: Call) -> bool:
    return (
        diff.item.fields.get("kind") in LEGAL_KINDS
        or call.source.parser in ("eurlex_act", "formex")
        or any(tag in ("legal-act", "legal-text") for tag in call.source.tags)
    )


def event_key(diff: ItemDiff | None, call: Call, *, consultation: bool = False) -> str | None:
    return item_key(diff.item, call, consultation=consultation) if diff is not None else None


def item_key(item: Item, call: Call, *, consultation: bool = False) -> str | None:
    """A stable identity for the real-world event: hys:<id>, hys:<id>:pub:<id>,
    celex:<celex>, consultation:<path>[#<section>], else None."""
    fields = item.fields
    if fields.get("initiative_id"):
        # A publication of an initiative is a thing of its own: two are two events.
        publication = fields.get("publication_id")
        suffix = f":pub:{publication}" if publication else ""
        return f"hys:{fields['initiative_id']}{suffix}"
    # A news item or page section that points at exactly one Have Your Say initiative is
    # about that initiative: its changes link to the portal's.
    initiatives = set(HYS_LINK.findall(fields.get("links", "")))
    if len(initiatives) == 1:
        return f"hys:{initiatives.pop()}"
    celex = fields.get("celex") or celex_key(item.key, bare=True)
    if celex:
        return f"celex:{celex}"
    if consultation:
        url = item.url or (item.key if "://" in item.key else None)
        if (
            url is None
            and call.context.document_kind is DocumentKind.PAGE
            and not (is_listing_page(call))
        ):
            url = call.source.url  # a consultation's own page: the page is the consultation
        path = urlsplit(url).path.rstrip("/") if url else ""
        return f"consultation:{path}{_section_of_page(item, call, path)}" if path else None
    return None


def _section_of_page(item: Item, call: Call, path: str) -> str:
    """ "#<section key>" for a section of the page itself (no document of its own): a page
    listing two consultations, each with its deadline, has two events, not one."""
    if (
        call.context.document_kind is not DocumentKind.PAGE
        or item.key in ("(top)", "")
        or "://" in item.key
    ):
        return ""
    if path != urlsplit(call.source.url).path.rstrip("/"):
        return ""  # the item is a document of its own: its URL is its identity
    # A heading path is short; a hostile one must not overflow the indexed event key.
    return f"#{item.key}" if len(item.key) <= 200 else f"#{sha256(item.key.encode()).hexdigest()}"


HYS_LINK = re.compile(r"have-your-say(?:\.ec\.europa\.eu)?/initiatives/(\d+)")


def celex_key(text: str, *, bare: bool = False) -> str | None:
    match = CELEX.search(text)
    if match is None:
        return None
    return match.group(1) if bare else f"celex:{match.group(1)}"
