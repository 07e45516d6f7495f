"""The ``document`` parser: real EU PDFs, generated Word and ODT files, hostile documents.

Real: the Official Journal's AI Act and the Parliament's text of 13 March 2024 (the same act
laid out on 144 and 459 pages), and a Commission guideline, from ../shared/fixtures/real/pdf.
Hostile: every document that cannot be read is a ParseError that says why (a failed check),
never a document with fewer items (a false change).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.analysis.deadlines import extract_deadlines
from monitor.analysis.diff import diff_documents
from monitor.errors import ParseError
from monitor.types import Document, ParseContext, Source
from sources.parsers.documents import parse_document
from sources.parsers.documents.isolate import WorkerLimits, extract_isolated
from sources.parsers.documents.worker import extract
from tests.documents import (
    code_of_practice,
    encrypted_pdf,
    lying_zip_docx,
    odt_document,
    scanned_pdf,
    word_document,
    zip_bomb_docx,
)

OJ = "EU_AI_Act_Regulation_2024-1689_OJ_L_2024-07-12_EN.pdf"
EP = "EP_position_AI_Act_TA-9-2024-0138_2024-03-13_EN.pdf"
DEFINITION = "EC_Guidelines_AI_system_definition_C2025-5053_2025-07-29.pdf"


def read(
    content: bytes, url: str = "https://example.eu/doc.pdf", content_type: str = ""
) -> Document:
    return parse_document(content, ParseContext(url=url, content_type=content_type))


def real(folder: Path, name: str) -> Document:
    path = folder / "pdf" / name
    if not path.exists():
        pytest.skip(f"{path} is not there (see ../shared/fixtures/real/pdf/PROVENANCE.md)")
    return read(path.read_bytes(), f"https://eur-lex.europa.eu/{name}")


@pytest.fixture(scope="module")
def oj(request: pytest.FixtureRequest) -> Document:
    return real(request.getfixturevalue("real_fixtures_module"), OJ)


@pytest.fixture(scope="module")
def ep(request: pytest.FixtureRequest) -> Document:
    return real(request.getfixturevalue("real_fixtures_module"), EP)


@pytest.fixture(scope="module")
def real_fixtures_module() -> Path:
    from tests.conftest import SHARED

    path = SHARED / "fixtures" / "real"
    if not path.exists():
        pytest.skip(f"{path} is not there: the real EU documents are not available")
    return path


def items(document: Document) -> dict[str, object]:
    return {item.key: item for item in document.items}


# -- the real AI Act, as the Official Journal and the Parliament laid it out ------------------


def kinds(document: Document, kind: str) -> list[str]:
    return [item.fields["number"] for item in document.items if item.fields["kind"] == kind]


@pytest.mark.parametrize("name", [OJ, EP])
def test_the_ai_act_is_read_article_by_article_in_both_layouts(
    name: str, real_fixtures_module: Path
):
    document = real(real_fixtures_module, name)
    assert kinds(document, "article") == [str(n) for n in range(1, 114)]
    assert kinds(document, "recital") == [str(n) for n in range(1, 181)]
    assert kinds(document, "annex") == [
        "I",
        "II",
        "III",
        "IV",
        "V",
        "VI",
        "VII",
        "VIII",
        "IX",
        "X",
        "XI",
        "XII",
        "XIII",
    ]
    keys = [item.key for item in document.items]
    assert len(keys) == len(set(keys))


def test_every_item_keeps_the_pages_it_is_on(oj: Document):
    found = items(oj)
    assert found["Article 5"].title == "Article 5 — Prohibited AI practices"
    assert found["Article 5"].fields["pages"] == "51–53"
    assert found["Article 113"].fields["pages"].startswith("123")
    assert all(item.fields["pages"] for item in oj.items)


def test_running_headers_and_footers_are_not_text(oj: Document):
    text = "\n".join(item.text for item in oj.items if item.key != "(top)")
    assert "ELI: http://data.europa.eu/eli/reg/2024/1689/oj" not in text
    assert "OJ L, 12.7.2024" not in text


def test_the_same_definition_in_two_layouts_is_the_same_paragraph(oj: Document, ep: Document):
    # PROVENANCE.md: Article 3(1) reads the same in both apart from line breaks.
    old, new = items(ep)["Article 3"], items(oj)["Article 3"]
    definition = [line for line in new.text.split("\n") if line.startswith("(1) ‘AI system’")]
    assert definition and definition[0] in old.text.split("\n")


def test_the_version_pair_differs_where_the_lawyer_linguists_edited(oj: Document, ep: Document):
    diffs = {diff.key: diff for diff in diff_documents(ep, oj)}
    article5 = diffs["Article 5"]
    assert article5.title_changed
    assert (article5.old.title, article5.new.title) == (  # type: ignore[union-attr]
        "Article 5 — Prohibited AI Practices",
        "Article 5 — Prohibited AI practices",
    )
    # Same keys on both sides: the diff compares article with article, not a page soup.
    added = [d.key for d in diffs.values() if d.kind.value == "added"]
    assert not [key for key in added if key.startswith(("Article", "Recital"))]


def test_dates_inside_a_document_feed_the_deadlines(oj: Document):
    source = Source(
        key="oj",
        title="AI Act (PDF)",
        url="https://eur-lex.europa.eu/oj.pdf",
        parser="document",
        interval=3600,
    )
    days = {(d.item_key, d.due.date().isoformat()) for d in extract_deadlines(oj, source)}
    assert ("Article 113", "2026-08-02") in days


def test_a_guideline_is_cut_by_its_numbered_headings(real_fixtures_module: Path):
    document = real(real_fixtures_module, DEFINITION)
    assert [item.key for item in document.items] == [
        "(top)",
        "I",
        "II",
        "1",
        "2",
        "3",
        "4",
        "5",
        "5.1",
        "5.2",
        "6",
        "7",
        "III",
    ]
    assert document.title.startswith("Commission Guidelines on the definition of an")
    assert items(document)["1"].title == "1 — Machine-based system"


# -- generated documents -----------------------------------------------------------------------


def test_a_code_of_practice_is_cut_by_commitment_and_measure():
    document = read(code_of_practice())
    assert [(i.key, i.fields["pages"]) for i in document.items] == [
        ("(top)", "1"),
        ("Commitment 1", "2"),
        ("Measure 1.1", "2"),
        ("Measure 1.2", "2"),
        ("Commitment 2", "3"),
        ("Measure 2.1", "3"),
        ("Measure 2.2", "3"),
    ]
    assert document.title == "Second Draft of the General-Purpose AI Code of Practice"


def test_a_word_document_is_read_by_its_heading_styles_and_page_breaks():
    content = word_document(
        "Template for the summary of training content",
        [("General information", "Name of the provider."), ("Article 2 – Data", "Sources.")],
    )
    document = read(content, "https://example.eu/download?id=118119", "application/octet-stream")
    found = items(document)
    assert found["General information"].fields["pages"] == "1"
    assert found["Article 2"].title == "Article 2 — Data"
    assert found["Article 2"].fields["pages"] == "2"
    assert found["Article 2"].text == "Sources."


def test_an_odt_document_is_read_by_its_headings_and_soft_page_breaks():
    document = read(
        odt_document(
            [("Scope", "Who must comply."), ("Measure 1.1 Keeping records", "Keep them ten years.")]
        )
    )
    assert [(i.key, i.fields["pages"], i.text) for i in document.items] == [
        ("Scope", "1", "Who must comply."),
        ("Measure 1.1", "2", "Keep them ten years."),
    ]


def test_the_kind_is_told_by_the_bytes_not_the_name_or_the_type():
    pdf = read(code_of_practice(), "https://example.eu/file.docx", "text/html")
    assert pdf.items[1].key == "Commitment 1"


# -- hostile documents: a failed check with the reason, never fewer items ----------------------


def _cut_short() -> bytes:
    pdf = code_of_practice()
    return pdf[: len(pdf) // 2]


# Each document is made by its test, not when the module is collected: the forged archives
# take seconds to build, and every xdist worker collects every module.
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(encrypted_pdf, "the PDF is encrypted", id="encrypted"),
        pytest.param(_cut_short, "the PDF is damaged", id="cut-short"),
        pytest.param(scanned_pdf, "no text layer", id="scanned"),
        pytest.param(
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "old binary Office file",
            id="doc",
        ),
        pytest.param(
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
            "the Word document is encrypted",
            id="encrypted-docx",
        ),
        pytest.param(zip_bomb_docx, "decompression bomb", id="zip-bomb"),
        pytest.param(lying_zip_docx, "cannot be unpacked", id="forged-size"),
        pytest.param(
            lambda: b"<!DOCTYPE html><html><title>Access denied</title></html>",
            "not a PDF, DOCX or ODT document",
            id="html",
        ),
        pytest.param(
            lambda: b"PK\x03\x04 not really a zip", "the document is damaged", id="bad-zip"
        ),
    ],
)
def test_an_unreadable_document_says_why(make: Callable[[], bytes], reason: str):
    content = make()
    with pytest.raises(ParseError, match=reason):
        read(content)


def test_a_document_over_the_page_limit_is_refused(monkeypatch: pytest.MonkeyPatch):
    from sources.parsers.documents import model

    monkeypatch.setattr(model, "MAX_PAGES", 2)
    with pytest.raises(ParseError, match="3 pages, over the limit of 2"):
        extract(code_of_practice())


def test_a_document_over_the_memory_cap_ends_its_reader_not_lexwatch():
    with pytest.raises(ParseError, match="memory"):
        extract_isolated(
            word_document(
                "Big", [(f"Section {n}", "Text. " * 400) for n in range(400)], page_breaks=False
            ),
            WorkerLimits(memory_mb=30),
        )
