"""The rule classifier per category and language, and what is never alerted (issue 13).

Each row is one paragraph of a page before and after, in the language and style the
Commission, EUR-Lex and national authorities write; the expected set is every alerted
(category, date). Unnamed edits become ``update``: shown in digests, never sent at once.
"""

from __future__ import annotations

from datetime import date

import pytest

from monitor.analysis.classify import RuleClassifier
from monitor.analysis.diff import diff_documents
from monitor.types import (
    Category,
    Change,
    Channel,
    ClassifyContext,
    DeliveryMode,
    Document,
    DocumentKind,
    Item,
    Source,
    SourceOptions,
    Subscription,
)

A = Category
PAGE = "https://example.europa.eu/ai/consultation-page"
LEAD = "The authority supervises the application of the AI Act in its country."


def classify(
    old: str, new: str, *, language: str | None = None, fetched: date | None = date(2026, 3, 1)
) -> list[Change]:
    src = Source(
        key="src",
        title="Authority",
        url=PAGE,
        parser="html",
        interval=3600,
        options=SourceOptions(language=language),
    )
    items = [
        Document(
            kind=DocumentKind.PAGE, items=(Item(key="Main", title="Main", text=f"{LEAD}\n{text}"),)
        )
        for text in (old, new)
    ]
    context = ClassifyContext(
        source=src,
        document_kind=DocumentKind.PAGE,
        document_title="AI and data protection",
        fetched_on=fetched,
    )
    return RuleClassifier().classify(diff_documents(*items), context)


def alerts(changes: list[Change]) -> set[tuple[Category, date | None]]:
    return {(c.category, c.new_date) for c in changes if c.category.named}


ROWS = [
    # --- consultation closed, in any phrasing -------------------------------------------------
    (
        "en-ended",
        "The public consultation is open until 1 February 2026.",
        "The public consultation ended on 1 February 2026 with over 500 comments received.",
        {(A.CONSULTATION_CLOSED, None)},
    ),
    (
        "fr-cloturee",
        "La consultation publique est ouverte jusqu'au 15 février 2026.",
        "La consultation publique est désormais clôturée.",
        {(A.CONSULTATION_CLOSED, None)},
    ),
    (
        "de-beendet",
        "Die Konsultation läuft bis zum 15. Februar 2026.",
        "Die Konsultation ist beendet. Vielen Dank für die Beiträge.",
        {(A.CONSULTATION_CLOSED, None)},
    ),
    (
        "it-conclusa",
        "La consultazione pubblica è aperta fino al 15 febbraio 2026.",
        "Si è conclusa la consultazione pubblica sulle linee guida.",
        {(A.CONSULTATION_CLOSED, None)},
    ),
    (
        "nl-gesloten",
        "Deze oproep tot input staat open tot 15 februari 2026.",
        "Update: deze oproep tot input is gesloten.",
        {(A.CONSULTATION_CLOSED, None)},
    ),
    # --- a status label, whatever the words around it ---------------------------------------
    (
        "en-status-label",
        "Guidelines 02/2025 on blockchain\nStatus: Open",
        "Guidelines 02/2025 on blockchain\nStatus: Closed\nSee contributions received",
        {(A.CONSULTATION_CLOSED, None)},
    ),
    (
        "fr-badge",
        "Recommandations sur l'IA\nOuverte",
        "Recommandations sur l'IA\nClôturée",
        {(A.CONSULTATION_CLOSED, None)},
    ),
    (
        "de-badge",
        "Orientierungshilfe KI\nStatus: offen",
        "Orientierungshilfe KI\nStatus: abgeschlossen",
        {(A.CONSULTATION_CLOSED, None)},
    ),
    # --- consultation opened --------------------------------------------------------------------
    (
        "en-feedback-until",
        "The draft code was presented to the plenary.",
        "The draft code was presented to the plenary. The Commission will collect feedback on"
        " the draft until 23 January.",
        {(A.CONSULTATION_OPENED, date(2026, 1, 23))},
    ),
    (
        "fr-soumet",
        "La CNIL publie régulièrement des recommandations.",
        "La CNIL soumet à consultation publique, jusqu'au 1er septembre 2026, sept fiches"
        " pratiques.",
        {(A.CONSULTATION_OPENED, date(2026, 9, 1))},
    ),
    (
        "de-stellungnahmen-bis",
        "Die BfDI veröffentlicht regelmäßig Hinweise.",
        "Die BfDI veröffentlicht regelmäßig Hinweise. Stellungnahmen können bis zum 10. August"
        " 2026 eingereicht werden.",
        {(A.CONSULTATION_OPENED, date(2026, 8, 10))},
    ),
    # "No call is open" opens nothing: the rewrite is an amendment, not an opening.
    (
        "en-negated",
        "Call 3 on social scoring is open until 15 February 2026.",
        "No call for input is open at the moment.",
        {(A.AMENDMENT, None)},
    ),
    # --- publications ---------------------------------------------------------------------------
    (
        "fr-publie",
        "La CNIL accompagne les professionnels.",
        "La CNIL accompagne les professionnels. Elle a publié ses recommandations sur le"
        " développement des systèmes d'IA.",
        {(A.PUBLICATION_ADDED, None)},
    ),
    (
        "de-veroeffentlicht",
        "Die Datenschutzkonferenz berät Unternehmen.",
        "Die Datenschutzkonferenz hat eine Orientierungshilfe zu KI und Datenschutz"
        " veröffentlicht.",
        {(A.PUBLICATION_ADDED, None)},
    ),
    (
        "es-disponible",
        "La Agencia orienta a las empresas.",
        "La Agencia orienta a las empresas. La nota técnica sobre el uso de la IA en el empleo"
        " ya está disponible.",
        {(A.PUBLICATION_ADDED, None)},
    ),
    (
        "it-ora-disponibili",
        "Il Garante vigila sul trattamento dei dati.",
        "Il Garante vigila sul trattamento dei dati. Le schede informative sull'intelligenza"
        " artificiale sono ora disponibili.",
        {(A.PUBLICATION_ADDED, None)},
    ),
    (
        "nl-publiceert",
        "De toezichthouder houdt toezicht op algoritmes.",
        "De toezichthouder houdt toezicht op algoritmes. De AP publiceert een handleiding voor"
        " organisaties die AI inzetten.",
        {(A.PUBLICATION_ADDED, None)},
    ),
    (
        "pt-divulgou",
        "A autoridade acompanha as empresas.",
        "A autoridade acompanha as empresas. A CNPD divulgou um documento de orientação sobre"
        " inteligência artificial.",
        {(A.PUBLICATION_ADDED, None)},
    ),
    (
        "es-se-amplia-finaliza",
        "Las observaciones pueden enviarse a la autoridad. La consulta finaliza el 31 de marzo"
        " de 2026.",
        "Las observaciones pueden enviarse a la autoridad. La consulta se amplía y finaliza el"
        " 15/04/2026.",
        {(A.DEADLINE_EXTENDED, date(2026, 4, 15))},
    ),
    # --- events ---------------------------------------------------------------------------------
    (
        "fr-webinaire",
        "La CNIL informe les entreprises.",
        "La CNIL informe les entreprises. Un webinaire sur le règlement IA aura lieu le 12 mars"
        " 2026.",
        {(A.EVENT_ANNOUNCED, date(2026, 3, 12))},
    ),
    (
        "de-veranstaltung",
        "Die Bundesnetzagentur informiert Unternehmen.",
        "Die Bundesnetzagentur informiert Unternehmen. Die Informationsveranstaltung zur"
        " KI-Verordnung findet am 12. März 2026 statt.",
        {(A.EVENT_ANNOUNCED, date(2026, 3, 12))},
    ),
    # --- never alerted: chrome, decoration, typography -----------------------------------------
    (
        "fr-cookie-banner",
        "En poursuivant votre navigation, vous acceptez le dépôt de cookies. Tout accepter",
        "En poursuivant votre navigation, vous acceptez le dépôt de cookies tiers destinés à"
        " vous proposer des vidéos. Tout accepter Tout refuser Personnaliser",
        set(),
    ),
    (
        "de-newsletter",
        "Abonnieren Sie unseren Newsletter zur Datenschutzkonferenz.",
        "Newsletter abonnieren: Erhalten Sie alle Neuigkeiten der Datenschutzkonferenz per E-Mail.",
        set(),
    ),
    (
        "en-newsletter-box",
        "Subscribe to our newsletter to receive the latest news.",
        "Get the latest news on EU digital policy delivered to your inbox every week.",
        set(),
    ),
    (
        "en-image-description",
        "The image depicts a handshake between a human hand and a robotic hand.",
        "Illustration: a human hand and a robotic hand shaking hands on a purple background.",
        set(),
    ),
    (
        "en-photo-credit",
        "Ministers at the Council meeting in Brussels. © European Union",
        "Ministers at the Telecommunications Council meeting in Brussels on 21 May 2024."
        " © European Union",
        set(),
    ),
    (
        "de-hyphenation",
        "Die Orientierungshilfe nennt datenschutz- rechtliche Kriterien.",
        "Die Orientierungshilfe nennt datenschutzrechtliche Kriterien.",
        set(),
    ),
    ("fr-site-survey", "Donnez votre avis sur le site de la DGE et aidez-nous.", "", set()),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), [pytest.param(*row[1:], id=row[0]) for row in ROWS]
)
def test_each_category_is_read_in_each_language(
    old: str, new: str, expected: set[tuple[Category, date | None]]
) -> None:
    assert alerts(classify(old, new)) == expected


def test_every_change_names_the_rule_that_made_it() -> None:
    changes = classify(
        "The consultation is open until 2 October 2026.",
        "The consultation is open until 9 October 2026.",
    )
    assert [(c.category, c.rule) for c in changes] == [(A.DEADLINE_EXTENDED, "date-rewritten")]


LINKS_OLD = "Tools\nAI Act Explorer\nCompliance checker\nSandboxes map\nFunding calls"
LINKS_NEW = "Tools\nAI Pact pledges\nStandards tracker\nGPAI signatories\nNational authorities"


def test_an_unnamed_rewrite_of_labels_is_an_update_for_digests_only() -> None:
    [change] = [c for c in classify(LINKS_OLD, LINKS_NEW) if c.category.alertable]
    assert change.category is A.UPDATE and change.rule == "labels-rewritten"
    assert not change.category.named  # never scored as one of the ten categories
    instant = Subscription(name="now", channel=Channel.WEBHOOK, mode=DeliveryMode.INSTANT)
    digest = Subscription(name="daily", channel=Channel.WEBHOOK, mode=DeliveryMode.DIGEST)
    assert not instant.wants(change, ())
    assert digest.wants(change, ())


def test_a_rewrite_of_prose_is_an_amendment_and_alerted_at_once() -> None:
    [change] = classify(
        "Providers must register their systems before placing them on the market.",
        "Providers must register their systems and notify the"
        " national authority before placing them on the market.",
    )
    assert change.category is A.AMENDMENT
    instant = Subscription(name="now", channel=Channel.WEBHOOK, mode=DeliveryMode.INSTANT)
    assert instant.wants(change, ())
