"""Generic HTML page parser: one item per heading section, boilerplate removed.

The page is read with lxml and walked once. During the walk, site chrome (scripts, menus,
header/footer, cookie banners, breadcrumbs, share widgets, "last update" stamps, view
counters, hidden elements) and the source's ``drop`` selectors are skipped, text outside the
``keep`` selectors is ignored, and every other block-level element becomes one line of the
current section. A section starts at each h1-h6 and is keyed by its heading path.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Literal
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from monitor.errors import ConfigError, ParseError
from monitor.types import Document, DocumentKind, Item, ParseContext, SourceOptions
from sources.normalise import join_blocks, link_origin, normalise_line, plain_link, strip_tracking
from sources.parsers.encoding import sniff_html
from sources.parsers.selectors import css_xpath

__all__ = [
    "apply_ignore",
    "html_root",
    "html_to_text",
    "parse_html_page",
    "unique_keys",
]

logger = logging.getLogger(__name__)

Element = etree._Element

TOP_KEY = "(top)"
PATH_SEPARATOR = " > "

# Never page content: code, media, embedded documents and site navigation. ``head`` is here
# because fragments and documents are walked from the root.
_SKIP_TAGS = frozenset(
    {
        "head", "script", "style", "noscript", "template", "svg", "math", "iframe", "object",
        "embed", "canvas", "nav", "aside", "select",
    }
)  # fmt: skip
# A form is a search box, a login or a newsletter sign-up, unless the page's content is in it:
# ASP.NET and SharePoint sites (many national authorities) wrap the whole page in one.
_CONTENT_IN_FORM = etree.XPath("boolean(.//main | .//article | .//h1 | .//h2)")
_SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})
# A header/footer inside one of these is the heading or byline of that content (ARIA maps it
# to no landmark), not the site's banner or footer, so it is kept.
_SECTIONING = ("article", "main", "section")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "header",
        "hr", "html", "legend", "li", "main", "menu", "ol", "p", "pre", "section", "summary",
        "table", "tbody", "td", "tfoot", "th", "thead", "ul",
    }
)  # fmt: skip
# Well-known class/id names of chrome that changes without the content changing. Kept to
# names seen on EU sites (ECL, Drupal, webtools) and the big consent/share vendors.
_CHROME_TOKEN = re.compile(
    r"""
    ecl-site-header(?:-\w+)? | ecl-site-footer(?:-\w+)? | ecl-footer(?:-\w+)?
    | site-header | site-footer | globan | dsm-banner
    | (?:ecl-|visually-hidden-)?skip-?links? | skip-to-(?:main-)?content
    | (?:ecl-)?breadcrumbs?(?:-\w+)?
    | cck(?:-container|-banner)? | cookies?-(?:consent|banner|notice|bar)(?:-\w+)?
    | cookieconsent | cookie-law-info-bar | onetrust(?:-\w+)? | cybotcookiebotdialog
    | (?:ecl-)?social-media-share | social-share | share-(?:buttons?|links|tools|widget)
    | sharethis | addthis\w* | a2a_kit
    | ecl-page-header__meta | ecl-page-header-core__meta | field--name-changed
    | last-?updated? | page-updated | date-updated | updated-date
    | views?-?count(?:er)? | page-?views | hit-counter | visit-counter | statistics-counter
    """,
    re.VERBOSE,
)
_HIDING_ATTRIBUTES = frozenset({"hidden", "aria-hidden", "style"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_LINK_SCHEMES = frozenset({"http", "https", "ftp"})


def parse_html_page(content: bytes, context: ParseContext) -> Document:
    """Return the page's heading sections (or ``options.sections`` elements) as items.

    Raises ``ParseError`` when the bytes are not HTML, ``ConfigError`` when a selector or
    ignore pattern of the source is invalid.
    """
    root = html_root(content, context.content_type)
    walker = _PageWalker(root, context)
    items = walker.items()
    logger.debug("parsed %s: %d items", context.url, len(items))
    return Document(kind=DocumentKind.PAGE, items=items, title=_page_title(root))


def html_root(content: bytes, content_type: str = "") -> Element:
    """Parse HTML bytes, choosing the encoding as a browser would (BOM, header, meta, UTF-8).

    Elements are plain ``lxml.etree`` elements: lxml.html's element classes cost a Python
    call for every element touched, and nothing here needs their methods.
    """
    # Decoded here, not by libxml2, so the encoding is the one sniffed (encoding.py).
    sniffed = sniff_html(content, content_type)
    if sniffed.source.startswith("utf-8 despite"):
        logger.debug("reading a page as UTF-8 %s", sniffed.source[len("utf-8 ") :])
    content = _utf8(content, sniffed.encoding)
    parser = etree.HTMLParser(encoding="utf-8")
    try:
        root = lxml.html.fromstring(content, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not an HTML document: {exc}") from exc
    # libxml2 stops reading at 256 levels of nesting and drops the rest of the page
    # silently; a page read in part must fail, not look as if its end was deleted.
    for error in parser.error_log:
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise ParseError(f"the page cannot be read whole: {error.message} (line {error.line})")
    return root


def html_to_text(markup: str) -> str:
    """Return the normalised text blocks of an HTML fragment (e.g. a feed entry's summary)."""
    if not markup.strip():
        return ""
    # As UTF-8 bytes, so that an XML declaration in the fragment is no error.
    parser = etree.HTMLParser(encoding="utf-8")
    try:
        root = lxml.html.fragment_fromstring(markup.encode(), create_parent="div", parser=parser)
    except (etree.ParserError, ValueError):
        return normalise_line(markup)
    collector = _Collector("inline")
    _PageWalker(root, ParseContext(url="")).walk(root, True, collector)
    collector.flush()
    return join_blocks(collector.sections[0].blocks)


def unique_keys(keys: Iterable[str]) -> list[str]:
    """Return ``keys`` with repeats made unique: the second "A" is "A #2", the third "A #3"."""
    seen: dict[str, int] = {}
    unique = []
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
        unique.append(key if seen[key] == 1 else f"{key} #{seen[key]}")
    return unique


def _utf8(content: bytes, encoding: str) -> bytes:
    """``content`` as UTF-8 bytes, whatever ``encoding`` it is in."""
    if encoding == "utf-8":
        return _repair_utf8(content)
    # Windows-1252 leaves five bytes undefined; browsers read them as Latin-1 does.
    errors = _CP1252_FALLBACK if encoding == "cp1252" else "replace"
    return content.decode(encoding, errors=errors).encode("utf-8")


def _repair_utf8(content: bytes) -> bytes:
    """Valid UTF-8: each byte that is not part of a UTF-8 sequence read as Windows-1252.

    Pages declared (or guessed) UTF-8 but saved as Windows-1252, or with a Latin-1 paragraph
    pasted in, then read "für" rather than "f\ufffdr" or "fÃ¼r".
    """
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("utf-8", errors=_CP1252_FALLBACK).encode("utf-8")
    return content


def _cp1252_byte(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    byte = exc.object[exc.start : exc.start + 1]
    try:
        return byte.decode("cp1252"), exc.start + 1
    except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
        return byte.decode("latin-1"), exc.start + 1


_CP1252_FALLBACK = "lexwatch-cp1252-fallback"
codecs.register_error(_CP1252_FALLBACK, _cp1252_byte)


def _page_title(root: Element) -> str:
    title = root.find("head/title")
    return normalise_line(" ".join(map(str, title.itertext()))) if title is not None else ""


@functools.lru_cache(maxsize=256)
def _pattern(regex: str) -> re.Pattern[str]:
    try:
        return re.compile(regex)
    except re.error as exc:
        raise ConfigError(f"invalid ignore pattern {regex!r} in source options: {exc}") from exc


def _xpath_strings(root: Element, path: str) -> list[str]:
    result = root.xpath(path)
    return [str(value) for value in result] if isinstance(result, list) else []


def _select(root: Element, selectors: Iterable[str]) -> set[Element]:
    found: set[Element] = set()
    for css in selectors:
        result = root.xpath(css_xpath(css))
        if isinstance(result, list):
            found.update(el for el in result if isinstance(el, etree._Element))
    return found


def apply_ignore(text: str, options: SourceOptions) -> str:
    """Remove every ``options.ignore`` match from each line; drop lines left empty."""
    if not options.ignore or not text:
        return text
    patterns = [_pattern(regex) for regex in options.ignore]
    lines = []
    for line in text.split("\n"):
        for pattern in patterns:
            line = pattern.sub("", line)
        lines.append(line)
    return join_blocks(lines)


class _Section:
    """The lines and links gathered under one heading (or in one ``sections`` element)."""

    __slots__ = ("blocks", "links", "path", "title")

    def __init__(self, path: str, title: str) -> None:
        self.path = path
        self.title = title
        self.blocks: list[str] = []
        self.links: set[str] = set()


class _Collector:
    """Receives text, links and headings from the walk and cuts them into sections.

    ``mode`` says what a heading does: "sections" opens a section keyed by the heading path,
    "item" takes the first heading as the item's title (later ones are lines), "inline"
    keeps every heading as a line.
    """

    __slots__ = ("buffer", "first_heading", "headings", "mode", "sections")

    def __init__(self, mode: Literal["sections", "item", "inline"]) -> None:
        self.mode = mode
        self.sections = [_Section(TOP_KEY, "")]
        self.headings: list[tuple[int, str]] = []
        self.buffer: list[str] = []
        self.first_heading: str | None = None

    def text(self, text: str) -> None:
        self.buffer.append(text)

    def flush(self) -> None:
        """End the current line (a block-level element started or ended)."""
        if self.buffer:
            self.sections[-1].blocks.append("".join(self.buffer))
            self.buffer.clear()

    def block(self, line: str) -> None:
        self.flush()
        self.sections[-1].blocks.append(line)

    def link(self, url: str) -> None:
        self.sections[-1].links.add(url)

    def heading(self, level: int, text: str) -> None:
        if not text:
            return
        if self.mode == "item" and self.first_heading is None:
            self.first_heading = text
        elif self.mode != "sections":
            self.block(text)
        else:
            self.flush()
            while self.headings and self.headings[-1][0] >= level:
                self.headings.pop()
            self.headings.append((level, text))
            path = PATH_SEPARATOR.join(title for _, title in self.headings)
            self.sections.append(_Section(path, text))

    def inline_text(self) -> str:
        """All text gathered so far as one line (for a heading or a table cell)."""
        self.flush()
        return normalise_line(" ".join(self.sections[0].blocks))


class _PageWalker:
    """Walks the parsed page once, skipping chrome, and fills collectors."""

    def __init__(self, root: Element, context: ParseContext) -> None:
        options = context.options
        self.root = root
        self.options = options
        self.base_url = _base_url(root, context.url)
        self.origin = link_origin(self.base_url)
        self.page_url = strip_tracking(urldefrag(context.url).url) if context.url else None
        self.dropped = _select(root, options.drop)
        self.keep = _select(root, options.keep) if options.keep else None
        self.section_roots = _select(root, (options.sections,)) if options.sections else None
        self.found_kept = False
        self.item_collectors: list[tuple[Element, _Collector]] = []

    @functools.cached_property
    def controlled(self) -> set[str]:
        """The ids of the elements a control reveals (read once a hidden element is met).

        Collapsed accordion/tab panels are hidden until clicked; they are content.
        """
        return set(" ".join(_xpath_strings(self.root, "//@aria-controls")).split())

    def items(self) -> tuple[Item, ...]:
        """Walk the page and return its items in document order."""
        main = _Collector("sections")
        self.walk(self.root, self.keep is None, None if self.section_roots else main)
        if self.keep is not None and not self.found_kept:
            logger.info("no element matches keep selectors %s", self.options.keep)
            return ()
        if self.section_roots is not None:
            return self._element_items()
        main.flush()
        return self._section_items(main.sections)

    def walk(self, el: Element, active: bool, out: _Collector | None) -> None:
        """Send ``el``'s text to ``out``; ``active`` is False outside the kept subtrees."""
        if self._skipped(el):
            return
        entering = not active and self.keep is not None and el in self.keep
        if entering:
            active = self.found_kept = True
        if active and self.section_roots is not None and el in self.section_roots:
            out = _Collector("item")
            self.item_collectors.append((el, out))
        if out is None or not active:
            for child in el:
                self.walk(child, active, out)
            return
        if entering:  # a kept subtree is its own block, even when the selector picks a <span>
            out.flush()
        self._emit(el, active, out)
        if entering:
            out.flush()

    def _emit(self, el: Element, active: bool, out: _Collector) -> None:
        tag = el.tag
        if tag in _HEADINGS:
            self._heading(el, _HEADINGS[tag], active, out)
        elif tag == "tr":
            self._row(el, active, out)
        elif tag == "br":
            out.flush()
        else:
            block = tag in _BLOCK_TAGS
            if block:
                out.flush()
            if tag == "a":
                self._link(el.get("href"), out)
            self._children(el, active, out)
            if block:
                out.flush()

    def _children(self, el: Element, active: bool, out: _Collector) -> None:
        # Each read of .text or .tail makes a new Python string: read them once.
        text = el.text
        if text:
            out.text(text)
        for child in el:
            self.walk(child, active, out)
            tail = child.tail
            if tail:
                out.text(tail)

    def _heading(self, el: Element, level: int, active: bool, out: _Collector) -> None:
        inner = _Collector("inline")
        self._children(el, active, inner)
        out.heading(level, inner.inline_text())
        for url in inner.sections[0].links:
            out.link(url)

    def _row(self, tr: Element, active: bool, out: _Collector) -> None:
        """A table row is one line: its non-empty cells joined by " | "."""
        cells = []
        for cell in tr:
            inner = _Collector("inline")
            self.walk(cell, active, inner)
            text = inner.inline_text()
            if text:
                cells.append(text)
            for url in inner.sections[0].links:
                out.link(url)
        if cells:
            out.block(" | ".join(cells))

    def _link(self, href: str | None, out: _Collector) -> None:
        if not href or href.startswith("#"):
            return
        href = href.strip()
        # Most links are plain http(s) ones: they skip urljoin and the scheme check.
        url = plain_link(self.origin, href) if self.origin is not None else None
        if url is not None:
            out.link(url)
        else:
            self._joined_link(href, out)

    def _joined_link(self, href: str, out: _Collector) -> None:
        try:
            url = urljoin(self.base_url, href)
            if urlsplit(url).scheme in _LINK_SCHEMES:
                out.link(strip_tracking(url))
        except ValueError:  # e.g. "http://[x": a broken link is not worth failing a page
            logger.debug("skipping unreadable link %r", href)

    def _skipped(self, el: Element) -> bool:
        """True for comments, chrome, hidden elements and the source's ``drop`` matches."""
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP_TAGS:
            return True
        if tag == "form" and not _CONTENT_IN_FORM(el):
            return True
        if (tag == "header" or tag == "footer") and not _in_sectioning(el):
            return True
        names = el.keys()
        if names and (
            _is_chrome(el, names)
            # Most elements have none of these attributes: no need to read them.
            or (not _HIDING_ATTRIBUTES.isdisjoint(names) and self._hidden(el))
        ):
            return True
        return bool(self.dropped) and el in self.dropped

    def _hidden(self, el: Element) -> bool:
        hidden = el.get("hidden")
        if (
            (hidden is None or hidden == "until-found")
            and el.get("aria-hidden") != "true"
            and not _HIDDEN_STYLE.search(el.get("style") or "")
        ):
            return False
        return el.get("id") not in self.controlled

    def _section_items(self, sections: list[_Section]) -> tuple[Item, ...]:
        built = [(s, apply_ignore(join_blocks(s.blocks), self.options)) for s in sections]
        built = [(s, text) for s, text in built if s.path != TOP_KEY or text or s.links]
        keys = unique_keys(s.path for s, _ in built)
        return tuple(
            _item(key, s.title or key, self.page_url, text, s.links)
            for key, (s, text) in zip(keys, built, strict=True)
        )

    def _element_items(self) -> tuple[Item, ...]:
        """One item per ``options.sections`` element, keyed by id, else by its first heading."""
        rows = []
        for n, (el, collector) in enumerate(self.item_collectors, start=1):
            collector.flush()
            section = collector.sections[0]
            el_id = (el.get("id") or "").strip()
            name = el_id or collector.first_heading or f"(section {n})"
            url = f"{self.page_url}#{el_id}" if self.page_url and el_id else self.page_url
            text = apply_ignore(join_blocks(section.blocks), self.options)
            rows.append((name, collector.first_heading or name, url, text, section.links))
        keys = unique_keys(row[0] for row in rows)
        return tuple(
            _item(key, title, url, text, links)
            for key, (_, title, url, text, links) in zip(keys, rows, strict=True)
        )


def _item(key: str, title: str, url: str | None, text: str, links: set[str]) -> Item:
    fields = {"links": "\n".join(sorted(links))} if links else {}
    return Item(key=key, title=title, url=url, text=text, fields=fields)


def _is_chrome(el: Element, names: Sequence[str | bytes]) -> bool:
    """True for a navigation role, or an id or a class that is a known chrome name."""
    # ``names`` are the element's attributes: el.get costs more than looking there first,
    # and most elements have a class, few an id or a role.
    if "role" in names and el.get("role") in _SKIP_ROLES:
        return True
    el_id = el.get("id") if "id" in names else None
    classes = el.get("class") if "class" in names else None
    return (el_id is not None or classes is not None) and _chrome_names(el_id, classes)


@functools.lru_cache(maxsize=4096)
def _chrome_names(el_id: str | None, classes: str | None) -> bool:
    """True when the id or a class is a known chrome name (cached: pages repeat classes)."""
    names = f"{el_id or ''} {classes or ''}".lower().split()
    return any(_CHROME_TOKEN.fullmatch(name) for name in names)


def _in_sectioning(el: Element) -> bool:
    return next(el.iterancestors(*_SECTIONING), None) is not None


def _base_url(root: Element, url: str) -> str:
    """The page URL, or the ``<base href>`` it declares resolved against it."""
    base = root.find("head/base[@href]")
    try:
        return urljoin(url, base.get("href") or "") if base is not None else url
    except ValueError:
        return url
