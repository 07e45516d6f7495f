"""Turn a PDF's lines back into paragraphs, without its running headers and footers.

A PDF has no paragraphs, only lines placed on pages; how a paragraph wraps depends on the
layout (the Parliament's 459 pages and the Official Journal's 144 wrap the same act
differently). Diffing lines would turn one inserted word into a dozen changed lines, so lines
are joined back: a paragraph ends at a short line, before a line that starts a point ("(a)",
"1.", "–") or a heading, and never before a line that starts in lower case. Lines repeated at
the top or bottom of many pages (running headers, footers, page numbers) are dropped, and the
superscript markers of footnotes that PDF text puts on lines of their own are glued back.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from sources.normalise import normalise_line
from sources.parsers.documents.headings import (
    DOT_LEADERS,
    heading_in,
    is_title_line,
    recital_in,
)
from sources.parsers.documents.model import Paragraph

_EDGE = 4  # lines at the top and the bottom of a page that may be running headers
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER_LINE = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
# A footnote marker or its brackets alone on a line: "(", "1", ")," glue to the line before.
_MARKER_PIECE = re.compile(r"^(?:\d{1,3}\)?[,.;:]*|\)[,.;:]*)$")
# A line cut short by a superscript footnote number ("... in the Union.2"): PDF text ends the
# line at the superscript, and the rest of the printed line comes as the next line.
_CUT_AT_MARKER = re.compile(r"[^\d\s/-]\d{1,3}$")
_GLUES_LEFT = re.compile(r"^[,.;:)\]]")
_POINT = re.compile(r"^(?:\((?:[a-z]{1,4}|\d{1,3})\)|\d{1,2}(?:\.\d{1,2})*\.|[a-z]\)|[–—•▪◦●-])\s")
_ENDS_SENTENCE = re.compile(r"[.;:!?][’'\"”)]?$")
_SHORT = 0.8  # a line shorter than this share of the usual width ends its paragraph


def paragraphs_of(lines: Sequence[Paragraph]) -> list[Paragraph]:
    """The paragraphs of a PDF's lines (each line with its page), in reading order."""
    pages = _by_page(lines)
    repeated = _running_lines(pages)
    kept = [line for page in pages for line in _marked_contents(_without_running(page, repeated))]
    joined = _glue_markers(kept)
    return list(_join(joined, _usual_width(joined)))


def _by_page(lines: Sequence[Paragraph]) -> list[list[Paragraph]]:
    pages: dict[int, list[Paragraph]] = {}
    for line in lines:
        text = normalise_line(line.text)
        if text:
            pages.setdefault(line.page, []).append(Paragraph(page=line.page, text=text))
    return [pages[number] for number in sorted(pages)]


def _fold(text: str) -> str:
    return _DIGITS.sub("#", text)


def _running_lines(pages: Sequence[Sequence[Paragraph]]) -> frozenset[str]:
    """Lines (digits folded) seen at a page's edge on at least 3 pages and 30% of them."""
    if len(pages) < 3:
        return frozenset()
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_fold(line.text) for line in (*page[:_EDGE], *page[-_EDGE:])})
    floor = max(3, int(0.3 * len(pages)))
    return frozenset(text for text, count in seen.items() if count >= floor)


def _without_running(page: Sequence[Paragraph], repeated: frozenset[str]) -> list[Paragraph]:
    """The page without its running lines: at its edges, and anywhere for long ones (the
    Official Journal sets page 1's footer above the footnotes)."""
    edge = set(range(min(_EDGE, len(page)))) | set(range(max(0, len(page) - _EDGE), len(page)))
    return [
        line
        for index, line in enumerate(page)
        if not (
            _fold(line.text) in repeated
            and (index in edge or len(line.text) > 15)
            or index in edge
            and _PAGE_NUMBER_LINE.match(line.text)
        )
    ]


def _marked_contents(page: list[Paragraph]) -> list[Paragraph]:
    """A page of a table of contents (many lines ending in dot leaders) has no headings."""
    leaders = sum(1 for line in page if DOT_LEADERS.search(line.text))
    if leaders < 5 and leaders * 3 < len(page):
        return page
    return [Paragraph(page=line.page, text=line.text, contents=True) for line in page]


def _glue_markers(lines: Iterable[Paragraph]) -> list[Paragraph]:
    """Footnote markers set as superscripts come out as lines of their own: "(", "1", "),"."""
    glued: list[Paragraph] = []
    for line in lines:
        if glued and (
            _MARKER_PIECE.match(line.text)
            or _GLUES_LEFT.match(line.text)
            or glued[-1].text.endswith("(")
        ):
            last = glued[-1]
            glued[-1] = Paragraph(
                page=last.page, text=last.text + line.text, contents=last.contents
            )
        else:
            glued.append(line)
    return glued


def _usual_width(lines: Sequence[Paragraph]) -> int:
    """The width of a full line, in characters: the 90th percentile of the longer lines."""
    widths = sorted(len(line.text) for line in lines if len(line.text) > 20)
    return widths[int(0.9 * (len(widths) - 1))] if widths else 80


def _join(lines: Sequence[Paragraph], width: int) -> Iterable[Paragraph]:
    current: list[Paragraph] = []
    carried = 0  # the printed line's part before a superscript cut it
    for index, line in enumerate(lines):
        current.append(line)
        following = lines[index + 1] if index + 1 < len(lines) else None
        if following is None or _ends_paragraph(
            line, following, lines[index + 2 : index + 3], width, carried
        ):
            yield Paragraph(
                page=current[0].page,
                text=" ".join(p.text for p in current),
                contents=current[0].contents,
            )
            current = []
        cut = following is not None and _CUT_AT_MARKER.search(line.text) is not None
        carried = carried + len(line.text) if cut else 0


def _ends_paragraph(
    line: Paragraph, following: Paragraph, after: Sequence[Paragraph], width: int, carried: int
) -> bool:
    """Whether a paragraph ends after ``line`` (``after``: the line after ``following``)."""
    short = carried + len(line.text) < _SHORT * width
    if line.contents:
        return DOT_LEADERS.search(line.text) is not None or following.contents is False
    if _stands_alone(line, short):
        # A heading's title can wrap: "3.3. Main components ... – harmful" / "exploitation of
        # vulnerabilities".
        return not (following.text[:1].islower() and len(following.text) < _SHORT * width)
    if _opens_part(line, following, after, short, width):
        return True
    if following.text[:1].islower():
        return False
    if short and _CUT_AT_MARKER.search(line.text):
        return False
    if _POINT.match(following.text) or recital_in(following.text):
        return True
    return short or (_ENDS_SENTENCE.search(line.text) is not None and len(line.text) < width)


def _stands_alone(line: Paragraph, short: bool) -> bool:
    return not line.contents and heading_in(line.text, short=short) is not None


def _opens_part(
    line: Paragraph, following: Paragraph, after: Sequence[Paragraph], short: bool, width: int
) -> bool:
    """Whether ``following`` is a heading. A bare "Article 49" is one after a line that ends a
    paragraph, or when a title follows it; after "... in accordance with" and before
    "Section A — ..." it is the end of a sentence."""
    ahead = (
        None
        if following.contents
        else heading_in(following.text, short=len(following.text) < _SHORT * width)
    )
    if ahead is None:
        return False
    return (
        bool(ahead.title)
        or short
        or _ENDS_SENTENCE.search(line.text) is not None
        or (bool(after) and is_title_line(after[0].text))
    )
