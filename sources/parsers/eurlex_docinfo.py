"""EUR-Lex document-information ("ALL") page of an act: its identity and its relations.

``https://eur-lex.europa.eu/legal-content/EN/ALL/?uri=CELEX:32024R1689`` shows the act's
title and OJ reference, its dates ("Date of document", "Date of effect", "Date of end of
validity"), and the "Relationship between documents" table: one row per relation
("Modifies", "Amended by", "Corrected by", …) with the related act's CELEX number.

The page becomes ONE item, keyed by the act's CELEX number, whose text is every line of the
page's facts and whose fields are the act's identity and its relations, so that a new
corrigendum, amendment or consolidated version is a change of one named field:

* ``celex``, ``oj_date``, ``eli``, ``document_date``, ``date_of_effect``, ``end_of_validity``,
  ``in_force`` ("true"/"false");
* ``corrected_by``, ``amended_by``, ``modifies``, … (one field per relation, the label in
  snake case; "Modified by" counts as ``amended_by``): one line per related act, "CELEX — the
  other cells of its row as shown", in the page's order;
* ``consolidated_versions``: the consolidated versions' CELEX numbers (``0YYYY…-YYYYMMDD``),
  one a line, oldest first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from datetime import date
from urllib.parse import unquote, urldefrag

from lxml import etree

from monitor.errors import ParseError
from monitor.types import Document, DocumentKind, Item, ParseContext
from sources.normalise import normalise_line
from sources.parsers.html_page import apply_ignore
from sources.parsers.markup import (
    check_complete,
    check_language,
    elements,
    parse_root,
    strings,
    text_of,
)

__all__ = ["parse_eurlex_docinfo"]

logger = logging.getLogger(__name__)


Element = etree._Element

CELEX = re.compile(r"\b[0-9CE]\d{4}[A-Z]{1,2}\d{4,5}(?:[A-Z]?\(\d{2}\))?(?:-\d{8})?")
_CONSOLIDATED = re.compile(r"\b0\d{4}[A-Z]{1,2}\d{4,5}-(\d{4})(\d{2})(\d{2})\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_DOT_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_ELI = re.compile(r"\bhttps?://data\.europa\.eu/eli/\S+")
_NOT_IN_FORCE = re.compile(r"\b(?:no longer|not yet|not) in force\b", re.IGNORECASE)
_IN_FORCE = re.compile(r"(?:^|:\s*)in force\b", re.IGNORECASE)
# Labels of the document-information list, and the field each becomes.
_DATE_FIELDS = {
    "date of document": "document_date",
    "date of effect": "date_of_effect",
    "date of end of validity": "end_of_validity",
}
_RELATION_ALIASES = {"modified_by": "amended_by", "amendment_to": "amends"}
_MAIN = ("//main", "//*[@id='documentView']", "//body")


def parse_eurlex_docinfo(content: bytes, context: ParseContext) -> Document:
    """Return the act as one item with its identity and relation fields (see above).

    Raises ``ParseError`` when the bytes are not HTML, the page shows no CELEX number or no
    title (an error or bot-protection page), or is another language version than
    ``options.language``.
    """
    root = parse_root(content, context)
    check_language(root, context)
    check_complete(content, context.url)
    main = _main(root, context.url)
    celex = _celex(root, main, context.url)
    title, header = _title_and_header(main, celex, context.url)
    facts = _list_facts(main)
    relations = _relations(main)
    fields = _fields(celex, header, facts, relations, main)
    lines = [title, *header, *(f"{k}: {v}" for k, v in facts), *_relation_lines(relations)]
    text = apply_ignore("\n".join(filter(None, map(normalise_line, lines))), context.options)
    item = Item(key=celex, title=title, url=urldefrag(context.url).url, text=text, fields=fields)
    logger.debug("parsed EUR-Lex document information %s: %d fields", celex, len(fields))
    return Document(kind=DocumentKind.PAGE, items=(item,), title=title)


def _main(root: Element, url: str) -> Element:
    """The main content region (the whole body when the page marks none)."""
    for path in _MAIN:
        found = elements(root, path)
        if found:
            return found[0]
    raise ParseError(f"no body at {url}: not a EUR-Lex document page")


def _celex(root: Element, main: Element, url: str) -> str:
    """The act's CELEX number as the page shows it (h1 "Document 3…", else the <title>)."""
    for path in (".//h1", "//head/title"):
        for el in elements((main if path.startswith(".") else root), path):
            found = CELEX.search(text_of(el))
            if found:
                return found.group()
    raise ParseError(
        f"no CELEX number in the heading or title of {url} ({unquote(url)!r}): "
        "not a EUR-Lex document-information page (an error or bot-protection page?)"
    )


def _title_and_header(main: Element, celex: str, url: str) -> tuple[str, list[str]]:
    """The act's title (the first paragraph after the h1) and the lines up to the next h2.

    Without an h1, the paragraphs from the start of the main region.
    """
    paragraphs: list[str] = []
    start = ".//h1/following::" if elements(main, ".//h1") else ".//"
    for el in elements(main, f".//*[@id='title'] | {start}*[self::p or self::h2]"):
        if el.tag == "h2":
            break
        text = normalise_line(text_of(el))
        if text and text not in paragraphs:
            paragraphs.append(text)
    if not paragraphs:
        raise ParseError(f"no title for {celex} at {url}: not a document-information page")
    return paragraphs[0], paragraphs[1:]


def _list_facts(main: Element) -> list[tuple[str, str]]:
    """The "Label: value" pairs of the document-information lists (a dt and its dd's)."""
    facts: list[tuple[str, list[str]]] = []
    for el in elements(main, ".//dl/dt | .//dl/dd"):
        text = normalise_line(text_of(el))
        if el.tag == "dt":
            facts.append((text.rstrip(":").strip(), []))
        elif facts and text:
            facts[-1][1].append(text)
    return [(label, "; ".join(values)) for label, values in facts if label]


def _relations(main: Element) -> list[tuple[str, str, str]]:
    """(relation label, CELEX, the row's other cells) for each row of the relations table."""
    rows = []
    for table in elements(main, ".//table[.//th]"):
        headers = [normalise_line(text_of(th)).lower() for th in elements(table, ".//tr[th][1]/th")]
        if not headers or "relation" not in headers[0]:
            continue
        relation = ""
        for tr in elements(table, ".//tr[td]"):
            cells = [normalise_line(text_of(td)) for td in elements(tr, "td")]
            # An empty relation cell continues the relation of the row above.
            relation = cells[0].rstrip(":") or relation
            found = CELEX.search(" ".join(cells[1:2]) or "")
            if relation and found:
                rest = [c for c in cells[2:] if c]
                rows.append((relation, found.group(), "; ".join(rest)))
    return rows


def _relation_lines(relations: Sequence[tuple[str, str, str]]) -> Iterator[str]:
    for relation, celex, rest in relations:
        yield f"{relation}: {celex}" + (f" — {rest}" if rest else "")


def _fields(
    celex: str,
    header: list[str],
    facts: list[tuple[str, str]],
    relations: list[tuple[str, str, str]],
    main: Element,
) -> dict[str, str]:
    fields = {"celex": celex}
    oj_line = next((line for line in header if line.startswith("OJ ")), "")
    _put(fields, "oj_date", _dotted_day(oj_line))
    eli = _ELI.search(" ".join(header))
    _put(fields, "eli", eli.group().rstrip(").,;") if eli else "")
    for label, value in facts:
        name = _DATE_FIELDS.get(label.lower())
        if name:
            _put(fields, name, _slash_day(value))
    for name, lines in _grouped(relations).items():
        fields[name] = "\n".join(lines)
    _put(fields, "consolidated_versions", _consolidated(main))
    _put(fields, "in_force", _in_force(facts, fields.get("end_of_validity", "")))
    return fields


def _grouped(relations: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    """Relation rows by field name, one line per related act and row, in the page's order."""
    grouped: dict[str, list[str]] = {}
    for relation, celex, rest in relations:
        name = re.sub(r"\W+", "_", relation.lower()).strip("_")
        name = _RELATION_ALIASES.get(name, name)
        line = f"{celex} — {rest}" if rest else celex
        if line not in grouped.setdefault(name, []):
            grouped[name].append(line)
    return grouped


def _consolidated(main: Element) -> str:
    """Every consolidated version named in the page's links or text, oldest first."""
    found = {
        m.group()
        for m in _CONSOLIDATED.finditer(
            unquote(" ".join([*strings(main, ".//a/@href"), text_of(main)]))
        )
    }
    return "\n".join(sorted(found, key=lambda c: (c[-8:], c)))


def _in_force(facts: list[tuple[str, str]], end_of_validity: str) -> str:
    """Whether the act is in force ("true"/"false") when the page says so; else "true" for
    EUR-Lex's open-ended validity (31/12/9999). A past end date cannot be judged here:
    parsers have no clock."""
    for label, value in facts:
        line = f"{label}: {value}"
        if _NOT_IN_FORCE.search(line):
            return "false"
        if _IN_FORCE.search(value) or label.lower() == "in force":
            return "true"
    return "true" if end_of_validity == "9999-12-31" else ""


def _slash_day(text: str) -> str:
    match = _SLASH_DATE.search(text)
    return _iso(match.group(3), match.group(2), match.group(1)) if match else ""


def _dotted_day(text: str) -> str:
    """The last D.M.YYYY date of an OJ reference ("OJ L, 2024/1689, 12.7.2024")."""
    matches = list(_DOT_DATE.finditer(text))
    return _iso(matches[-1].group(3), matches[-1].group(2), matches[-1].group(1)) if matches else ""


def _iso(year: str, month: str, day: str) -> str:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


def _put(fields: dict[str, str], name: str, value: str) -> None:
    if value:
        fields[name] = value
