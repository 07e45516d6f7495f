"""The ``document`` parser: PDF, Word (DOCX) and OpenDocument (ODT) files as items.

bytes ──► sniff (magic numbers) ──► worker process (``isolate``: capped memory and time)
      ──► pdf / word / odt reader ──► lines or paragraphs with pages
      ──► layout (a PDF's lines joined into paragraphs, running headers dropped)
      ──► structure (items by "Article N", "Measure 1.1", numbered and styled headings)

Each item's text is its paragraphs, one per line, so the diff goes item → paragraph → word as
for any page. An encrypted, damaged, scanned (no text layer), enormous or bomb-laden document
is a ``ParseError`` with the reason: a failed check, never a change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urldefrag

from monitor.types import Document, DocumentKind, ParseContext
from sources.normalise import normalise_line
from sources.parsers.documents.isolate import extract_isolated
from sources.parsers.documents.layout import paragraphs_of
from sources.parsers.documents.model import Extracted, Paragraph
from sources.parsers.documents.sniff import sniff
from sources.parsers.documents.structure import items_of

__all__ = ["document_of", "parse_document"]

logger = logging.getLogger(__name__)


def parse_document(content: bytes, context: ParseContext) -> Document:
    """The document's items; ParseError naming why when it cannot be read."""
    sniff(content, context.content_type)  # refuse an HTML page or a .doc before a process starts
    return document_of(extract_isolated(content), context)


def document_of(extracted: Extracted, context: ParseContext) -> Document:
    """The items of an extracted document (the part of parsing that runs in lexwatch)."""
    paragraphs = (
        paragraphs_of(extracted.paragraphs) if extracted.lines else list(extracted.paragraphs)
    )
    url = urldefrag(context.url).url
    title = normalise_line(extracted.title) or _first_line(paragraphs)
    items = items_of(paragraphs, url=url, title=title, lines=extracted.lines)
    logger.debug(
        "document %s: %s, %d pages, %d items", url, extracted.format, extracted.pages, len(items)
    )
    return Document(
        kind=DocumentKind.PAGE,
        items=tuple(items),
        title=title,
        language=context.options.language or extracted.language,
    )


def _first_line(paragraphs: Sequence[Paragraph]) -> str:
    """A title from the first lines: the first of five words or more ("EN EN EUROPEAN",
    "COMMISSION" and a date are letterhead)."""
    return next((p.text[:200] for p in paragraphs[:30] if len(p.text.split()) >= 5), "")
