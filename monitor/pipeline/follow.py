"""Follow the documents a page links to: each one a source of its own, checked with the page.

A page source with ``follow_documents`` (``Source.documents``) is checked as usual; then the
document links of its page (``sources.parsers.document_links``) become its document sources,
``<page key>/doc/<12 hex digits of the URL's SHA-256>``, parser ``document``, checked right
after it with conditional GET, each with its own snapshots, raw bodies and changes. So:

* a document that changed at its URL ("section 2.3 of the draft changed") is a change of that
  document, item by item: an amended measure or article is an ``amendment``;
* a document whose link appeared on a known page ("the third draft was published") is one
  ``publication_added`` for the new document, naming the version it replaces when the page
  links to one with the same name but for its version words ("Second draft of ..."), and,
  item by item, what changed between the two versions;
* a link that left the page stops its document's checks (its history is kept) until it comes
  back; the page's own diff says the link went.

On the page's first check, or when ``follow_documents`` was just turned on, nothing is new:
the documents are read for a baseline, as a new source is.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from monitor.analysis.analyse import Analysis
from monitor.analysis.diff import changed_items, diff_documents
from monitor.analysis.limits import WorkLimits
from monitor.errors import LimitError, ParseError
from monitor.types import (
    Change,
    CheckOutcome,
    Classifier,
    ClassifyContext,
    Document,
    Fetched,
    Source,
    SourceOptions,
    SourceState,
)
from storage.codec import decode_document
from storage.documents import document_prefix

if TYPE_CHECKING:
    from monitor.pipeline import Checker, CheckResult
    from sources.parsers.document_links import DocumentLink
    from storage.models import SourceRow

logger = logging.getLogger(__name__)

DOCUMENT_TAG = "document"
# Words that name a version, not a document: "Second draft of the Code" and "Third draft of
# the Code" are versions of one document.
_VERSION_WORDS = re.compile(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|final|draft|"
    r"revised|updated|consolidated|new|version|v\d+|rev\d*|\d+(?:st|nd|rd|th)?|"
    r"january|february|march|april|may|june|july|august|september|october|november|"
    r"december|pdf|docx?|odt|kb|mb)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Arrival:
    """A document whose link appeared on a page already known: it is news when first read.

    ``replaces``: the key, title and URL of the version it supersedes, if the page links to
    one; ``siblings``: the raw-body hashes of the page's other documents, so that a document
    only moved to a new URL (the same bytes) is no news.
    """

    replaces: tuple[str, str, str] | None = None
    siblings: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True, slots=True)
class AsDocument:
    """How the check of a page's document differs from a page's: its size limit, and
    whether it arrived since the page's last check."""

    max_bytes: int | None = None
    arrival: Arrival | None = None


def document_key(parent: str, url: str) -> str:
    return document_prefix(parent) + hashlib.sha256(url.encode()).hexdigest()[:12]


def document_source(parent: Source, link: DocumentLink) -> Source:
    """The source that watches one document of ``parent``: its interval, tags and language."""
    tags = tuple(dict.fromkeys((*parent.tags, DOCUMENT_TAG)))
    return Source(
        key=document_key(parent.key, link.url),
        title=link.text,
        url=link.url,
        parser="document",
        interval=parent.interval,
        tags=tags,
        options=SourceOptions(language=parent.options.language),
        official=parent.official,
    )


async def follow_documents(
    checker: Checker, parent: Source, before: SourceState, page: Fetched | None, *, dry_run: bool
) -> tuple[CheckResult, ...]:
    """Check every document ``parent`` links to now (after its own check)."""
    following = parent.documents
    if following is None:
        return ()
    store = checker.store
    known = await asyncio.to_thread(store.document_sources, parent.key)
    now = await asyncio.to_thread(_links_now, checker, parent, before, page)
    if now is None:  # the page was never read: no links to follow yet
        return ()
    earlier = await asyncio.to_thread(_links_before, checker, parent, before, page)
    documents = [document_source(parent, link) for link in now]
    if not dry_run:
        await asyncio.to_thread(store.sync_document_sources, parent.key, documents)
    states = await asyncio.to_thread(store.states, [row.key for row in known])
    arrivals = _arrivals(documents, earlier, known, states)
    checks = [
        checker.check(
            document,
            dry_run=dry_run,
            as_document=AsDocument(
                max_bytes=following.max_bytes, arrival=arrivals.get(document.key)
            ),
        )
        for document in documents
    ]
    return tuple(await asyncio.gather(*checks))


def _links_now(
    checker: Checker, parent: Source, before: SourceState, page: Fetched | None
) -> list[DocumentLink] | None:
    """The links of the page as read now; of its last good body after a 304 or a failure."""
    if page is not None:
        return _links_in(parent, page.content, page.final_url, page.content_type)
    body = checker.store.blob(before.snapshot_blob) if before.snapshot_blob else None
    return _links_in(parent, body, parent.url, "") if body is not None else None


def _links_before(
    checker: Checker, parent: Source, before: SourceState, page: Fetched | None
) -> list[DocumentLink] | None:
    """The links of the page before this check: None when there is nothing to compare (the
    first check, a 304, or the last body pruned), so no document counts as new."""
    if page is None or not before.snapshot_blob or before.content_hash is None:
        return None
    body = checker.store.blob(before.snapshot_blob)
    return _links_in(parent, body, parent.url, "") if body is not None else None


def _links_in(parent: Source, body: bytes, url: str, content_type: str) -> list[DocumentLink]:
    assert parent.documents is not None
    # Imported here: lxml loads only for a page whose documents are followed.
    from sources.parsers.document_links import document_links

    try:
        return document_links(body, url, parent.options, parent.documents, content_type)
    except ParseError as exc:  # the page itself was read, so this is rare: say it, go on
        logger.warning("%s: could not read the page's document links: %s", parent.key, exc)
        return []


def _arrivals(
    documents: Sequence[Source],
    earlier: Sequence[DocumentLink] | None,
    known: Sequence[SourceRow],
    states: Mapping[str, SourceState],
) -> dict[str, Arrival]:
    """The documents new since the page's last check, each with the version it replaces."""
    if earlier is None:
        return {}
    before = {link.url for link in earlier}
    stored = {row.key for row in known}
    hashes = frozenset(state.content_hash for state in states.values() if state.content_hash)
    candidates = [(row.key, row.title, row.url) for row in known]
    arrivals = {}
    for document in documents:
        if document.url in before or document.key in stored:
            continue
        arrivals[document.key] = Arrival(
            replaces=_predecessor(document, candidates), siblings=hashes
        )
    return arrivals


def _predecessor(
    document: Source, known: Sequence[tuple[str, str, str]]
) -> tuple[str, str, str] | None:
    """The known document with the same name but for its version words, if exactly one
    (the most recent such one otherwise would be a guess)."""
    name = version_free(document.title)
    if not name:
        return None
    same = [entry for entry in known if entry[0] != document.key and version_free(entry[1]) == name]
    return same[-1] if len(same) == 1 else None


def version_free(title: str) -> str:
    """A document's name without the words that tell its versions apart."""
    words = _VERSION_WORDS.sub(" ", title.lower())
    return " ".join(re.sub(r"[^\w\s]", " ", words).split())


def announce(
    analysis: Analysis,
    source: Source,
    arrival: Arrival,
    *,
    classifier: Classifier,
    previous: Document | None,
    limits: WorkLimits,
    fetched_on: date | None,
) -> Analysis:
    """The first reading of a document that arrived on a known page: its publication, and,
    when it replaces an earlier version, what changed item by item since that one."""
    if (
        analysis.outcome is not CheckOutcome.BASELINE
        or analysis.snapshot is None
        or analysis.content_hash in arrival.siblings
    ):
        return analysis  # read as a baseline; a document that only moved is no news
    document = decode_document(analysis.snapshot.encoded)
    title = arrival.replaces[1:] if arrival.replaces else None
    context = ClassifyContext(
        source=source,
        document_kind=document.kind,
        document_title=document.title,
        new_document=True,
        language=document.language,
        fetched_on=fetched_on,
        replaces=(title[0], title[1]) if title else None,
    )
    empty = Document(kind=document.kind, items=(), title=document.title)
    changes = list(classifier.classify(diff_documents(empty, document), context))
    if previous is not None:
        changes += _versus(previous, document, source, classifier, limits, fetched_on)
    return replace(analysis, outcome=CheckOutcome.CHANGED, changes=tuple(changes))


def _versus(
    previous: Document,
    document: Document,
    source: Source,
    classifier: Classifier,
    limits: WorkLimits,
    fetched_on: date | None,
) -> list[Change]:
    """What changed since the replaced version, as if the document had been amended; nothing
    when more items differ than ``[analysis] max_changed_items`` (a rewrite, not edits)."""
    try:
        limits.check_changed(changed_items(previous, document))
    except LimitError:
        logger.info("%s: too much changed since the previous version to list", source.key)
        return []
    context = ClassifyContext(
        source=source,
        document_kind=document.kind,
        document_title=document.title,
        language=document.language,
        fetched_on=fetched_on,
    )
    return list(classifier.classify(diff_documents(previous, document), context))
