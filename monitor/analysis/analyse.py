"""The CPU stage of a check: guard, parse, diff and classify one fetch. No I/O of its own.

It reads the past only through ``History``, lazily, so that an unchanged fetch costs a hash
and never a parse, and an unchanged parse costs a hash and never a diff.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from monitor import __version__
from monitor.analysis.dates import BRUSSELS
from monitor.analysis.diff import changed_items, diff_documents
from monitor.analysis.guard import document_problem, is_html, response_problem
from monitor.analysis.ignore import filter_document
from monitor.analysis.limits import WorkLimits
from monitor.errors import LimitError, ParseError
from monitor.types import (
    Change,
    CheckOutcome,
    Classifier,
    ClassifyContext,
    Deadline,
    Document,
    Fetched,
    NewSnapshot,
    ParseContext,
    Parser,
    Source,
    SourceState,
)
from sources.parsers.language import declared_language
from storage.codec import document_hash, encode_document

DeadlineFinder = Callable[[Document, Source], Sequence[Deadline]]
DEFAULT_LIMITS = WorkLimits()


class History(Protocol):
    def document(self) -> Document | None:
        """The last snapshot as the current parser reads it, or None before the baseline."""
        ...

    def site_blocks(self) -> frozenset[str]:
        """The site's template: text blocks that other pages of the same host also show."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class Analysis:
    outcome: CheckOutcome
    error: str | None = None
    snapshot: NewSnapshot | None = None
    changes: tuple[Change, ...] = ()
    content_hash: str | None = None
    fingerprint: str | None = None
    keep_raw: bool = False  # store the raw body as evidence
    deadlines: tuple[Deadline, ...] | None = None  # None: the document was not read
    deadline_items: frozenset[str] | None = None  # None: read from every item


# Parts of an HTML body that no parser reads: they change on every request on EU sites
# (Dynatrace request ids, converter timestamps), and must not force a re-parse.
# Letter classes instead of re.IGNORECASE: twice as fast over a megabyte.
_SCRIPT, _STYLE = rb"[sS][cC][rR][iI][pP][tT]", rb"[sS][tT][yY][lL][eE]"
_UNREAD_HTML = re.compile(
    rb"<"
    + _SCRIPT
    + rb"\b.*?</"
    + _SCRIPT
    + rb"\s*>|<"
    + _STYLE
    + rb"\b.*?</"
    + _STYLE
    + rb"\s*>|<!--.*?-->",
    re.DOTALL,
)
_GONE = (404, 410)


def body_hash(fetched: Fetched) -> str:
    """SHA-256 of what a parser could read of the body.

    For HTML that leaves out scripts, styles and comments, so a body that differs from the
    last one only in those (a new tracking id, a converter timestamp) is known to be
    unchanged without parsing it. Any other difference (re-indented markup included) is
    parsed, and the parsed document's hash decides. Whitespace is deliberately not
    stripped here: that pass would cost every changed check more than re-indentation,
    which is rare, costs once.
    """
    if not is_html(fetched):
        return hashlib.sha256(fetched.content).hexdigest()
    digest = hashlib.sha256()
    content = memoryview(fetched.content)
    for start, end in _read_spans(fetched.content):
        digest.update(content[start:end])
    return digest.hexdigest()


# What ``_UNREAD_HTML.sub(b"", content)`` keeps, found with one pattern for the three
# openers and a search for each one's closer: three times faster than lower-casing the body
# and finding each opener in it, ten times faster than the regular expression, which tries
# its three lazy patterns at every "<" of the markup (most of a page's bytes).
_OPENER = re.compile(
    rb"<(?:(?P<script>" + _SCRIPT + rb")|(?P<style>" + _STYLE + rb"))(?![A-Za-z0-9_])|<!--"
)
_CLOSERS = {
    "script": re.compile(rb"</" + _SCRIPT + rb"[ \t\n\r\f\v]*>"),
    "style": re.compile(rb"</" + _STYLE + rb"[ \t\n\r\f\v]*>"),
    None: re.compile(rb"-->"),
}


def _read_spans(content: bytes) -> Iterator[tuple[int, int]]:
    """The (start, end) spans of ``content`` that ``_UNREAD_HTML.sub`` would keep."""
    kept = pos = 0
    unclosed: set[str | None] = set()  # no closer after one opener: none after a later one
    while (opener := _OPENER.search(content, pos)) is not None:
        kind, start = opener.lastgroup, opener.start()
        closer = None if kind in unclosed else _CLOSERS[kind].search(content, opener.end())
        if closer is None:  # the pattern does not match here
            unclosed.add(kind)
            pos = start + 1
            continue
        if start > kept:
            yield kept, start
        kept = pos = closer.end()
    if kept < len(content):
        yield kept, len(content)


def pages_hash(pages: Sequence[Fetched]) -> str:
    """``body_hash`` of a one-page fetch; of all the pages' hashes for a paginated one."""
    hashes = [body_hash(page) for page in pages]
    if len(hashes) == 1:
        return hashes[0]
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


def with_language(document: Document, content: bytes) -> Document:
    """The document with the language its bytes declare, when its parser did not say."""
    if document.language:
        return document
    return replace(document, language=declared_language(content))


def fingerprint(source: Source) -> str:
    """Identifies how a source is read: same bytes + same fingerprint = same document."""
    recipe = f"{__version__}|{source.parser}|{source.options!r}"
    return hashlib.sha256(recipe.encode()).hexdigest()


def parse(parser: Parser, source: Source, pages: Sequence[Fetched]) -> Document:
    """Parse every page of a fetch; a paginated listing becomes one document."""
    documents = [
        with_language(
            parser(
                page.content,
                ParseContext(
                    url=page.final_url, content_type=page.content_type, options=source.options
                ),
            ),
            page.content,
        )
        for page in pages
    ]
    if len(documents) == 1:
        return filter_document(documents[0], source.options)
    # An entry can slide from one page to the next between two requests: keep it once.
    items = {item.key: item for document in reversed(documents) for item in document.items}
    ordered = dict.fromkeys(item.key for document in documents for item in document.items)
    merged = Document(
        kind=documents[0].kind,
        title=documents[0].title,
        items=tuple(items[key] for key in ordered),
        language=documents[0].language,
    )
    return filter_document(merged, source.options)


def analyse(
    source: Source,
    pages: Sequence[Fetched],
    state: SourceState,
    *,
    parser: Parser,
    history: History,
    classifier: Classifier,
    find_deadlines: DeadlineFinder | None = None,
    limits: WorkLimits = DEFAULT_LIMITS,
) -> Analysis:
    """What this fetch (one page, or every page of a paginated API) means, given the past.

    A document past one of ``limits`` is a failed check that names the limit; nothing of
    its partial analysis (snapshot, changes, deadlines) is kept.
    """
    try:
        return _analyse(
            source,
            pages,
            state,
            parser=parser,
            history=history,
            classifier=classifier,
            find_deadlines=find_deadlines,
            limits=limits,
        )
    except LimitError as exc:
        return Analysis(outcome=CheckOutcome.FAILED, error=str(exc))


def _analyse(
    source: Source,
    pages: Sequence[Fetched],
    state: SourceState,
    *,
    parser: Parser,
    history: History,
    classifier: Classifier,
    find_deadlines: DeadlineFinder | None,
    limits: WorkLimits,
) -> Analysis:
    if pages[0].not_modified:
        return Analysis(outcome=CheckOutcome.NOT_MODIFIED)
    problem = next(filter(None, map(response_problem, pages)), None)
    if problem:
        return _failed(problem, source, pages[0], state, history, classifier)
    content_hash = pages_hash(pages)
    recipe = fingerprint(source)
    if (
        state.snapshot_id is not None
        and content_hash == state.content_hash
        and recipe == state.parse_fingerprint
    ):
        return Analysis(
            outcome=CheckOutcome.UNCHANGED, content_hash=content_hash, fingerprint=recipe
        )
    limits.check_elements(pages)  # before the parse tree is built
    try:
        document = parse(parser, source, pages)
    except ParseError as exc:
        return Analysis(outcome=CheckOutcome.FAILED, error=str(exc), keep_raw=True)
    limits.check_items(document)
    fetched_on = pages[0].fetched_at.astimezone(BRUSSELS).date()
    done = _compare(source, document, state, history, classifier, limits, fetched_on)
    if done.outcome is CheckOutcome.FAILED:
        return done
    deadlines, scope = _deadlines(document, source, done, find_deadlines)
    return replace(
        done,
        content_hash=content_hash,
        fingerprint=recipe,
        deadlines=deadlines,
        deadline_items=scope,
    )


def _deadlines(
    document: Document, source: Source, done: Analysis, find: DeadlineFinder | None
) -> tuple[tuple[Deadline, ...] | None, frozenset[str] | None]:
    """Deadlines are read per item: after a change only the changed items are read again."""
    if find is None or done.snapshot is None:
        return None, None
    if done.outcome is not CheckOutcome.CHANGED or done.deadline_items is None:
        return tuple(find(document, source)), None
    changed = [item for item in document.items if item.key in done.deadline_items]
    partial = Document(kind=document.kind, title=document.title, items=tuple(changed))
    return tuple(find(partial, source)), done.deadline_items


def _failed(
    problem: str,
    source: Source,
    page: Fetched,
    state: SourceState,
    history: History,
    classifier: Classifier,
) -> Analysis:
    """A failed check; a document answered 404/410 twice in a row is also reported removed."""
    if not (page.status in _GONE and is_gone_error(state.last_error) and state.failure_streak == 1):
        return Analysis(outcome=CheckOutcome.FAILED, error=problem, keep_raw=True)
    previous = history.document()
    if previous is None:
        return Analysis(outcome=CheckOutcome.FAILED, error=problem, keep_raw=True)
    empty = Document(kind=previous.kind, items=(), title=previous.title)
    context = ClassifyContext(
        source=source, document_kind=previous.kind, document_title=previous.title, gone=True
    )
    changes = classifier.classify(diff_documents(previous, empty), context)
    return Analysis(
        outcome=CheckOutcome.FAILED,
        error=f"{problem}: the document is gone",
        changes=tuple(changes),
        keep_raw=True,
    )


def is_gone_error(error: str | None) -> bool:
    """Whether a recorded check error says the document answered 404 or 410."""
    return bool(error) and str(error).startswith(("HTTP 404", "HTTP 410"))


def _compare(
    source: Source,
    document: Document,
    state: SourceState,
    history: History,
    classifier: Classifier,
    limits: WorkLimits,
    fetched_on: date,
) -> Analysis:
    if not document.items:
        problem = document_problem(document, history.document())
        if problem:
            return Analysis(outcome=CheckOutcome.FAILED, error=problem, keep_raw=True)
    encoded = encode_document(document)
    snapshot = NewSnapshot(
        encoded=encoded, content_hash=document_hash(encoded), item_count=len(document.items)
    )
    if snapshot.content_hash == state.snapshot_hash:
        return Analysis(outcome=CheckOutcome.UNCHANGED)
    previous = history.document()
    if previous is None:
        return Analysis(outcome=CheckOutcome.BASELINE, snapshot=snapshot, keep_raw=True)
    limits.check_changed(changed_items(previous, document))  # before the word diffs
    diffs = diff_documents(previous, document)
    if not diffs:
        # Same items in another order: keep the new snapshot, tell nobody.
        return Analysis(outcome=CheckOutcome.UNCHANGED, snapshot=snapshot, keep_raw=True)
    context = ClassifyContext(
        source=source,
        document_kind=document.kind,
        document_title=document.title,
        language=document.language,
        fetched_on=fetched_on,
        site_blocks=history.site_blocks(),
    )
    changes = classifier.classify(diffs, context)
    return Analysis(
        outcome=CheckOutcome.CHANGED,
        snapshot=snapshot,
        changes=tuple(changes),
        keep_raw=True,
        deadline_items=frozenset(diff.key for diff in diffs),
    )
