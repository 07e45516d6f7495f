"""Moved dates, table-driven per way of saying it and per language (issue 13).

Each row is a paragraph of a consultation page before and after; the expected set is every
(category, new date) the classifier must alert. Dates without a year are read near the fetch
day the row gives. The wording follows how the Commission, EUR-Lex and national authorities
write, in English, French and German.
"""

from __future__ import annotations

from datetime import date

import pytest

from monitor.analysis.classify import RuleClassifier
from monitor.analysis.diff import diff_documents
from monitor.types import (
    Category,
    ClassifyContext,
    Document,
    DocumentKind,
    Item,
    Source,
    SourceOptions,
)

A = Category
URL = "https://example.europa.eu/consultations/ai-guidelines"
INTRO = "The Commission invites stakeholders to comment on the draft guidelines."


def moved(
    old: str, new: str, *, language: str | None = None, fetched: date | None = None
) -> set[tuple[Category, date | None]]:
    src = Source(
        key="src",
        title="Consultation",
        url=URL,
        parser="html",
        interval=3600,
        options=SourceOptions(language=language),
    )
    before = Document(
        kind=DocumentKind.PAGE, items=(Item(key="Main", title="Main", text=f"{INTRO}\n{old}"),)
    )
    after = Document(
        kind=DocumentKind.PAGE, items=(Item(key="Main", title="Main", text=f"{INTRO}\n{new}"),)
    )
    context = ClassifyContext(
        source=src,
        document_kind=DocumentKind.PAGE,
        document_title="Consultation on the AI guidelines",
        fetched_on=fetched,
    )
    changes = RuleClassifier().classify(diff_documents(before, after), context)
    return {(c.category, c.new_date) for c in changes if c.category.named}


ROWS = [
    # --- an explicit new date ---------------------------------------------------------------
    (
        "rewritten-date",
        "The consultation is open until 2 October 2025.",
        "The consultation is open until 9 October 2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 10, 9))},
        {},
    ),
    (
        "announced-until",
        "Contributions can be submitted until 30 September 2025.",
        "The deadline has been extended. Contributions can now be submitted until 15 October 2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 10, 15))},
        {},
    ),
    (
        "instead-of",
        "Submissions are accepted until 15 June 2026.",
        "Submissions are now accepted until 30 June 2026 instead of 15 June 2026.",
        {(A.DEADLINE_EXTENDED, date(2026, 6, 30))},
        {},
    ),
    (
        "old-date-before-verb",
        "The consultation closes on 30 September 2025.",
        "The 30 September 2025 deadline has been postponed to 14 October 2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 10, 14))},
        {},
    ),
    # --- relative to a known date -----------------------------------------------------------
    (
        "by-two-weeks",
        "The consultation closes on 5 May 2025.",
        "The consultation closes on 5 May 2025. The deadline has been extended by two weeks.",
        {(A.DEADLINE_EXTENDED, date(2025, 5, 19))},
        {},
    ),
    (
        "by-16-months-from-the-sentence",
        "The rules for high-risk AI systems apply from 2 August 2026.",
        "The rules for high-risk AI systems, which were to apply from 2 August 2026, are"
        " postponed by 16 months.",
        {(A.DEADLINE_EXTENDED, date(2027, 12, 2))},
        {},
    ),
    (
        "delayed-by-one-year",
        "The obligations shall apply from 2 August 2026.",
        "The obligations shall apply from 2 August 2026. Their application has been delayed by"
        " one year.",
        {(A.DEADLINE_EXTENDED, date(2027, 8, 2))},
        {},
    ),
    # --- a date without a year ----------------------------------------------------------------
    (
        "yearless-near-the-fetch",
        "The consultation closes on 28 February.",
        "The consultation now closes on 12 March at 17:00 CET.",
        {(A.DEADLINE_EXTENDED, date(2026, 3, 12))},
        {"fetched": date(2026, 2, 20)},
    ),
    (
        "yearless-across-new-year",
        "Feedback is welcome until 20 December 2025.",
        "Feedback is welcome until 16 January.",
        {(A.DEADLINE_EXTENDED, date(2026, 1, 16))},
        {"fetched": date(2025, 12, 18)},
    ),
    (
        "year-added-moves-nothing",
        "After the deadline for amendments on 1 June, the negotiations began.",
        "After the deadline for amendments on 1 June 2022, the negotiations began.",
        set(),
        {"fetched": date(2023, 9, 1)},
    ),
    # --- earlier ------------------------------------------------------------------------------
    (
        "brought-forward",
        "The consultation closes on 23 June 2026.",
        "The closing date has been brought forward to 16 June 2026.",
        {(A.DEADLINE_CHANGED, date(2026, 6, 16))},
        {},
    ),
    (
        "brought-forward-by-a-week",
        "The consultation closes on 23 June 2026.",
        "The consultation closes on 23 June 2026. The deadline was brought forward by one week.",
        {(A.DEADLINE_CHANGED, date(2026, 6, 16))},
        {},
    ),
    # --- several dates in one passage ---------------------------------------------------------
    (
        "two-moves-in-one-sentence",
        "The rules apply from 2 August 2026 (Annex III) and 2 August 2027 (Annex I).",
        "The application is postponed from 2 August 2026 to 2 December 2027 for Annex III"
        " systems and from 2 August 2027 to 2 August 2028 for Annex I systems.",
        {(A.DEADLINE_EXTENDED, date(2027, 12, 2)), (A.DEADLINE_EXTENDED, date(2028, 8, 2))},
        {},
    ),
    (
        "two-dates-rewritten",
        "The obligations apply from 2 August 2026 and from 2 August 2027.",
        "The obligations apply from 2 December 2027 and from 2 August 2028.",
        {(A.DEADLINE_EXTENDED, date(2027, 12, 2)), (A.DEADLINE_EXTENDED, date(2028, 8, 2))},
        {},
    ),
    # --- a deadline noun far from its date -------------------------------------------------------
    (
        "cue-far-from-date",
        "Deadline for written feedback on the first draft, which the Chairs presented to the"
        " plenary and the Member States: 28 November 2024.",
        "Deadline for written feedback on the first draft, which the Chairs presented to the"
        " plenary and the Member States: 11 December 2024.",
        {(A.DEADLINE_EXTENDED, date(2024, 12, 11))},
        {},
    ),
    # --- not a decision -------------------------------------------------------------------------
    (
        "may-be-extended",
        "The consultation closes on 5 May 2025.",
        "The consultation closes on 5 May 2025. The deadline may be extended by two weeks.",
        set(),
        {},
    ),
    # --- French ---------------------------------------------------------------------------------
    (
        "fr-reportee",
        "La consultation est ouverte jusqu'au 15 mars 2026.",
        "La date limite est reportée au 29 mars 2026.",
        {(A.DEADLINE_EXTENDED, date(2026, 3, 29))},
        {"language": "fr"},
    ),
    (
        "fr-prolongee-de-deux-semaines",
        "Les contributions peuvent être envoyées jusqu'au 1er septembre 2024.",
        "Les contributions peuvent être envoyées jusqu'au 1er septembre 2024. La consultation est"
        " prolongée de deux semaines.",
        {(A.DEADLINE_EXTENDED, date(2024, 9, 15))},
        {"language": "fr"},
    ),
    (
        "fr-sans-annee",
        "La consultation est ouverte jusqu'au 28 février.",
        "La consultation est désormais ouverte jusqu'au 14 mars.",
        {(A.DEADLINE_EXTENDED, date(2026, 3, 14))},
        {"language": "fr", "fetched": date(2026, 2, 10)},
    ),
    # --- German ---------------------------------------------------------------------------------
    (
        "de-verlaengert",
        "Stellungnahmen können bis zum 10. August 2025 eingereicht werden.",
        "Die Frist wurde bis zum 24. August 2025 verlängert.",
        {(A.DEADLINE_EXTENDED, date(2025, 8, 24))},
        {"language": "de"},
    ),
    (
        "de-um-zwei-wochen",
        "Stellungnahmen können bis zum 10. August 2025 eingereicht werden.",
        "Stellungnahmen können bis zum 10. August 2025 eingereicht werden. Die Frist wurde um"
        " zwei Wochen verlängert.",
        {(A.DEADLINE_EXTENDED, date(2025, 8, 24))},
        {"language": "de"},
    ),
    (
        "de-vorgezogen",
        "Die Konsultation endet am 30.06.2026.",
        "Die Konsultation endet am 30.06.2026. Die Frist wurde auf den 23.06.2026 vorgezogen.",
        {(A.DEADLINE_CHANGED, date(2026, 6, 23))},
        {"language": "de"},
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected", "options"), [pytest.param(*row[1:], id=row[0]) for row in ROWS]
)
def test_a_moved_date_is_read_however_it_is_written(
    old: str, new: str, expected: set[tuple[Category, date]], options: dict[str, object]
) -> None:
    assert moved(old, new, **options) == expected  # type: ignore[arg-type]


def test_without_the_fetch_day_a_yearless_date_takes_the_year_of_the_changed_text() -> None:
    """Offline (``lexwatch eval``) the year comes from the dates the changed text states."""
    found = moved(
        "The consultation is open until 2 October 2025.",
        "The consultation is open until 9 October 2025. The call for interest is"
        " open until 9 October.",
    )
    assert found == {(A.DEADLINE_EXTENDED, date(2025, 10, 9))}
