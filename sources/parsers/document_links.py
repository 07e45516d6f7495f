"""The documents a page links to: PDF, Word and OpenDocument files, with the link's words.

Pure, like every parser: the page's bytes in, its document links out
(``monitor.pipeline.follow`` watches each as a source of its own). A link is a document when
its URL says so: a ``.pdf``, ``.docx`` or ``.odt`` path, EUR-Lex's ``/TXT/PDF/``, or the
Commission's download addresses (``/redirection/document/``, ``/document/download/``). A link
that reads only "Download" or "PDF" is named by the file block or heading around it. Only the
page's ``keep`` parts are read (the source's own option), without its ``drop`` parts, so a
footer's privacy notice is no document of the page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector

from monitor.types import DocumentFollowing, SourceOptions
from sources.normalise import normalise_line, strip_tracking
from sources.parsers.html_page import html_root
from sources.parsers.markup import elements, text_of

__all__ = ["DocumentLink", "document_links"]

logger = logging.getLogger(__name__)

_DOCUMENT_URL = re.compile(
    r"\.(?:pdf|docx|odt)$|/redirection/document/|/document/download/|/TXT/PDF/", re.IGNORECASE
)
_GENERIC = re.compile(
    r"^(?:download|télécharger|herunterladen|pdf|docx?|odt|word|english|en|here|link|view"
    r"|open|read more|file)\b[^a-z]{0,40}$|^[^a-z]{0,12}$",
    re.IGNORECASE,
)
_TITLE_CLASS = re.compile(r"title|heading|label|name", re.IGNORECASE)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_TEXT_CHARS = 200


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentLink:
    url: str
    text: str


def document_links(
    content: bytes,
    url: str,
    options: SourceOptions,
    following: DocumentFollowing,
    content_type: str = "",
) -> list[DocumentLink]:
    """The page's document links that pass ``following.patterns``, first ``max_documents``."""
    root = html_root(content, content_type)
    patterns = [re.compile(p, re.IGNORECASE) for p in following.patterns]
    found: dict[str, DocumentLink] = {}
    for link in _links(root, url, options):
        if link.url in found or not _wanted(link, patterns):
            continue
        found[link.url] = link
        if len(found) >= following.max_documents:
            break
    return list(found.values())


def _wanted(link: DocumentLink, patterns: Sequence[re.Pattern[str]]) -> bool:
    return not patterns or any(p.search(link.text) or p.search(link.url) for p in patterns)


def _links(root: etree._Element, base: str, options: SourceOptions) -> Iterator[DocumentLink]:
    dropped = {el for css in options.drop for el in elements(root, CSSSelector(css).path)}
    scopes = [el for css in options.keep for el in elements(root, CSSSelector(css).path)] or [root]
    for scope in scopes:
        for anchor in scope.iter("a"):
            if dropped and any(el in dropped for el in anchor.iterancestors()):
                continue
            url = _document_url(anchor.get("href"), base)
            if url is not None:
                yield DocumentLink(url=url, text=_name(anchor, url))


def _document_url(href: str | None, base: str) -> str | None:
    if not href or href.strip().startswith(("#", "javascript:", "mailto:")):
        return None
    try:
        absolute = urldefrag(urljoin(base, href.strip())).url
        parts = urlsplit(absolute)
    except ValueError:
        logger.info("%s: skipped unreadable link %r", base, href)
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if not _DOCUMENT_URL.search(parts.path) and not _DOCUMENT_URL.search(parts.query):
        return None
    return strip_tracking(absolute)


def _name(anchor: etree._Element, url: str) -> str:
    """The link's words; for a bare "Download", the title of the block around it."""
    text = normalise_line(text_of(anchor) or anchor.get("title") or "")
    if text and not _GENERIC.match(text):
        return text[:_TEXT_CHARS]
    for ancestor in list(anchor.iterancestors())[:4]:
        label = _label_in(ancestor)
        if label:
            return label[:_TEXT_CHARS]
    return text or urlsplit(url).path.rsplit("/", 1)[-1] or url


def _label_in(block: etree._Element) -> str:
    for element in block.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in _HEADINGS or _TITLE_CLASS.search(element.get("class") or ""):
            text = normalise_line(text_of(element))
            if text and not _GENERIC.match(text):
                return text
    return ""
