"""Deadlines (lists and a month grid) and trends (changes per week by category)."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from dashboard import chart, views
from dashboard.pages_common import lexwatch, now, render, require_reader, zone
from monitor.analysis.deadline_groups import DeadlineGroup, group_deadlines
from storage.models import DeadlineRow

router = APIRouter()

PAST_DAYS = 180
LIST_LIMIT = 200
DEFAULT_WEEKS, MAX_WEEKS = 26, 104


@dataclass(frozen=True, kw_only=True, slots=True)
class Day:
    day: date
    in_month: bool
    today: bool
    deadlines: tuple[DeadlineGroup, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Month:
    first: date
    weeks: tuple[tuple[Day, ...], ...]
    previous: str
    next: str
    count: int


# The months whose grid (with the days of the weeks around them) Python's calendar can draw.
FIRST_MONTH, LAST_MONTH = date(1, 2, 1), date(9999, 11, 1)


def _month_param(value: str | None, today: date) -> date:
    if not value:
        return today.replace(day=1)
    try:
        first = date.fromisoformat(f"{value}-01")
    except ValueError:
        raise HTTPException(
            status_code=400, detail=f"month: {value!r} is not a month (use YYYY-MM, e.g. 2026-12)"
        ) from None
    if not FIRST_MONTH <= first <= LAST_MONTH:
        raise HTTPException(
            status_code=400,
            detail=f"month: {value!r} is out of range ({FIRST_MONTH:%Y-%m} to {LAST_MONTH:%Y-%m})",
        )
    return first


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _link(first: date, months: int) -> str:
    """YYYY-MM of the month ``months`` away, kept within the months the page can show."""
    return f"{min(max(_shift(first, months), FIRST_MONTH), LAST_MONTH):%Y-%m}"


def _midnight(day: date, place: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(place))


def month_view(rows: list[DeadlineRow], first: date, today: date, place: str) -> Month:
    """A Monday-first grid of the month, each day with its deadlines (local dates), each
    deadline once however many sources state it."""
    by_day: dict[date, list[DeadlineRow]] = defaultdict(list)
    for row in rows:
        by_day[views.local(row.due, place).date()].append(row)
    grouped = {day: tuple(group_deadlines(found)) for day, found in by_day.items()}
    weeks = tuple(
        tuple(
            Day(
                day=day,
                in_month=day.month == first.month,
                today=day == today,
                deadlines=grouped.get(day, ()),
            )
            for day in week
        )
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    )
    return Month(
        first=first,
        weeks=weeks,
        previous=_link(first, -1),
        next=_link(first, 1),
        count=sum(len(groups) for groups in grouped.values()),
    )


@router.get("/deadlines", include_in_schema=False)
def deadlines_page(
    request: Request, month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None
) -> Response:
    require_reader(request)
    place, moment = zone(request), now(request)
    today = views.local(moment, place).date()
    first = _month_param(month, today)
    start, end = _midnight(first, place), _midnight(_shift(first, 1), place)
    reader = lexwatch(request).store.reader
    upcoming = reader.deadlines_between(moment, None)[:LIST_LIMIT]
    past = reader.deadlines_between(
        moment - timedelta(days=PAST_DAYS), moment, include_closed=True
    )[::-1][:LIST_LIMIT]
    in_month = reader.deadlines_between(start, end, include_closed=True)
    context = {
        "upcoming": group_deadlines(upcoming),
        "past": group_deadlines(past),
        "past_days": PAST_DAYS,
        "month": month_view(in_month, first, today, place),
    }
    return render(request, "deadlines.html", context, title="Deadlines")


@router.get("/trends", include_in_schema=False)
def trends_page(
    request: Request, weeks: Annotated[int, Query(ge=4, le=MAX_WEEKS)] = DEFAULT_WEEKS
) -> Response:
    require_reader(request)
    moment = now(request)
    last = chart.week_of(moment.date())
    first = last - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, time(0), tzinfo=moment.tzinfo)
    counts = lexwatch(request).store.reader.weekly_counts(since)
    picture = chart.weekly_chart(counts, first_week=first, last_week=last)
    return render(request, "trends.html", {"chart": picture, "weeks": weeks}, title="Trends")
