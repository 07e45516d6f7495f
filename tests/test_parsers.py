"""Parsers: golden files per parser, plus the behaviours the golden files cannot show.

Golden cases live in tests/data/parsers/<parser>/<case>.<ext>, with <case>.expected.json
(the document as JSON) and an optional <case>.context.json (url, content_type, options).
Rewrite the expected files with ``LEXWATCH_UPDATE_GOLDEN=1 pytest tests/test_parsers.py``.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.errors import ConfigError, ParseError
from monitor.types import Document, DocumentKind, ParseContext, SourceOptions
from sources.normalise import join_blocks, normalise_line, normalise_text, strip_tracking
from sources.parsers import PARSERS, get_parser
from sources.parsers.eurlex_act import parse_eurlex_act
from sources.parsers.feed import parse_feed
from sources.parsers.html_page import parse_html_page
from sources.parsers.json_api import flatten, parse_json

ROOT = Path(__file__).resolve().parents[1]

DATA = Path(__file__).parent / "data" / "parsers"
# Read at import time: the autouse clean_environ fixture removes LEXWATCH_* from each test.
UPDATE_GOLDEN = os.environ.get("LEXWATCH_UPDATE_GOLDEN") == "1"
SIDE_FILES = (".expected.json", ".context.json")
CASES = sorted(p for p in DATA.glob("*/*") if p.is_file() and not p.name.endswith(SIDE_FILES))
AI_ACT_URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689"


def side_file(case: Path, suffix: str) -> Path:
    return case.with_name(case.name.rsplit(".", 1)[0] + suffix)


def case_context(case: Path) -> ParseContext:
    path = side_file(case, ".context.json")
    raw: dict[str, Any] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.get("options", {}).items()}
    return ParseContext(
        url=raw.get("url", f"https://example.europa.eu/{case.name}"),
        content_type=raw.get("content_type", ""),
        options=SourceOptions(**options),
    )


def document_json(document: Document) -> dict[str, Any]:
    items = [
        {"key": i.key, "title": i.title, "url": i.url, "text": i.text, "fields": dict(i.fields)}
        for i in document.items
    ]
    return {"kind": document.kind.value, "title": document.title, "items": items}


def html_context(**options: Any) -> ParseContext:
    return ParseContext(
        url="https://digital-strategy.ec.europa.eu/en/page", options=SourceOptions(**options)
    )


def item_set(document: Document) -> list[dict[str, Any]]:
    """The items in key order: what remains equal when a feed is only re-sorted."""
    return sorted(document_json(document)["items"], key=lambda item: item["key"])


def all_text(document: Document) -> str:
    """Every string a user could see or a diff could compare."""
    parts = [document.title]
    for item in document.items:
        parts += [item.key, item.title, item.url or "", item.text, *item.fields.values()]
    return "\n".join(parts)


# --- golden files ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_golden(case: Path) -> None:
    document = get_parser(case.parent.name)(case.read_bytes(), case_context(case))
    actual = document_json(document)
    expected_path = side_file(case, ".expected.json")
    if UPDATE_GOLDEN:
        text = json.dumps(actual, indent=2, ensure_ascii=False) + "\n"
        expected_path.write_text(text, "utf-8")
    assert expected_path.exists(), (
        f"{expected_path.name} missing: run with LEXWATCH_UPDATE_GOLDEN=1"
    )
    assert actual == json.loads(expected_path.read_text("utf-8"))


def test_every_parser_has_golden_cases() -> None:
    assert {case.parent.name for case in CASES} == set(PARSERS)


def test_golden_texts_are_normalised() -> None:
    for case in CASES:
        document = get_parser(case.parent.name)(case.read_bytes(), case_context(case))
        for item in document.items:
            assert normalise_text(item.text) == item.text, (case.name, item.key)
            assert normalise_line(item.title) == item.title, (case.name, item.key)


# --- registry -------------------------------------------------------------------------------


def test_registry_names() -> None:
    assert sorted(PARSERS) == [
        "document", "ds_page", "eurlex_act", "eurlex_docinfo", "eurlex_feed", "feed", "formex",
        "html", "hys_initiative", "hys_search", "json", "oeil_procedure", "text",
    ]  # fmt: skip
    assert get_parser("html") is parse_html_page
    assert get_parser("eurlex_act") is parse_eurlex_act


def test_a_parser_is_imported_when_first_used_not_when_named() -> None:
    """A cycle of 304s parses nothing: naming, listing and checking parser names must not
    import the parsers (lxml, feedparser); asking for one imports its module."""
    code = (
        "import sys; from sources.parsers import PAGERS, PARSERS;"
        " assert 'html' in PARSERS and 'hys_search' in PAGERS and len(sorted(PARSERS)) == 13;"
        " heavy = ('lxml', 'feedparser', 'sources.parsers.');"
        " print(sorted(m for m in sys.modules if m.startswith(heavy)));"
        " PARSERS['html']; print('sources.parsers.html_page' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split("\n")[:2] == ["[]", "True"]
    with pytest.raises(KeyError):
        PARSERS["rss"]


def test_unknown_parser_names_the_valid_ones() -> None:
    with pytest.raises(
        ConfigError,
        match=r"unknown parser 'rss'; valid parsers: document, ds_page, eurlex_act, .*, text$",
    ):
        get_parser("rss")


# --- normalisation --------------------------------------------------------------------------

CHURNED = [
    "The AI Act applies from 2 August 2026.\nProviders shall comply.",
    "The AI\u00a0Act applies from 2\u00a0August 2026.\r\nProviders shall comply.",
    "  The AI Act applies\tfrom 2 August 2026.  \r\n\r\n\tProviders   shall comply.\n\n",
    "The AI Act ap\u00adplies from 2\u202fAugust 2026.\nProvi\u00adders shall\u2009comply.",
    "The AI\u200b Act applies from 2 August\u2060 2026.\ufeff\nProviders shall\u3000comply.",
    "The AI Act applies from 2 August 2026.\u2028Providers shall comply.",
]


@pytest.mark.parametrize(
    "variant",
    CHURNED,
    ids=["plain", "nbsp-crlf", "tabs-indent", "soft-hyphen-thin", "zero-width", "line-separator"],
)
def test_formatting_churn_gives_identical_text(variant: str) -> None:
    assert normalise_text(variant) == CHURNED[0]


def test_nfc_and_nfd_are_the_same_text() -> None:
    nfd = "Re\u0300glement de\u0301le\u0301gue\u0301"
    nfc = "Règlement délégué"
    assert nfd != nfc
    assert normalise_text(nfd) == normalise_text(nfc) == nfc
    assert join_blocks([nfd, "  "]) == nfc


@given(st.text())
def test_normalise_text_is_idempotent(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once


@given(st.text(alphabet=st.sampled_from("ab é\u0301\u00a0\u00ad\u200b\t\r\n\u2028\u3000\ufeff")))
def test_normalise_text_output_shape(text: str) -> None:
    result = normalise_text(text)
    assert "  " not in result
    for line in result.split("\n") if result else []:
        assert line and line == line.strip(" ")
    assert not re.search("[\u00a0\u00ad\u200b\t\r\u2028\u3000\ufeff]", result)


@given(st.lists(st.text()))
def test_join_blocks_normalises_each_block_to_one_line(blocks: list[str]) -> None:
    expected = "\n".join(line for line in map(normalise_line, blocks) if line)
    assert join_blocks(blocks) == expected
    assert normalise_text(expected) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.eu/a?utm_source=rss&utm_medium=feed", "https://x.eu/a"),
        ("https://x.eu/a?id=3&fbclid=IwAR3x&gclid=1", "https://x.eu/a?id=3"),
        ("https://x.eu/a.pdf?v=3&itok=Ab12_cd&_=1747650000123", "https://x.eu/a.pdf"),
        ("https://x.eu/a?version=2&ver=1.0.1&cb=20250717&lang=en", "https://x.eu/a?lang=en"),
        ("https://x.eu/a?t=1747650000&ts=summary", "https://x.eu/a?ts=summary"),
        ("https://x.eu/a?t=summary", "https://x.eu/a?t=summary"),
        ("https://x.eu/webtools.js?t6pz2c", "https://x.eu/webtools.js"),
        ("https://x.eu/page?t6pz2c", "https://x.eu/page?t6pz2c"),
        ("https://x.eu/a#", "https://x.eu/a"),
        ("https://x.eu/a?#art_4", "https://x.eu/a#art_4"),
        ("https://x.eu/s?q=ai%20act&page=2", "https://x.eu/s?q=ai%20act&page=2"),
    ],
)
def test_strip_tracking(url: str, expected: str) -> None:
    assert strip_tracking(url) == expected


# --- html -----------------------------------------------------------------------------------

POLICY = DATA / "html" / "ds-ai-office-policy.html"
BOILERPLATE = [
    "cookies", "Accept all", "Skip to main content", "official website", "Search",
    "Site navigation", "Policies", "Last update", "Share this page", "12,345 views",
    "Draft: unit A4", "Tracking pixel", "managed by the Directorate", "Privacy policy",
    "ruxitagentjs", "globan", "padding-bottom", "once.min.js", "x.com", "→",
]  # fmt: skip


def test_boilerplate_never_appears() -> None:
    document = parse_html_page(POLICY.read_bytes(), case_context(POLICY))
    text = all_text(document).replace("Shaping Europe’s digital future", "")
    for phrase in BOILERPLATE:
        assert phrase not in text, phrase
    assert "Tasks of the AI Office" in text


def churned_policy(page: bytes) -> bytes:
    """The same page after a CMS rebuild, a cookie-kit update and an editor's re-save."""
    edits = [
        (b"Last update: 22 July 2025", b"Last update: 31 July 2025"),
        (b"This site uses cookies.", b"We use cookies to make our websites work properly."),
        (
            b"css_jtF3Rk0yLq1d7M1t2v5N0w8bB9eXWc3mQm7H4hVx2sA",
            b"css_Qm0dV7yTf2pLk8sN3xZr6uE1wB4cH9jA5gD0oI2eR7t",
        ),
        (b"RID_519241830", b"RID_771203344"),
        (b"globan=1110", b"globan=1121"),
        (b"12,345 views", b"12,391 views"),
        (b"Draft: unit A4", b"Draft: unit A5"),
        (b"utm_source=newsroom", b"utm_source=twitter"),
        (b"centre of AI expertise", b"centre of AI\xc2\xa0expertise"),
        (b"implementing the AI&nbsp;Act", b"implementing the AI \t Act"),
        (b"<li>monitoring", b"<li>\n      monitoring"),
        (b"Regulation and Compliance", b"Regulation and Com\xc2\xadpliance"),
        (b'<li class="ecl-menu__item"><a class="ecl-menu__link" href="/en">Home</a></li>', b""),
    ]
    for old, new in edits:
        assert page.count(old) == 1, old
        page = page.replace(old, new)
    return page.replace(b"\n", b"\r\n")


def test_formatting_and_chrome_churn_give_an_identical_document() -> None:
    page = POLICY.read_bytes()
    context = case_context(POLICY)
    assert parse_html_page(churned_policy(page), context) == parse_html_page(page, context)


def test_a_page_wrapped_in_one_form_is_read_but_a_search_form_is_not() -> None:
    """ASP.NET and SharePoint sites put the whole page inside one <form>: its content is the
    page's. A search box, a login or a sign-up form is chrome."""
    page = """<!DOCTYPE html><html lang="es"><head><title>FAQ</title></head><body>
    <div class="search"><form action="/buscar"><label for="q">Buscar en el sitio</label>
    <input id="q" name="q"><button>Buscar</button></form></div>
    <form method="post" action="./faq.aspx" id="aspnetForm">
    <input type="hidden" name="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1Mg9kFgJmD2QWAg==">
    <div id="s4-workspace"><h1>Preguntas frecuentes</h1>
    <h2>¿Hasta cuándo se pueden presentar solicitudes?</h2>
    <p>El plazo de presentación finaliza el 14 de marzo de 2025.</p>
    <form action="/boletin"><p>Suscríbase al boletín</p></form>
    </div></form></body></html>""".encode()
    document = parse_html_page(page, ParseContext(url="https://example.gob.es/faq.aspx"))
    texts = {item.key: item.text for item in document.items}
    assert texts["Preguntas frecuentes > ¿Hasta cuándo se pueden presentar solicitudes?"] == (
        "El plazo de presentación finaliza el 14 de marzo de 2025."
    )
    assert not any("Buscar" in text or "boletín" in text for text in texts.values()), texts


def test_sections_are_keyed_by_heading_path() -> None:
    document = parse_html_page(POLICY.read_bytes(), case_context(POLICY))
    keys = [item.key for item in document.items]
    assert keys == [
        "(top)",
        "European AI Office",
        "European AI Office > Tasks of the AI Office",
        "European AI Office > Tasks of the AI Office > Supervision",
        "European AI Office > Tasks of the AI Office > Enforcement",
        "European AI Office > Structure of the AI Office",
        "European AI Office > Latest news",
    ]
    by_key = {item.key: item for item in document.items}
    assert by_key["European AI Office > Structure of the AI Office"].text == (
        "Unit | Mandate\nA1 | Excellence in AI and Robotics\nA2 | Regulation and Compliance\nA3"
    )
    supervision = by_key["European AI Office > Tasks of the AI Office > Supervision"]
    assert supervision.title == "Supervision"
    assert (
        supervision.fields["links"]
        == "https://digital-strategy.ec.europa.eu/en/policies/ai-act-enforcement"
    )


def test_duplicate_headings_get_numbered_keys() -> None:
    page = b"<h1>FAQ</h1><h2>General</h2><p>a</p><h2>General</h2><p>b</p><h2>General</h2><p>c</p>"
    keys = [item.key for item in parse_html_page(page, html_context()).items]
    assert keys == ["FAQ", "FAQ > General", "FAQ > General #2", "FAQ > General #3"]


def test_text_before_the_first_heading_is_top_only_when_present() -> None:
    with_top = parse_html_page(b"<p>Intro</p><h2>A</h2><p>x</p>", html_context())
    assert [(i.key, i.text) for i in with_top.items] == [("(top)", "Intro"), ("A", "x")]
    without = parse_html_page(b"<div> </div><h2>A</h2><p>x</p>", html_context())
    assert [i.key for i in without.items] == ["A"]


def test_keep_without_a_match_gives_no_items() -> None:
    page = POLICY.read_bytes()
    assert parse_html_page(page, html_context(keep=("#no-such-element",))).items == ()
    # A keep selector that only matches boilerplate keeps nothing either.
    assert parse_html_page(page, html_context(keep=(".ecl-menu__list",))).items == ()


def test_keep_drop_and_ignore() -> None:
    page = b"""<main><div id="c"><h2>Consultation</h2><p>Open until 16 June 2026.</p>
        <p class="counter">Viewed 1204 times</p><p>Respond online. (2 min read)</p></div>
        <div class="promo"><p>Subscribe!</p></div></main><p>Outside</p>"""
    context = html_context(
        keep=("#c", ".promo"), drop=(".counter",), ignore=(r"\s*\(\d+ min read\)", "^Subscribe!$")
    )
    document = parse_html_page(page, context)
    assert [(i.key, i.text) for i in document.items] == [
        ("Consultation", "Open until 16 June 2026.\nRespond online.")
    ]


def test_invalid_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"invalid CSS selector 'div\['"):
        parse_html_page(b"<p>x</p>", html_context(drop=("div[",)))
    with pytest.raises(ConfigError, match=r"invalid ignore pattern '\('"):
        parse_html_page(b"<p>x</p>", html_context(ignore=("(",)))


def test_hidden_elements_are_skipped_unless_a_control_reveals_them() -> None:
    page = b"""<h2>Q</h2><button aria-controls="a1">Show</button><div id="a1" hidden>Answer</div>
        <div hidden>Secret</div><span aria-hidden="true">icon</span>
        <p style="display:none">gone</p>"""
    (item,) = parse_html_page(page, html_context()).items
    assert item.text == "Show\nAnswer"


def test_header_and_footer_of_an_article_are_content() -> None:
    page = b"""<header class="site"><p>Site name</p></header>
        <main><article><header><h1>News</h1><p>Published 3 June</p></header><p>Body</p>
        <footer>Related: Opinion 28/2024</footer></article></main>
        <footer><p>Legal notice</p></footer>"""
    (item,) = parse_html_page(page, html_context()).items
    assert (item.key, item.text) == ("News", "Published 3 June\nBody\nRelated: Opinion 28/2024")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("<p>Règlement – “délégué”</p>".encode(), ""),
        ("<p>Règlement – “délégué”</p>".encode(), "text/html; charset=utf-8"),
        ('<meta charset="windows-1252"><p>Règlement – “délégué”</p>'.encode("cp1252"), ""),
        ("<p>Règlement – “délégué”</p>".encode("cp1252"), "text/html; charset=windows-1252"),
        (b"\xef\xbb\xbf" + "<p>Règlement – “délégué”</p>".encode(), ""),
    ],
    ids=["utf8-undeclared", "utf8-header", "cp1252-meta", "cp1252-header", "utf8-bom"],
)
def test_encodings(content: bytes, content_type: str) -> None:
    context = ParseContext(url="https://x.eu/", content_type=content_type)
    assert parse_html_page(content, context).items[0].text == "Règlement – “délégué”"


def test_empty_page_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_html_page(b"", html_context())


# --- feed -----------------------------------------------------------------------------------

RSS = DATA / "feed" / "ds-rss-drupal.xml"


def test_broken_feed_is_a_parse_error() -> None:
    truncated = RSS.read_bytes()[:1500]
    with pytest.raises(ParseError, match="malformed feed"):
        parse_feed(truncated, case_context(RSS))


def test_html_served_instead_of_a_feed_is_a_parse_error() -> None:
    error_page = b"""<!DOCTYPE html><html><head><title>Service unavailable</title></head>
        <body><h1>We are sorry</h1><p>The page is under maintenance.</p></body></html>"""
    with pytest.raises(ParseError):
        parse_feed(error_page, case_context(RSS))
    with pytest.raises(ParseError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body><p>Error</p></body></html>", case_context(RSS))
    with pytest.raises(ParseError):
        parse_feed(b"", case_context(RSS))


def test_feed_bytes_are_never_a_path(tmp_path: Path) -> None:
    local = tmp_path / "feed.xml"
    local.write_bytes(RSS.read_bytes())
    with pytest.raises(ParseError):
        parse_feed(str(local).encode(), case_context(RSS))


def test_feed_without_entries_is_valid() -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>E</title></channel></rss>'
    assert parse_feed(feed, case_context(RSS)) == Document(
        kind=DocumentKind.FEED, items=(), title="E"
    )


def test_encoding_override_is_benign() -> None:
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Café</title>'
        "<item><title>Règlement</title><guid>1</guid></item></channel></rss>"
    )
    document = parse_feed(feed.encode("latin-1"), case_context(RSS))
    assert document.title == "Café" and document.items[0].title == "Règlement"


def test_feed_reorder_gives_the_same_items() -> None:
    feed = RSS.read_bytes().decode()
    head, *entries = feed.split("  <item>")
    entries[-1], tail = entries[-1].split("</channel>")
    random.Random(4).shuffle(entries)
    shuffled = head + "".join("  <item>" + e for e in entries) + "</channel>" + tail
    shuffled = shuffled.replace("Wed, 30 Jul 2025 10:00:05", "Thu, 31 Jul 2025 08:12:44")
    original = parse_feed(feed.encode(), case_context(RSS))
    reordered = parse_feed(shuffled.encode(), case_context(RSS))
    assert [i.key for i in reordered.items] != [i.key for i in original.items]
    assert item_set(reordered) == item_set(original)


def test_feed_fields_never_churn() -> None:
    for case in (DATA / "feed").glob("*.xml"):
        for item in parse_feed(case.read_bytes(), case_context(case)).items:
            assert set(item.fields) <= {"published", "categories"}


def test_repeated_guids_get_distinct_keys() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
        <item><title>A</title><link>https://x.eu/a</link><guid>0</guid></item>
        <item><title>B</title><link>https://x.eu/b</link><guid>0</guid></item>
        <item><title>C</title><guid>0</guid></item></channel></rss>"""
    keys = [item.key for item in parse_feed(feed, case_context(RSS)).items]
    assert keys == ["0", "https://x.eu/b", "C"]


# --- json -----------------------------------------------------------------------------------

HYS = DATA / "json" / "hys-search-initiatives.json"


def json_context(**options: Any) -> ParseContext:
    return ParseContext(url="https://ec.europa.eu/api", options=SourceOptions(**options))


def test_json_missing_path_names_the_keys_that_exist() -> None:
    context = json_context(items_path="initiativeResultDtoPage.items", key_field="id")
    with pytest.raises(ParseError) as raised:
        parse_json(HYS.read_bytes(), context)
    message = str(raised.value)
    assert "'initiativeResultDtoPage.items'" in message
    assert "'content', 'pageable', 'totalElements'" in message


def test_json_path_errors() -> None:
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_json(b"<html>Service unavailable</html>", json_context(key_field="id"))
    with pytest.raises(ParseError, match="is not a list but keys 'initiativeResultDtoPage'"):
        parse_json(HYS.read_bytes(), json_context(key_field="id"))
    with pytest.raises(ParseError, match="item 1 is not an object"):
        parse_json(b'[{"id": 1}, 2]', json_context(key_field="id"))
    with pytest.raises(
        ParseError, match=r"item 1 has no value for key_field 'id'; its fields: reference"
    ):
        parse_json(b'[{"id": 1}, {"reference": "x"}]', json_context(key_field="id"))
    with pytest.raises(ConfigError, match="key_field"):
        parse_json(b"[]", json_context())


def test_json_list_index_in_path_and_duplicate_keys() -> None:
    content = b'{"pages": [{"rows": [{"id": "a"}, {"id": "a"}]}]}'
    document = parse_json(content, json_context(items_path="pages.0.rows", key_field="id"))
    assert [i.key for i in document.items] == ["a", "a #2"]


def test_flatten() -> None:
    record = {
        "id": 14765.0,
        "open": True,
        "score": 0.5,
        "note": None,
        "tags": ["AI", "DIGITAL"],
        "empty": [],
        "title": " AI\u00a0Act ",
        "links": [{"href": "/a", "rel": "self"}, "x"],
    }
    assert flatten(record) == {
        "id": "14765",
        "open": "true",
        "score": "0.5",
        "tags": "AI, DIGITAL",
        "title": "AI Act",
        "links.0.href": "/a",
        "links.0.rel": "self",
        "links.1": "x",
    }


# --- EUR-Lex act ----------------------------------------------------------------------------


@pytest.fixture
def ai_act_bytes(real_fixtures: Path) -> bytes:
    return (real_fixtures / "eur-lex" / "32024R1689_oj-xhtml_EN.xhtml").read_bytes()


@pytest.fixture
def ai_act(ai_act_bytes: bytes) -> Document:
    return parse_eurlex_act(ai_act_bytes, ParseContext(url=AI_ACT_URL))


def test_ai_act_counts(ai_act: Document) -> None:
    kinds = [item.fields["kind"] for item in ai_act.items]
    assert (kinds.count("article"), kinds.count("annex"), kinds.count("recital")) == (113, 13, 180)
    assert kinds.count("citation") == 7 and kinds.count("chapter") == 13
    assert [i.key for i in ai_act.items][:3] == ["tit_1", "pbl_1", "cit_1"]
    assert ai_act.title.startswith(
        "REGULATION (EU) 2024/1689 OF THE EUROPEAN PARLIAMENT AND OF THE COUNCIL of 13 June 2024"
    )


def test_ai_act_article_4(ai_act: Document) -> None:
    article = {item.key: item for item in ai_act.items}["art_4"]
    assert article.title == "Article 4 — AI literacy"
    assert article.url == AI_ACT_URL + "#art_4"
    assert article.fields == {"number": "4", "kind": "article"}
    assert article.text == (
        "Providers and deployers of AI systems shall take measures to ensure, to their best "
        "extent, a sufficient level of AI literacy of their staff and other persons dealing "
        "with the operation and use of AI systems on their behalf, taking into account their "
        "technical knowledge, experience, education and training and the context the AI "
        "systems are to be used in, and considering the persons or groups of persons on whom "
        "the AI systems are to be used."
    )


def test_ai_act_titles_points_and_normalisation(ai_act: Document) -> None:
    items = {item.key: item for item in ai_act.items}
    assert items["anx_III"].title == "Annex III — High-risk AI systems referred to in Article 6(2)"
    assert items["anx_I"].title == "Annex I — List of Union harmonisation legislation"
    assert items["rct_12"].title == "Recital 12"
    assert items["rct_12"].text.startswith("(12) The notion of ‘AI system’ in this Regulation")
    assert items["cpt_III"].title == "Chapter III — HIGH-RISK AI SYSTEMS"
    lines = items["art_5"].text.split("\n")
    assert lines[0] == "1. The following AI practices shall be prohibited:"
    assert lines[1].startswith("(a) the placing on the market, the putting into service or the use")
    assert any(line.startswith("(i) detrimental or unfavourable treatment") for line in lines)
    assert "art_4.tit_1" not in items and "enc_1" not in items
    for item in ai_act.items:
        assert normalise_text(item.text) == item.text and "\u00a0" not in item.title


def test_ai_act_one_amended_article_is_one_changed_item(
    ai_act_bytes: bytes, ai_act: Document
) -> None:
    old = b"to their best extent, a\xc2\xa0sufficient level of AI literacy"
    amended = ai_act_bytes.replace(old, b"to their best extent, an adequate level of AI literacy")
    after = parse_eurlex_act(amended, ParseContext(url=AI_ACT_URL))
    changed = [
        new.key for old_item, new in zip(ai_act.items, after.items, strict=True) if old_item != new
    ]
    assert changed == ["art_4"]


# --- real before/after pairs from the evaluation set ----------------------------------------


def eval_pair(real_fixtures: Path, case: str, ext: str = "html") -> tuple[bytes, bytes]:
    folder = real_fixtures.parents[1] / "eval" / "cases" / case
    if not folder.is_dir():
        pytest.skip(f"evaluation case {case} not found")
    return (folder / f"before.{ext}").read_bytes(), (folder / f"after.{ext}").read_bytes()


@pytest.mark.parametrize(
    "case",
    [
        "dev-ds-ai-office-cookie-banner-noise",
        "dev-ds-gpai-faq-lastupdated-menu-noise",
        "dev-edpb-homepage-css-aggregate-noise",
    ],
)
def test_real_page_noise_gives_identical_documents(real_fixtures: Path, case: str) -> None:
    before, after = eval_pair(real_fixtures, case)
    context = ParseContext(url="https://digital-strategy.ec.europa.eu/en/policies/ai-office")
    assert parse_html_page(after, context) == parse_html_page(before, context)


def test_real_act_reindent_noise_gives_identical_documents(real_fixtures: Path) -> None:
    before, after = eval_pair(real_fixtures, "dev-eurlex-aiact-converter-header-reindent-noise")
    context = ParseContext(url=AI_ACT_URL)
    assert parse_eurlex_act(after, context) == parse_eurlex_act(before, context)
    assert [i.key for i in parse_eurlex_act(after, context).items] == ["tit_1", "art_113"]


def test_real_feed_reorder_gives_the_same_items(real_fixtures: Path) -> None:
    before, after = eval_pair(real_fixtures, "dev-ds-rss-reordered-lastbuilddate-noise", "xml")
    context = ParseContext(url="https://digital-strategy.ec.europa.eu/en/rss.xml")
    old, new = parse_feed(before, context), parse_feed(after, context)
    assert item_set(old) == item_set(new) and replace(old, items=()) == replace(new, items=())


def test_unreadable_links_do_not_fail_a_page():
    from monitor.types import ParseContext
    from sources.parsers.html_page import parse_html_page

    page = (
        b'<html><head><base href="http://[x"></head><body><main><h1>T</h1>'
        b'<p><a href="http://[bad">x</a> <a href="/ok">ok</a></p></main></body></html>'
    )
    document = parse_html_page(page, ParseContext(url="https://example.eu/p"))
    assert [item.title for item in document.items] == ["T"]
