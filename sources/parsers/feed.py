"""RSS/Atom parser: one item per entry, keyed by its guid.

feedparser only ever receives the fetched bytes, never a URL. A feed that feedparser flags
as broken (``bozo``) is a failed check, not an empty one: the next good fetch is compared
with the last good one instead of every entry looking removed and then added again.

With ``options.keywords`` only the entries whose title, summary or categories mention one of
them are kept (case-insensitive, as whole words; a trailing plural "s" and a hyphen for a
space are allowed: "AI model" finds "AI models", "general-purpose AI" finds "general purpose
AI"). An entry that stops matching is simply absent from the document.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import logging
import re
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from monitor.errors import ParseError
from monitor.types import Document, DocumentKind, Item, ParseContext
from sources.normalise import (
    link_origin,
    normalise_line,
    normalise_text,
    plain_link,
    strip_tracking,
)
from sources.parsers.encoding import latin1_label, looks_utf8
from sources.parsers.html_page import html_to_text

__all__ = ["parse_feed"]

logger = logging.getLogger(__name__)

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TAG = re.compile(r"<[^>]*>")


def parse_feed(content: bytes, context: ParseContext) -> Document:
    """Return one item per feed entry, in the feed's order.

    Raises ``ParseError`` when the bytes are not an RSS/Atom feed (e.g. an HTML error page
    served with status 200) or when feedparser reports the feed as malformed.
    """
    # A stream, never the bytes themselves: feedparser.parse(b"/some/path") would read that
    # local file, and a server decides what the bytes say.
    try:
        parsed = feedparser.parse(io.BytesIO(utf8_declared(content)))
    except (ValueError, LookupError) as exc:
        # feedparser lets some damage through as built-in errors: a character reference out
        # of Unicode's range, a NUL in a name, bytes that are not in the declared encoding.
        raise ParseError(f"malformed feed at {context.url}: {type(exc).__name__}: {exc}") from exc
    _check(parsed, context.url)
    keywords = (
        _keyword_pattern(tuple(context.options.keywords)) if context.options.keywords else None
    )
    items = tuple(_items(parsed.entries, context.url, keywords))
    logger.debug("parsed feed %s: %d entries", context.url, len(items))
    title = _plain(parsed.feed.get("title_detail") or {"value": parsed.feed.get("title", "")})
    return Document(kind=DocumentKind.FEED, items=items, title=title)


_XML_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])([A-Za-z0-9._:-]+)""")


def utf8_declared(content: bytes) -> bytes:
    """``content`` with its XML declaration saying UTF-8 when it says Latin-1 but the bytes
    are UTF-8 (sources/parsers/encoding.py): feedparser trusts the declaration."""
    found = _XML_ENCODING.match(content)
    if found is None or not latin1_label(found.group(2).decode()) or not looks_utf8(content):
        return content
    return found.group(1) + b"utf-8" + content[found.end() :]


def _check(parsed: Any, url: str) -> None:
    """Raise ParseError unless feedparser read a feed without complaint."""
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    # An encoding override means feedparser decoded the bytes another way than the XML
    # declaration said and succeeded: the entries are fine.
    if problem is not None and not isinstance(problem, feedparser.CharacterEncodingOverride):
        raise ParseError(f"malformed feed at {url}: {type(problem).__name__}: {problem}")
    if not parsed.get("version"):
        raise ParseError(f"not an RSS or Atom feed at {url} (an HTML or error page?)")


def _items(entries: list[Any], base_url: str, keywords: re.Pattern[str] | None) -> Iterator[Item]:
    used: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        item = _item(entry, base_url)
        if keywords is not None and not keywords.search(_searchable(item)):
            continue
        key = _key(entry, used)
        if key is None:
            logger.warning("feed %s: entry %d has no id, link or title", base_url, position)
            continue
        used.add(key)
        yield dataclasses.replace(item, key=key, title=item.title or key)


@functools.lru_cache(maxsize=64)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for all keywords: whole words, case-insensitive, plural "s" allowed."""
    words = [normalise_line(k) for k in keywords if normalise_line(k)]
    if not words:
        return None
    # Spaces and hyphens inside a keyword match either ("general-purpose" / "general purpose").
    alternatives = [r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", w))) for w in words]
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?:e?s)?(?!\w)", re.IGNORECASE)


def _searchable(item: Item) -> str:
    return "\n".join((item.title, item.text, item.fields.get("categories", "")))


def _key(entry: Mapping[str, Any], used: set[str]) -> str | None:
    """The guid, else the link, else the title; the next candidate when one is repeated."""
    candidates = [str(entry.get(name) or "").strip() for name in ("id", "link", "title")]
    candidates = [c for c in candidates if c]
    if not candidates:
        return None
    for candidate in candidates:
        if candidate not in used:
            return candidate
    n = 2
    while f"{candidates[0]} #{n}" in used:
        n += 1
    return f"{candidates[0]} #{n}"


def _item(entry: Mapping[str, Any], base_url: str) -> Item:
    """The entry as an item; its key is set by the caller, which knows the keys in use."""
    link = str(entry.get("link") or "").strip()
    title = _plain(entry.get("title_detail") or {"value": entry.get("title", "")})
    return Item(
        key="",
        title=title,
        url=_absolute(base_url, link) if link else None,
        text=_body(entry),
        fields=_fields(entry),
    )


def _absolute(base_url: str, link: str) -> str | None:
    """The entry's link as an absolute URL; None when it is no URL at all."""
    origin = link_origin(base_url)
    plain = plain_link(origin, link) if origin is not None else None
    if plain is not None:  # most links: no need for urljoin
        return plain
    try:
        return strip_tracking(urljoin(base_url, link))
    except ValueError:  # urllib's "Invalid IPv6 URL" for "http://[x"
        logger.info("feed %s: unreadable entry link %r", base_url, link)
        return None


def _body(entry: Mapping[str, Any]) -> str:
    """The plain text of the entry's content, else of its summary."""
    contents = entry.get("content") or []
    if contents:
        return "\n".join(filter(None, (_text(part) for part in contents)))
    summary = entry.get("summary_detail") or {"value": entry.get("summary", "")}
    return _text(summary)


def _text(detail: Mapping[str, Any]) -> str:
    """Normalised plain text of a feedparser text construct (HTML is stripped)."""
    value = str(detail.get("value") or "")
    if detail.get("type") in _HTML_TYPES:
        try:
            return html_to_text(value)
        except ValueError:  # the HTML reader's link handling fails on "http://[x"
            return normalise_text(_TAG.sub(" ", value))
    return normalise_text(value)


def _plain(detail: Mapping[str, Any]) -> str:
    """A title as one line of plain text."""
    return normalise_line(_text(detail))


def _fields(entry: Mapping[str, Any]) -> dict[str, str]:
    """``published`` (ISO 8601, UTC) and ``categories``; never ``updated``, which churns."""
    fields = {}
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if isinstance(stamp, time.struct_time):
        fields["published"] = datetime(*stamp[:6], tzinfo=UTC).isoformat()
    terms = {normalise_line(str(tag.get("term") or "")) for tag in entry.get("tags") or []}
    if terms - {""}:
        fields["categories"] = ", ".join(sorted(terms - {""}))
    return fields
