"""Server-rendered SVG: changes per week by category (stacked bars) and check sparklines.

The geometry is computed here; templates/chart.svg.j2 and the sparkline macro draw it.
Colours come from the stylesheet (one class per category), so no inline style is needed
and the strict Content-Security-Policy holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 36
MIN_TICK_GAP = 56  # px between x labels


@dataclass(frozen=True, kw_only=True, slots=True)
class Bar:
    """One category's part of one week's bar."""

    x: float
    y: float
    width: float
    height: float
    category: str
    count: int
    week: date


@dataclass(frozen=True, kw_only=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, kw_only=True, slots=True)
class WeeklyChart:
    """Stacked weekly bars with axes, plus the same numbers as a table (weeks × categories)."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    weeks: tuple[date, ...]
    categories: tuple[str, ...]
    table: dict[date, dict[str, int]]
    plot_bottom: float
    plot_left: float
    total: int


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_chart(
    counts: Sequence[tuple[date, str, int]], *, first_week: date, last_week: date
) -> WeeklyChart:
    """The chart of ``counts`` (Monday, category, n) over every week from first to last."""
    weeks = _weeks(first_week, last_week)
    table: dict[date, dict[str, int]] = {week: {} for week in weeks}
    for week, category, n in counts:
        if week in table:
            table[week][category] = table[week].get(category, 0) + n
    categories = tuple(sorted({c for row in table.values() for c in row}))
    peak = max((sum(row.values()) for row in table.values()), default=0)
    top = _nice_ceiling(peak)
    bars = tuple(_bars(weeks, table, categories, top))
    return WeeklyChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        x_ticks=_x_ticks(weeks),
        y_ticks=_y_ticks(top),
        weeks=tuple(weeks),
        categories=categories,
        table=table,
        plot_bottom=HEIGHT - BOTTOM,
        plot_left=LEFT,
        total=sum(sum(row.values()) for row in table.values()),
    )


def _weeks(first: date, last: date) -> list[date]:
    weeks, week = [], week_of(first)
    while week <= week_of(last):
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def _nice_ceiling(peak: int) -> int:
    """A round axis maximum at or above ``peak``: 1, 2, 5, 10, 20, 50, ..."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= peak:
                return step * magnitude
        magnitude *= 10


def _slot(weeks: Sequence[date]) -> float:
    return (WIDTH - LEFT - RIGHT) / max(1, len(weeks))


def _bars(
    weeks: Sequence[date], table: dict[date, dict[str, int]], categories: Sequence[str], top: int
) -> list[Bar]:
    slot, plot_height = _slot(weeks), HEIGHT - TOP - BOTTOM
    bars: list[Bar] = []
    for index, week in enumerate(weeks):
        base = float(HEIGHT - BOTTOM)
        for category in categories:
            count = table[week].get(category, 0)
            if not count:
                continue
            height = plot_height * count / top
            base -= height
            bars.append(
                Bar(
                    x=round(LEFT + index * slot + slot * 0.15, 2),
                    y=round(base, 2),
                    width=round(slot * 0.7, 2),
                    height=round(height, 2),
                    category=category,
                    count=count,
                    week=week,
                )
            )
    return bars


def _x_ticks(weeks: Sequence[date]) -> tuple[Tick, ...]:
    """A label on the first week of each month (every week when there are few), never two
    labels so close that they overlap."""
    slot = _slot(weeks)
    ticks: list[Tick] = []
    for index, week in enumerate(weeks):
        month_start = index == 0 or week.month != weeks[index - 1].month
        position = round(LEFT + index * slot + slot / 2, 2)
        if not (len(weeks) <= 8 or month_start):
            continue
        if ticks and position - ticks[-1].position < MIN_TICK_GAP:
            continue
        label = f"{week.day} {week:%b}" if len(weeks) <= 8 else f"{week:%b %Y}"
        ticks.append(Tick(position=position, label=label))
    return tuple(ticks)


def _y_ticks(top: int) -> tuple[Tick, ...]:
    plot_height = HEIGHT - TOP - BOTTOM
    steps = 4 if top % 4 == 0 else 5 if top % 5 == 0 else 2 if top % 2 == 0 else 1
    return tuple(
        Tick(
            position=round(HEIGHT - BOTTOM - plot_height * i / steps, 2),
            label=str(top * i // steps),
        )
        for i in range(steps + 1)
    )


# -- sparklines -------------------------------------------------------------------------------

SPARK_WIDTH, SPARK_HEIGHT, SPARK_BAR = 90, 16, 3


@dataclass(frozen=True, kw_only=True, slots=True)
class Spark:
    x: int
    y: int
    height: int
    outcome: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Sparkline:
    width: int
    height: int
    marks: tuple[Spark, ...]
    summary: str


_SPARK_HEIGHTS = {"failed": SPARK_HEIGHT, "changed": 12, "baseline": 12}


def sparkline(outcomes: Sequence[str]) -> Sparkline:
    """One small bar per recent check, oldest first: failures tall, changes taller than
    unchanged ones, so a glance tells a broken source from a quiet one."""
    marks = tuple(
        Spark(
            x=index * SPARK_BAR,
            y=SPARK_HEIGHT - (h := _SPARK_HEIGHTS.get(outcome, 6)),
            height=h,
            outcome=outcome,
        )
        for index, outcome in enumerate(outcomes)
    )
    failed = sum(1 for outcome in outcomes if outcome == "failed")
    changed = sum(1 for outcome in outcomes if outcome == "changed")
    summary = (
        f"last {len(outcomes)} checks: {failed} failed, {changed} changed"
        if outcomes
        else "no checks yet"
    )
    return Sparkline(
        width=max(SPARK_BAR, len(outcomes) * SPARK_BAR),
        height=SPARK_HEIGHT,
        marks=marks,
        summary=summary,
    )
