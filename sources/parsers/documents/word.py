"""A Word (DOCX) document's paragraphs and table rows, read with python-docx.

python-docx (MIT, maintained, on lxml) gives the body in order, paragraphs and tables, with
each paragraph's style, so a "Heading 2" is known as a heading even where its number is only
Word's automatic numbering. Pages: Word records where it last broke pages when it saved
(``w:lastRenderedPageBreak``); where it did not (files written by other programs), only the
explicit page breaks count. The package is checked for decompression bombs first.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
from docx.document import Document as WordDocument
from docx.table import Table
from docx.text.paragraph import Paragraph as WordParagraph

from monitor.errors import ParseError
from sources.normalise import normalise_line
from sources.parsers.documents.model import Extracted, Paragraph, check_size

_HEADING_STYLE = re.compile(r"^(?:heading|berschrift|titre)\s*(\d)$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RENDERED = f"{_W}lastRenderedPageBreak"
_BREAK = f"{_W}br"
_TEXT = f"{_W}t"


def read_docx(content: bytes) -> Extracted:
    """The body's paragraphs and table rows, each with its page and heading level."""
    try:
        document = docx.Document(io.BytesIO(content))
    except (ParseError, MemoryError, RecursionError):
        raise
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors, ...
        raise ParseError(f"the Word document is damaged: {type(exc).__name__}: {exc}") from exc
    rendered = any(True for _ in document.element.body.iter(_RENDERED))
    levels = _style_levels(document)
    paragraphs: list[Paragraph] = []
    page, chars = 1, 0
    for block, (before, within) in _blocks(document, rendered, levels):
        page += before
        if block.text:
            paragraphs.append(Paragraph(page=page, text=block.text, level=block.level))
            chars += len(block.text)
            check_size(page, chars)
        page += within
    core = document.core_properties
    return Extracted(
        format="docx",
        title=normalise_line(core.title or ""),
        pages=page,
        paragraphs=tuple(paragraphs),
        language=(core.language or "")[:2].lower(),
    )


Breaks = tuple[int, int]  # page breaks before a paragraph's text, and within or after it


def _blocks(
    document: WordDocument, rendered: bool, levels: dict[str, int]
) -> Iterator[tuple[Paragraph, Breaks]]:
    """Each paragraph or table row, with its page breaks."""
    for part in document.iter_inner_content():
        if isinstance(part, Table):
            yield from _rows(part, rendered)
        else:
            yield _paragraph(part, levels), _breaks(part, rendered)


def _paragraph(paragraph: WordParagraph, levels: dict[str, int]) -> Paragraph:
    # The style's id, looked up once per style: python-docx resolves a paragraph's style by
    # scanning every style, which made a 1,000-section file take seconds.
    style = paragraph._p.style
    level = levels.get(style, 0) if style else 0
    return Paragraph(page=0, text=normalise_line(paragraph.text), level=level)


def _rows(table: Table, rendered: bool) -> Iterator[tuple[Paragraph, Breaks]]:
    """A table row is one line: its cells' text joined by " | " (merged cells once)."""
    for row in table.rows:
        cells: list[str] = []
        within = 0
        for cell in row.cells:
            text = normalise_line(" ".join(p.text for p in cell.paragraphs))
            within += sum(sum(_breaks(p, rendered)) for p in cell.paragraphs)
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        yield Paragraph(page=0, text=" | ".join(cells)), (0, within)


def _breaks(paragraph: WordParagraph, rendered: bool) -> Breaks:
    """The page breaks before the paragraph's first text, and those after it."""
    before = 1 if not rendered and paragraph.paragraph_format.page_break_before else 0
    within, seen_text = 0, False
    for element in paragraph._p.iter(_RENDERED, _BREAK, _TEXT):
        if element.tag == _TEXT:
            seen_text = seen_text or bool(element.text and element.text.strip())
        elif element.tag == (_RENDERED if rendered else _BREAK) and (
            rendered or element.get(f"{_W}type") == "page"
        ):
            if seen_text:
                within += 1
            else:
                before += 1
    return before, within


def _style_levels(document: WordDocument) -> dict[str, int]:
    """Each paragraph style's heading level ("Heading 2": 2; "Title": 1), by style id."""
    levels: dict[str, int] = {}
    for style in document.styles:
        try:
            name, style_id = (style.name or "").strip(), style.style_id
        except (KeyError, ValueError, AttributeError):
            continue
        match = _HEADING_STYLE.match(name)
        level = 1 if name.lower() == "title" else int(match.group(1)) if match else 0
        if level and style_id:
            levels[style_id] = level
    return levels
