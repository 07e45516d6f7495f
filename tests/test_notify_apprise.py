"""Apprise: alerts delivered for real through Apprise's json:// service to a receiver on
loopback; Markdown services get escaped scraped text; failures become NotifyError."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from monitor.errors import NotifyError
from monitor.types import Alert, AlertKind, Receipt
from notifiers.apprise_channel import AppriseSender, apprise_message
from notifiers.escape import ZWSP
from tests.notify_alerts import change_alert, health_alert, hostile_alert, sample_test_alert
from tests.servers.receiver import Receiver, receiver_fixture  # noqa: F401  (fixture)


def _json_url(receiver: Receiver, query: str = "") -> str:
    return f"json://127.0.0.1:{receiver.port}/alerts{query}"


def _deliver(url: str, alert: Alert) -> Receipt:
    return asyncio.run(AppriseSender(url).send(alert))


def _received(receiver: Receiver) -> dict[str, Any]:
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/alerts"
    loaded: dict[str, Any] = json.loads(request.body)
    return loaded


def test_change_alert_reaches_the_service(receiver: Receiver) -> None:
    assert _deliver(_json_url(receiver), change_alert()) == Receipt(remote_id=None)
    sent = _received(receiver)
    assert sent["title"] == (
        "Deadline extended: Artificial intelligence – guidelines on high-risk classification"
    )
    assert sent["type"] == "warning"  # high severity
    body = sent["message"]
    assert "HIGH · Deadline extended · Have Your Say — AI initiatives" in body
    assert "Date: 2025-09-10 → 2025-09-18" in body
    assert "[-10 September 2025-] {+18 September 2025+}" in body
    assert "“The feedback period ends on 18 September 2025" in body
    assert "Dashboard: https://lexwatch.example.org/changes/42" in body


def test_health_and_test_alerts(receiver: Receiver) -> None:
    _deliver(_json_url(receiver), health_alert(AlertKind.SOURCE_DOWN))
    _deliver(_json_url(receiver), sample_test_alert())
    down, test = (json.loads(r.body) for r in receiver.requests)
    assert down["title"] == "Source down: Have Your Say — AI initiatives"
    assert down["type"] == "failure" and "HTTP 503" in down["message"]
    assert test["title"] == "lexwatch test message" and "policy-team" in test["message"]


def test_plain_text_service_gets_scraped_text_verbatim_but_no_pings(receiver: Receiver) -> None:
    _deliver(_json_url(receiver), hostile_alert("*bold* <b>x</b> @everyone"))
    body = _received(receiver)["message"]
    assert "*bold* <b>x</b> @" + ZWSP + "everyone summary" in body
    assert "@everyone" not in body


def test_markdown_service_gets_escaped_markdown(receiver: Receiver) -> None:
    _deliver(_json_url(receiver, "?format=markdown"), hostile_alert("*bold* [x](https://evil)"))
    sent = _received(receiver)
    assert sent["title"].startswith("Deadline extended: \\*bold\\* \\[x\\]\\(https://evil\\)")
    assert "\\*bold\\* \\[x\\]\\(https://evil\\) summary" in sent["message"]
    assert "~~\\*bold\\*" in sent["message"]  # deletions struck through, content escaped
    assert "Document: <https://ec.europa.eu/" in sent["message"]


def test_service_failure_is_a_transient_notify_error(receiver: Receiver) -> None:
    receiver.answer(500, "down")
    with pytest.raises(NotifyError) as caught:
        _deliver(_json_url(receiver), change_alert())
    assert not caught.value.permanent and "json://" in str(caught.value)
    assert str(receiver.port) not in str(caught.value)  # URLs may hold tokens


def test_unsupported_url_is_permanent() -> None:
    with pytest.raises(NotifyError) as caught:
        _deliver("nosuchservice://token@host", change_alert())
    assert caught.value.permanent and "'nosuchservice'" in str(caught.value)
    assert "token" not in str(caught.value).replace("tokens", "")


@pytest.mark.parametrize(
    ("url", "markdown"),
    [
        ("discord://1234567/webhooktoken", True),  # Discord renders Markdown in any message
        ("workflows://prod-00.westeurope.logic.azure.com:443/wf/sig", True),  # Teams
        ("tgram://123456789:AAbbCCdd/12345", False),  # HTML: Apprise escapes text itself
        ("ntfy://ntfy.sh/lexwatch-alerts", False),
    ],
)
def test_markdown_services_are_recognised(url: str, markdown: bool) -> None:
    assert AppriseSender(url).markdown is markdown


@pytest.mark.parametrize("markdown_format", [False, True])
def test_rendering_is_pure_and_bounded(markdown_format: bool) -> None:
    title, body = apprise_message(hostile_alert("x" * 5000), markdown_format=markdown_format)
    assert len(title) <= 250 and len(body) < 6000
