"""A PDF's text, line by line and page by page, read with pypdfium2 (PDFium, BSD/Apache).

Runs inside the document worker (``isolate``): PDFium is C++ reading untrusted bytes, so a
crash, a runaway page or a memory blow-up ends that process, never lexwatch.
"""

from __future__ import annotations

import unicodedata

import pypdfium2 as pdfium

from monitor.errors import ParseError
from sources.parsers.documents.model import (
    MIN_CHARS_PER_PAGE,
    Extracted,
    Paragraph,
    check_size,
)

# PDFium marks a hyphen where it joined a word broken across two lines with U+FFFE; EU
# documents break lines at the hyphens of compounds ("post-deployment", "large-scale").
_JOINED_HYPHEN = "\ufffe"
# Control characters PDFium passes through from broken font maps (STX for a hyphen, ...).
_CONTROLS: dict[int, str | None] = {code: None for code in range(32) if chr(code) not in "\n\r\t"}
_CONTROLS[2] = "-"


def read_pdf(content: bytes) -> Extracted:
    """Every page's lines; ParseError for an encrypted, damaged or image-only (scanned) PDF."""
    document = _open(content)
    try:
        pages = len(document)
        check_size(pages, 0)
        lines: list[Paragraph] = []
        chars = 0
        for index in range(pages):
            text = _page_text(document, index)
            chars += len(text)
            check_size(pages, chars)
            lines.extend(
                Paragraph(page=index + 1, text=line) for line in text.splitlines() if line.strip()
            )
        _check_text_layer(pages, lines)
        return Extracted(
            format="pdf", title=_title(document), pages=pages, paragraphs=tuple(lines), lines=True
        )
    finally:
        document.close()


def _open(content: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(content)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise ParseError(
                "the PDF is encrypted: it needs a password to open, so lexwatch"
                " cannot read its text"
            ) from exc
        if "security" in message.lower():
            raise ParseError(f"the PDF uses an unsupported encryption scheme ({message})") from exc
        raise ParseError(f"the PDF is damaged: PDFium cannot open it ({message})") from exc


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    try:
        page = document[index]
    except pdfium.PdfiumError as exc:
        raise ParseError(f"the PDF is damaged: page {index + 1} cannot be read ({exc})") from exc
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    text = text.replace(_JOINED_HYPHEN, "-").translate(_CONTROLS)
    return unicodedata.normalize("NFKC", text) if _has_compatibility(text) else text


def _has_compatibility(text: str) -> bool:
    """Ligatures (U+FB00..) and full-width forms: folded so that "ﬁ" reads as "fi"."""
    return any("\ufb00" <= char <= "\ufb4f" or "\uff00" <= char <= "\uffef" for char in text)


def _check_text_layer(pages: int, lines: list[Paragraph]) -> None:
    chars = sum(len(line.text.strip()) for line in lines)
    if pages and chars < MIN_CHARS_PER_PAGE * pages:
        raise ParseError(
            f"no text layer: the PDF's {pages} page(s) hold {chars} characters of"
            " text, so it is probably a scan (images of pages); lexwatch does not"
            " read text in images (no OCR)"
        )


def _title(document: pdfium.PdfDocument) -> str:
    """The title the PDF declares, unless it is a file name an editor left there."""
    try:
        title = " ".join(str(document.get_metadata_value("Title")).split())
    except (pdfium.PdfiumError, KeyError):
        return ""
    lowered = title.lower()
    if (
        len(title.split()) < 2
        or lowered.startswith(("microsoft word", "untitled"))
        or (lowered.endswith((".doc", ".docx", ".pdf", ".odt")))
    ):
        return ""
    return title
