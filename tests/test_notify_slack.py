"""Slack: Block Kit rendering (golden files, hostile scraped text) and delivery against a fake
Slack on loopback (bot token and incoming webhook), with every failure translated.

Golden files live in tests/data/notify/slack_*.json. After an intended rendering change,
regenerate them and review the diff:

    LEXWATCH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_notify_slack.py -q
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from monitor.errors import ConfigError, NotifyError
from monitor.types import Alert, AlertKind, Channel, Receipt, Subscription, TextOp
from notifiers.escape import ZWSP, clip_mrkdwn, link, mrkdwn
from notifiers.slack import (
    MAX_HEADER,
    MAX_SECTION,
    SlackSender,
    excerpt_mrkdwn,
    slack_message,
    slack_sender,
)
from tests.notify_alerts import (
    CHANGE,
    HOSTILE,
    change_alert,
    health_alert,
    hostile_alert,
    minimal_change_alert,
    sample_test_alert,
)
from tests.servers.slack import FakeSlack, slack_server_fixture  # noqa: F401  (fixture)

# Read at import: the autouse clean_environ fixture removes LEXWATCH_* before each test.
UPDATE_GOLDEN = os.environ.get("LEXWATCH_UPDATE_GOLDEN") == "1"
GOLDEN = Path(__file__).parent / "data" / "notify"
TOKEN = "xoxb-test-token"

# -- rendering: golden files ---------------------------------------------------------------

GOLDEN_CASES: dict[str, Callable[[], Alert]] = {
    "slack_change": change_alert,
    "slack_change_minimal": minimal_change_alert,
    "slack_source_down": lambda: health_alert(AlertKind.SOURCE_DOWN),
    "slack_source_recovered": lambda: health_alert(AlertKind.SOURCE_RECOVERED),
    "slack_test": sample_test_alert,
    "slack_hostile": lambda: hostile_alert("<!channel> *x* <https://evil.example|click>"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES), ids=sorted(GOLDEN_CASES))
def test_rendering_matches_golden_file(name: str) -> None:
    text, blocks = slack_message(GOLDEN_CASES[name]())
    rendered = json.dumps({"text": text, "blocks": blocks}, indent=2, ensure_ascii=False) + "\n"
    path = GOLDEN / f"{name}.json"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} missing; run with LEXWATCH_UPDATE_GOLDEN=1 to create it"
    assert rendered == path.read_text(encoding="utf-8")


def test_change_message_says_what_moved_and_links_document_and_dashboard() -> None:
    text, blocks = slack_message(change_alert())
    shown = _visible(blocks)
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": CHANGE.title, "emoji": False},
    }
    assert "Deadline extended" in text and "(high)" in text
    assert "*Date:* 10 September 2025 → *18 September 2025*" in shown
    assert "Feedback period: 6 June 2025 - ~10 September 2025~ *18 September 2025*" in shown
    assert "The feedback period ends on 18 September 2025" in shown
    assert f"<{CHANGE.url}|Open the document>" in _mrkdwn_texts(blocks)[-1]
    assert "<https://lexwatch.example.org/changes/42|View in lexwatch>" in _mrkdwn_texts(blocks)[-1]


def test_minimal_change_has_no_empty_sections_and_no_dashboard_link() -> None:
    _, blocks = slack_message(minimal_change_alert())
    texts = _mrkdwn_texts(blocks)
    assert all(t.strip() for t in texts)
    assert not any("View in lexwatch" in t or "Open the document" in t for t in texts)
    assert not any("What changed" in t or "Evidence" in t for t in texts)


def test_health_and_test_messages_name_source_and_subscription() -> None:
    down_text, down = slack_message(health_alert(AlertKind.SOURCE_DOWN))
    up_text, up = slack_message(health_alert(AlertKind.SOURCE_RECOVERED))
    test_text, test = slack_message(sample_test_alert())
    assert down_text.startswith("Source down: Have Your Say") and "HTTP 503" in down_text
    assert up_text.startswith("Source recovered: Have Your Say")
    assert "cannot check <https://ec.europa.eu/" in _visible(down)
    assert "policy-team" in test_text and "*test*" in _visible(test)


def test_change_alert_without_change_is_rejected() -> None:
    with pytest.raises(ValueError, match="without a change"):
        slack_message(change_alert(change=None))


# -- rendering: hostile scraped text --------------------------------------------------------

OUR_SPANS = {
    "Deadline extended",
    "Source:",
    "Date:",
    "What changed",
    "removed",
    "added",
    "Evidence",
    "18 September 2025",
}
# Slack's rule for an emphasis span: the opening marker after start/whitespace/"(", a non-space
# right after it; the closing one after a non-space and before end/space/punctuation.
SPAN = re.compile(r"(?:^|(?<=[\s(]))([*_~`])(?=\S)(.+?)(?<=\S)\1(?=$|[\s).,:;!?])", re.M)
ANGLE = re.compile(r"<([^<>]*)>")


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_scraped_text_cannot_ping_link_or_format(hostile: str) -> None:
    alert = hostile_alert(hostile)
    text, blocks = slack_message(alert)
    allowed_links = {alert.source.url, CHANGE.url, "https://lexwatch.example.org/changes/42"}
    ops = {op.text for op in alert.change.excerpt if op.op != "equal"}  # type: ignore[union-attr]
    for mrk in [text, *_mrkdwn_texts(blocks)]:
        for token in ANGLE.findall(mrk):  # every <...> is a link or date we built
            assert (
                token.startswith("!date^")
                or token.split("|")[0].replace("&amp;", "&") in allowed_links
            ), (token, mrk)
        for _, inner in SPAN.findall(mrk):  # every *span* is ours
            assert _literal(inner) in OUR_SPANS | ops, (inner, mrk)
        for line in mrk.splitlines():  # no quote the text started itself
            assert not line.lstrip().startswith("&gt;"), line
        assert "@channel" not in mrk and "@here" not in mrk
    literal = _literal(text + "\n" + "\n".join(_mrkdwn_texts(blocks)))
    for field in ("title", "summary", "evidence", "source"):  # still shown, character for char
        assert f"{hostile} {field}" in literal, field


@pytest.mark.parametrize("kind", [AlertKind.SOURCE_DOWN, AlertKind.SOURCE_RECOVERED])
def test_hostile_health_detail_and_source_title_are_inert(kind: AlertKind) -> None:
    hostile = "<!here> *x* > <https://evil.example|click>"
    alert = replace(
        health_alert(kind),
        detail=f"{hostile}\n> {hostile}",
        source=replace(health_alert(kind).source, title=hostile),
    )
    text, blocks = slack_message(alert)
    for mrk in [text, *_mrkdwn_texts(blocks)]:
        tokens = ANGLE.findall(mrk)
        assert all(t.startswith(("!date^", "https://ec.europa.eu/")) for t in tokens), mrk
        assert not SPAN.search(mrk), mrk
    assert hostile in _literal(text)


def test_hostile_header_is_plain_text_and_clipped() -> None:
    title = "<!channel> " + "x" * 400
    _, blocks = slack_message(change_alert(change=replace(CHANGE, title=title)))
    header = blocks[0]["text"]
    assert header["type"] == "plain_text"
    assert len(header["text"]) == MAX_HEADER and header["text"].endswith("…")
    assert header["text"].startswith("<!channel> x")


def test_escaping_rules() -> None:
    assert mrkdwn("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert mrkdwn("*b*") == f"{ZWSP}*{ZWSP}b{ZWSP}*{ZWSP}"
    assert mrkdwn("> q\nx\n  > r").splitlines() == [f"{ZWSP}&gt; q", "x", f"  {ZWSP}&gt; r"]
    assert mrkdwn("@here now") == f"@{ZWSP}here now"
    assert link("https://x.eu/a?b=1&c=<2>|3", "A|B > C") == (
        "<https://x.eu/a?b=1&amp;c=%3C2%3E%7C3|A\uff5cB &gt; C>"
    )
    assert link("javascript:alert(1)", "click") == "click"  # not a web URL: no link


def test_long_texts_respect_block_kit_limits() -> None:
    huge = "word & " * 3000
    change = replace(
        CHANGE,
        title=huge,
        summary=huge,
        evidence=(huge,) * 20,
        excerpt=tuple(TextOp(op="insert", text=huge) for _ in range(50)),
    )
    text, blocks = slack_message(change_alert(change=change))
    assert len(text) <= 40_000 and len(blocks) <= 50
    for mrk in _mrkdwn_texts(blocks):
        assert len(mrk) <= MAX_SECTION
        assert not re.search(r"&[a-z]*…", mrk), "an entity was cut in half"
    assert clip_mrkdwn("ab &amp; cd", 6) == "ab…"


def test_excerpt_keeps_whole_runs_when_cut() -> None:
    ops = [TextOp(op="insert", text="alpha beta"), TextOp(op="delete", text="gamma " * 50)]
    assert excerpt_mrkdwn(ops, 60) == "*alpha beta* …"


# -- delivery with a bot token ---------------------------------------------------------------


def _subscription(channel: Channel = Channel.SLACK, target: str = "#eu-ai-alerts") -> Subscription:
    return Subscription(name="policy-team", channel=channel, target=target)


def _token_sender(server: FakeSlack) -> SlackSender:
    return slack_sender(_subscription(), token=TOKEN, base_url=server.base_url)


def _webhook_sender(server: FakeSlack) -> SlackSender:
    return slack_sender(
        _subscription(Channel.SLACK_WEBHOOK, server.webhook_url), token=None, base_url="unused"
    )


def _send(sender: SlackSender, alert: Alert) -> Receipt:
    return asyncio.run(sender.send(alert))


def _fails(sender: SlackSender, alert: Alert) -> NotifyError:
    with pytest.raises(NotifyError) as caught:
        _send(sender, alert)
    return caught.value


def test_token_mode_posts_blocks_and_returns_ts(slack_server: FakeSlack) -> None:
    receipt = _send(_token_sender(slack_server), change_alert())
    [call] = slack_server.calls
    text, blocks = slack_message(change_alert())
    assert call.method == "chat.postMessage"
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.body["channel"] == "#eu-ai-alerts"
    assert (call.body["text"], call.body["blocks"]) == (text, blocks)
    assert call.body["unfurl_links"] is False and call.body["unfurl_media"] is False
    assert "thread_ts" not in call.body
    assert receipt.remote_id == call.ts


def test_token_mode_replies_in_thread(slack_server: FakeSlack) -> None:
    sender = _token_sender(slack_server)
    first = _send(sender, change_alert())
    reply = _send(sender, change_alert(delivery_id=2001, thread_ts=first.remote_id))
    assert slack_server.calls[1].body["thread_ts"] == first.remote_id
    assert reply.remote_id != first.remote_id


def test_deleted_thread_posts_a_new_message(slack_server: FakeSlack) -> None:
    slack_server.fail_next("error", error="thread_not_found")
    receipt = _send(_token_sender(slack_server), change_alert(thread_ts="1.000001"))
    assert [c.body.get("thread_ts") for c in slack_server.calls] == ["1.000001", None]
    assert receipt.remote_id == slack_server.posted[0].ts


def test_rate_limit_gives_retry_after_and_is_not_retried_by_the_client(
    slack_server: FakeSlack,
) -> None:
    slack_server.fail_next("rate_limited", retry_after=7)
    error = _fails(_token_sender(slack_server), change_alert())
    assert (error.retry_after, error.permanent) == (7.0, False)
    assert len(slack_server.calls) == 1 and slack_server.posted == []


def test_server_error_is_transient(slack_server: FakeSlack) -> None:
    slack_server.fail_next("server_error", status=503)
    error = _fails(_token_sender(slack_server), change_alert())
    assert (error.retry_after, error.permanent) == (None, False)
    assert "503" in str(error)


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (200, "text/plain", "ok"),
        (200, "text/html", "<html>Sign in to the proxy</html>"),
        (502, "text/html", "<html>Bad gateway</html>"),
        (200, "application/json", "{not json"),
    ],
)
def test_an_answer_that_is_not_json_is_a_clear_transient_error(
    slack_server: FakeSlack, status: int, content_type: str, body: str
) -> None:
    slack_server.fail_next("not_json", status=status, content_type=content_type, body=body)
    error = _fails(_token_sender(slack_server), change_alert())
    assert (error.retry_after, error.permanent) == (None, False)
    assert "not Slack's JSON" in str(error)


@pytest.mark.parametrize(
    "code",
    [
        "invalid_auth",
        "channel_not_found",
        "not_in_channel",
        "account_inactive",
        "token_revoked",
        "missing_scope",
    ],
)
def test_unfixable_api_errors_are_permanent(slack_server: FakeSlack, code: str) -> None:
    slack_server.fail_next("error", error=code)
    error = _fails(_token_sender(slack_server), change_alert())
    assert error.permanent and code in str(error)


def test_unknown_api_error_is_retried(slack_server: FakeSlack) -> None:
    slack_server.fail_next("error", error="fatal_error")
    assert not _fails(_token_sender(slack_server), change_alert()).permanent


def test_wrong_token_is_permanent(slack_server: FakeSlack) -> None:
    slack_server.token = "xoxb-the-right-one"
    error = _fails(_token_sender(slack_server), change_alert())
    assert error.permanent and "LEXWATCH_ALERTS__SLACK_TOKEN" in str(error)


def test_dropped_connection_and_refused_port_are_transient(slack_server: FakeSlack) -> None:
    slack_server.fail_next("disconnect")
    assert not _fails(_token_sender(slack_server), change_alert()).permanent
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api/"
    sender = slack_sender(_subscription(), token=TOKEN, base_url=closed)
    error = _fails(sender, change_alert())
    assert not error.permanent and "unreachable" in str(error)


def test_recovers_after_outage(slack_server: FakeSlack) -> None:
    sender = _token_sender(slack_server)
    slack_server.fail_next("server_error", 2)
    for _ in range(2):
        _fails(sender, change_alert())
    _send(sender, change_alert())
    assert len(slack_server.calls) == 3 and len(slack_server.posted) == 1


# -- delivery by incoming webhook ------------------------------------------------------------


def test_webhook_mode_posts_blocks_without_thread(slack_server: FakeSlack) -> None:
    receipt = _send(_webhook_sender(slack_server), change_alert(thread_ts="1.000001"))
    [call] = slack_server.calls
    assert call.method == "webhook" and "authorization" not in call.headers
    assert (call.body["text"], call.body["blocks"]) == slack_message(change_alert())
    assert call.body["unfurl_links"] is False and "thread_ts" not in call.body
    assert receipt == Receipt(remote_id=None)


@pytest.mark.parametrize(
    ("fault", "options", "retry_after", "permanent"),
    [
        ("rate_limited", {"retry_after": 30}, 30.0, False),
        ("server_error", {}, None, False),
        ("error", {"error": "no_service"}, None, True),
        ("error", {"error": "invalid_payload"}, None, True),
        ("error", {"error": "channel_is_archived"}, None, True),
        ("disconnect", {}, None, False),
    ],
    ids=["429", "500", "404-no_service", "400-invalid_payload", "410-archived", "disconnect"],
)
def test_webhook_failures_are_translated(
    slack_server: FakeSlack,
    fault: str,
    options: dict[str, Any],
    retry_after: float | None,
    permanent: bool,
) -> None:
    slack_server.fail_next(fault, **options)
    error = _fails(_webhook_sender(slack_server), change_alert())
    assert (error.retry_after, error.permanent) == (retry_after, permanent)
    assert slack_server.webhook_url not in str(error)  # the URL is a secret
    assert len(slack_server.calls) == 1


# -- construction -----------------------------------------------------------------------------


def test_clients_with_retry_handlers_are_refused() -> None:
    with pytest.raises(ValueError, match="retry_handlers"):
        SlackSender(_subscription(), client=AsyncWebClient(token=TOKEN))
    with pytest.raises(ValueError, match="retry_handlers"):
        SlackSender(
            _subscription(Channel.SLACK_WEBHOOK, "https://hooks.example/x"),
            webhook=AsyncWebhookClient("https://hooks.example/x"),
        )


def test_missing_token_or_wrong_channel_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="LEXWATCH_ALERTS__SLACK_TOKEN"):
        slack_sender(_subscription(), token=None, base_url="https://slack.com/api/")
    with pytest.raises(ValueError, match="'webhook'"):
        SlackSender(_subscription(Channel.WEBHOOK, "https://x.example"))


# -- helpers ------------------------------------------------------------------------------------


def _mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts = []
    for block in blocks:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts += [element["text"] for element in block["elements"]]
    return texts


def _literal(mrk: str) -> str:
    """What a reader sees of escaped text: entities decoded, zero-width spaces gone."""
    return mrk.replace(ZWSP, "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _visible(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(_literal(t) for t in _mrkdwn_texts(blocks))
