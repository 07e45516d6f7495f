"""What a document reader hands to the structure: paragraphs with the page they start on.

The readers (``pdf``, ``word``, ``odt``) run in a separate process (``isolate``), so these
values also travel as JSON between the two (``to_json``/``from_json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.errors import ParseError

# How much of a document lexwatch reads. A PDF under the download limit can still hold tens of
# thousands of pages or compress a hundred million characters of text; past these the check
# fails with the reason before the text is split and compared.
MAX_PAGES = 5_000
MAX_CHARS = 20_000_000
# A PDF whose pages hold fewer than this many characters on average has no text layer (a scan).
MIN_CHARS_PER_PAGE = 20


@dataclass(frozen=True, kw_only=True, slots=True)
class Paragraph:
    """One paragraph of text; ``level`` is the heading level the file itself declares (a Word
    or OpenDocument heading style, 1 the highest), 0 for body text or where it cannot say;
    ``contents``: a line of a table of contents, which names headings but is none."""

    page: int
    text: str
    level: int = 0
    contents: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Extracted:
    """A document's text: its kind (pdf, docx, odt), title, page count and paragraphs.

    ``lines``: the paragraphs are a PDF's lines, still to be joined into paragraphs; ``paged``:
    the page numbers come from the file (a PDF's pages, the page breaks Word or LibreOffice
    recorded), not only from explicit page breaks.
    """

    format: str
    title: str
    pages: int
    paragraphs: tuple[Paragraph, ...]
    language: str = ""
    lines: bool = False


def to_json(extracted: Extracted) -> dict[str, Any]:
    return {
        "format": extracted.format,
        "title": extracted.title,
        "pages": extracted.pages,
        "language": extracted.language,
        "lines": extracted.lines,
        "paragraphs": [[p.page, p.level, p.text] for p in extracted.paragraphs],
    }


def from_json(data: dict[str, Any]) -> Extracted:
    """The Extracted a worker wrote; ParseError for anything else."""
    try:
        paragraphs = tuple(
            Paragraph(page=int(page), level=int(level), text=str(text))
            for page, level, text in data["paragraphs"]
        )
        return Extracted(
            format=str(data["format"]),
            title=str(data["title"]),
            pages=int(data["pages"]),
            paragraphs=paragraphs,
            language=str(data.get("language", "")),
            lines=bool(data["lines"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"the document reader answered something unexpected: {exc!r}") from exc


def check_size(pages: int, chars: int) -> None:
    """ParseError once a document has more pages or characters than lexwatch reads."""
    if pages > MAX_PAGES:
        raise ParseError(
            f"the document has {pages:,} pages, over the limit of {MAX_PAGES:,}"
            " pages lexwatch reads; nothing was stored"
        )
    if chars > MAX_CHARS:
        raise ParseError(
            f"the document holds more than {MAX_CHARS:,} characters of text, over"
            " the limit lexwatch reads; nothing was stored"
        )
