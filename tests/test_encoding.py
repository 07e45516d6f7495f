"""The parsers' decoding step: the right text from a page whatever its declaration says.

The pages are shaped like the EU sites' French and German pages: a CMS head, a meta charset,
headings that become item keys. The bug these tests pin: UTF-8 bytes declared ISO-8859-1
(by the server or by the page) were stored as mojibake ("fÃ¼r"), item keys included.
"""

from __future__ import annotations

import pytest

from monitor.types import ParseContext, SourceOptions
from sources.parsers import PARSERS
from sources.parsers.encoding import sniff_html, text_encoding
from sources.parsers.feed import parse_feed
from sources.parsers.html_page import parse_html_page
from sources.parsers.text import parse_text

GERMAN = """<!DOCTYPE html>
<html lang="de"><head>{meta}
<title>Konsultation zu Leitlinien für KI-Systeme mit hohem Risiko – Gestaltung der digitalen
Zukunft Europas</title>
<link rel="stylesheet" href="/themes/custom/ecl.css?v=3.1">
</head><body>
<header><nav><a href="/de">Startseite</a> ›
<a href="/de/policies">Politikbereiche</a></nav></header>
<main>
<h1>Konsultation zu Leitlinien für KI-Systeme mit hohem Risiko</h1>
<p>Das KI-Büro bittet um Beiträge zur Einstufung von KI-Systemen mit hohem Risiko gemäß
Artikel 6 der Verordnung (EU) 2024/1689.</p>
<h2>Frist verlängert</h2>
<p>Die Frist für Stellungnahmen wurde bis zum 18. März 2026 verlängert.</p>
<h2>Übersicht der Änderungen</h2>
<p>Größere Änderungen betreffen Anbieter und Betreiber; Gebühren fallen nicht an.</p>
</main></body></html>"""

FRENCH = """<!DOCTYPE html>
<html lang="fr"><head>{meta}
<title>Consultation ciblée sur les lignes directrices relatives aux modèles d'IA à usage
général | Façonner l'avenir numérique de l'Europe</title>
</head><body>
<header><nav><a href="/fr">Accueil</a> › <a href="/fr/policies">Politiques</a></nav></header>
<main>
<h1>Consultation ciblée sur les modèles d'IA à usage général</h1>
<p>Le Bureau de l'IA recueille l'avis des fournisseurs sur les obligations prévues par le
règlement (UE) 2024/1689.</p>
<h2>Échéance prolongée</h2>
<p>La date limite de réponse est prolongée jusqu'au 18 septembre 2026 à 23 h 59 (heure de
Bruxelles).</p>
<h2>Télécharger le questionnaire – réponses déjà reçues</h2>
<p>Une synthèse des réponses reçues sera publiée après l'été.</p>
</main></body></html>"""

EXPECTED_KEYS = {
    "de": [
        "Konsultation zu Leitlinien für KI-Systeme mit hohem Risiko",
        "Konsultation zu Leitlinien für KI-Systeme mit hohem Risiko > Frist verlängert",
        "Konsultation zu Leitlinien für KI-Systeme mit hohem Risiko > Übersicht der Änderungen",
    ],
    "fr": [
        "Consultation ciblée sur les modèles d'IA à usage général",
        "Consultation ciblée sur les modèles d'IA à usage général > Échéance prolongée",
        "Consultation ciblée sur les modèles d'IA à usage général > Télécharger le"
        " questionnaire – réponses déjà reçues",
    ],
}
PAGES = {"de": GERMAN, "fr": FRENCH}
LATIN1_META = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
MOJIBAKE = ("Ã", "Â", "â€")


def _page(lang: str, meta: str) -> str:
    return PAGES[lang].format(meta=meta)


def _parse(content: bytes, content_type: str):
    return parse_html_page(
        content,
        ParseContext(url="https://digital-strategy.ec.europa.eu/x", content_type=content_type),
    )


def _keys(document) -> list[str]:
    return [item.key for item in document.items]


@pytest.mark.parametrize("lang", ["de", "fr"])
@pytest.mark.parametrize(
    "meta, content_type",
    [
        (LATIN1_META, "text/html"),  # the page says Latin-1
        ("", "text/html; charset=ISO-8859-1"),  # the server says Latin-1
        ('<meta charset="windows-1252">', "text/html; charset=iso-8859-1"),  # both do
        ('<meta charset="us-ascii">', ""),  # ASCII, which WHATWG reads as 1252
    ],
    ids=["meta", "header", "both", "ascii"],
)
def test_utf8_declared_latin1_is_read_as_utf8(lang: str, meta: str, content_type: str):
    document = _parse(_page(lang, meta).encode("utf-8"), content_type)
    assert _keys(document)[-3:] == EXPECTED_KEYS[lang]
    text = " ".join([document.title] + [item.text for item in document.items])
    assert not [mark for mark in MOJIBAKE if mark in text], text
    assert ("verlängert" if lang == "de" else "prolongée jusqu'au 18 septembre") in text


@pytest.mark.parametrize("lang", ["de", "fr"])
@pytest.mark.parametrize("encoding", ["iso-8859-1", "windows-1252"])
def test_real_latin1_pages_are_still_read_as_declared(lang: str, encoding: str):
    # Latin-1 has no – or ›: the page uses - and > instead.
    page = _page(lang, f'<meta charset="{encoding}">').replace("–", "-").replace("›", ">")
    for content_type in ("text/html", f"text/html; charset={encoding}"):
        document = _parse(page.encode("latin-1"), content_type)
        expected = [key.replace("–", "-") for key in EXPECTED_KEYS[lang]]
        assert _keys(document)[-3:] == expected


def test_windows_1252_punctuation_declared_latin1_is_windows_1252():
    """WHATWG: a page labelled ISO-8859-1 is read as windows-1252 (€, curly quotes, dashes)."""
    page = (
        '<html><head><meta charset="iso-8859-1"></head><body><main>'
        "<h1>Gebühren – 20 € pro „Antrag“</h1><p>Text.</p></main></body></html>"
    )
    document = _parse(page.encode("cp1252"), "")
    assert _keys(document) == ["Gebühren – 20 € pro „Antrag“"]


def test_the_html5_sniffing_order():
    page = b'<meta charset="iso-8859-1"><p>plain ascii</p>'
    assert sniff_html(page, "text/html; charset=koi8-r").source == "header"
    assert sniff_html(b"\xef\xbb\xbf" + page, "text/html; charset=koi8-r").source == "bom"
    assert sniff_html(page, "text/html").encoding == "cp1252"  # the meta, labels per WHATWG
    assert sniff_html(b'<meta charset="utf-16"><p>x</p>').encoding == "utf-8"
    assert sniff_html(b"<p>no declaration</p>").source == "default"
    padded = b"<!--" + b" " * 1100 + b'--><meta charset="iso-8859-1">'
    assert sniff_html(padded).source == "default"  # the prescan reads 1024 bytes only
    assert sniff_html("<meta charset=latin1><p>für</p>".encode()).encoding == "utf-8"


def test_site_parsers_get_the_same_decoding():
    """The digital-strategy parser reads pages through the same step."""
    page = _page("de", LATIN1_META).replace("<main>", '<main class="ecl-container">')
    document = PARSERS["ds_page"](
        page.encode("utf-8"),
        ParseContext(
            url="https://digital-strategy.ec.europa.eu/de/consultations/x",
            content_type="text/html",
            options=SourceOptions(language="de"),
        ),
    )
    text = " ".join([document.title] + [i.key + " " + i.text for i in document.items])
    assert "für KI-Systeme" in text and not [mark for mark in MOJIBAKE if mark in text]


FEED = """<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0"><channel><title>Actualités du Bureau de l'IA</title>
<link>https://digital-strategy.ec.europa.eu/fr/news</link><description>Actualités</description>
<item><title>Échéance prolongée pour la consultation sur les modèles d'IA à usage général</title>
<link>https://digital-strategy.ec.europa.eu/fr/news/échéance-prolongée</link>
<guid>https://digital-strategy.ec.europa.eu/fr/news/échéance-prolongée</guid>
<description>Les réponses sont attendues jusqu'au 18 septembre.</description></item>
</channel></rss>"""


def test_a_utf8_feed_declared_latin1_is_read_as_utf8():
    document = parse_feed(FEED.encode("utf-8"), ParseContext(url="https://example.eu/rss"))
    [item] = document.items
    assert item.title.startswith("Échéance prolongée") and "réponses" in item.text
    assert item.key.endswith("/fr/news/échéance-prolongée")
    assert document.title == "Actualités du Bureau de l'IA"


def test_a_latin1_feed_stays_latin1():
    document = parse_feed(FEED.encode("latin-1"), ParseContext(url="https://example.eu/rss"))
    assert document.items[0].title.startswith("Échéance prolongée")


def test_plain_text_declared_latin1_but_utf8():
    text = "ÜBERSICHT\nDie Frist wurde verlängert.\n".encode()
    context = ParseContext(
        url="https://example.eu/a.txt", content_type="text/plain; charset=iso-8859-1"
    )
    document = parse_text(text, context)
    assert [item.key for item in document.items] == ["ÜBERSICHT"]
    assert "verlängert" in document.items[0].text
    assert text_encoding("verlängert".encode("latin-1"), "iso-8859-1") == "cp1252"
