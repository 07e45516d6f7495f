"""Property-based tests (hypothesis) for every parser and for the differ.

Parsers: any bytes, and random but well-formed documents of the kind each parser reads,
give a Document or a ParseError, never another exception; the same bytes always give the
same Document; item text is normalised (normalising it again changes nothing).

Differ: a document compared with itself or with its items reordered has no diff; the word
operations of every changed block rebuild both the old and the new text; added and removed
items are exactly the keys only in the new or only in the old document.

Sized to run in well under a minute on two cores.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.analysis.diff import diff_documents, diff_text, diff_words
from monitor.errors import ParseError
from monitor.types import (
    DiffKind,
    Document,
    DocumentKind,
    Item,
    ParseContext,
    SourceOptions,
    TextOp,
)
from sources.normalise import (
    join_blocks,
    link_origin,
    normalise_line,
    normalise_text,
    plain_link,
    strip_tracking,
)
from sources.parsers import PARSERS

pytestmark = pytest.mark.filterwarnings(
    "ignore:To avoid breaking existing software:DeprecationWarning"
)  # feedparser, not us
FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OPTIONS = {"json": SourceOptions(items_path="items", key_field="id", title_field="title")}
PREFIXES = [
    b"",
    b"<?xml version='1.0' encoding='UTF-8'?>",
    b"<html><head><title>t</title></head><body>",
    b"<rss version='2.0'><channel><title>c</title><item><title>",
    b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>",
    b'{"items": [{"id": ',
    b"\xef\xbb\xbf",
    b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00",
    b"<html xmlns='http://www.w3.org/1999/xhtml'><body><div class='eli-subdivision' id='art_1'>",
    b"<ACT><TITLE><TI><P>",
    b'{"initiativeResultDtoPage": {"content": [',
]


def parse(name: str, content: bytes, content_type: str = "") -> Document | None:
    """The parser's Document, or None for a ParseError; any other exception fails the test."""
    context = ParseContext(
        url="https://example.eu/doc",
        content_type=content_type,
        options=OPTIONS.get(name, SourceOptions()),
    )
    try:
        return PARSERS[name](content, context)
    except ParseError:
        return None


def assert_sane(name: str, content: bytes, content_type: str = "") -> None:
    first = parse(name, content, content_type)
    assert parse(name, content, content_type) == first  # deterministic
    if first is None:
        return
    assert isinstance(first, Document)
    for item in first.items:
        assert isinstance(item.key, str) and item.key
        assert normalise_text(item.text) == item.text, (name, item)
    assert len({item.key for item in first.items}) == len(first.items)  # keys unique


any_bytes = st.builds(
    lambda prefix, rest: prefix + rest, st.sampled_from(PREFIXES), st.binary(max_size=1500)
)


@pytest.mark.parametrize("name", sorted(PARSERS))
@FAST
@given(content=any_bytes)
def test_any_bytes_give_a_document_or_a_parse_error(name: str, content: bytes) -> None:
    assert_sane(name, content)


words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
TAGS = [
    "div",
    "p",
    "h1",
    "h2",
    "h3",
    "section",
    "main",
    "nav",
    "ul",
    "li",
    "a",
    "span",
    "table",
    "tr",
    "td",
    "script",
    "b",
    "article",
    "header",
    "footer",
]
html_nodes = st.recursive(
    words.map(escape),
    lambda children: st.builds(
        lambda tag, kids, attr: f"<{tag}{attr}>{''.join(kids)}</{tag}>",
        st.sampled_from(TAGS),
        st.lists(children, max_size=4),
        st.sampled_from(["", " class='ecl-u-sr-only'", " hidden", " id='x'", " href='/a?b=1'"]),
    ),
    max_leaves=25,
)


@pytest.mark.parametrize(
    "name",
    ["html", "ds_page", "text", "hys_initiative", "oeil_procedure", "eurlex_act", "eurlex_docinfo"],
)
@FAST
@given(body=html_nodes, title=words)
def test_random_html_gives_a_document_or_a_parse_error(name: str, body: str, title: str) -> None:
    page = f"<!DOCTYPE html><html><head><title>{escape(title)}</title></head><body>{body}"
    assert_sane(name, page.encode("utf-8"), "text/html; charset=utf-8")


entries = st.lists(
    st.fixed_dictionaries(
        {
            "title": words,
            "guid": words,
            "link": st.sampled_from(
                ["", "/n/1", "https://ex.eu/n?id=2", "javascript:x", "http://[bad"]
            ),
            "description": words,
            "date": st.sampled_from(
                ["", "Mon, 01 Sep 2025 08:00:00 GMT", "2025-13-45", "yesterday"]
            ),
        }
    ),
    max_size=6,
)


def rss(items: list[dict[str, str]]) -> bytes:
    parts = [
        f"<item><title>{escape(i['title'])}</title><guid>{escape(i['guid'])}</guid>"
        f"<link>{escape(i['link'])}</link><description>{escape(i['description'])}"
        f"</description><pubDate>{i['date']}</pubDate></item>"
        for i in items
    ]
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>c"
        f"</title><link>https://ex.eu/</link>{''.join(parts)}</channel></rss>"
    ).encode()


@pytest.mark.parametrize("name", ["feed", "eurlex_feed"])
@FAST
@given(items=entries)
def test_random_feeds_give_a_document_or_a_parse_error(
    name: str, items: list[dict[str, str]]
) -> None:
    assert_sane(name, rss(items), "application/rss+xml")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | words,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(words, children, max_size=4),
    max_leaves=20,
)
records = st.lists(
    st.dictionaries(
        st.sampled_from(["id", "title", "url", "status", "x"]), json_values, max_size=5
    ),
    max_size=5,
)


@pytest.mark.parametrize("name", ["json", "hys_search", "hys_initiative"])
@FAST
@given(rows=records, wrap=st.booleans())
def test_random_json_gives_a_document_or_a_parse_error(
    name: str, rows: list[object], wrap: bool
) -> None:
    data: object = {"items": rows, "initiativeResultDtoPage": {"content": rows}} if wrap else rows
    assert_sane(name, json.dumps(data).encode(), "application/json")


xml_nodes = st.recursive(
    words.map(escape),
    lambda children: st.builds(
        lambda tag, kids: f"<{tag}>{''.join(kids)}</{tag}>",
        st.sampled_from(
            [
                "ACT",
                "TITLE",
                "TI",
                "P",
                "ARTICLE",
                "TI.ART",
                "PARAG",
                "ALINEA",
                "NO.PARAG",
                "ENACTING.TERMS",
                "DIVISION",
                "STI.ART",
            ]
        ),
        st.lists(children, max_size=4),
    ),
    max_leaves=25,
)


@FAST
@given(body=xml_nodes)
def test_random_formex_gives_a_document_or_a_parse_error(body: str) -> None:
    assert_sane("formex", f"<?xml version='1.0'?>{body}".encode(), "application/xml")


@FAST
@given(text=st.text(max_size=300))
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    line = normalise_line(text)
    assert normalise_line(line) == line and "\n" not in line
    blocks = text.split("\n")
    assert join_blocks(blocks) == "\n".join(b for b in map(normalise_line, blocks) if b)


INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


@FAST
@given(text=st.text(st.sampled_from(f"a é\n\u00a0{INVISIBLE}"), max_size=60))
def test_normalisation_removes_every_invisible_character(text: str) -> None:
    expected = " ".join("".join(c for c in text if c not in INVISIBLE).split())
    assert normalise_line(text) == expected


LINK_BASES = [
    "https://ex.europa.eu/a/b.html?utm_source=x", "http://Ex.EU:8080/", "HTTPS://h.eu",
    "ftp://f.eu/d/", "", "mailto:a@b.eu", "file:///tmp/x", "http:/nohost", "https://b\u00fccher.de/",
    "https://[::1]/x/", "http://[x", "https://h.eu/p;x?q#f",
]  # fmt: skip
link_text = st.lists(
    st.sampled_from([
        "/", "//", ".", "..", "?", "#", ";", ":", "@", "[", "]", "%2e", "&", "=", " ", "\t", "\n",
        "\x00", "\u00e9", "A", "x", "h.eu", "utm_source=1", "v=2", ".js", "http://", "https://",
        "HTTP://", "../", "./", "~", "'", "\\",
    ]),
    max_size=10,
).map("".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(base=st.sampled_from(LINK_BASES), link=link_text)
def test_plain_links_are_what_urljoin_gives(base: str, link: str) -> None:
    origin = link_origin(base)  # None: urljoin cannot read the base, no shortcut is taken
    plain = plain_link(origin, link) if origin is not None else None
    if plain is not None:
        assert plain == strip_tracking(urljoin(base, link))


# -- the differ --------------------------------------------------------------------------

token = st.text(
    st.characters(codec="utf-8", exclude_categories=("Z", "Cc", "Cs")), min_size=1, max_size=8
)
line = st.lists(token, min_size=1, max_size=12).map(" ".join)
text = st.lists(line, max_size=6).map("\n".join)
fields = st.dictionaries(
    st.sampled_from(["status", "deadline", "stage", "published"]),
    st.sampled_from(["", "open", "closed", "2025-09-10", "2025-09-18"]),
    max_size=3,
)
items = st.builds(
    lambda key, title, body, f, url: Item(key=key, title=title, text=body, fields=f, url=url),
    st.sampled_from([f"k{i}" for i in range(12)]),
    line,
    text,
    fields,
    st.sampled_from([None, "https://ex.eu/a", "https://ex.eu/b"]),
)
documents = st.lists(items, max_size=8, unique_by=lambda item: item.key).map(
    lambda found: Document(kind=DocumentKind.PAGE, items=tuple(found))
)


@settings(max_examples=150, deadline=None)
@given(document=documents, data=st.data())
def test_same_or_reordered_document_has_no_diff(document: Document, data: st.DataObject) -> None:
    assert diff_documents(document, document) == []
    shuffled = data.draw(st.permutations(document.items))
    assert diff_documents(document, Document(kind=document.kind, items=tuple(shuffled))) == []


@settings(max_examples=150, deadline=None)
@given(old=documents, new=documents)
def test_added_removed_and_modified_keys_are_exact(old: Document, new: Document) -> None:
    diffs = diff_documents(old, new)
    before = {item.key: item for item in old.items}
    after = {item.key: item for item in new.items}
    by_kind = {kind: [d.key for d in diffs if d.kind is kind] for kind in DiffKind}
    assert set(by_kind[DiffKind.ADDED]) == after.keys() - before.keys()
    assert set(by_kind[DiffKind.REMOVED]) == before.keys() - after.keys()
    assert set(by_kind[DiffKind.MODIFIED]) == {
        key for key in before.keys() & after.keys() if before[key] != after[key]
    }
    assert len(diffs) == len({d.key for d in diffs})  # one diff per key


def rebuild(ops: tuple[TextOp, ...], side: str) -> str:
    keep = ("equal", "delete") if side == "old" else ("equal", "insert")
    return " ".join(op.text for op in ops if op.op in keep)


@settings(max_examples=200, deadline=None)
@given(old=line, new=line)
def test_word_ops_rebuild_both_versions(old: str, new: str) -> None:
    ops = diff_words(old, new)
    assert rebuild(ops, "old") == old and rebuild(ops, "new") == new
    assert all(op.text for op in ops)


@settings(max_examples=15, deadline=None)
@given(
    old=st.lists(
        st.sampled_from(["AI", "Act.", "the", "Office;", "model", "risk"]),
        min_size=500,
        max_size=900,
    ).map(" ".join),
    edits=st.lists(st.tuples(st.integers(0, 899), st.sampled_from(["new", "word."])), max_size=10),
)
def test_word_ops_rebuild_huge_blocks(old: str, edits: list[tuple[int, str]]) -> None:
    """Blocks past the quadratic limit are diffed by sentence first; still exact."""
    words_ = old.split(" ")
    for position, word in edits:
        words_.insert(min(position, len(words_)), word)
    new = " ".join(words_)
    ops = diff_words(old, new)
    assert rebuild(ops, "old") == old and rebuild(ops, "new") == new


@settings(max_examples=150, deadline=None)
@given(old=text, new=text)
def test_block_changes_rebuild_their_blocks(old: str, new: str) -> None:
    changes = diff_text(old, new)
    assert (changes == ()) == (old == new)
    for change in changes:
        if change.old is not None:
            assert rebuild(change.ops, "old") == change.old
            assert change.old in old.split("\n")
        if change.new is not None:
            assert rebuild(change.ops, "new") == change.new
            assert change.new in new.split("\n")
