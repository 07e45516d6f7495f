"""digital-strategy.ec.europa.eu (Drupal, Europa Component Library) pages.

The text is cut into sections by heading, exactly as the generic HTML parser does, from the
main content region; then the facts a reader acts on are read from the ECL markup and put on
the page's main item (the one under the ``h1``):

* the page-header meta line ("Consultation | Publication 19 May 2026"): ``document_type``
  and ``published``;
* downloads (ECL file blocks, document links): ``attachments`` (URLs) and
  ``attachment_titles``;
* consultation pages: ``status`` (OPEN/UPCOMING/CLOSED) and ``deadline`` read from the body
  ("open until 23 June 2026, 22:00 CET", "deadline extended to …", "now closed"); other pages
  get a ``deadline`` only when they state a consultation deadline in those words.

Listing pages (events, news) are one item per ECL content item, with its ``event_date`` or
``published``. Dates are English only here; times are Brussels wall-clock time ("22:00 CET"
on a June page means 22:00 in Brussels, as the Commission writes it), and a day without a
time ends at 23:59:59.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, time
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from lxml import etree

from monitor.errors import ParseError
from monitor.types import Document, Item, ParseContext, SourceOptions
from sources.normalise import normalise_line, strip_tracking
from sources.parsers.html_page import parse_html_page
from sources.parsers.markup import check_complete, elements, parse_root, strings, text_of

__all__ = ["parse_ds_page"]

logger = logging.getLogger(__name__)


Element = etree._Element

BRUSSELS = ZoneInfo("Europe/Brussels")
_MAIN = "main"
_META_LIST = ".ecl-page-header__meta-list"  # read into fields, so left out of the text
_LISTING_ITEM = ".ecl-content-item"


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_XP_MAIN = "//main | //*[@id='main-content']"
_XP_H1 = "(//main//h1 | //h1)[1]"
_XP_META = (
    f"//*[{_has_class('ecl-page-header__meta-list')}]/li"
    f" | //*[{_has_class('ecl-page-header__meta-item')}]"
    f" | //*[{_has_class('ecl-page-header__meta')}][not(*)]"
)
_XP_FILES = f"//*[{_has_class('ecl-file')}]"
_XP_FILE_TITLE = f".//*[{_has_class('ecl-file__title')}]"
_XP_LISTING = f"//*[{_has_class('ecl-content-item')}]"
_LISTING_PATH = re.compile(r"^/[a-z]{2}/(?:events|news|library|consultations|calendar)/?$")
_DOCUMENT_LINK = re.compile(
    r"(?:\.(?:pdf|docx?|xlsx?|odt|ods|pptx?|zip|csv)$|/redirection/document/|/document/download/)",
    re.IGNORECASE,
)
_ERROR_TITLE = re.compile(
    r"\b(?:page not found|access denied|forbidden|service (?:temporarily )?"
    r"unavailable|internal server error|request rejected|we are sorry|an error occurred"
    r"|under maintenance)\b",
    re.IGNORECASE,
)

# --- English dates --------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    rf"(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m1>{_MONTH}),?\s+(?P<y1>\d{{4}})"
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    r"|(?P<d3>\d{1,2})[/.](?P<m3>\d{1,2})[/.](?P<y3>\d{4})"
    r"|(?P<y4>\d{4})-(?P<m4>\d{2})-(?P<d4>\d{2}))"
    r"(?:,?\s*(?:at\s+)?(?P<hh>\d{1,2})[:.h](?P<mm>\d{2})\b)?"
)
_DATE_RE = re.compile(_DATE, re.IGNORECASE)


def _date_pattern(before: str) -> re.Pattern[str]:
    return re.compile(before + _DATE, re.IGNORECASE)


# A consultation deadline, strongest evidence first: an extension notice names the new date.
# Outside consultation pages only lines about a consultation count ("the AI Act extends to
# systems placed on the market from 2 August 2026" is no deadline).
_ABOUT_A_CONSULTATION = re.compile(
    r"\b(?:consultation|deadline|contributions?|feedback|survey|questionnaire|submissions?"
    r"|call for)\b",
    re.IGNORECASE,
)
_EXTENDED = re.compile(r"\b(?:extend|extension|postpone|prolong)", re.IGNORECASE)
_DEADLINE_PHRASES = (
    _date_pattern(r"\bopen\b.{0,80}?\b(?:until|till|to|through)\s+"),
    _date_pattern(
        r"\b(?:submit\w*|send\w*|respond\w*|repl(?:y|ies)|contribut\w*|feedback|comments?)\b"
        r".{0,80}?\b(?:until|by|before|no later than)\s+"
    ),
    _date_pattern(r"\b(?:deadline|closing date|closes|will close|end date)\b\D{0,40}?"),
    _date_pattern(r"\b(?:ran|was open|took place|lasted)\b.{0,80}?\b(?:until|till|to)\s+"),
)
_CLOSED = re.compile(
    r"\b(?:(?:is|are|was|now|has been|have been)\s+(?:now\s+)?closed|consultation (?:has )?"
    r"(?:ended|closed)|has ended|no longer (?:open|accept))",
    re.IGNORECASE,
)
_OPEN = re.compile(r"\b(?:open until|open from|(?:is|are) (?:now )?open\b)", re.IGNORECASE)
_UPCOMING = re.compile(
    r"\b(?:will (?:open|be open|start|be launched)|opens on|upcoming)\b", re.IGNORECASE
)


def parse_ds_page(content: bytes, context: ParseContext) -> Document:
    """Return the page's sections (or a listing's entries) with the fields above.

    Raises ``ParseError`` when the bytes are not HTML, the page has no main content region
    or no text in it, is an error page, or is another language version than
    ``options.language``; ``ConfigError`` for invalid selectors in the options.
    """
    root = parse_root(content, context)
    _check_page(root, context)
    check_complete(content, context.url)
    listing = not context.options.sections and _is_listing(root, context.url)
    options = _page_options(context.options, listing)
    try:
        document = parse_html_page(content, dataclasses.replace(context, options=options))
    except ValueError as exc:  # urllib's "Invalid IPv6 URL" for a link like "http://[x"
        raise ParseError(f"{context.url}: unreadable link in the page: {exc}") from exc
    if not document.items:
        raise ParseError(f"no text in the main content of {context.url} (an error page?)")
    if listing:
        items = _listing_items(root, document.items, context.url)
    else:
        items = _with_page_fields(root, document.items, context.url)
    logger.debug("parsed digital-strategy page %s: %d items", context.url, len(items))
    return dataclasses.replace(document, items=items)


def _page_options(options: SourceOptions, listing: bool) -> SourceOptions:
    """The source's options, reading the main region unless told otherwise."""
    return dataclasses.replace(
        options,
        keep=options.keep or (_MAIN,),
        drop=(*options.drop, _META_LIST),
        sections=_LISTING_ITEM if listing else options.sections,
    )


def _check_page(root: Element, context: ParseContext) -> None:
    lang = (root.get("lang") or "").strip().lower().split("-")[0]
    wanted = (context.options.language or "").lower()
    if lang and wanted and lang != wanted:
        raise ParseError(f"{context.url} is the {lang!r} version of the page, expected {wanted!r}")
    if not elements(root, _XP_MAIN):
        raise ParseError(f"no main content region at {context.url} (an error or WAF page?)")
    heading = _first_text(root, _XP_H1)
    if heading and _ERROR_TITLE.search(heading):
        raise ParseError(f"{context.url} is an error page: {heading!r}")


# --- the main item's fields -----------------------------------------------------------------


def _with_page_fields(root: Element, items: Sequence[Item], url: str) -> tuple[Item, ...]:
    fields = _meta_fields(root, url)
    fields.update(_attachment_fields(root, url))
    lines = [line for item in items for line in item.text.split("\n") if line]
    consultation = _is_consultation(root, url)
    deadline = _deadline(lines, consultation)
    if deadline:
        fields["deadline"] = deadline
    if consultation:
        status = _status(lines)
        if status:
            fields["status"] = status
    main = _main_index(root, items)
    return tuple(
        dataclasses.replace(item, fields={**item.fields, **fields}) if n == main else item
        for n, item in enumerate(items)
    )


def _main_index(root: Element, items: Sequence[Item]) -> int:
    """The item under the page's h1 (the first item when the h1 is not among them)."""
    heading = normalise_line(_first_text(root, _XP_H1))
    return next((n for n, item in enumerate(items) if item.title == heading), 0)


def _is_consultation(root: Element, url: str) -> bool:
    return "dsm-consultation" in _body_class(root) or "/consultations/" in urlsplit(url).path


def _is_listing(root: Element, url: str) -> bool:
    """A Drupal view (events, news, library, consultations) of ECL content items.

    Not every page with content items: policy pages end with "related content" teasers,
    and their text is the point of them.
    """
    view = "path-view" in _body_class(root) or _LISTING_PATH.match(urlsplit(url).path)
    return bool(view) and bool(elements(root, _XP_LISTING))


def _body_class(root: Element) -> str:
    return " ".join(strings(root, "//body/@class"))


def _meta_fields(root: Element, url: str) -> dict[str, str]:
    """document_type and published from "POLICY AND LEGISLATION | Publication 17 July 2025".

    On an event's page the date of its meta line is when the event takes place.
    """
    date_field = "event_date" if "/events/" in urlsplit(url).path else "published"
    fields: dict[str, str] = {}
    for meta in elements(root, _XP_META):
        for part in normalise_line(text_of(meta)).split("|"):
            part = part.strip()
            if not part or part.lower().startswith("last update"):
                continue  # "Last update" is bumped by every re-save: never a fact
            day = _day(part)
            if day and date_field not in fields:
                fields[date_field] = day
            elif not day and not part.lower().startswith("publication"):
                fields.setdefault("document_type", _label(part))
    return fields


def _attachment_fields(root: Element, url: str) -> dict[str, str]:
    links: list[str] = []
    titles: list[str] = []
    for block in elements(root, _XP_FILES):
        title = normalise_line(" ".join(text_of(el) for el in elements(block, _XP_FILE_TITLE)))
        if title:
            titles.append(title)
        links.extend(_links(strings(block, ".//a/@href"), url))
    for main in elements(root, _XP_MAIN):
        hrefs = strings(main, ".//a/@href")
        links.extend(link for link in _links(hrefs, url) if _DOCUMENT_LINK.search(link))
    fields = {}
    if links:
        fields["attachments"] = "\n".join(dict.fromkeys(links))
    if titles:
        fields["attachment_titles"] = "\n".join(dict.fromkeys(titles))
    return fields


def _links(hrefs: Iterable[object], base: str) -> Iterator[str]:
    """Absolute download URLs; "#" and script links (placeholders, not files) are skipped."""
    for href in hrefs:
        href = str(href).strip()
        if not href or href.startswith("#"):
            continue
        try:
            absolute = urljoin(base, href)
            if urlsplit(absolute).scheme in ("http", "https"):
                yield strip_tracking(absolute)
        except ValueError:  # "http://[x": not a URL anyone can download
            logger.info("%s: skipped unreadable link %r", base, href)


def _deadline(lines: Sequence[str], consultation: bool) -> str:
    """The consultation deadline the page states, as ISO 8601 in Brussels time ("" if none)."""
    about = [line for line in lines if _ABOUT_A_CONSULTATION.search(line)]
    for line in about:
        if _EXTENDED.search(line):
            dates = list(_DATE_RE.finditer(line))
            if dates:
                return _instant(dates[-1])
    if not consultation:
        lines = about
    for pattern in _DEADLINE_PHRASES:
        for line in lines:
            match = pattern.search(line)
            if match:
                return _instant(match)
    return ""


def _status(lines: Sequence[str]) -> str:
    text = "\n".join(lines)
    if _CLOSED.search(text):
        return "CLOSED"
    if _OPEN.search(text) or any(_EXTENDED.search(s) and _DATE_RE.search(s) for s in lines):
        return "OPEN"
    return "UPCOMING" if _UPCOMING.search(text) else ""


# --- listings -------------------------------------------------------------------------------


def _listing_items(root: Element, items: Sequence[Item], url: str) -> tuple[Item, ...]:
    """Each content item with its link and the date of its meta line."""
    date_field = "event_date" if "/events" in urlsplit(url).path else "published"
    facts: dict[str, tuple[str, str | None]] = {}
    for entry in elements(root, _XP_LISTING):
        heading = normalise_line(_first_text(entry, ".//*[self::h2 or self::h3 or self::h4]"))
        meta = normalise_line(_first_text(entry, f".//*[{_has_class('ecl-content-item__meta')}]"))
        hrefs = strings(entry, ".//*[self::h2 or self::h3 or self::h4]//a/@href")
        link = next(_links(hrefs, url), None)
        facts.setdefault(heading, (meta, link))
    out = []
    for item in items:
        meta, link = facts.get(item.title, ("", None))
        fields = dict(item.fields)
        parts = [p.strip() for p in meta.split("|") if p.strip()]
        day = next(filter(None, map(_day, parts)), "")
        if day:
            fields[date_field] = day
        if parts and not _day(parts[0]):
            fields["document_type"] = _label(parts[0])
        out.append(dataclasses.replace(item, url=link or item.url, fields=fields))
    return tuple(out)


# --- small helpers --------------------------------------------------------------------------


def _first_text(root: Element, xpath: str) -> str:
    found = elements(root, xpath)
    return text_of(found[0]) if found else ""


def _label(text: str) -> str:
    """A type label in sentence case: "POLICY AND LEGISLATION" -> "Policy and legislation"."""
    text = normalise_line(text)
    return text[:1].upper() + text[1:].lower() if text.isupper() else text


def _parts(match: re.Match[str]) -> tuple[int, int, int] | None:
    for n in "1234":
        year = match[f"y{n}"]
        if year:
            month = match[f"m{n}"]
            number = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
            return int(year), number, int(match[f"d{n}"])
    return None


def _day(text: str) -> str:
    """The first date in ``text`` as YYYY-MM-DD ("" when there is none or it is impossible)."""
    match = _DATE_RE.search(text)
    parts = _parts(match) if match else None
    try:
        return datetime(*parts).date().isoformat() if parts else ""
    except ValueError:
        return ""


def _instant(match: re.Match[str]) -> str:
    """A matched date (and time) in Brussels as ISO 8601; a bare day ends at 23:59:59."""
    parts = _parts(match)
    try:
        day = datetime(*parts).date() if parts else None
        clock = time(int(match["hh"]), int(match["mm"])) if match["hh"] else time(23, 59, 59)
    except ValueError:
        return ""
    if day is None:
        return ""
    return datetime.combine(day, clock, tzinfo=BRUSSELS).isoformat()
