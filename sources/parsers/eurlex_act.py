"""EUR-Lex / Official Journal XHTML of a legal act: one item per ELI subdivision.

The OJ "CONVEX" XHTML marks every part of an act with an ELI id on a ``div``: ``tit_1``
(title), ``pbl_1`` (preamble) holding ``cit_N`` (citations) and ``rct_N`` (recitals),
``enc_1`` (enacting terms) holding ``cpt_X`` (chapters) holding ``art_N`` (articles),
``fnp_1`` (final part) and ``anx_X`` (annexes). Ids with a dot (``art_4.tit_1``,
``cpt_III.sct_1``) are parts of their parent, not items. The text of a nested item belongs
to that item only, so an amended article is one modified item.

Acts are large (the AI Act is 1.26 MB of XHTML, ~10,000 elements), and touching every
element from Python costs several times the parse. So one XSLT pass, run by libxslt in C,
writes the whole act as text, with marks where each item starts and ends and where each line
ends, whitespace already collapsed; Python only finishes the normalisation and cuts it up.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable
from urllib.parse import urldefrag

from lxml import etree

from monitor.types import Document, DocumentKind, Item, ParseContext
from sources.normalise import normalise_line
from sources.parsers.html_page import apply_ignore, html_root

__all__ = ["parse_eurlex_act"]

logger = logging.getLogger(__name__)

# Marks in the XSLT's output: Unicode noncharacters, which never occur in a document.
_ITEM = "\ufdd0"  # _ITEM + id + _ID_END: item id starts; _ITEM + _ID_END: the item ends
_ID_END = "\ufdd1"
_LINE_END = "\ufdd2"
_HEADING = "\ufdd3"  # starts a heading line: "Article 4", "AI literacy", "ANNEX III"

# normalise_text's rules are split between C and Python. XPath's normalize-space() collapses
# ASCII whitespace in the stylesheet; Python then only deals with the rarer characters, using
# ``in``/replace/split on one character (memory speed), never a pass per line: splitting every
# line, or XPath's translate(), would each cost more than parsing the document.
_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_NBSP = "\xa0"
# Every other character str.split() splits at, folded into NBSP and handled with it; not
# U+2000/U+2001, which NFC has already turned into U+2002/U+2003.
_OTHER_SPACES = "".join(
    c for c in map(chr, range(0x3001)) if c.isspace() and c not in " \t\n\r\xa0\u2000\u2001"
)

_SUBDIVISION = "div[contains(@id, '_') and not(contains(@id, '.'))]"
_HEADING_P = (
    "p[starts-with(@class, 'oj-ti-') or starts-with(@class, 'oj-sti-') or @class='oj-doc-ti']"
)
_STYLESHEET = f"""\
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="text()"/>
<xsl:template match="{_SUBDIVISION}">
  <xsl:value-of select="concat('{_ITEM}', @id, '{_ID_END}')"/>
  <xsl:apply-templates/>
  <xsl:value-of select="'{_ITEM}{_ID_END}'"/>
</xsl:template>
<xsl:template match="{_HEADING_P}">
  <xsl:value-of select="concat('{_HEADING}', normalize-space(.), '{_LINE_END}')"/>
</xsl:template>
<xsl:template match="p">
  <xsl:value-of select="concat(normalize-space(.), '{_LINE_END}')"/>
</xsl:template>
<xsl:template match="tr">
  <xsl:variable name="cells">
    <xsl:for-each select="td|th">
      <xsl:text> </xsl:text><xsl:apply-templates mode="cell"/>
    </xsl:for-each>
  </xsl:variable>
  <xsl:value-of select="concat(normalize-space($cells), '{_LINE_END}')"/>
</xsl:template>
<xsl:template match="p|div" mode="cell">
  <xsl:text> </xsl:text><xsl:apply-templates mode="cell"/>
</xsl:template>
<xsl:template match="table" mode="cell">
  <xsl:value-of select="'{_LINE_END}'"/><xsl:apply-templates select="."/>
</xsl:template>
</xsl:stylesheet>
"""
# A paragraph is one line. A table row is one line of its cells, each cell's paragraphs
# joined by spaces (the points of a list read "(a) text"); a table nested in a cell (points
# (i), (ii) of a point) ends that line and adds its own rows as lines.
_STYLESHEET_DOC = etree.XML(_STYLESHEET)
# The stylesheet reads nothing but the act: no files, no network (lxml-stubs lack DENY_ALL).
_NO_ACCESS = etree.XSLTAccessControl.DENY_ALL  # type: ignore[attr-defined]
# Parsing runs in worker threads, and lxml objects are safest used by one thread each.
_THREAD = threading.local()

_KINDS = {
    "tit": "title", "pbl": "preamble", "cit": "citation", "rct": "recital",
    "enc": "enacting_terms", "cpt": "chapter", "tis": "title_part", "sct": "section",
    "art": "article", "fnp": "final_part", "anx": "annex",
}  # fmt: skip
_LABELS = {
    "title": "Title", "preamble": "Preamble", "citation": "Citation", "recital": "Recital",
    "enacting_terms": "Enacting terms", "chapter": "Chapter", "title_part": "Title",
    "section": "Section", "article": "Article", "final_part": "Final part", "annex": "Annex",
}  # fmt: skip
_UNNUMBERED = frozenset({"title", "preamble", "enacting_terms", "final_part"})
# Kinds whose heading lines become the item's title instead of text.
_HEADED = frozenset({"article", "chapter", "title_part", "section", "annex"})


def parse_eurlex_act(content: bytes, context: ParseContext) -> Document:
    """Return the act's title, preamble parts, recitals, chapters, articles and annexes.

    Parts without text of their own (``enc_1``, whose text is all in its chapters) are
    left out. Raises ``ParseError`` when the bytes are not HTML.
    """
    root = _xhtml_root(content)
    if root is None:
        root = html_root(content, context.content_type)
    lines_by_id = _lines_by_id(str(_to_text()(root)))
    page = urldefrag(context.url).url
    items = []
    for el_id, lines in lines_by_id.items():
        item = _item(el_id, lines, page, context)
        if item is not None:
            items.append(item)
    title = " ".join(_plain(lines_by_id.get("tit_1", [])))
    logger.debug("parsed act %s: %d items", context.url, len(items))
    return Document(kind=DocumentKind.PAGE, items=tuple(items), title=title)


_XHTML_NS = b' xmlns="http://www.w3.org/1999/xhtml"'
_UTF8_DECLARED = (b'<?xml version="1.0" encoding="UTF-8"', b"<?xml version='1.0' encoding='UTF-8'")


def _xhtml_root(content: bytes) -> etree._Element | None:
    """The OJ's well-formed UTF-8 XHTML, read by the (faster) XML parser; None otherwise.

    Without its default namespace the tree matches the same stylesheet.
    """
    at = content.find(_XHTML_NS, 0, 2048)
    if not content.startswith(_UTF8_DECLARED) or at < 0:
        return None
    content = content[:at] + content[at + len(_XHTML_NS) :]
    try:
        return etree.fromstring(content, _xml_parser())
    except etree.XMLSyntaxError:
        return None  # e.g. an HTML entity XML does not know: the HTML parser copes


def _xml_parser() -> etree.XMLParser:
    """This thread's XML parser: no DTD, no entities, no network (the input is untrusted)."""
    parser: etree.XMLParser | None = getattr(_THREAD, "xml_parser", None)
    if parser is None:
        parser = _THREAD.xml_parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False
        )
    return parser


def _to_text() -> etree.XSLT:
    """This thread's compiled stylesheet (compiled once per thread, in about a millisecond)."""
    transform: etree.XSLT | None = getattr(_THREAD, "to_text", None)
    if transform is None:
        transform = _THREAD.to_text = etree.XSLT(_STYLESHEET_DOC, access_control=_NO_ACCESS)
    return transform


def _lines_by_id(marked: str) -> dict[str, list[str]]:
    """Cut the stylesheet's output into the normalised lines of each item, in document order.

    Text after a nested item's end (the preamble's "Whereas:" after its citations) belongs
    to the enclosing item again; text outside every item (the OJ header) is dropped.
    """
    exact = any(char in marked for char in _INVISIBLE_CHARS)
    lines_by_id: dict[str, list[str]] = {}
    open_items = [""]
    parts = _fold_spaces(unicodedata.normalize("NFC", marked)).split(_ITEM)
    for part in parts[1:]:  # parts[0] is before the first item
        el_id, _, text = part.partition(_ID_END)
        if el_id:
            open_items.append(el_id)
        elif len(open_items) > 1:
            open_items.pop()
        if open_items[-1] and text:
            lines = [line.strip(" ") for line in text.split(_LINE_END)]
            if exact:  # removing a zero-width character can leave two spaces side by side
                lines = [_mark(line) + normalise_line(line.lstrip(_HEADING)) for line in lines]
            lines_by_id.setdefault(open_items[-1], []).extend(filter(None, lines))
        elif el_id:
            lines_by_id.setdefault(el_id, [])
    return lines_by_id


def _fold_spaces(marked: str) -> str:
    """Turn every non-ASCII space into one ASCII space, merged with the spaces around it."""
    for char in _OTHER_SPACES:
        if char in marked:
            marked = marked.replace(char, _NBSP)
    if _NBSP not in marked:
        return marked
    return " ".join(filter(None, (piece.strip(" ") for piece in marked.split(_NBSP))))


def _mark(line: str) -> str:
    return _HEADING if line.startswith(_HEADING) else ""


def _item(el_id: str, lines: list[str], page: str, context: ParseContext) -> Item | None:
    prefix, _, number = el_id.partition("_")
    kind = _KINDS.get(prefix, prefix)
    headings = _leading_headings(lines) if kind in _HEADED else []
    # The first heading ("Article 4", "ANNEX III") is rebuilt from the id; the next ones
    # ("AI literacy") are the subtitle.
    subtitle = " ".join(headings[1:])
    text = apply_ignore("\n".join(_plain(lines[len(headings) :])), context.options)
    if not text and not headings:
        return None
    return Item(
        key=el_id,
        title=_title(kind, number, subtitle),
        url=f"{page}#{el_id}",
        text=text,
        fields={"number": number, "kind": kind},
    )


def _leading_headings(lines: list[str]) -> list[str]:
    """The label and title lines ("Article 4", "AI literacy") the item starts with.

    At most two: in a chapter the next marked lines are its sections' headings, in an
    annex its parts' headings, and those are text.
    """
    headings = []
    for line in lines[:2]:
        if not line.startswith(_HEADING):
            break
        headings.append(line[1:].lstrip(" "))
    return headings


def _plain(lines: Iterable[str]) -> list[str]:
    """The lines without heading marks (a title's paragraphs are its text)."""
    plain = (line[1:].lstrip(" ") if line[0] == _HEADING else line for line in lines)
    return [line for line in plain if line]


def _title(kind: str, number: str, subtitle: str) -> str:
    """ "Article 4 — AI literacy", "Annex III — High-risk AI systems ...", "Recital 12"."""
    label = _LABELS.get(kind, kind.replace("_", " ").capitalize())
    head = label if kind in _UNNUMBERED else f"{label} {number}"
    return f"{head} — {subtitle}" if subtitle else head
