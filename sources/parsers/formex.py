"""Formex 4 XML of an act (the Publications Office's format, from Cellar).

Items are keyed and titled exactly as the OJ XHTML parser (``eurlex_act``) keys and titles
them, so that either rendition of an act gives the same items: ``tit_1`` (title), ``pbl_1``
(preamble), ``cit_N`` (citations, ``VISA``), ``rct_N`` (recitals, ``CONSID``), ``cpt_X``
(chapters: top-level ``DIVISION``; a section is part of its chapter's text), ``art_N``
(``ARTICLE``, N from its ``IDENTIFIER`` without leading zeros), ``fnp_1`` (``FINAL``) and
``anx_X`` (``ANNEX``, X the numeral of its title). A file may hold the act alone (root
``ACT``) or the whole Cellar package (``COMBINED.FMX`` wrapping the OJ metadata, the act and
its annexes).

As for the XHTML, one XSLT pass run by libxslt writes the act as marked text and Python only
cuts it up, with the XHTML parser's own functions: a line per paragraph, list item or
heading; "(a)" and "1." numbers start their line; quotation marks come from ``QUOT.START``/
``QUOT.END``; footnotes are their call, "(1)" or "(*)", as in the XHTML.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import urldefrag

from lxml import etree

from monitor.errors import ParseError
from monitor.types import Document, DocumentKind, ParseContext

# The XHTML parser's private helpers are used on purpose: sharing how marked text becomes
# items is what makes the two renditions of an act give identical keys, titles and fields.
from sources.parsers.eurlex_act import _HEADING, _ID_END, _ITEM, _LINE_END, _item, _lines_by_id

__all__ = ["parse_formex"]

logger = logging.getLogger(__name__)

_GLUE = "\ufdd4"  # after an item number: the number and the next line's text are one line
_ROMAN = re.compile(r"^(?=[MDCLXVI])M*(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})$")
# XSLT 1.0 has no upper-case(): translate() with the letters of the EU languages' alphabets.
_LOWER = (
    "abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ"
    "āăąćčďđēėęěğīįıķĺļľłńņňōőœŕřśşšţťūůűųźżžαβγδεζηθικλμνξοπρστυφχψω"
    "абвгдежзийклмнопрстуфхцчшщъьюя"
)
_UPPER = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞŸ"
    "ĀĂĄĆČĎĐĒĖĘĚĞĪĮIĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŹŻŽΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"
    "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЬЮЯ"
)
_QUOTES = {"2018": "‘", "2019": "’", "201C": "“", "201D": "”", "00AB": "«", "00BB": "»",
           "201E": "„", "201A": "‚", "2039": "‹", "203A": "›"}  # fmt: skip

# Elements that are lines of their own; inside a list item (NP) they are not: there, as in
# the XHTML's table cells, the item's paragraphs are one line and only a nested list breaks
# it. (VISA and CONSID are items, whose marks end lines already.)
_BLOCKS = (
    "P|ALINEA|TXT|ITEM|LIST|PARAG|PREAMBLE.INIT|PREAMBLE.FINAL|GR.CONSID.INIT|PL.DATE"
    "|SIGNATORY|ROW|TBL|GR.SEQ|CONTENTS|FORMULA|DLIST.ITEM|QUOT.S"
)
_HEADINGS = (
    "TI.ART|STI.ART|DIVISION/TITLE/TI|DIVISION/TITLE/STI|ANNEX/TITLE/TI|ANNEX/TITLE/STI"
    "|GR.SEQ/TITLE/TI|GR.SEQ/TITLE/STI"
)
# The parts of a list item that the XHTML joins with a space; other elements are inline.
_NP_PARTS = "P|ALINEA|TXT|PARAG|QUOT.S|NP|ITEM|NO.P|NO.PARAG|GR.SEQ|TITLE|TI|STI|ROW|CELL"
_QUOTE_CHOICES = "".join(
    f"<xsl:when test=\"@CODE='{code}'\">{char}</xsl:when>" for code, char in _QUOTES.items()
)
# Inline elements read the same in both modes.
_INLINE = f"""
<xsl:template match="HT[@TYPE='UC']"{{mode}}>
  <xsl:value-of select="translate(., '{_LOWER}', '{_UPPER}')"/>
</xsl:template>
<xsl:template match="FT[@TYPE='NUMBER'][string(number(.)) != 'NaN'][not(contains(., '.'))]"
 {{mode}}>
  <xsl:value-of select="translate(format-number(., '#,##0'), ',', ' ')"/>
</xsl:template>
<xsl:template match="QUOT.START|QUOT.END"{{mode}}>
  <xsl:choose>{_QUOTE_CHOICES}<xsl:otherwise>"</xsl:otherwise></xsl:choose>
</xsl:template>
<xsl:template match="NOTE[@NUMBERING='STAR']"{{mode}}><xsl:text> (*)</xsl:text></xsl:template>
<xsl:template match="NOTE"{{mode}}>
  <xsl:value-of select="concat(' (', count(preceding::NOTE[not(@NUMBERING='STAR')]) + 1, ')')"/>
</xsl:template>
<xsl:template match="BIB.INSTANCE|PUBLICATION|TOC|REF.PHYS|IMAGE"{{mode}}/>"""
# Chapters and annexes are numbered by the numeral that ends their title ("CHAPTER III",
# "ANNEX IV"), as their ELI ids are; by their position when the title has none (a sole
# "ANNEX"). The stylesheet puts both in the id ("anx_ANNEX IV~4"); Python picks.
_TITLE_AND_POSITION = (
    "concat('{prefix}_', normalize-space(translate((TITLE/TI/P | TITLE/TI[not(P)])[1],"
    " '\u00a0', ' ')), '~', count(preceding-sibling::{tag}) + 1)"
)


def _item_template(match: str, item_id: str) -> str:
    return f"""
<xsl:template match="{match}">
  <xsl:value-of select="concat('{_ITEM}', {item_id}, '{_ID_END}')"/>
  <xsl:apply-templates/>
  <xsl:value-of select="'{_ITEM}{_ID_END}'"/>
</xsl:template>"""


_CHAPTER = _item_template(
    "ENACTING.TERMS/DIVISION", _TITLE_AND_POSITION.format(prefix="cpt", tag="DIVISION")
)
_ANNEX = _item_template("ANNEX", _TITLE_AND_POSITION.format(prefix="anx", tag="ANNEX"))
_STYLESHEET = f"""\
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
{_INLINE.format(mode="")}
{_INLINE.format(mode=' mode="np"')}
{_item_template("ACT/TITLE", "'tit_1'")}
{_item_template("PREAMBLE", "'pbl_1'")}
{_item_template("VISA", "concat('cit_', count(preceding::VISA) + 1)")}
{_item_template("CONSID", "concat('rct_', count(preceding::CONSID) + 1)")}
{_item_template("ENACTING.TERMS", "'enc_1'")}
{_CHAPTER}
{_item_template("ARTICLE", "concat('art_', @IDENTIFIER)")}
{_item_template("FINAL", "'fnp_1'")}
{_ANNEX}
<xsl:template match="{_HEADINGS}">
  <xsl:for-each select="self::*[not(P)] | P">
    <xsl:value-of select="'{_LINE_END}{_HEADING}'"/><xsl:apply-templates mode="np"/>
    <xsl:value-of select="'{_LINE_END}'"/>
  </xsl:for-each>
</xsl:template>
<xsl:template match="LIST[@TYPE='DASH']/ITEM">
  <xsl:value-of select="'{_LINE_END}—'"/><xsl:apply-templates mode="np"/>
  <xsl:value-of select="'{_LINE_END}'"/>
</xsl:template>
<xsl:template match="{_BLOCKS}">
  <xsl:value-of select="'{_LINE_END}'"/><xsl:apply-templates/><xsl:value-of select="'{_LINE_END}'"/>
</xsl:template>
<xsl:template match="NO.PARAG">
  <xsl:value-of select="'{_LINE_END}'"/><xsl:apply-templates/><xsl:value-of select="'{_GLUE}'"/>
</xsl:template>
<xsl:template match="NP">
  <xsl:value-of select="'{_LINE_END}'"/><xsl:apply-templates mode="np"/>
  <xsl:value-of select="'{_LINE_END}'"/>
</xsl:template>
<xsl:template match="CELL"><xsl:text> </xsl:text><xsl:apply-templates mode="np"/></xsl:template>
<xsl:template match="{_NP_PARTS}" mode="np">
  <xsl:text> </xsl:text><xsl:apply-templates mode="np"/>
</xsl:template>
<xsl:template match="LIST|TBL" mode="np">
  <xsl:value-of select="'{_LINE_END}'"/><xsl:apply-templates/><xsl:value-of select="'{_LINE_END}'"/>
</xsl:template>
</xsl:stylesheet>
"""
_STYLESHEET_DOC = etree.XML(_STYLESHEET)
_NO_ACCESS = etree.XSLTAccessControl.DENY_ALL  # type: ignore[attr-defined]
_THREAD = threading.local()
_SPACES = re.compile(r"[ \t\r\n]+")
_GLUED = re.compile(f"{_GLUE}[ {_LINE_END}]*")
_NUMBERED_ID = re.compile(r"^(art)_0*(\d\w*)$")


def parse_formex(content: bytes, context: ParseContext) -> Document:
    """Return the act's items, keyed as the XHTML parser keys them.

    Raises ``ParseError`` when the bytes are not well-formed XML, hold no Formex ``ACT``, or
    are another language version than ``options.language``.
    """
    root = _root(content, context.url)
    _check_language(root, context)
    try:
        marked = _SPACES.sub(" ", str(_to_text()(root)))
    except etree.XSLTApplyError as exc:  # e.g. libxslt's recursion limit on a freak title
        raise ParseError(f"cannot read the Formex act at {context.url}: {exc}") from exc
    marked = _GLUED.sub(" ", marked)
    lines_by_id = {_key(el_id): lines for el_id, lines in _lines_by_id(marked).items()}
    page = urldefrag(context.url).url
    items = [
        item
        for el_id, lines in lines_by_id.items()
        if (item := _item(el_id, lines, page, context)) is not None
    ]
    title = " ".join(line.lstrip(_HEADING + " ") for line in lines_by_id.get("tit_1", []))
    logger.debug("parsed Formex act %s: %d items", context.url, len(items))
    return Document(kind=DocumentKind.PAGE, items=tuple(items), title=title)


def _root(content: bytes, url: str) -> etree._Element:
    # Formex comes from outside: no DTD, no entities, no network.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(content, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"not well-formed Formex XML at {url}: {exc}") from exc
    if root.tag != "ACT" and root.find("ACT") is None:
        raise ParseError(
            f"no Formex ACT at {url}: the root element is <{root.tag}>, expected <ACT> or a "
            "package holding one (an HTML error page?)"
        )
    return root


def _check_language(root: etree._Element, context: ParseContext) -> None:
    found = root.xpath("//ACT/BIB.INSTANCE/LG.DOC/text()")
    languages = {str(lg).strip().lower() for lg in found} if isinstance(found, list) else set()
    wanted = (context.options.language or "").lower()
    if wanted and languages and wanted not in languages:
        raise ParseError(
            f"the act at {context.url} is the {', '.join(sorted(languages))!r} version, "
            f"expected {wanted!r}"
        )


def _to_text() -> etree.XSLT:
    """This thread's compiled stylesheet (lxml objects are safest used by one thread)."""
    transform: etree.XSLT | None = getattr(_THREAD, "to_text", None)
    if transform is None:
        transform = _THREAD.to_text = etree.XSLT(_STYLESHEET_DOC, access_control=_NO_ACCESS)
    return transform


def _key(el_id: str) -> str:
    """The item key of a stylesheet id: art_004 -> art_4, "cpt_CHAPTER III~3" -> cpt_III, and
    a title without a numeral gives the position: "anx_ANNEX~1" -> anx_1."""
    match = _NUMBERED_ID.match(el_id)
    if match:
        return f"{match[1]}_{match[2]}"
    head, tilde, position = el_id.rpartition("~")
    if not tilde:
        return el_id
    prefix, _, title = head.partition("_")
    numeral = title.rsplit(" ", 1)[-1]
    return f"{prefix}_{numeral if _ROMAN.match(numeral) or numeral.isdigit() else position}"
