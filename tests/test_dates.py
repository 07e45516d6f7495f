"""Dates in EU publications: every written form, the official languages, Brussels time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.analysis.dates import (
    BRUSSELS,
    find_dates,
    format_day,
    format_span,
    parse_date,
    parse_datetime,
)

D = date(2025, 9, 18)

FORMS = [
    ("18 September 2025", D),
    ("18 Sept. 2025", D),
    ("18 Sep 2025", D),
    ("18th September 2025", D),
    ("September 18, 2025", D),
    ("Sept. 18, 2025", D),
    ("18/09/2025", D),
    ("18.9.2025", D),
    ("18. 9. 2025", D),
    ("18-09-2025", D),
    ("2025-09-18", D),
    ("2025/09/18 23:59:59", D),
    ("until 18.9.2025", D),
    ("Thursday 18 September 2025", D),
    ("Thursday, 18 September 2025", D),
    ("OJ L, 2024/1689, 12.7.2024", date(2024, 7, 12)),
]

LANGUAGES = [
    ("fr", "jusqu'au 18 septembre 2025", D),
    ("fr", "le 1er juin 2025", date(2025, 6, 1)),
    ("fr", "18 sept. 2025", D),
    ("de", "bis zum 18. September 2025", D),
    ("de", "am 3. März 2026", date(2026, 3, 3)),
    ("es", "18 de septiembre de 2025", D),
    ("it", "18 settembre 2025", D),
    ("pt", "18 de setembro de 2025", D),
    ("nl", "18 september 2025", D),
    ("da", "18. september 2025", D),
    ("sv", "18 augusti 2025", date(2025, 8, 18)),
    ("fi", "18. syyskuuta 2025", D),
    ("et", "18. september 2025", D),
    ("lv", "2025. gada 18. septembrī", D),
    ("lt", "2025 m. rugsėjo 18 d.", D),
    ("pl", "18 września 2025 r.", D),
    ("cs", "18. září 2025", D),
    ("sk", "18. septembra 2025", D),
    ("sl", "18. septembra 2025", D),
    ("hr", "18. rujna 2025.", D),
    ("hu", "2025. szeptember 18.", D),
    ("ro", "18 septembrie 2025", D),
    ("bg", "18 септември 2025 г.", D),
    ("el", "18 Σεπτεμβρίου 2025", D),
    ("mt", "18 ta' Settembru 2025", D),
    ("mt", "18 Settembru 2025", D),
    ("ga", "18 Meán Fómhair 2025", D),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[f[0] for f in FORMS])
def test_date_forms(text: str, expected: date) -> None:
    assert parse_date(text) == expected
    [found] = find_dates(f"Submit by {text}, please.")
    assert found.date == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    LANGUAGES,
    ids=[f"{lang}:{text}" for lang, text, _ in LANGUAGES],
)
def test_official_languages(language: str, text: str, expected: date) -> None:
    assert parse_date(text, language) == expected


def test_a_month_name_two_languages_read_differently_follows_the_language() -> None:
    # "listopad(a)" is November in Polish and Czech, October in Croatian.
    assert parse_date("18 listopada 2025", "pl") == date(2025, 11, 18)
    assert parse_date("18 listopada 2025", "hr") == date(2025, 10, 18)
    assert parse_date("18 listopada 2025", "en") is None  # ambiguous: never guessed


RANGES = [
    ("10–18 September 2025", date(2025, 9, 10), D),
    ("10-18 September 2025", date(2025, 9, 10), D),
    ("from 1 to 5 June 2025", date(2025, 6, 1), date(2025, 6, 5)),
    ("between 10 and 18 September 2025", date(2025, 9, 10), D),
    ("open from 13 November 2024 until 11 December 2024", date(2024, 11, 13), date(2024, 12, 11)),
    ("10 September – 18 September 2025", date(2025, 9, 10), D),
    ("du 10 au 18 septembre 2025", date(2025, 9, 10), D),
    ("vom 1. bis 5. Juni 2025", date(2025, 6, 1), date(2025, 6, 5)),
    ("Sept. 18-19, 2025", D, date(2025, 9, 19)),
    ("01/09/2025 - 18/09/2025", date(2025, 9, 1), D),
]


@pytest.mark.parametrize(("text", "first", "last"), RANGES, ids=[r[0] for r in RANGES])
def test_ranges(text: str, first: date, last: date) -> None:
    [found] = find_dates(text)
    assert (found.first, found.date, found.is_range) == (first, last, True)


def test_year_of_a_date_without_one_comes_from_the_text_or_today() -> None:
    [found] = find_dates("from 1 to 5 June", today=date(2025, 1, 1))
    assert (found.first, found.date, found.year_given) == (
        date(2025, 6, 1),
        date(2025, 6, 5),
        False,
    )
    first, second = find_dates("Workshop on 3 June, report due 30 June 2026.")
    assert (first.date, second.date) == (date(2026, 6, 3), date(2026, 6, 30))
    assert find_dates("from 1 to 5 June") == []  # no year anywhere and no today: no guess


TIMES = [
    ("open until 18 September 2025, 23:59 CET", time(23, 59), BRUSSELS),
    ("until 18 September 2025 at 12:00 (CEST)", time(12), BRUSSELS),
    ("by midnight Brussels time on 18 September 2025", time(23, 59, 59), BRUSSELS),
    ("Deadline: 5 pm CET, Friday 18 September 2025", time(17), BRUSSELS),
    ("18 September 2025 at 10.30 UTC", time(10, 30), UTC),
    ("18 September 2025, 10:00 a.m.", time(10), BRUSSELS),
    ("18 September 2025, noon", time(12), BRUSSELS),
]


@pytest.mark.parametrize(("text", "expected", "zone"), TIMES, ids=[t[0] for t in TIMES])
def test_times_and_zones(text: str, expected: time, zone: object) -> None:
    [found] = find_dates(text)
    assert (found.date, found.time, found.tz) == (D, expected, zone)


def test_a_day_without_a_time_closes_at_23_59_59_brussels() -> None:
    [summer] = find_dates("open until 18 September 2025")
    assert summer.at == datetime(2025, 9, 18, 23, 59, 59, tzinfo=BRUSSELS)
    assert summer.at.utcoffset() == timedelta(hours=2)  # CEST
    [winter] = find_dates("open until 18 December 2025")
    assert winter.at.utcoffset() == timedelta(hours=1)  # CET


def test_cet_on_a_june_page_means_the_brussels_clock() -> None:
    [found] = find_dates("This consultation is open until 23 June 2026, 22:00 CET.")
    assert found.at == datetime(2026, 6, 23, 22, 0, tzinfo=BRUSSELS)
    assert found.at.astimezone(UTC) == datetime(2026, 6, 23, 20, 0, tzinfo=UTC)


STRUCTURED = [
    (
        "2025-09-18T23:59:59+02:00",
        datetime(2025, 9, 18, 23, 59, 59, tzinfo=timezone(timedelta(hours=2))),
    ),
    ("2025-09-18T21:59:59Z", datetime(2025, 9, 18, 21, 59, 59, tzinfo=UTC)),
    ("2025/12/30 23:59:59", datetime(2025, 12, 30, 23, 59, 59, tzinfo=BRUSSELS)),
    ("2025-12-30", datetime(2025, 12, 30, 23, 59, 59, tzinfo=BRUSSELS)),
    ("30 December 2025", datetime(2025, 12, 30, 23, 59, 59, tzinfo=BRUSSELS)),
    ("", None),
    ("no date here", None),
    ("2025-02-30", None),
]


@pytest.mark.parametrize(
    ("text", "expected"), STRUCTURED, ids=[s[0] or "empty" for s in STRUCTURED]
)
def test_parse_datetime(text: str, expected: datetime | None) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


NOT_DATES = [
    "Regulation (EU) 2024/1689 and Regulation (EC) No 300/2008",
    "Article 5 may apply to providers",
    "31 February 2025",
    "in 2025 the Office grew",
    "version 1.2.3 of the template",
    "see points 3.2 and 4.5",
    "Directive (EU) 2016/797",
]


@pytest.mark.parametrize("text", NOT_DATES)
def test_not_dates(text: str) -> None:
    assert find_dates(text) == []


def test_span_and_sentence() -> None:
    text = (
        "The AI Office launched the survey. It is open until 18 September 2025, 23:59 CET."
        " Replies are published."
    )
    [found] = find_dates(text)
    assert text[found.start : found.end] == found.text == "18 September 2025, 23:59 CET"
    assert found.sentence == "It is open until 18 September 2025, 23:59 CET."


def test_formatting() -> None:
    assert format_day(D) == "18 September 2025"
    assert format_span(date(2025, 9, 10), D) == "from 10 to 18 September 2025"
    assert format_span(date(2025, 8, 30), D) == "from 30 August to 18 September 2025"
    assert format_span(date(2025, 12, 30), date(2026, 1, 13)) == (
        "from 30 December 2025 to 13 January 2026"
    )


def test_every_date_of_a_100_kb_block() -> None:
    # How fast: bench/analysis_speed.py (no wall-clock threshold in a test).
    block = (
        "Article 12 of Regulation (EU) 2024/1689 applies from 2 August 2026 under points"
        " 3.2 and 4.5. "
    ) * 1200
    assert len(find_dates(block)) == 1200


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_never_raises(text: str) -> None:
    for found in find_dates(text):
        assert text[found.start : found.end] == found.text
        assert found.first <= found.date
    parse_date(text)
    parse_datetime(text)
