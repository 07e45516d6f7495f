"""Recognise the headings EU documents are cut by: "Article 5", "ANNEX III", "CHAPTER II",
"SECTION 2", "Commitment 1", "Measure 1.1", "Part A", roman and decimal numbered headings
("II. Objective", "2.3. Scope"), and the recitals of an act's preamble ("(12) ...").

A heading must be a whole line or paragraph of its own: "Article 5" alone, or with a title
after a separator ("Article 5 – Prohibited AI practices"); a sentence that merely starts
with "Article 5 AI Act requires" is text. Numbered headings are short, start their title
with a capital and do not end like a sentence, so numbered paragraphs of an article
("1. The following AI practices shall be prohibited:") stay text. Lines of a table of
contents (dot leaders, a page number at the end) are never headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Rank: how high a heading stands (lower is higher), to say which heading holds which.
_KEYWORDS: dict[str, tuple[str, int]] = {
    "annex": ("annex", 1), "appendix": ("annex", 1), "part": ("part", 2),
    "title": ("title_part", 3), "chapter": ("chapter", 4), "commitment": ("commitment", 4),
    "section": ("section", 5), "measure": ("measure", 6), "article": ("article", 7),
}  # fmt: skip
_LABELS = {
    "annex": "Annex",
    "appendix": "Appendix",
    "part": "Part",
    "title": "Title",
    "chapter": "Chapter",
    "commitment": "Commitment",
    "section": "Section",
    "measure": "Measure",
    "article": "Article",
}
_NUMBER = r"(?:[0-9]+[a-z]?|[IVXLC]+|[A-Z])(?:\.(?:[0-9]+[a-z]?|[IVXLC]+))*"
_KEYWORD = re.compile(
    r"^(?P<word>article|annex|appendix|part|title|chapter|section|commitment|measure)"
    rf"\s+(?P<number>{_NUMBER})(?:(?P<sep>\.|\s*[:–—-])?\s+(?P<title>\S.*))?$",
    re.IGNORECASE,
)
_NUMBERED = re.compile(
    r"^(?P<number>[IVXLC]+|[0-9]{1,2}(?:\.[0-9]{1,2}){0,4})(?P<dot>\.?)"
    r"\s+(?P<title>[A-Z‘'\"“(][^\n]*)$"
)
_RECITAL = re.compile(r"^\((?P<number>[0-9]{1,3})\)\s+\S")
DOT_LEADERS = re.compile(r"(?:\.{4,}|…{2,}|\s\.\s\.\s)\s*\d*\s*$")
_PAGE_NUMBER = re.compile(r"\s\d{1,3}$")  # a title that ends in one is a contents line
_SENTENCE_END = re.compile(r"[.,;:]$")
_MAX_HEADING_CHARS = 160
_MAX_NUMBERED_CHARS = 140
_MAX_NUMBERED_WORDS = 20
_TITLE_CHARS = 200


@dataclass(frozen=True, kw_only=True, slots=True)
class Heading:
    """A recognised heading: ``label`` "Article 5", ``title`` "Prohibited AI practices"
    (empty when the title is on the next line, or there is none)."""

    kind: str
    number: str
    label: str
    title: str
    rank: int


def heading_in(line: str, *, short: bool = True, level: int = 0) -> Heading | None:
    """The heading ``line`` is, or None. ``short``: the line does not fill the text width
    (a PDF line); ``level``: the heading level the file declares for it (Word, ODT)."""
    if len(line) > _MAX_HEADING_CHARS or DOT_LEADERS.search(line):
        return _styled(line, level)
    keyword = _keyword(line)
    if keyword is not None and (short or level or not keyword.title):
        return keyword
    found = _numbered(line) if short or level else None
    return found or _styled(line, level)


def is_title_line(text: str) -> bool:
    """Whether a line can be the title under a bare heading ("Article 5" / "Prohibited AI
    practices"): short, capitalised, not ending like a sentence, not a heading or a point."""
    return (
        len(text) <= _TITLE_CHARS
        and text[:1].isupper()
        and not _SENTENCE_END.search(text)
        and heading_in(text) is None
        and recital_in(text) is None
    )


def recital_in(line: str) -> str | None:
    """The number of the recital ``line`` starts, "(12) The ...", or None."""
    match = _RECITAL.match(line)
    return match.group("number") if match else None


def _keyword(line: str) -> Heading | None:
    match = _KEYWORD.match(line)
    if match is None:
        return None
    word, number, title = match.group("word"), match.group("number"), match.group("title")
    if word.islower() or (word[0].islower()):
        return None  # "article 5 of ..." in running text
    if title and (
        _PAGE_NUMBER.search(title) or not match.group("sep") and not _titled(word, title)
    ):
        return None
    if word.lower() == "title" and not re.fullmatch(r"[IVXLC]+", number):
        return None  # "Title 3 ..." is rarely a heading; the acts' TITLE I is
    kind, rank = _KEYWORDS[word.lower()]
    label = f"{_LABELS[word.lower()]} {number}"
    return Heading(kind=kind, number=number, label=label, title=(title or "").strip(), rank=rank)


def _titled(word: str, title: str) -> bool:
    """Whether a title follows a keyword heading without a separator ("Measure 1.1 Drawing
    up ..."): never for an article (acts put the title on the next line; "Article 5 AI Act
    requires" is a sentence), else when it starts with a capital and ends unlike a sentence."""
    if word.lower() == "article":
        return False
    return title[:1].isupper() and not _SENTENCE_END.search(title)


def _numbered(line: str) -> Heading | None:
    match = _NUMBERED.match(line)
    if match is None or len(line) > _MAX_NUMBERED_CHARS or _SENTENCE_END.search(line):
        return None
    number, title = match.group("number"), match.group("title").strip()
    if "." not in number and not match.group("dot"):
        return None  # "4 For an overview ..." is a footnote, "13 March 2024" a date
    if (
        len(title.split()) > _MAX_NUMBERED_WORDS
        or not any(c.isalpha() for c in title)
        or _PAGE_NUMBER.search(title)
    ):
        return None
    roman = bool(re.fullmatch(r"[IVXLC]+", number))
    rank = 2 if roman else 3 + number.count(".")
    return Heading(kind="heading", number=number, label=number, title=title, rank=rank)


def _styled(line: str, level: int) -> Heading | None:
    """A paragraph the file marks as a heading (Word's "Heading 2"), labelled by its text."""
    if not level or not line:
        return None
    text = " ".join(line.split())[:_MAX_HEADING_CHARS]
    return Heading(kind="heading", number="", label=text, title="", rank=2 + level)
