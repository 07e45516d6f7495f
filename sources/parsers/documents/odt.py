"""An OpenDocument text's (ODT) paragraphs, headings and table rows, read from content.xml.

No extra library: an ODT is a ZIP package (read with the bomb checks of ``archive``) whose
``content.xml`` lxml reads with entities, DTDs and the network off. odfpy would add a
dependency that loads the whole package through minidom, slower and with no bounds of its
own. Pages: LibreOffice records where it broke pages when it saved (``text:soft-page-break``).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from lxml import etree

from monitor.errors import ParseError
from sources.normalise import normalise_line
from sources.parsers.documents.archive import read_member
from sources.parsers.documents.model import Extracted, Paragraph, check_size

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DC = "http://purl.org/dc/elements/1.1/"
_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
_P, _H = f"{{{_TEXT}}}p", f"{{{_TEXT}}}h"
_SOFT_BREAK = f"{{{_TEXT}}}soft-page-break"
_ROW, _CELL = f"{{{_TABLE}}}table-row", f"{{{_TABLE}}}table-cell"
_SPACE, _TAB, _LINE = f"{{{_TEXT}}}s", f"{{{_TEXT}}}tab", f"{{{_TEXT}}}line-break"
# Footnote and endnote bodies are read where they are anchored as their citation only.
_NOTE_BODY = f"{{{_TEXT}}}note-body"


def read_odt(archive: zipfile.ZipFile) -> Extracted:
    _refuse_encrypted(archive)
    root = _xml(read_member(archive, "content.xml"), "content.xml")
    body = root.find(f"{{{_OFFICE}}}body/{{{_OFFICE}}}text")
    if body is None:
        raise ParseError("the OpenDocument file has no text body (office:text)")
    paragraphs: list[Paragraph] = []
    page, chars = 1, 0
    for kind, value, level in _walk(body):
        if kind == "break":
            page += 1
            continue
        text = normalise_line(value)
        if text:
            paragraphs.append(Paragraph(page=page, text=text, level=level))
            chars += len(text)
            check_size(page, chars)
    title, language = _meta(archive)
    return Extracted(
        format="odt", title=title, pages=page, paragraphs=tuple(paragraphs), language=language
    )


def _refuse_encrypted(archive: zipfile.ZipFile) -> None:
    if "META-INF/manifest.xml" not in archive.namelist():
        return
    manifest = read_member(archive, "META-INF/manifest.xml")
    if f"{{{_MANIFEST}}}encryption-data".encode() in manifest or b"encryption-data" in manifest:
        raise ParseError(
            "the OpenDocument file is encrypted: it needs a password to open, so"
            " lexwatch cannot read its text"
        )


def _xml(content: bytes, name: str) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"the OpenDocument file is damaged: {name} is not XML ({exc})") from exc


Walked = tuple[str, str, int]  # ("text", text, heading level) or ("break", "", 0)


def _walk(element: etree._Element) -> Iterator[Walked]:
    """The body in order: each paragraph, heading and table row, and each page break."""
    for child in element:
        tag = child.tag
        if tag == _SOFT_BREAK:
            yield "break", "", 0
        elif tag in (_P, _H):
            breaks = sum(1 for _ in child.iter(_SOFT_BREAK))
            level = int(child.get(f"{{{_TEXT}}}outline-level", "1") or 1) if tag == _H else 0
            yield "text", _text_of(child), level
            for _ in range(breaks):
                yield "break", "", 0
        elif tag == _ROW:
            cells = [normalise_line(_text_of(cell)) for cell in child.iter(_CELL)]
            yield "text", " | ".join(cell for cell in cells if cell), 0
            yield from (("break", "", 0) for _ in child.iter(_SOFT_BREAK))
        elif isinstance(tag, str):
            yield from _walk(child)


def _text_of(element: etree._Element) -> str:
    """The element's text: spans, spaces (text:s), tabs and line breaks; no note bodies."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag in (_SPACE, _TAB, _LINE):
            parts.append(" ")
        elif child.tag == _P:  # a paragraph inside a cell or a frame
            parts.append(" " + _text_of(child) + " ")
        elif child.tag != _NOTE_BODY and isinstance(child.tag, str):
            parts.append(_text_of(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _meta(archive: zipfile.ZipFile) -> tuple[str, str]:
    if "meta.xml" not in archive.namelist():
        return "", ""
    root = _xml(read_member(archive, "meta.xml"), "meta.xml")
    title = root.findtext(f".//{{{_DC}}}title") or ""
    language = root.findtext(f".//{{{_DC}}}language") or ""
    return normalise_line(title), language[:2].lower()
