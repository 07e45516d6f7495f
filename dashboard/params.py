"""Query and path parameters shared by the pages, the JSON API and the feeds: row ids, page
numbers, source keys, and the dates and times that bound a listing.

Every value a client can send must give an answer or a clear 4xx, never a 500: ids are bounded
to what the id columns hold (INTEGER: 32 bits on PostgreSQL, which refuses a larger value;
SQLite raises OverflowError past 64 bits), page numbers to storage.browse.MAX_PAGE, keys and
text filters may not hold NUL, and a date at the edge of the calendar (0001-01-01 east of UTC,
9999-12-31 plus the day an end date includes) becomes "no bound" or "nothing matches" instead
of overflowing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Path, Query
from pydantic import PlainValidator, WithJsonSchema

from storage.browse import MAX_PAGE

MAX_ID = 2**31 - 1  # the id columns are INTEGER, 32 bits on PostgreSQL

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
SnapshotId = Annotated[int, Query(ge=1, le=MAX_ID, description="a snapshot id")]
# PostgreSQL text cannot hold NUL, so no stored key or text has one; a key or filter with one is
# refused here (422) instead of failing in the database.
WITHOUT_NUL = r"^[^\x00]*$"
SourceKey = Annotated[str, Path(pattern=WITHOUT_NUL, description="source key")]
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page number, from 1")]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_ZERO = re.compile(r"0000-\d{2}-\d{2}")  # valid RFC 3339, before Python's calendar
_LEAP_SECOND = re.compile(r"(T\d{2}:\d{2}):60")

MOMENT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
    ]
}
# A bound below every storable time (lower bounds) or above it (upper bounds): nothing matches.
BEFORE_ALL = datetime.min.replace(tzinfo=UTC)
AFTER_ALL = datetime.max.replace(tzinfo=UTC)


def parse_point(value: object) -> date | datetime:
    """A YYYY-MM-DD date, or an ISO 8601 time (without an offset it is UTC).

    Raises ValueError naming what is expected; year 0000 (valid RFC 3339) is the earliest day.
    """
    text = value.strip() if isinstance(value, str) else ""
    if _YEAR_ZERO.match(text):
        return date.min
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(_LEAP_SECOND.sub(r"\1:59", text))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# A date or a time in a query string, documented as such in the OpenAPI document.
Moment = Annotated[date | datetime, PlainValidator(parse_point), WithJsonSchema(MOMENT_SCHEMA)]


def lower_bound(point: date | datetime | None, zone: str) -> datetime | None:
    """The first instant ``point`` names (a date: its midnight in ``zone``), in UTC; None when
    it lies before every storable time (no bound), AFTER_ALL past the end of the calendar."""
    if point is None:
        return None
    try:
        return _instant(point, zone)
    except OverflowError:
        return None if point.year < 5000 else AFTER_ALL


def upper_bound(point: date | datetime | None, zone: str) -> datetime | None:
    """The exclusive end ``point`` names (a date includes its whole day), in UTC; None when it
    lies past the end of the calendar (no bound), BEFORE_ALL before its start."""
    if point is None:
        return None
    try:
        if not isinstance(point, datetime):
            point = point + timedelta(days=1)
        return _instant(point, zone)
    except OverflowError:
        return None if point.year > 5000 else BEFORE_ALL


def _instant(point: date | datetime, zone: str) -> datetime:
    if not isinstance(point, datetime):
        point = datetime.combine(point, time(0), ZoneInfo(zone))
    return point.astimezone(UTC)
