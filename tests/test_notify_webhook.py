"""Generic webhook: payload schema, signed delivery to a real receiver on loopback that
verifies the signature, and every answer translated to a Receipt or NotifyError."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport

from monitor import __version__
from monitor.errors import NotifyError
from monitor.types import Alert, AlertKind, Receipt
from notifiers.webhook import (
    SCHEMA,
    WebhookSender,
    encode,
    verify_signature,
    webhook_payload,
)
from sources.fetch.retry_after import retry_after
from tests.notify_alerts import (
    change_alert,
    health_alert,
    hostile_alert,
    minimal_change_alert,
    sample_test_alert,
)
from tests.servers.receiver import Received, Receiver, receiver_fixture  # noqa: F401

SECRET = "s3cret-shared-with-the-receiver"
NOW = datetime(2025, 9, 3, 7, 31, 5, tzinfo=UTC)
SCHEMA_FILE = Path(__file__).parents[1] / "notifiers" / "webhook_schema.json"
ALERTS: dict[str, Callable[[], Alert]] = {
    "change": change_alert,
    "minimal": minimal_change_alert,
    "test": sample_test_alert,
    "down": lambda: health_alert(AlertKind.SOURCE_DOWN),
    "recovered": lambda: health_alert(AlertKind.SOURCE_RECOVERED),
    "hostile": lambda: hostile_alert('<!channel> *x* </script>\n"quote"'),
}


def _send(
    url: str,
    alert: Alert,
    *,
    secret: str | None = SECRET,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Receipt:
    async def main() -> Receipt:
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            return await WebhookSender(url, secret, client, clock=lambda: NOW).send(alert)

    return asyncio.run(main())


def _verifying(request: Received) -> bool:
    """What a receiver does with the snippet from the README."""
    return verify_signature(
        SECRET,
        request.headers["x-lexwatch-timestamp"],
        request.body,
        request.headers.get("x-lexwatch-signature"),
        now=NOW.timestamp() + 2,
    )


# -- payload -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALERTS), ids=sorted(ALERTS))
def test_payload_matches_json_schema(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates the schema file")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    payload = json.loads(
        encode({**webhook_payload(ALERTS[name]()), "sent_at": "2025-09-03T07:31:05Z"})
    )
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        payload
    )


def test_the_readmes_example_body_matches_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("Example body (shown indented", 1)[1].split("```json\n", 1)[1]
    body = json.loads(example.split("```", 1)[0])
    jsonschema.validate(body, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert set(body["change"]) == set(webhook_payload(change_alert())["change"])


def test_schema_rejects_a_payload_missing_its_change_fields() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    payload = webhook_payload(change_alert())
    del payload["change"]["category"]
    with pytest.raises(jsonschema.ValidationError, match="category"):
        jsonschema.validate(payload, schema)


def test_change_payload_carries_dates_excerpt_and_links() -> None:
    payload = webhook_payload(change_alert())
    change = payload["change"]
    assert (payload["schema"], payload["kind"], payload["delivery_id"]) == (SCHEMA, "change", 1001)
    assert payload["source"]["key"] == "hys-initiatives" and payload["detail"] is None
    assert (change["old_date"], change["new_date"]) == ("2025-09-10", "2025-09-18")
    assert change["excerpt"][1] == {"op": "delete", "text": "10 September 2025"}
    assert change["dashboard_url"] == "https://lexwatch.example.org/changes/42"
    assert change["event_id"] == 17
    assert change["event_dashboard_url"] == "https://lexwatch.example.org/events/17"
    minimal = webhook_payload(minimal_change_alert())["change"]
    assert (minimal["event_id"], minimal["event_dashboard_url"]) == (None, None)
    assert change["detected_at"] == "2025-09-03T07:30:00Z"
    down = webhook_payload(health_alert(AlertKind.SOURCE_DOWN))
    assert down["change"] is None and "HTTP 503" in down["detail"]


def test_body_is_compact_sorted_json() -> None:
    body = encode(webhook_payload(change_alert()))
    canonical = json.dumps(
        json.loads(body), separators=(",", ":"), sort_keys=True, ensure_ascii=False
    ).encode()
    assert body == canonical and b"\n" not in body
    assert "Have Your Say — AI".encode() in body  # UTF-8, not \u escapes


# -- delivery and signature ----------------------------------------------------------------------


def test_signed_delivery_is_accepted_by_a_verifying_receiver(receiver: Receiver) -> None:
    receiver.check = _verifying
    alert = hostile_alert("<!channel> </script>")
    assert _send(receiver.url(), alert) == Receipt(remote_id="200")
    [request] = receiver.requests
    assert request.status == 200
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == f"lexwatch/{__version__}"
    assert request.headers["x-lexwatch-delivery"] == "1001"
    assert request.headers["x-lexwatch-timestamp"] == str(int(NOW.timestamp()))
    sent = json.loads(request.body)
    assert sent == {**webhook_payload(alert), "sent_at": "2025-09-03T07:31:05Z"}
    assert sent["change"]["title"] == "<!channel> </script> title"  # JSON carries it verbatim


def test_receiver_rejects_tampering_wrong_secret_and_replays(receiver: Receiver) -> None:
    _send(receiver.url(), change_alert())
    [request] = receiver.requests
    timestamp = request.headers["x-lexwatch-timestamp"]
    header = request.headers["x-lexwatch-signature"]
    now = int(timestamp) + 2
    assert verify_signature(SECRET, timestamp, request.body, header, now=now)
    tampered = request.body.replace(b"2025-09-18", b"2025-09-28")
    assert not verify_signature(SECRET, timestamp, tampered, header, now=now)
    assert not verify_signature("another-secret", timestamp, request.body, header, now=now)
    assert not verify_signature(SECRET, int(timestamp) + 60, request.body, header, now=now)
    assert not verify_signature(SECRET, timestamp, request.body, header, now=now + 3600)
    assert not verify_signature(SECRET, timestamp, request.body, None, now=now)
    assert not verify_signature(SECRET, "soon", request.body, header, now=now)


def test_wrong_secret_makes_the_receiver_refuse_permanently(receiver: Receiver) -> None:
    receiver.check = _verifying
    with pytest.raises(NotifyError) as caught:
        _send(receiver.url(), change_alert(), secret="not-the-shared-one")
    assert caught.value.permanent and "401" in str(caught.value)


def test_without_secret_no_signature_is_sent(receiver: Receiver) -> None:
    _send(receiver.url(), change_alert(), secret=None)
    assert "x-lexwatch-signature" not in receiver.requests[0].headers


def test_works_over_the_shared_aiohttp_transport(receiver: Receiver) -> None:
    receiver.check = _verifying
    assert _send(receiver.url(), change_alert(), transport=AiohttpTransport()).remote_id == "200"


@pytest.mark.parametrize(
    ("status", "headers", "retry_after", "permanent"),
    [
        (400, {}, None, True),
        (401, {}, None, True),
        (404, {}, None, True),
        (410, {}, None, True),
        (408, {}, None, False),
        (409, {}, None, False),
        (425, {}, None, False),
        (429, {"Retry-After": "30"}, 30.0, False),
        (429, {}, None, False),
        (503, {"Retry-After": "12"}, 12.0, False),
        (500, {}, None, False),
        (502, {}, None, False),
        (301, {"Location": "https://new.example/hook"}, None, True),
    ],
)
def test_answers_are_translated(
    receiver: Receiver,
    status: int,
    headers: dict[str, str],
    retry_after: float | None,
    permanent: bool,
) -> None:
    receiver.answer(status, "nope", headers=headers)
    with pytest.raises(NotifyError) as caught:
        _send(receiver.url("/secret-path"), change_alert())
    assert (caught.value.retry_after, caught.value.permanent) == (retry_after, permanent)
    assert "secret-path" not in str(caught.value)
    assert len(receiver.requests) == 1


def test_any_2xx_is_delivered(receiver: Receiver) -> None:
    receiver.answer(204)
    assert _send(receiver.url(), change_alert()).remote_id == "204"


def test_unreachable_receiver_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    with pytest.raises(NotifyError) as caught:
        _send(url, change_alert())
    assert not caught.value.permanent and "unreachable" in str(caught.value)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after("30") == 30.0 and retry_after(" 2.5 ") == 2.5
    assert retry_after("Wed, 03 Sep 2025 07:32:05 GMT", now=lambda: NOW) == 60.0
    assert retry_after("Wed, 03 Sep 2025 07:00:00 GMT", now=lambda: NOW) == 0.0
    assert retry_after("-5") == 0.0
    assert [retry_after(v) for v in (None, "", "soon", "inf", "nan")] == [None] * 5


def test_schema_file_documents_every_payload_key() -> None:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    payload = webhook_payload(change_alert())
    assert set(payload) | {"sent_at"} == set(schema["properties"])
    assert set(payload["change"]) == set(schema["$defs"]["change"]["properties"])
