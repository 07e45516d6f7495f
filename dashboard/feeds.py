"""Feeds to subscribe to: the timeline as Atom (RFC 4287), one entry per event, and the
deadlines as iCalendar.

Atom ids are tag: URIs (RFC 4151) minted from the configured public address
(``alerts.dashboard_url``), never from the request's Host header: a reader that reaches the
dashboard through a proxy, or by another name, must see each entry once, and a forged Host
header must not change them. Links use the configured address too when there is one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request, Response
from lxml import etree

from dashboard.api import change_filters
from dashboard.deps import Clock, get_app, get_clock, get_reader, public_url, read_access
from dashboard.ics import deadlines_calendar
from dashboard.openapi import READ_SECURITY, UNAUTHORIZED, text_answer
from dashboard.views import local
from monitor import __version__
from storage.browse import ChangeQuery
from storage.event_browse import EventPage, EventQuery
from storage.models import EventRow
from storage.reader import Reader

router = APIRouter(
    prefix="/feeds", tags=["feeds"], dependencies=[Depends(read_access)], responses=UNAUTHORIZED
)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
ICS_TYPE = "text/calendar; charset=utf-8"
# Characters XML 1.0 cannot carry at all; scraped text may contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
DEADLINES_LOOKBACK = timedelta(days=90)
TAG_DATE = "2026"  # the year lexwatch began minting these ids; fixed, so ids never change


def _add(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    """A child element; lxml escapes its text and attributes."""
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrib=attributes)
    if text is not None:
        element.text = xml_text(text)
    return element


def xml_text(value: str) -> str:
    """Text safe to put in XML: lxml escapes markup; this drops what XML cannot hold."""
    return _NOT_XML.sub("", value)


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _entry(feed: etree._Element, request: Request, row: EventRow, found: EventPage) -> None:
    page = public_url(request, f"/events/{row.id}")
    keys = found.sources.get(row.id or 0, [])
    names = [found.source_titles.get(key, key) for key in keys]
    seen = f"Seen on {len(keys)} source{'s' if len(keys) != 1 else ''}: {', '.join(names)}"
    lines = [row.summary, "", seen, f"Category: {row.category} ({row.severity})"]
    if row.change_count > 1:
        lines.append(f"Changes: {row.change_count}")
    entry = _add(feed, "entry")
    _add(entry, "id", tag_uri(request, f"event/{row.id}"))
    _add(entry, "title", row.title, type="text")
    _add(entry, "updated", _time(row.last_detected_at))
    _add(entry, "published", _time(row.first_detected_at))
    _add(entry, "link", rel="alternate", type="text/html", href=page)
    if row.url:  # stored URLs are http(s) only (storage.types.WebUrl)
        _add(entry, "link", rel="related", href=xml_text(row.url))
    _add(entry, "category", term=row.category)
    _add(entry, "category", term=f"severity:{row.severity}")
    _add(entry, "summary", "\n".join(lines), type="text")


def tag_uri(request: Request, specific: str) -> str:
    """``tag:<host>,2026:<specific>``: the host of alerts.dashboard_url, else ``lexwatch``."""
    configured = get_app(request).settings.alerts.dashboard_url
    host = (urlsplit(configured).hostname if configured else None) or "lexwatch"
    return f"tag:{host},{TAG_DATE}:{specific}"


def timeline_query(filters: ChangeQuery, zone: str) -> str:
    """The dashboard timeline's query string for the same filters ("" when unfiltered); the
    timeline filters by whole days, so a time becomes its day."""
    values = {
        "source": filters.source,
        "tag": filters.tag,
        "category": filters.category,
        "severity": filters.severity,
        "q": filters.text,
        "since": _day(filters.since, zone),
        "until": _day(filters.until, zone, end=True),
        "noise": "1" if filters.include_noise else None,
    }
    return urlencode({name: value for name, value in values.items() if value})


def _day(moment: datetime | None, zone: str, *, end: bool = False) -> str | None:
    """YYYY-MM-DD in ``zone`` (an exclusive ``end``: the day before it ends); None at the ends
    of the calendar, where there is no day to name."""
    try:
        if moment and end:
            moment -= timedelta(microseconds=1)
        return f"{local(moment, zone).date()}" if moment else None
    except OverflowError:
        return None


def atom_feed(request: Request, found: EventPage, filters: ChangeQuery, now: datetime) -> bytes:
    """The page of events as an Atom document (lxml escapes every text and attribute)."""
    query = timeline_query(filters, get_app(request).settings.dashboard.timezone)
    self_url = public_url(
        request, request.url.path + (f"?{request.url.query}" if request.url.query else "")
    )
    updated = found.rows[0].last_detected_at if found.rows else now
    # None is lxml's key for the default namespace; lxml-stubs types the keys as str.
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})  # type: ignore[dict-item]
    _add(feed, "id", tag_uri(request, "changes" + (f"?{query}" if query else "")))
    _add(feed, "title", "lexwatch: changes in EU AI regulation")
    _add(feed, "updated", _time(updated))
    _add(_add(feed, "author"), "name", "lexwatch")
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(
        feed,
        "link",
        rel="alternate",
        type="text/html",
        href=public_url(request, "/" + (f"?{query}" if query else "")),
    )
    _add(feed, "generator", "lexwatch", version=__version__)
    for row in found.rows:
        _entry(feed, request, row, found)
    document: bytes = etree.tostring(feed, xml_declaration=True, encoding="utf-8")
    return document


@router.get(
    "/events.atom",
    summary="Events as an Atom feed, one entry per event (the timeline's filters apply)",
    response_class=Response,
    openapi_extra=READ_SECURITY,
    responses=text_answer("application/atom+xml", "An Atom feed (RFC 4287)"),
)
@router.get(
    "/changes.atom",
    summary="The same feed as /feeds/events.atom, at its former address",
    response_class=Response,
    openapi_extra=READ_SECURITY,
    responses=text_answer("application/atom+xml", "An Atom feed (RFC 4287)"),
)
def changes_atom(
    request: Request,
    filters: Annotated[ChangeQuery, Depends(change_filters)],
    reader: Annotated[Reader, Depends(get_reader)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response:
    found = reader.events_page(EventQuery(changes=filters))
    return Response(atom_feed(request, found, filters, clock()), media_type=ATOM_TYPE)


@router.get(
    "/deadlines.ics",
    summary="Deadlines as an iCalendar feed",
    response_class=Response,
    openapi_extra=READ_SECURITY,
    responses=text_answer("text/calendar", "An iCalendar file (RFC 5545)"),
)
def deadlines_ics(
    reader: Annotated[Reader, Depends(get_reader)],
    clock: Annotated[Clock, Depends(get_clock)],
    include_closed: Annotated[bool, Query()] = False,
) -> Response:
    now = clock()
    # The recent past stays in the calendar, so a deadline does not vanish the day it falls.
    rows = reader.deadlines_between(now - DEADLINES_LOOKBACK, None, include_closed)
    return Response(
        deadlines_calendar(rows, now=now),
        media_type=ICS_TYPE,
        headers={"Content-Disposition": 'inline; filename="lexwatch-deadlines.ics"'},
    )
