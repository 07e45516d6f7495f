"""Cut a document's paragraphs into items by its own structure, with the pages of each.

Every heading ("Article 5", "Measure 1.1", "2.3. Scope", a Word "Heading 2") starts an item
that runs to the next heading; the text before the first heading is the item "(top)". In the
preamble of an act (after "Whereas:") each recital "(N)" is an item. An item's key is its
heading's label ("Article 5"), qualified by the heading above it when the label repeats
("Chapter III > Section 1"), so it stays the same from one version of a document to the next
and the diff matches "Article 5" with "Article 5". Page numbers are the item's ``pages`` field
("12" or "12–14"): where an item is, not what it says, so the diff never compares them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.types import Item
from sources.parsers.documents.headings import Heading, heading_in, is_title_line, recital_in
from sources.parsers.documents.model import Paragraph

TOP = "(top)"
_WHEREAS = re.compile(r"^whereas\s*:?$", re.IGNORECASE)
_TITLE_LINE_CHARS = 200


@dataclass(kw_only=True, slots=True)
class _Part:
    heading: Heading | None
    parent: str
    first_page: int
    last_page: int
    title: str = ""
    lines: list[str] = field(default_factory=list)


def items_of(paragraphs: Sequence[Paragraph], *, url: str, title: str, lines: bool) -> list[Item]:
    """The items of a document's paragraphs; ``lines``: they came from a PDF (headings are
    recognised only on lines shorter than a full line)."""
    parts = _parts(paragraphs, lines=lines)
    keys = _keys(parts)
    return [
        _item(part, key, url, title)
        for part, key in zip(parts, keys, strict=True)
        if part.lines or part.heading is not None
    ]


def _parts(paragraphs: Sequence[Paragraph], *, lines: bool) -> list[_Part]:
    first = paragraphs[0].page if paragraphs else 1
    parts = [_Part(heading=None, parent="", first_page=first, last_page=first)]
    stack: list[Heading] = []
    recitals, expected = False, 1
    index = 0
    while index < len(paragraphs):
        paragraph = paragraphs[index]
        heading = _heading(paragraph, lines=lines)
        if heading is not None and _in_text(heading, paragraph, stack, paragraphs, index):
            heading = None
        if heading is None and recitals and recital_in(paragraph.text) == str(expected):
            heading = Heading(
                kind="recital", number=str(expected), label=f"Recital {expected}", title="", rank=8
            )
            expected += 1
        if heading is None:
            _add(parts[-1], paragraph)
            recitals = recitals or (len(parts) == 1 and bool(_WHEREAS.match(paragraph.text)))
            index += 1
            continue
        if heading.kind != "recital":
            recitals = False
            stack = [h for h in stack if h.rank < heading.rank]
        part = _Part(
            heading=heading,
            parent=stack[-1].label if stack else "",
            first_page=paragraph.page,
            last_page=paragraph.page,
            title=heading.title,
        )
        if heading.kind == "recital":
            _add(part, paragraph)
        elif not part.title and heading.number and _is_title(paragraphs, index + 1):
            part.title = paragraphs[index + 1].text
            index += 1
        if heading.kind != "recital":
            stack.append(heading)
        parts.append(part)
        index += 1
    return parts


def _heading(paragraph: Paragraph, *, lines: bool) -> Heading | None:
    if paragraph.contents or not (
        lines or paragraph.level or len(paragraph.text) <= _TITLE_LINE_CHARS
    ):
        return None
    return heading_in(paragraph.text, short=True, level=paragraph.level)


def _in_text(
    heading: Heading,
    paragraph: Paragraph,
    stack: Sequence[Heading],
    paragraphs: Sequence[Paragraph],
    index: int,
) -> bool:
    """A heading-like line that is text: a numbered line inside an article (articles have no
    headings, "7. Testing ..." is a point), or a bare "Article 49" without a title after it
    (the end of an annex's title "... in accordance with / Article 49")."""
    if heading.kind == "heading" and not paragraph.level:
        return bool(stack) and stack[-1].kind == "article"
    return heading.kind == "article" and not heading.title and not _is_title(paragraphs, index + 1)


def _is_title(paragraphs: Sequence[Paragraph], index: int) -> bool:
    """Whether the paragraph after a bare heading ("Article 5") is its title."""
    return (
        index < len(paragraphs)
        and not paragraphs[index].level
        and is_title_line(paragraphs[index].text)
    )


def _add(part: _Part, paragraph: Paragraph) -> None:
    part.lines.append(paragraph.text)
    part.last_page = max(part.last_page, paragraph.page)


def _keys(parts: Sequence[_Part]) -> list[str]:
    """Each part's key: its label, "parent > label" where the label repeats, then "#n"."""
    labels = [part.heading.label if part.heading else TOP for part in parts]
    counts = Counter(labels)
    keys = [
        label if counts[label] == 1 or not part.parent else f"{part.parent} > {label}"
        for label, part in zip(labels, parts, strict=True)
    ]
    seen: Counter[str] = Counter()
    unique = []
    for key in keys:
        seen[key] += 1
        unique.append(key if seen[key] == 1 else f"{key} #{seen[key]}")
    return unique


def _item(part: _Part, key: str, url: str, document_title: str) -> Item:
    heading = part.heading
    fields = {"pages": _pages(part.first_page, part.last_page)}
    if heading is None:
        title = document_title or "Beginning of the document"
        fields["kind"] = "preamble"
    else:
        title = f"{heading.label} — {part.title}" if part.title else heading.label
        fields["kind"] = heading.kind
        if heading.number:
            fields["number"] = heading.number
    return Item(key=key, title=title, url=url, text="\n".join(part.lines), fields=fields)


def _pages(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"
