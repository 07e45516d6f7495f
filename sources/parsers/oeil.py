"""European Parliament Legislative Observatory (OEIL): a procedure file.

``https://oeil.europarl.europa.eu/oeil/en/procedure-file?reference=2025/0359(COD)`` shows
the procedure's reference and title, its basic information, a "Key events" table (date,
event, document reference) and a "Forecasts" table (date, expected event). Items:

* ``stage``: the procedure's current stage; ``stage`` is the page's "Stage reached in
  procedure"/"Status" when it states one, else the label of the latest key event. Its text is
  the basic information.
* one item per key event, keyed ``event:<YYYY-MM-DD>:<event label as a slug>``, with
  ``event_date``, ``published`` (the same day), ``event`` and ``reference``;
* one item per forecast, keyed ``forecast:<event label as a slug>`` (a forecast's date moves
  as the plenary agenda is planned, so the date is a field, not part of the key), with
  ``event_date``, ``event`` and ``forecast`` = "true".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import urldefrag, urljoin

from lxml import etree

from monitor.errors import ParseError
from monitor.types import Document, DocumentKind, Item, ParseContext
from sources.normalise import normalise_line, normalise_text, strip_tracking
from sources.parsers.html_page import html_to_text, unique_keys
from sources.parsers.markup import (
    check_complete,
    check_language,
    elements,
    parse_root,
    strings,
    text_of,
)

__all__ = ["parse_oeil_procedure"]

logger = logging.getLogger(__name__)


Element = etree._Element

_REFERENCE = re.compile(r"\b\d{4}/\d{4}\([A-Z]{3}\)")
_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_DAY = re.compile(
    r"^(?:(?P<y1>\d{4})-(?P<m1>\d{2})-(?P<d1>\d{2})|(?P<d2>\d{1,2})/(?P<m2>\d{1,2})/(?P<y2>\d{4})"
    r"|(?P<d3>\d{1,2})\s+(?P<m3>[A-Za-z]+)\s+(?P<y3>\d{4}))$"
)
_KEY_EVENTS = re.compile(r"key[\s_-]*events?", re.IGNORECASE)
_FORECASTS = re.compile(r"forecasts?", re.IGNORECASE)
_STAGE_LABEL = re.compile(
    r"^(?:stage reached in procedure|procedure status|status)\s*(?::\s*|$)", re.IGNORECASE
)
# What a table is: its caption, its section's id, else the heading just before it.
_TABLE_CONTEXT = (
    "caption | ancestor::section[1]/@id | ancestor::*[@id][1]/@id"
    " | preceding::*[self::h2 or self::h3 or self::h4][1]"
)
_BASIC = (
    "//section[@id='basic-information'] | //section[*[self::h2 or self::h3]"
    "[contains(translate(., 'BASIC', 'basic'), 'basic information')]]"
)


def parse_oeil_procedure(content: bytes, context: ParseContext) -> Document:
    """Return the ``stage`` item, then the key events and the forecasts in page order.

    Raises ``ParseError`` when the bytes are not HTML, the page names no procedure
    reference or has no key events (an error page, or a changed layout: never an empty
    procedure), or is another language version than ``options.language``.
    """
    root = parse_root(content, context)
    check_language(root, context)
    check_complete(content, context.url)
    reference = _reference(root, context.url)
    page = strip_tracking(urldefrag(context.url).url)
    events = list(_rows(root, page))
    if not any(not forecast for forecast, *_ in events):
        raise ParseError(f"no key events on the procedure page of {reference} at {context.url}")
    items = [_stage_item(root, reference, events, page)]
    keys = unique_keys(_event_key(forecast, day, label) for forecast, day, label, *_ in events)
    items += [_event_item(key, *event) for key, event in zip(keys, events, strict=True)]
    title = _title(root) or reference
    logger.debug("parsed OEIL procedure %s: %d items", reference, len(items))
    return Document(kind=DocumentKind.PAGE, items=tuple(items), title=title)


def _reference(root: Element, url: str) -> str:
    """The procedure reference the page shows in its h1 or title ("2025/0359(COD)")."""
    for el in elements(root, "//h1 | //head/title"):
        found = _REFERENCE.search(text_of(el))
        if found:
            return found.group()
    raise ParseError(f"no procedure reference in the heading of {url}: not an OEIL procedure file")


def _title(root: Element) -> str:
    following = elements(root, "(//h1/following::*[self::h2 or self::p])[1]")
    return normalise_line(text_of(following[0])) if following else ""


# Each row: (forecast?, YYYY-MM-DD, event label, the other cells, the row's first link).
Row = tuple[bool, str, str, str, str]


def _rows(root: Element, page: str) -> Iterator[Row]:
    """The dated rows of the key-events and forecasts tables, in page order."""
    for table in elements(root, "//table"):
        context = " ".join(
            [*strings(table, _TABLE_CONTEXT), *map(text_of, elements(table, _TABLE_CONTEXT))]
        )
        forecast = bool(_FORECASTS.search(context))
        if not forecast and not _KEY_EVENTS.search(context):
            continue
        for tr in elements(table, ".//tr[td]"):
            cells = [normalise_line(text_of(td)) for td in elements(tr, "td")]
            day = _day(cells[0]) if cells else ""
            if not day or len(cells) < 2 or not cells[1]:
                continue
            hrefs = [h for h in strings(tr, ".//a/@href") if not h.startswith("#")]
            link = _absolute(page, hrefs[0]) if hrefs else page
            yield forecast, day, cells[1], " | ".join(c for c in cells[2:] if c), link


def _absolute(page: str, href: str) -> str:
    """The link as an absolute URL; the page itself when the link cannot be read."""
    try:
        return strip_tracking(urljoin(page, href.strip()))
    except ValueError:  # "http://[x" (urllib: "Invalid IPv6 URL")
        return page


def _stage_item(root: Element, reference: str, events: list[Row], page: str) -> Item:
    basic = elements(root, _BASIC)
    text = _section_text(basic[0]) if basic else ""
    stage = _stated_stage(text.split("\n")) or _latest_event(events)
    fields = {"reference": reference}
    if stage:
        fields["stage"] = stage
    return Item(
        key="stage", title=f"Stage of procedure {reference}", url=page, text=text, fields=fields
    )


def _section_text(section: Element) -> str:
    """The section's lines, as the HTML parser reads them."""
    try:
        return html_to_text(str(etree.tostring(section, encoding="unicode")))
    except ValueError:  # the HTML parser's link handling fails on "http://[x"
        return normalise_text("\n".join(str(t) for t in section.itertext()))


def _stated_stage(lines: list[str]) -> str:
    """The value after "Stage reached in procedure" (same line, or the next: a dt and its dd)."""
    for n, line in enumerate(lines):
        if _STAGE_LABEL.match(line):
            value = _STAGE_LABEL.sub("", line, count=1).strip()
            if value:
                return value
            if n + 1 < len(lines) and not _STAGE_LABEL.match(lines[n + 1]):
                return lines[n + 1]
    return ""


def _latest_event(events: list[Row]) -> str:
    """The label of the latest key event: the stage reached when the page states none.

    Rows are listed oldest first, so of two events on the latest day the last one wins.
    """
    past = [(day, n, label) for n, (forecast, day, label, *_) in enumerate(events) if not forecast]
    return max(past)[2] if past else ""


def _event_key(forecast: bool, day: str, label: str) -> str:
    slug = re.sub(r"\W+", "-", label.lower()).strip("-") or "event"
    return f"forecast:{slug}" if forecast else f"event:{day}:{slug}"


def _event_item(key: str, forecast: bool, day: str, label: str, rest: str, link: str) -> Item:
    fields = {"event_date": day, "event": label}
    if forecast:
        fields["forecast"] = "true"
    else:
        fields["published"] = day
        if rest:
            fields["reference"] = rest
    return Item(key=key, title=label, url=link, text=rest, fields=fields)


def _day(text: str) -> str:
    match = _DAY.match(text)
    if match is None:
        return ""
    for n in "123":
        if match[f"y{n}"]:
            month = match[f"m{n}"]
            number = int(month) if month.isdigit() else _month(month)
            try:
                return date(int(match[f"y{n}"]), number, int(match[f"d{n}"])).isoformat()
            except ValueError:
                return ""
    return ""


def _month(name: str) -> int:
    name = name.lower()
    return next((n for n, full in enumerate(_MONTHS, start=1) if full.startswith(name[:3])), 0)
