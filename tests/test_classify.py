"""The rule classifier, table-driven per category on small hand-made documents.

Each row is an old and a new document as a parser would give them; the diff is computed with
the real ``diff_documents`` and classified with ``RuleClassifier``. Wording is varied on
purpose: the rules must read EU publications in general, not one page.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.analysis.classify import RuleClassifier, StructuralClassifier, severity_of
from monitor.analysis.diff import diff_documents
from monitor.types import (
    Category,
    Change,
    ClassifyContext,
    DiffKind,
    Document,
    DocumentKind,
    Item,
    ItemDiff,
    Severity,
    Source,
    SourceOptions,
)

PAGE_URL = "https://digital-strategy.ec.europa.eu/en/news/ai-act-update"
CONSULTATION_URL = "https://digital-strategy.ec.europa.eu/en/consultations/ai-act-review"
FAQ_URL = "https://digital-strategy.ec.europa.eu/en/faqs/general-purpose-ai-models"
ACT_URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689"
FEED_URL = "https://digital-strategy.ec.europa.eu/en/rss.xml"
HYS_URL = "https://ec.europa.eu/info/law/better-regulation/brpapi/searchInitiatives?text=ai"

A = Category  # short names keep the tables readable


def source(
    url: str = PAGE_URL, parser: str = "html", tags: tuple[str, ...] = (), language: str = "en"
) -> Source:
    return Source(
        key="src",
        title="Source",
        url=url,
        parser=parser,
        interval=3600,
        tags=tags,
        options=SourceOptions(language=language),
    )


def page(*items: Item, kind: DocumentKind = DocumentKind.PAGE, title: str = "Page") -> Document:
    return Document(kind=kind, items=items, title=title)


def item(
    key: str = "Main",
    text: str = "",
    title: str | None = None,
    url: str | None = None,
    **fields: str,
) -> Item:
    return Item(
        key=key, title=title if title is not None else key, text=text, url=url, fields=fields
    )


def classify(
    old: Document,
    new: Document,
    src: Source | None = None,
    *,
    new_document: bool = False,
    gone: bool = False,
) -> list[Change]:
    context = ClassifyContext(
        source=src or source(),
        document_kind=new.kind,
        document_title=new.title,
        new_document=new_document,
        gone=gone,
    )
    return RuleClassifier().classify(diff_documents(old, new), context)


def alerts(changes: list[Change]) -> set[tuple[Category, date | None]]:
    return {(c.category, c.new_date) for c in changes if c.category.alertable}


BASE = "The AI Office coordinates the implementation of the AI Act across the Member States."


def text_case(
    old: str,
    new: str,
    expected: set[tuple[Category, date | None]],
    *,
    url: str = PAGE_URL,
    parser: str = "html",
    key: str = "Main",
    case_id: str,
) -> object:
    src = source(url=url, parser=parser)
    return pytest.param(page(item(key, old)), page(item(key, new)), src, expected, id=case_id)


TEXT_CASES = [
    # --- deadlines: dates compared, later is an extension, earlier a change -------------------
    text_case(
        f"{BASE}\nThe consultation is open until 10 September 2025.",
        f"{BASE}\nThe consultation is open until 24 September 2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 9, 24))},
        case_id="open-until-moved-later",
    ),
    text_case(
        f"{BASE}\nDeadline for submissions: 5 May 2025",
        f"{BASE}\nDeadline for submissions: 19 May 2025",
        {(A.DEADLINE_EXTENDED, date(2025, 5, 19))},
        case_id="deadline-label-moved",
    ),
    text_case(
        f"{BASE}\nPlease submit your feedback by 30 June 2025.",
        f"{BASE}\nPlease submit your feedback by 15 July 2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 7, 15))},
        case_id="submit-by-moved",
    ),
    text_case(
        f"{BASE}\nThe call closes on 1 March 2026.",
        f"{BASE}\nThe call now closes on 20 February 2026.",
        {(A.DEADLINE_CHANGED, date(2026, 2, 20))},
        url=CONSULTATION_URL,
        case_id="closes-moved-earlier",
    ),
    text_case(
        f"{BASE}\nApplications can be submitted until 12.9.2025.",
        f"{BASE}\nApplications can be submitted until 26.9.2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 9, 26))},
        case_id="numeric-dates",
    ),
    text_case(
        f"{BASE}\nThe obligations for high-risk AI systems apply from 2 August 2026.",
        f"{BASE}\nThe obligations for high-risk AI systems apply from 2 December 2027.",
        {(A.DEADLINE_EXTENDED, date(2027, 12, 2))},
        case_id="application-date-postponed",
    ),
    text_case(
        f"{BASE}\nThe survey is open until 19 September 2025.",
        f"{BASE}\nThe survey is open until 19 September 2025.\nUPDATE: the feedback period"
        " has been extended until 3 October 2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 10, 3))},
        case_id="update-line-extension",
    ),
    text_case(
        f"{BASE}\nThe consultation is open from 1 to 30 September 2025.",
        f"{BASE}\nThe consultation, open from 1 to 30 September 2025, has been extended"
        " until 15 October 2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 10, 15))},
        url=CONSULTATION_URL,
        case_id="period-then-extension",
    ),
    text_case(
        f"{BASE}\nThe rules apply from 2 August 2026.",
        f"{BASE}\nThe rules apply from 2 August 2026.\nUPDATE: their application has been"
        " postponed from 2 August 2026 to 2 December 2027.",
        {(A.DEADLINE_EXTENDED, date(2027, 12, 2))},
        case_id="postponed-from-to",
    ),
    text_case(
        f"{BASE}\nThe rules apply from 2 August 2026.",
        f"{BASE}\nThe rules will apply from 2 December 2027 instead of 2 August 2026.",
        {(A.DEADLINE_EXTENDED, date(2027, 12, 2))},
        case_id="instead-of",
    ),
    text_case(
        f"{BASE}\nLa consultation est ouverte jusqu'au 10 octobre 2025.",
        f"{BASE}\nLa consultation est prolongée jusqu'au 24 octobre 2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 10, 24))},
        case_id="french-extension",
    ),
    text_case(
        f"{BASE}\nDie Konsultation läuft bis zum 10. Oktober 2025.",
        f"{BASE}\nDie Konsultation wurde verlängert und läuft bis zum 31. Oktober 2025.",
        {(A.DEADLINE_EXTENDED, date(2025, 10, 31))},
        case_id="german-extension",
    ),
    text_case(
        f"{BASE}\nThe Commission proposes that the rules apply from 2 August 2026.",
        f"{BASE}\nThe Commission proposes that the rules could be postponed.",
        {(A.AMENDMENT, None)},
        case_id="proposed-postponement-is-no-extension",
    ),
    # --- consultations ---------------------------------------------------------------------------
    text_case(
        BASE,
        f"{BASE}\nThe Commission has launched a public consultation on the review of"
        " the AI Act, open until 15 January 2026.",
        {(A.CONSULTATION_OPENED, date(2026, 1, 15))},
        case_id="consultation-launched",
    ),
    text_case(
        f"{BASE}\nThe public consultation is open until 5 May 2025.",
        f"{BASE}\nThe public consultation closed on 5 May 2025.",
        {(A.CONSULTATION_CLOSED, None)},
        case_id="closed-on-same-date",
    ),
    text_case(
        f"{BASE}\nShare your views in the survey until 5 May 2025.",
        f"{BASE}\nThe survey is no longer accepting responses.",
        {(A.CONSULTATION_CLOSED, None)},
        url=CONSULTATION_URL,
        case_id="no-longer-accepting",
    ),
    # --- publications ----------------------------------------------------------------------------
    text_case(
        BASE,
        f"{BASE}\nThe Commission has published guidelines on the definition of an AI system.",
        {(A.PUBLICATION_ADDED, None)},
        case_id="guidelines-published",
    ),
    text_case(
        BASE,
        f"{BASE}\nThe final report of the study is now available.",
        {(A.PUBLICATION_ADDED, None)},
        case_id="report-now-available",
    ),
    text_case(
        BASE,
        f"{BASE}\nFactsheet on the AI Act (PDF - 512 KB)",
        {(A.PUBLICATION_ADDED, None)},
        case_id="new-download",
    ),
    text_case(
        BASE,
        f"{BASE}\nA summary report will be published in due course.",
        {(A.AMENDMENT, None)},
        case_id="future-publication-is-no-news",
    ),
    text_case(
        BASE,
        f"{BASE}\nThe list of participants published online will be updated.",
        {(A.AMENDMENT, None)},
        case_id="participle-is-no-publication",
    ),
    # --- legal acts, corrigenda ----------------------------------------------------------------
    text_case(
        BASE,
        f"{BASE}\nCommission Delegated Regulation (EU) 2026/211 was published in the"
        " Official Journal on 5 February 2026.",
        {(A.LEGAL_ACT, date(2026, 2, 5))},
        case_id="act-published-in-oj",
    ),
    text_case(
        BASE,
        f"{BASE}\nCorrigendum to Commission Implementing Regulation (EU) 2025/454"
        " (OJ L, 2025/454, 10.3.2025)",
        {(A.CORRIGENDUM, None)},
        case_id="corrigendum-line",
    ),
    # --- events ----------------------------------------------------------------------------------
    text_case(
        BASE,
        f"{BASE}\nWebinar on the GPAI Code of Practice: 14 October 2025, 14:00-15:30 CET",
        {(A.EVENT_ANNOUNCED, date(2025, 10, 14))},
        case_id="webinar-line",
    ),
    text_case(
        BASE,
        f"{BASE}\nRegister now for the AI Pact workshop in Brussels on 3 December 2025.",
        {(A.EVENT_ANNOUNCED, date(2025, 12, 3))},
        case_id="workshop-sentence",
    ),
    text_case(
        BASE,
        f"{BASE}\nThe workshop took place on 3 December 2025 in Brussels.",
        {(A.AMENDMENT, None)},
        case_id="past-event-is-no-announcement",
    ),
    # --- amendments, editorial, noise ----------------------------------------------------------
    text_case(
        f"{BASE}\nProviders shall keep the logs for at least six months.",
        f"{BASE}\nProviders shall keep the logs for a period appropriate to the intended"
        " purpose, of at least one year.",
        {(A.AMENDMENT, None)},
        case_id="rewrite",
    ),
    text_case(
        f"{BASE}\nThe AI Act entered into force on 1 August 2024. It applies in stages.",
        f"{BASE}\nThe AI Act entered into force on 1 August 2024. Most rules apply from"
        " 2 August 2026, after a transition period for businesses.",
        {(A.AMENDMENT, None)},
        case_id="background-entry-into-force",
    ),
    text_case(
        f"{BASE}\nThe Comission publishes the guidlines.",
        f"{BASE}\nThe Commission publishes the guidelines.",
        set(),
        case_id="typo-fix",
    ),
    text_case(
        f"{BASE}\nFirst paragraph about scope.\nSecond paragraph about fines.",
        f"{BASE}\nSecond paragraph about fines.\nFirst paragraph about scope.",
        set(),
        case_id="reordered-paragraphs",
    ),
    text_case(
        f"Last updated: 3 May 2025\n{BASE}",
        f"Last updated: 9 May 2025\n{BASE}",
        set(),
        case_id="last-updated-stamp",
    ),
    text_case(
        f"{BASE}\nThe AI Office employs more than 125 staff.",
        f"{BASE}\nThe AI Office employs more than 140 staff.",
        set(),
        case_id="number-only-on-a-page",
    ),
    text_case(f"{BASE}\nContact", f"{BASE}\nContact us", set(), case_id="renamed-label"),
    text_case(
        f"Use quotation marks to search for an exact phrase.\n{BASE}",
        f"Use quotation marks to search for an exact phrase. Use AND to combine search"
        f" terms.\n{BASE}",
        set(),
        case_id="search-help-chrome",
    ),
    text_case(
        f"{BASE}\nThe consultation ran between 13 November and 11 December 2024.",
        f"{BASE}\nThe consultation ran from 13 November to 11 December 2024.",
        set(),
        url=CONSULTATION_URL,
        case_id="reworded-closed-period",
    ),
]


@pytest.mark.parametrize(("old", "new", "src", "expected"), TEXT_CASES)
def test_text_rules(
    old: Document, new: Document, src: Source, expected: set[tuple[Category, date | None]]
) -> None:
    assert alerts(classify(old, new, src)) == expected


def test_legal_text_counts_any_real_word_change() -> None:
    old = page(
        item("art_4", "Providers shall take measures to ensure a sufficient level.", kind="article")
    )
    new = page(
        item("art_4", "Providers shall take measures to ensure an adequate level.", kind="article")
    )
    changes = classify(old, new, source(ACT_URL, "eurlex_act"))
    assert [(c.category, c.item_key) for c in changes] == [(A.AMENDMENT, "art_4")]


# --- structured fields ----------------------------------------------------------------------


def hys(key: str = "hys:14284", **fields: str) -> Item:
    return item(
        key, title="Artificial intelligence – scientific panel", initiative_id="14284", **fields
    )


FIELD_CASES = [
    pytest.param(
        hys(status="OPEN", feedback_end="2025-12-30T23:59:59+01:00"),
        hys(status="OPEN", feedback_end="2026-01-13T23:59:59+01:00"),
        {(A.DEADLINE_EXTENDED, date(2026, 1, 13))},
        id="feedback-end-later",
    ),
    pytest.param(
        hys(status="OPEN", feedback_end="2026-01-13T23:59:59+01:00"),
        hys(status="OPEN", feedback_end="2026-01-06T23:59:59+01:00"),
        {(A.DEADLINE_CHANGED, date(2026, 1, 6))},
        id="feedback-end-earlier",
    ),
    pytest.param(
        hys(status="UPCOMING", feedback_end="2025-11-15T23:59:59+01:00"),
        hys(status="OPEN", feedback_end="2025-11-15T23:59:59+01:00"),
        {(A.CONSULTATION_OPENED, date(2025, 11, 15))},
        id="status-opened",
    ),
    pytest.param(
        hys(status="OPEN"),
        hys(status="CLOSED"),
        {(A.CONSULTATION_CLOSED, None)},
        id="status-closed",
    ),
    pytest.param(
        hys(status="CLOSED", stage="DRAFT_ACT"),
        hys(status="CLOSED", stage="ADOPTION_WORKFLOW"),
        set(),
        id="stage-only",
    ),
    pytest.param(
        item("32024R1689", celex="32024R1689"),
        item(
            "32024R1689",
            celex="32024R1689",
            corrected_by="32024R1689R(01) — (OJ L, 2024/1689, 15.1.2025)",
        ),
        {(A.CORRIGENDUM, date(2025, 1, 15))},
        id="corrected-by",
    ),
    pytest.param(
        item("32024R1689", celex="32024R1689"),
        item("32024R1689", celex="32024R1689", amended_by="32026R0042 — Article 6"),
        {(A.AMENDMENT, None)},
        id="amended-by",
    ),
    pytest.param(
        item("Library", attachment_titles="Guidelines (PDF)"),
        item("Library", attachment_titles="Guidelines (PDF)\nAnnex with examples (PDF)"),
        {(A.PUBLICATION_ADDED, None)},
        id="new-attachment",
    ),
    pytest.param(
        item(
            "forecast:plenary",
            title="Indicative plenary sitting date",
            event="Indicative plenary sitting date",
            event_date="2026-06-16",
        ),
        item(
            "forecast:plenary",
            title="Indicative plenary sitting date",
            event="Indicative plenary sitting date",
            event_date="2026-07-07",
        ),
        {(A.EVENT_ANNOUNCED, date(2026, 7, 7))},
        id="forecast-moved",
    ),
    pytest.param(
        item("feed-entry", title="News", published="2025-01-01T10:00:00+00:00"),
        item("feed-entry", title="News", published="2025-01-02T10:00:00+00:00"),
        set(),
        id="published-stamp",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), FIELD_CASES)
def test_field_rules(old: Item, new: Item, expected: set[tuple[Category, date | None]]) -> None:
    changes = classify(
        page(old, kind=DocumentKind.LISTING),
        page(new, kind=DocumentKind.LISTING),
        source(HYS_URL, "hys_search"),
    )
    assert alerts(changes) == expected


def test_field_change_carries_both_dates_and_a_human_summary() -> None:
    old = hys(status="OPEN", feedback_end="2025-09-10T23:59:59+02:00")
    new = hys(status="OPEN", feedback_end="2025-09-18T23:59:59+02:00")
    [change] = classify(
        page(old, kind=DocumentKind.LISTING),
        page(new, kind=DocumentKind.LISTING),
        source(HYS_URL, "hys_search"),
    )
    assert (change.old_date, change.new_date) == (date(2025, 9, 10), date(2025, 9, 18))
    assert change.summary == (
        "Artificial intelligence – scientific panel: deadline extended from 10 to 18 September 2025"
    )
    assert change.event_key == "hys:14284"
    assert change.severity is Severity.HIGH
    assert change.evidence


# --- new entries: what is it? ---------------------------------------------------------------

ENTRY_CASES = [
    ("Call for evidence: evaluation of the AI Pact", "", {}, A.CONSULTATION_OPENED),
    ("Targeted stakeholder survey on AI regulatory sandboxes", "", {}, A.CONSULTATION_OPENED),
    (
        "AI Act: draft guidance on serious incidents, the Commission seeks stakeholders' feedback",
        "",
        {},
        A.CONSULTATION_OPENED,
    ),
    # A consultation on a draft is a consultation; a publication that also opens one is
    # both (issue 13).
    (
        "Guidelines 1/2026 on AI models - version for public consultation",
        "",
        {},
        A.CONSULTATION_OPENED,
    ),
    (
        "Third draft of the General-Purpose AI Code of Practice published",
        "The Chairs present the third draft. Stakeholders can comment until 30 March 2025.",
        {},
        (A.PUBLICATION_ADDED, A.CONSULTATION_OPENED),
    ),
    # Identifiers decide before words: "initiative" in an act's title is no proposal.
    (
        "Regulation (EU) 2021/694 establishing the Digital Europe Programme initiative",
        "",
        {"celex": "32021R0694"},
        A.LEGAL_ACT,
    ),
    (
        "Verordnung (EU) 2024/1689 zur Festlegung harmonisierter Vorschriften",
        "",
        {"eli": "http://data.europa.eu/eli/reg/2024/1689/oj"},
        A.LEGAL_ACT,
    ),
    ("Berichtigung der Verordnung (EU) 2024/1689", "", {}, A.CORRIGENDUM),
    ("Rectificatif au règlement (UE) 2024/1689", "", {}, A.CORRIGENDUM),
    ("La CNIL lance une consultation publique sur les modèles d'IA", "", {}, A.CONSULTATION_OPENED),
    (
        "Konsultation zu KI-Modellen",
        "Die BfDI bittet um Stellungnahmen bis zum 10. August.",
        {},
        A.CONSULTATION_OPENED,
    ),
    (
        "Commission Implementing Decision (EU) 2025/2001 on a standardisation request",
        "",
        {},
        A.LEGAL_ACT,
    ),
    ("AI Act enters into force", "", {}, A.LEGAL_ACT),
    ("Proposal for a Regulation amending Regulation (EU) 2024/1689", "", {}, A.PUBLICATION_ADDED),
    ("Corrigendum to Regulation (EU) 2024/1689", "OJ L, 2024/1689, 15.1.2025", {}, A.CORRIGENDUM),
    (
        "Webinar: the AI Act for public authorities",
        "Webinar | 4 March 2026 | Online",
        {},
        A.EVENT_ANNOUNCED,
    ),
    ("EDPB adopts opinion on AI models at its December plenary", "", {}, A.PUBLICATION_ADDED),
    ("Report on the stakeholder workshop on AI literacy", "", {}, A.PUBLICATION_ADDED),
    ("Guidelines on prohibited AI practices", "", {}, A.PUBLICATION_ADDED),
    # Words that name nothing: the hours of an event make it one, a time of publication not.
    (
        "Digital Assembly 2026: trustworthy AI",
        "Tuesday 3 March 2026, 14:00 – 18:30 CET | Egmont Palace, Brussels",
        {},
        A.EVENT_ANNOUNCED,
    ),
    (
        "Annual activity overview 2025",
        "3 March 2026, 14:00 CET | Brussels",
        {},
        A.PUBLICATION_ADDED,
    ),
    (
        "prEN 18228 Artificial intelligence — Risk management",
        "The draft standard is open for public enquiry at national standards bodies until"
        " 5 May 2026.",
        {},
        A.CONSULTATION_OPENED,
    ),
    (
        "Commission adopts delegated act amending the list of high-risk AI systems",
        "",
        {},
        A.LEGAL_ACT,
    ),
    ("Artificial Intelligence Act: MEPs adopt landmark law", "", {}, A.LEGAL_ACT),
    ("Council adopts its position on the Digital Omnibus proposal", "", {}, A.PUBLICATION_ADDED),
    (
        "Commission invites comments on draft guidelines on transparency",
        "",
        {},
        A.CONSULTATION_OPENED,
    ),
    (
        "Consolidated text: Regulation (EU) 2024/1689",
        "",
        {"celex": "02024R1689-20260801"},
        A.AMENDMENT,
    ),
    (
        "Initiative 15120",
        "",
        {"status": "OPEN", "feedback_end": "2025-11-20T23:59:59+01:00"},
        A.CONSULTATION_OPENED,
    ),
    (
        "32026R0211",
        "",
        {
            "celex": "32026R0211",
            "oj_date": "2026-02-05",
            "act_type": "Commission Delegated Regulation",
        },
        A.LEGAL_ACT,
    ),
]


@pytest.mark.parametrize(
    ("title", "text", "fields", "expected"), ENTRY_CASES, ids=[case[0][:40] for case in ENTRY_CASES]
)
def test_new_feed_entry_is_classified_by_what_it_is(
    title: str, text: str, fields: dict[str, str], expected: Category | tuple[Category, ...]
) -> None:
    wanted = list(expected) if isinstance(expected, tuple) else [expected]
    new = page(item("guid-1", text, title=title, **fields), kind=DocumentKind.FEED)
    changes = classify(page(kind=DocumentKind.FEED), new, source(FEED_URL, "feed"))
    assert [c.category for c in changes] == wanted
    assert [c.severity for c in changes] == [severity_of(c) for c in wanted]


def test_new_entry_dates() -> None:
    entry = item(
        "CELEX:32025R0454",
        "OJ L, 2025/454, 10.3.2025",
        title="Commission Implementing Regulation (EU) 2025/454 of 7 March 2025",
        published="2025-03-09T23:00:00+00:00",
    )
    [change] = classify(
        page(kind=DocumentKind.FEED), page(entry, kind=DocumentKind.FEED), source(FEED_URL, "feed")
    )
    assert (change.category, change.new_date) == (A.LEGAL_ACT, date(2025, 3, 10))
    assert change.event_key == "celex:32025R0454"


def test_source_tags_give_the_default_meaning_of_an_entry() -> None:
    new = page(item("guid-2", title="AI Board, fifth meeting"), kind=DocumentKind.FEED)
    changes = classify(page(kind=DocumentKind.FEED), new, source(FEED_URL, "feed", ("events",)))
    assert [c.category for c in changes] == [A.EVENT_ANNOUNCED]


def test_feed_entry_removed_is_noise_and_title_tweak_editorial() -> None:
    old = page(
        item("a", title="EDPB adopts statement and creates a task force"),
        item("b"),
        kind=DocumentKind.FEED,
    )
    new = page(
        item("a", title="EDPB adopts statement, creates a task force"), kind=DocumentKind.FEED
    )
    changes = classify(old, new, source(FEED_URL, "feed"))
    assert [(c.item_key, c.category) for c in changes] == [("a", A.EDITORIAL), ("b", A.NOISE)]


# --- documents that appear and disappear ----------------------------------------------------


def test_new_page_is_one_change_saying_what_the_page_is() -> None:
    new = page(
        item("(top)", "Consultation | Publication 19 May 2026"),
        item(
            "Targeted consultation on AI literacy guidelines",
            "This consultation is open until 23 June 2026, 22:00 CET.",
        ),
        title="Targeted consultation on AI literacy guidelines | Shaping Europe’s digital future",
    )
    changes = classify(page(), new, source(CONSULTATION_URL), new_document=True)
    assert [(c.category, c.new_date) for c in changes] == [
        (A.CONSULTATION_OPENED, date(2026, 6, 23))
    ]
    assert changes[0].event_key == "consultation:/en/consultations/ai-act-review"


def test_gone_document_is_one_page_removed() -> None:
    old = page(
        item("A", "The first section of the page explains the scope."),
        item("B", "The second section lists the contacts."),
    )
    changes = classify(old, page(), gone=True)
    assert [c.category for c in changes] == [A.PAGE_REMOVED]
    assert changes[0].summary.startswith("Page removed: Page")
    assert changes[0].evidence[0] == "The first section of the page explains the scope."


def test_events_listing_teaser_and_date_under_other_headings_are_one_event() -> None:
    old = page(
        item("Events", "Webinar | 17 December 2024 | Online"),
        item("Events > Old webinar", "About the old webinar."),
    )
    new = page(
        item("Events", "Webinar | 20 February 2025 | Online"),
        item(
            "Events > New webinar on AI literacy",
            "Article 4 applies since 2 February 2025.\nWebinar | 17 December 2024 | Online",
        ),
        item("Events > Old webinar", "About the old webinar."),
    )
    changes = classify(old, new, source("https://digital-strategy.ec.europa.eu/en/events"))
    assert alerts(changes) == {(A.EVENT_ANNOUNCED, date(2025, 2, 20))}


def test_two_new_entries_of_a_listing_page_stay_two_changes() -> None:
    new = page(
        item("https://x.eu/en/consultations/a", title="Targeted consultation on A"),
        item("https://x.eu/en/consultations/b", title="Public consultation on B"),
    )
    changes = classify(
        page(), new, source("https://digital-strategy.ec.europa.eu/en/consultations")
    )
    assert [(c.item_key, c.category) for c in changes] == [
        ("https://x.eu/en/consultations/a", A.CONSULTATION_OPENED),
        ("https://x.eu/en/consultations/b", A.CONSULTATION_OPENED),
    ]


def test_faq_entry_added_to_a_faq_page() -> None:
    old = page(item("FAQ", "What is a GPAI model?\nA model trained on broad data."))
    new = page(
        item(
            "FAQ",
            "What is a GPAI model?\nA model trained on broad data.\nCan a"
            " signatory withdraw?\nYes. It informs the AI Office in writing.",
        )
    )
    changes = classify(old, new, source(FAQ_URL))
    assert alerts(changes) == {(A.PUBLICATION_ADDED, None)}
    assert "Can a signatory withdraw?" in changes[0].summary


def test_renamed_section_is_compared_with_its_old_self() -> None:
    old = page(item("3. What are the series of the", "The OJ has two series."))
    new = page(item("3. What are the series of the Official Journal?", "The OJ has two series."))
    assert alerts(classify(old, new, source(FAQ_URL))) == set()


def test_several_events_in_one_diff_give_several_changes() -> None:
    old = page(
        item(
            "Main",
            f"{BASE}\nThe consultation is open from 13 November 2024 until 11 December 2024.",
        )
    )
    new = page(
        item(
            "Main",
            f"{BASE}\nThe consultation ran from 13 November 2024 to 11 December"
            " 2024 and is now closed.\nOutcome: The Commission published a report on"
            " the feedback received.",
        )
    )
    changes = classify(old, new, source(CONSULTATION_URL))
    assert alerts(changes) == {(A.CONSULTATION_CLOSED, None), (A.PUBLICATION_ADDED, None)}
    assert all(c.evidence for c in changes)


def test_flattened_json_records_are_matched_by_id_not_position() -> None:
    def listing(*records: tuple[str, str, str]) -> Document:
        fields: dict[str, str] = {}
        for n, (ident, status, end) in enumerate(records):
            prefix = f"content.{n}"
            fields.update(
                {
                    f"{prefix}.id": ident,
                    f"{prefix}.shortTitle": f"Initiative {ident}",
                    f"{prefix}.currentStatuses.0.receivingFeedbackStatus": status,
                    f"{prefix}.currentStatuses.0.feedbackEndDate": end,
                }
            )
        return page(item(HYS_URL, title="", **fields), kind=DocumentKind.LISTING)

    old = listing(("13993", "CLOSED", "2024/05/30 23:59:59"))
    new = listing(
        ("14284", "OPEN", "2024/11/15 23:59:59"), ("13993", "CLOSED", "2024/05/30 23:59:59")
    )
    changes = classify(old, new, source(HYS_URL, "json"))
    assert alerts(changes) == {(A.CONSULTATION_OPENED, date(2024, 11, 15))}
    assert changes[0].event_key == "hys:14284"


# --- properties -----------------------------------------------------------------------------

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@given(
    texts,
    texts,
    st.dictionaries(
        st.sampled_from(["status", "feedback_end", "deadline", "corrected_by", "event", "celex"]),
        texts,
        max_size=3,
    ),
)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_identical_documents_never_classify_as_a_change(
    title: str, text: str, fields: dict[str, str]
) -> None:
    document = page(item("k", text, title=title, **fields))
    assert classify(document, document) == []


@given(
    texts,
    texts,
    texts,
    st.sampled_from(list(DiffKind)),
    st.booleans(),
    st.booleans(),
    st.sampled_from(list(DocumentKind)),
)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_classify_never_raises_on_any_text(
    old: str,
    new: str,
    title: str,
    kind: DiffKind,
    new_document: bool,
    gone: bool,
    document_kind: DocumentKind,
) -> None:
    before = item("k", old, title=title, status=old[:10], feedback_end=new[:30])
    after = item("k", new, title=new[:40], status=new[:10], deadline=old[:30], event=title)
    old_doc = page(before, kind=document_kind)
    new_doc = page(after, kind=document_kind)
    diffs = diff_documents(old_doc, new_doc) or [
        ItemDiff(kind=kind, key="k", old=before, new=after)
    ]
    context = ClassifyContext(
        source=source(), document_kind=document_kind, new_document=new_document, gone=gone
    )
    changes = RuleClassifier()._classify(diffs, context)  # the rules themselves, no safety net
    assert all(isinstance(change, Change) for change in changes)


def test_structural_classifier_is_kept_as_the_fallback() -> None:
    old, new = page(item("a", "x")), page(item("a", "y"), item("b", "z"))
    context = ClassifyContext(source=source(), document_kind=DocumentKind.PAGE)
    changes = StructuralClassifier().classify(diff_documents(old, new), context)
    assert [c.category for c in changes] == [A.AMENDMENT, A.PUBLICATION_ADDED]


SMALL_BUT_SUBSTANTIVE = [
    ("Fines of up to EUR 15 million apply.", "Fines of up to EUR 35 million apply."),
    ("Fines of up to 3 % of turnover.", "Fines of up to 7 % of turnover."),
    ("Reply within 15 days of the request.", "Reply within 30 days of the request."),
    ("As referred to in Article 6(2).", "As referred to in Article 6(3)."),
    ("Providers shall register the system.", "Providers may register the system."),
    ("Providers must register the system.", "Providers must not register the system."),
]
SMALL_AND_EDITORIAL = [
    ("Providers shal register the system.", "Providers shall register the system."),
    ("This page was viewed 1,234 times.", "This page was viewed 1,240 times."),
    ("Providers shall register the system.", "Providers shall register the system ."),
]


def _one_change(old: str, new: str) -> list[str]:
    from monitor.analysis.diff import diff_documents
    from monitor.types import ClassifyContext, Document, DocumentKind, Item, Source

    source = Source(key="s", title="S", url="https://example.eu/p", parser="html", interval=60)
    diffs = diff_documents(
        Document(kind=DocumentKind.PAGE, items=(Item(key="k", title="Obligations", text=old),)),
        Document(kind=DocumentKind.PAGE, items=(Item(key="k", title="Obligations", text=new),)),
    )
    context = ClassifyContext(source=source, document_kind=DocumentKind.PAGE)
    return [c.category.value for c in RuleClassifier().classify(diffs, context)]


@pytest.mark.parametrize(("old", "new"), SMALL_BUT_SUBSTANTIVE)
def test_one_changed_quantity_or_normative_word_is_an_amendment(old: str, new: str):
    assert _one_change(old, new) == ["amendment"]


@pytest.mark.parametrize(("old", "new"), SMALL_AND_EDITORIAL)
def test_typos_counters_and_punctuation_are_never_alerted(old: str, new: str):
    assert set(_one_change(old, new)) <= {"editorial", "noise"}


def test_a_news_item_linking_one_initiative_shares_its_event_key():
    from monitor.analysis.diff import diff_documents
    from monitor.types import ClassifyContext, Document, DocumentKind, Item, Source

    source = Source(
        key="news", title="News", url="https://example.eu/news", parser="feed", interval=60
    )
    news = Item(
        key="n1",
        title="Commission opens consultation on AI sandboxes",
        url="https://example.eu/news/1",
        text="The Commission opened a call for evidence on AI regulatory sandboxes.",
        fields={
            "links": "https://ec.europa.eu/info/law/better-regulation/"
            "have-your-say/initiatives/14284_en"
        },
    )
    diffs = diff_documents(
        Document(kind=DocumentKind.FEED, items=()), Document(kind=DocumentKind.FEED, items=(news,))
    )
    changes = RuleClassifier().classify(
        diffs, ClassifyContext(source=source, document_kind=DocumentKind.FEED)
    )
    assert changes and {c.event_key for c in changes} == {"hys:14284"}


def test_each_consultation_a_page_lists_is_an_event_of_its_own():
    intro = item(
        "About", "The AI Office consults stakeholders on the AI Act.", url=CONSULTATION_URL
    )
    first = item(
        "Consultations > Guidelines",
        "The consultation on the guidelines is open until 10 September 2026.",
        url=CONSULTATION_URL,
    )
    second = item(
        "Consultations > Code of practice",
        "The consultation on the code of practice is open until 2 October 2026.",
        url=CONSULTATION_URL,
    )
    keys = [
        {
            c.event_key
            for c in classify(page(*old), page(*new), source(CONSULTATION_URL))
            if c.category is A.CONSULTATION_OPENED
        }
        for old, new in (((intro,), (intro, first)), ((intro, first), (intro, first, second)))
    ]
    path = "consultation:/en/consultations/ai-act-review"
    assert keys == [
        {f"{path}#Consultations > Guidelines"},
        {f"{path}#Consultations > Code of practice"},
    ]


def test_a_publication_of_an_initiative_is_a_thing_of_its_own():
    hys = source(HYS_URL, parser="hys_initiative")
    publication = item(
        "hys:14284:pub:9",
        "Call for evidence on AI regulatory sandboxes.",
        title="Call for evidence",
        initiative_id="14284",
        publication_id="9",
    )
    changes = classify(
        page(kind=DocumentKind.LISTING), page(publication, kind=DocumentKind.LISTING), hys
    )
    assert changes and {c.event_key for c in changes} == {"hys:14284:pub:9"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "The guidelines will be published on 10 June 2026.",
            "The guidelines will be published on 18 July 2026.",
            ("deadline_extended", "2026-06-10", "2026-07-18"),
        ),
        (
            "Adoption is planned for 3 March 2026.",
            "Adoption is planned for 1 February 2026.",
            ("deadline_changed", "2026-03-03", "2026-02-01"),
        ),
    ],
)
def test_a_planned_date_that_moves_is_a_schedule_change(old: str, new: str, expected):
    from monitor.analysis.diff import diff_documents
    from monitor.types import ClassifyContext, Document, DocumentKind, Item, Source

    source = Source(key="s", title="S", url="https://example.eu/p", parser="html", interval=60)
    diffs = diff_documents(
        Document(kind=DocumentKind.PAGE, items=(Item(key="k", title="Guidelines", text=old),)),
        Document(kind=DocumentKind.PAGE, items=(Item(key="k", title="Guidelines", text=new),)),
    )
    [change] = RuleClassifier().classify(
        diffs, ClassifyContext(source=source, document_kind=DocumentKind.PAGE)
    )
    assert (change.category.value, str(change.old_date), str(change.new_date)) == expected


def test_two_consultations_opened_on_one_page_in_one_check_are_two_changes() -> None:
    """Each section of a page is its own consultation: one check that opens two, neither
    stating its deadline, is two alerts, not one merged (issue 14: a second consultation on
    a page is never swallowed)."""
    first, second = "Transparency obligations", "AI regulatory sandboxes"
    old = page(
        item(first, "Article 50 sets transparency duties."),
        item(second, "Member States set up sandboxes."),
    )
    new = page(
        item(
            first,
            "Article 50 sets transparency duties. The Commission launches a"
            " targeted consultation on transparency.",
        ),
        item(
            second,
            "Member States set up sandboxes. The Commission opens a call for"
            " evidence on AI regulatory sandboxes.",
        ),
    )
    changes = [c for c in classify(old, new, source(CONSULTATION_URL)) if c.category.named]
    assert [c.category for c in changes] == [A.CONSULTATION_OPENED] * 2
    assert len({c.event_key for c in changes}) == 2


# -- documents (PDF, Word) followed from a page ------------------------------------------------


def _document_source() -> Source:
    return Source(
        key="code/doc/0123456789ab",
        title="Third Draft of the Code of Practice",
        url="https://example.eu/third.pdf",
        parser="document",
        interval=3600,
        tags=("code-of-practice", "document"),
    )


def _measure(text: str) -> Item:
    return Item(
        key="Measure 1.2",
        title="Measure 1.2 — Documentation",
        url="https://example.eu/third.pdf",
        text=text,
        fields={"kind": "measure", "number": "1.2", "pages": "4"},
    )


def test_a_new_version_of_a_document_is_a_publication_linking_the_old_one():
    source = _document_source()
    document = Document(
        kind=DocumentKind.PAGE,
        title="Third Draft of the Code of Practice",
        items=(_measure("Signatories shall keep documentation."),),
    )
    empty = Document(kind=DocumentKind.PAGE, items=(), title=document.title)
    context = ClassifyContext(
        source=source,
        document_kind=DocumentKind.PAGE,
        document_title=document.title,
        new_document=True,
        replaces=("Second Draft of the Code of Practice", "https://example.eu/second.pdf"),
    )
    changes = RuleClassifier().classify(diff_documents(empty, document), context)
    [change] = [c for c in changes if c.category is Category.PUBLICATION_ADDED]
    assert "replaces Second Draft of the Code of Practice" in change.summary
    assert any("https://example.eu/second.pdf" in line for line in change.evidence)
    assert change.url == "https://example.eu/third.pdf"


def test_one_changed_word_of_a_measure_is_an_amendment():
    source = _document_source()
    old = Document(
        kind=DocumentKind.PAGE,
        items=(
            _measure("Signatories shall provide the model documentation to downstream providers."),
        ),
    )
    new = Document(
        kind=DocumentKind.PAGE,
        items=(
            _measure("Signatories shall provide the model documentation to downstream deployers."),
        ),
    )
    context = ClassifyContext(source=source, document_kind=DocumentKind.PAGE)
    [change] = RuleClassifier().classify(diff_documents(old, new), context)
    assert (change.category, change.item_key) == (Category.AMENDMENT, "Measure 1.2")


def test_a_document_item_that_only_moved_to_another_page_is_no_change():
    moved = Document(
        kind=DocumentKind.PAGE,
        items=(
            replace(
                _measure("Signatories shall keep documentation."),
                fields={"kind": "measure", "number": "1.2", "pages": "5"},
            ),
        ),
    )
    before = Document(
        kind=DocumentKind.PAGE, items=(_measure("Signatories shall keep documentation."),)
    )
    assert diff_documents(before, moved) == []


def test_every_pattern_of_the_vocabulary_compiles_and_folds_like_ignorecase() -> None:
    """The patterns compile on first use, so a typo in a language file would surface only
    when a page says something: compile them all here, in both forms."""
    from monitor.analysis.classify import vocabulary

    words = [value for value in vars(vocabulary).values() if isinstance(value, vocabulary.Words)]
    assert len(words) > 40
    for pattern in words:
        assert pattern.folded.flags & re.IGNORECASE == 0
        assert pattern.exact.flags & re.IGNORECASE


def test_a_consultation_page_closing_is_one_closing_not_an_opening_or_an_amendment() -> None:
    """The form and the response instructions give way to a closed notice under another
    heading: the notice restates the old deadline, which opens nothing, and the sections
    removed with the closing are part of it."""
    old = page(
        item("Consultation on AI sandboxes", "Status: open. Comments until 14 April 2026."),
        item(
            "Submitting comments",
            "Interested parties are invited to send their written comments on the draft rules"
            " to the ministry by e-mail, using the template provided, by 14 April 2026.",
        ),
    )
    new = page(
        item("Consultation on AI sandboxes", "Status: closed. Comments until 14 April 2026."),
        item(
            "About the consultation",
            "The consultation has now closed. Comments could be submitted until 14 April 2026;"
            " the ministry thanks everyone who took part and will publish a summary.",
        ),
    )
    changes = classify(old, new, source(CONSULTATION_URL))
    alerted = [c.category for c in changes if c.category.alertable]
    assert alerted == [A.CONSULTATION_CLOSED], [(c.category, c.summary) for c in changes]
