"""Small lxml helpers shared by the site-specific HTML parsers (digital-strategy, EUR-Lex
document information, Legislative Observatory)."""

from __future__ import annotations

import re

from lxml import etree

from monitor.errors import ParseError
from monitor.types import ParseContext
from sources.parsers.html_page import html_root

Element = etree._Element

_END_TAG = re.compile(rb"</(?:body|html)\s*>", re.IGNORECASE)


def parse_root(content: bytes, context: ParseContext) -> Element:
    """The parsed page; a ``ParseError`` that names the URL when the bytes are not HTML."""
    try:
        return html_root(content, context.content_type)
    except ParseError as exc:
        raise ParseError(f"{context.url}: {exc}") from exc


def check_complete(content: bytes, url: str) -> None:
    """Refuse a page cut short: its missing sections would look removed."""
    # UTF-16 pages (a BOM) are rare and cannot be checked byte-wise; let them through.
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return
    if not _END_TAG.search(content[-4096:]):
        raise ParseError(f"the page at {url} is cut short: no </body> or </html> at its end")


def check_language(root: Element, context: ParseContext) -> None:
    """Refuse another language version than the source's ``language`` option."""
    lang = (root.get("lang") or "").strip().lower().split("-")[0]
    wanted = (context.options.language or "").lower()
    if lang and wanted and lang != wanted:
        raise ParseError(f"{context.url} is the {lang!r} version of the page, expected {wanted!r}")


def elements(node: Element, path: str) -> list[Element]:
    """The elements an XPath selects (lxml types its result as anything)."""
    found = node.xpath(path)
    return [el for el in found if isinstance(el, etree._Element)] if isinstance(found, list) else []


def strings(node: Element, path: str) -> list[str]:
    """The attribute values or text nodes an XPath selects, as plain strings."""
    found = node.xpath(path)
    return [str(s) for s in found if isinstance(s, str)] if isinstance(found, list) else []


def text_of(el: Element) -> str:
    """All the text inside an element, pieces joined by spaces (normalise it after)."""
    return " ".join(str(t) for t in el.itertext())
