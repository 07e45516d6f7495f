"""The CPU stage: what needs a parse, what is a failure, what is a change."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.analysis import guard
from monitor.analysis.analyse import analyse, body_hash, fingerprint
from monitor.analysis.classify import StructuralClassifier
from monitor.types import CheckOutcome, Document, Fetched, ParseContext, Source, SourceState
from sources.parsers import PARSERS

SOURCE = Source(key="s", title="S", url="https://example.eu/p", parser="html", interval=60)
PAGE = b"""<html><head><script>var rid = "RID_1";</script></head>
<body><main><h1>Guidance</h1><p>Open until 10 June 2026.</p></main></body></html>"""


def fetched(content: bytes, status: int = 200, content_type: str = "text/html") -> Fetched:
    return Fetched(
        url=SOURCE.url,
        final_url=SOURCE.url,
        status=status,
        headers={},
        content=content,
        content_type=content_type,
        etag=None,
        last_modified=None,
        fetched_at=datetime.now(UTC),
        elapsed=0.0,
    )


class NoHistory:
    def document(self) -> Document | None:
        return None

    def site_blocks(self) -> frozenset[str]:
        return frozenset()


def refuse_to_parse(content: bytes, context: ParseContext) -> Document:
    raise AssertionError("the fast path should not have parsed")


def known(content: bytes) -> SourceState:
    return SourceState(
        content_hash=body_hash(fetched(content)),
        parse_fingerprint=fingerprint(SOURCE),
        snapshot_id=1,
        snapshot_hash="x",
    )


@pytest.mark.parametrize(
    "same",
    [
        PAGE.replace(b"RID_1", b"RID_2"),
        PAGE.replace(b"<main>", b"<!-- generated 2026-11-23 --><main>"),
    ],
    ids=["tracking-id", "comment"],
)
def test_unread_churn_is_unchanged_without_parsing(same: bytes):
    result = analyse(
        SOURCE,
        [fetched(same)],
        known(PAGE),
        parser=refuse_to_parse,
        history=NoHistory(),
        classifier=StructuralClassifier(),
    )
    assert result.outcome is CheckOutcome.UNCHANGED


@pytest.mark.parametrize(
    "different",
    [
        PAGE.replace(b"10 June", b"18 June"),
        PAGE.replace(b"<p>Open", b"<p class='x'>Open"),
        PAGE.replace(b"\n", b"\n    "),
    ],
    ids=["text", "markup", "re-indented"],
)
def test_anything_else_is_parsed(different: bytes):
    # Re-indented markup is parsed too; the parsed document's hash then says "unchanged".
    with pytest.raises(AssertionError, match="should not have parsed"):
        analyse(
            SOURCE,
            [fetched(different)],
            known(PAGE),
            parser=refuse_to_parse,
            history=NoHistory(),
            classifier=StructuralClassifier(),
        )


def test_changing_the_parse_options_forces_a_parse():
    source = Source(
        key="s",
        title="S",
        url=SOURCE.url,
        parser="html",
        interval=60,
        options=SOURCE.options.__class__(keep=("main",)),
    )
    with pytest.raises(AssertionError, match="should not have parsed"):
        analyse(
            source,
            [fetched(PAGE)],
            known(PAGE),
            parser=refuse_to_parse,
            history=NoHistory(),
            classifier=StructuralClassifier(),
        )


def test_json_bodies_are_hashed_exactly():
    a = fetched(b'{"a": "x y"}', content_type="application/json")
    b = fetched(b'{"a": "xy"}', content_type="application/json")
    assert body_hash(a) != body_hash(b)


def test_first_good_parse_is_a_baseline_without_changes():
    result = analyse(
        SOURCE,
        [fetched(PAGE)],
        SourceState(),
        parser=PARSERS["html"],
        history=NoHistory(),
        classifier=StructuralClassifier(),
    )
    assert (result.outcome, result.changes) == (CheckOutcome.BASELINE, ())
    assert result.snapshot is not None and result.snapshot.item_count == 1


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (503, PAGE, "http 503"),
        (200, b"", "empty body"),
        (
            200,
            b"<html><head><title>Just a moment...</title></head><body>x</body></html>",
            "just a moment",
        ),
        (200, b"<html><body><h1>The requested URL was rejected.</h1></body></html>", "rejected"),
    ],
    ids=["503", "empty", "bot-check-title", "waf-body"],
)
def test_untrustworthy_answers_fail(status: int, body: bytes, reason: str):
    result = analyse(
        SOURCE,
        [fetched(body, status=status)],
        known(PAGE),
        parser=PARSERS["html"],
        history=NoHistory(),
        classifier=StructuralClassifier(),
    )
    assert result.outcome is CheckOutcome.FAILED and result.changes == ()
    assert reason in (result.error or "").lower()


def test_a_long_real_page_mentioning_access_denied_is_not_an_error_page():
    long_text = b"<p>" + b"Providers shall document access rights. " * 200 + b"</p>"
    page = (
        b"<html><body><main><h1>Rules</h1>" + long_text + b"<p>Access denied to"
        b" unauthorised staff is logged.</p></main></body></html>"
    )
    result = analyse(
        SOURCE,
        [fetched(page)],
        SourceState(),
        parser=PARSERS["html"],
        history=NoHistory(),
        classifier=StructuralClassifier(),
    )
    assert result.outcome is CheckOutcome.BASELINE


# -- error pages: the short text, read from prefixes ------------------------------------------

MARKUP = st.sampled_from(
    [
        b"<p>",
        b"</p>",
        b"<script>",
        b"</script>",
        b"<SCRIPT >",
        b"<noscript>",
        b"</noscript >",
        b"<style>",
        b"</STYLE>",
        b"<scripts>",
        b"&amp;",
        b"&amp",
        b"&nbsp;",
        b"\xc3\xa9",
        b" ",
        b"\n\t",
        b">",
        b"<",
        b"Access denied",
        b"word " * 40,
        b"x" * 300,
    ]
)


@settings(max_examples=2000)
@given(st.lists(MARKUP, max_size=40), st.sampled_from([1, 16, 64, 256]))
def test_the_short_text_of_an_error_page_is_read_as_from_the_whole_page(
    parts: list[bytes], first_prefix: int
) -> None:
    """Prefixes only save work: a page is short exactly when its whole text is."""
    markup = b"".join(parts)
    whole = guard._text(guard._NOT_TEXT.sub(b" ", markup))
    expected = whole if len(whole) <= 200 else None
    with (
        mock.patch.object(guard, "_FIRST_PREFIX", first_prefix),
        mock.patch.object(guard, "_SHORT_PAGE_CHARS", 200),
    ):
        assert guard._short_text(markup) == expected


def test_a_long_page_is_no_error_page_for_a_word_in_passing() -> None:
    page = b"<html><body><main><p>Access denied to the archive before 2020.</p>"
    page += b"<p>" + b"The AI Office publishes guidance. " * 200 + b"</p></main></body></html>"
    short = b"<html><body><main><p>Access denied.</p></main></body></html>"
    assert guard.error_page_reason(page) is None
    assert (
        guard.error_page_reason(short) == "error page served with 200 (page says 'Access denied')"
    )
