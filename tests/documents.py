"""Documents built in the tests: PDF (fpdf2), Word (python-docx) and ODT files, hostile ones.

A code of practice in versions, as the AI Office publishes them: commitments and measures,
each on its own page, so a test can say which page an item is on. ``code_of_practice`` takes
the measures' text, so two calls make a version pair that differs where the test says.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import docx
from fpdf import FPDF

# Measure number -> its text; a version pair differs in a few of them.
MEASURES: Mapping[str, str] = {
    "1.1": "Signatories shall draw up and keep up to date model documentation for each"
    " general-purpose AI model they place on the market.",
    "1.2": "Signatories shall provide the documentation to downstream providers within"
    " 14 days of a request.",
    "2.1": "Signatories shall put in place a copyright policy and keep it up to date.",
    "2.2": "Signatories shall respect machine-readable reservations of rights when they"
    " crawl the web.",
}
COMMITMENTS = {"1": "Documentation", "2": "Copyright"}
INTRO = (
    "This Code of Practice helps providers of general-purpose AI models to comply with"
    " their obligations under Articles 53 and 55 of the AI Act."
)


_CREATED = datetime(2025, 3, 11, 12, 0, tzinfo=UTC)  # fixed, so one text makes one file


def _new_pdf() -> FPDF:
    pdf = FPDF()
    pdf.set_creation_date(_CREATED)
    return pdf


def code_of_practice(
    title: str = "Second Draft of the General-Purpose AI Code of Practice",
    measures: Mapping[str, str] = MEASURES,
    *,
    extra: str = "",
) -> bytes:
    """A PDF: a title page, then each commitment and its measures, one commitment a page."""
    pdf = _new_pdf()
    pdf.set_title(title)
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    _line(pdf, title, bold=True)
    _paragraph(pdf, INTRO)
    if extra:
        _paragraph(pdf, extra)
    for number, name in COMMITMENTS.items():
        pdf.add_page()
        _line(pdf, f"Commitment {number} {name}", bold=True)
        for measure, text in measures.items():
            if measure.split(".")[0] == number:
                _line(pdf, f"Measure {measure} {name} measure", bold=True)
                _paragraph(pdf, text)
    return bytes(pdf.output())


def scanned_pdf(pages: int = 3) -> bytes:
    """Pages with a drawing and no text at all, as a scan is (images, no text layer)."""
    pdf = _new_pdf()
    for _ in range(pages):
        pdf.add_page()
        pdf.rect(20, 20, 170, 250, style="F")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    pdf = _new_pdf()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    _paragraph(pdf, INTRO)
    return bytes(pdf.output())


def _line(pdf: FPDF, text: str, *, bold: bool = False) -> None:
    pdf.set_font("helvetica", style="B" if bold else "", size=11)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def word_document(
    title: str, sections: Sequence[tuple[str, str]], *, page_breaks: bool = True
) -> bytes:
    """A DOCX: a title, then (heading, text) sections as "Heading 1" and body paragraphs,
    each section after a page break."""
    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=0)
    for index, (heading, text) in enumerate(sections):
        if page_breaks and index:
            document.add_page_break()  # type: ignore[no-untyped-call]
        document.add_heading(heading, level=1)
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
)


def odt_document(sections: Sequence[tuple[str, str]]) -> bytes:
    """An ODT: (heading, text) sections, a soft page break before each but the first."""
    body = "".join(
        (
            ("<text:soft-page-break/>" if index else "")
            + f'<text:h text:outline-level="1">{heading}</text:h><text:p>{text}</text:p>'
        )
        for index, (heading, text) in enumerate(sections)
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODT_NS}>'
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    return _package(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": content.encode()}
    )


def _package(members: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb_docx(size: int = 250_000_000) -> bytes:
    """A DOCX whose document.xml declares and holds ``size`` bytes of zeros (a few MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * 1_000_000
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def lying_zip_docx() -> bytes:
    """A DOCX whose document.xml declares 100 bytes but inflates to 500 MB (a forged size)."""
    honest = zip_bomb_docx(500_000_000)
    return _forge_size(honest, "word/document.xml", 100)


def _forge_size(content: bytes, name: str, size: int) -> bytes:
    """Rewrite a member's declared uncompressed size in its local and central headers."""
    data = bytearray(content)
    encoded = name.encode()
    at = data.find(b"PK\x01\x02" + b"")
    while at >= 0:
        name_length = int.from_bytes(data[at + 28 : at + 30], "little")
        if bytes(data[at + 46 : at + 46 + name_length]) == encoded:
            data[at + 24 : at + 28] = size.to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)
