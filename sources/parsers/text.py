"""Plain-text documents (text extractions of pages): one line per block, sections by heading.

A line is a heading when it stands on its own and looks like one: a numbered question or
title ("1. What can I find in EUR-Lex?"), a short question ("What is an AI system?") or a
short line in capitals ("KEY POINTS"). Each heading starts an item keyed by its text;
the text before the first heading is the item ``(top)``, and a document without headings is
that one item. Every non-empty line is one block of its item's text.
"""

from __future__ import annotations

import logging
import re

from monitor.errors import ParseError
from monitor.types import Document, DocumentKind, Item, ParseContext
from sources.normalise import normalise_line
from sources.parsers.encoding import text_encoding
from sources.parsers.html_page import TOP_KEY, apply_ignore, unique_keys

__all__ = ["parse_text"]

logger = logging.getLogger(__name__)

_MAX_HEADING = 120
# "1. Title", "2.3 Title"; not "30 July 2024: …" (a date) nor "2024 was a year" (a number).
_NUMBERED = re.compile(r"^\d{1,3}(?:(?:\.\d{1,3})*\.|(?:\.\d{1,3})+)\s+\S")
_BULLETS = ("•", "-", "–", "—", "*", "·", "▪")
_SENTENCE_END = (".", ",", ";", ":")
_MARKUP = re.compile(rb"^\s*(?:<\?xml|<!doctype|<html|<rss|<feed|\{|\[)", re.IGNORECASE)
_NOT_TEXT_TYPES = ("html", "xml", "json", "pdf", "image/", "octet-stream", "zip")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def parse_text(content: bytes, context: ParseContext) -> Document:
    """Return the document's sections as items (see above).

    Raises ``ParseError`` for an empty body, bytes that are not text (binary, or not in the
    declared or UTF-8 encoding), or markup (HTML, XML, JSON), which has its own parsers.
    """
    text = _decode(content, context)
    lines = [normalise_line(line) for line in text.splitlines()]
    sections = _sections(lines)
    keys = unique_keys(title for title, _ in sections)
    items = []
    for key, (title, body) in zip(keys, sections, strict=True):
        body_text = apply_ignore("\n".join(line for line in body if line), context.options)
        items.append(Item(key=key, title=title, url=context.url or None, text=body_text))
    logger.debug("parsed text %s: %d items", context.url, len(items))
    title = next(filter(None, lines), "")
    return Document(kind=DocumentKind.PAGE, items=tuple(items), title=title)


def _decode(content: bytes, context: ParseContext) -> str:
    media = context.content_type.split(";")[0].strip().lower()
    if any(kind in media for kind in _NOT_TEXT_TYPES) or _MARKUP.match(content[:512]):
        raise ParseError(
            f"{context.url} is not plain text ({media or 'markup'}); use the parser for its format"
        )
    declared = _CHARSET.search(context.content_type)
    encoding = text_encoding(content, declared.group(1) if declared else None)
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ParseError(f"{context.url} is not {encoding} text: {exc}") from exc
    if _CONTROL.search(text):
        raise ParseError(f"{context.url} holds control characters: binary data, not text")
    if not text.strip():
        raise ParseError(f"{context.url} is empty: no text to compare")
    return text


def _sections(lines: list[str]) -> list[tuple[str, list[str]]]:
    """(title, lines) per section; a heading line is the section's title, not its text."""
    sections: list[tuple[str, list[str]]] = [(TOP_KEY, [])]
    for n, line in enumerate(lines):
        if line and _is_heading(lines, n):
            sections.append((line, []))
        elif line:
            sections[-1][1].append(line)
    if len(sections) > 1 and not sections[0][1]:
        sections.pop(0)  # nothing before the first heading
    return sections


def _is_heading(lines: list[str], n: int) -> bool:
    line = lines[n]
    if len(line) > _MAX_HEADING or line.endswith(_SENTENCE_END) or line.startswith(_BULLETS):
        return False
    alone = (n == 0 or not lines[n - 1]) and (n + 1 == len(lines) or not lines[n + 1])
    if _NUMBERED.match(line):
        # "1. What can I find?" is a heading; "1 January 2025" or a numbered list is not.
        return alone or line.endswith("?")
    if line.endswith("?"):
        return True
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and line.isupper() and len(line.split()) <= 8
