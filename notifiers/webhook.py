"""Generic webhook: one signed JSON POST per alert (schema ``lexwatch.alert/v1``).

The body is ``webhook_payload(alert)`` plus ``sent_at``, serialised once (compact, sorted keys,
UTF-8) and described by ``notifiers/webhook_schema.json``. Headers:

- ``X-Lexwatch-Delivery``: the delivery id. A retried delivery keeps its id, so receivers use it
  as the idempotency key (a 2xx that got lost on the way back makes lexwatch send again).
- ``X-Lexwatch-Timestamp``: unix seconds when this attempt was sent.
- ``X-Lexwatch-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the subscription secret, of
  ``f"{timestamp}.".encode() + body`` (only when a secret is configured). The timestamp is part of
  the signed bytes so a captured request cannot be replayed later with a fresh timestamp;
  receivers reject timestamps older than a few minutes (``verify_signature`` does).

Answers: 2xx is delivered; 429/503 with Retry-After wait that long; other 4xx (except 408, 409,
425, 429) are permanent; 5xx and transport errors are retried by the outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx

from monitor import __version__
from monitor.errors import NotifyError
from monitor.types import Alert, AlertChange, Receipt
from sources.fetch.retry_after import retry_after

SCHEMA = "lexwatch.alert/v1"
SIGNATURE_PREFIX = "sha256="
# Statuses that say "try again later" although they are 4xx.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """The JSON-ready payload of ``alert`` (schema ``lexwatch.alert/v1``, without ``sent_at``)."""
    return {
        "schema": SCHEMA,
        "kind": alert.kind.value,
        "delivery_id": alert.delivery_id,
        "subscription": alert.subscription,
        "created_at": _iso(alert.created_at),
        "source": {"key": alert.source.key, "title": alert.source.title, "url": alert.source.url},
        "change": None if alert.change is None else _change(alert.change, alert.dashboard_url),
        "detail": alert.detail or None,
    }


def _change(change: AlertChange, dashboard_url: str | None) -> dict[str, Any]:
    base = dashboard_url.rstrip("/") if dashboard_url else None
    event = change.event_id
    return {
        "id": change.id,
        "category": change.category.value,
        "severity": change.severity.value,
        "title": change.title,
        "summary": change.summary,
        "url": change.url,
        "item_key": change.item_key,
        "old_date": _day(change.old_date),
        "new_date": _day(change.new_date),
        "evidence": list(change.evidence),
        "excerpt": [{"op": op.op, "text": op.text} for op in change.excerpt],
        "detected_at": _iso(change.detected_at),
        "related_to": change.related_to,
        # The happening it reports, however many sources told it: a receiver's ticket key.
        "event_id": event,
        "dashboard_url": f"{base}/changes/{change.id}" if base else None,
        "event_dashboard_url": f"{base}/events/{event}" if base and event else None,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact JSON, sorted keys, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Lexwatch-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: bytes,
    header: str | None,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """Whether ``header`` signs exactly ``body`` at ``timestamp``, sent within ``tolerance``
    seconds of ``now`` (default: the current time). For receivers; copy it freely.

    ``body`` must be the raw request bytes, before any JSON parsing.
    """
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    try:
        sent = int(str(timestamp))
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), header)


class WebhookSender:
    """POSTs alerts to one URL (``Sender`` protocol); ``client`` is the shared httpx client."""

    def __init__(
        self,
        url: str,
        secret: str | None,
        client: httpx.AsyncClient,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._url = url
        self._secret = secret
        self._client = client
        self._clock = clock

    async def send(self, alert: Alert) -> Receipt:
        """POST the alert; Receipt(remote_id=<HTTP status>) on 2xx, NotifyError otherwise."""
        now = self._clock()
        body = encode({**webhook_payload(alert), "sent_at": _iso(now)})
        headers = self._headers(alert, int(now.timestamp()), body)
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise NotifyError(
                f"webhook of subscription {alert.subscription!r} unreachable: {exc!r}"
            ) from exc
        return _receipt(alert, response)

    def _headers(self, alert: Alert, timestamp: int, body: bytes) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"lexwatch/{__version__}",
            "X-Lexwatch-Delivery": str(alert.delivery_id),
            "X-Lexwatch-Timestamp": str(timestamp),
        }
        if self._secret:
            headers["X-Lexwatch-Signature"] = sign(self._secret, timestamp, body)
        return headers


def _receipt(alert: Alert, response: httpx.Response) -> Receipt:
    status = response.status_code
    if 200 <= status < 300:
        return Receipt(remote_id=str(status))
    # The URL itself may be a secret, so the message names the subscription instead.
    message = (
        f"webhook of subscription {alert.subscription!r} answered HTTP {status}"
        f" {response.text[:200]!r}"
    )
    if 300 <= status < 400:
        where = response.headers.get("Location", "?")
        raise NotifyError(
            f"{message}: redirected to {where}; configure the final URL", permanent=True
        )
    wait = retry_after(response.headers.get("Retry-After")) if status in (429, 503) else None
    permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
    raise NotifyError(message, retry_after=wait, permanent=permanent)
