"""The dispatcher: sends what the outbox holds, exactly once per (change, subscription).

Instant deliveries are claimed with a lease, sent, and recorded; a failure is retried with
exponential backoff and jitter (or after Slack's Retry-After), and marked dead after
``alerts.max_attempts`` (re-driven with `lexwatch deliveries retry`). Digest deliveries wait
for their subscription's digest, which sends them all in one e-mail.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from monitor.config import AlertSettings
from monitor.errors import NotifyError
from monitor.types import (
    Alert,
    AlertKind,
    AlertSource,
    Digest,
    DigestDeadline,
    Receipt,
    Sender,
    Subscription,
)
from notifiers.render import RenderedEmail, render_digest
from storage.models import DeliveryRow
from storage.store import Store

logger = logging.getLogger(__name__)


class DigestMailer(Protocol):
    async def send_rendered(self, rendered: RenderedEmail,
                            recipients: Sequence[str]) -> Receipt: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class DigestResult:
    subscription: str
    sent: bool
    changes: int = 0
    rendered: RenderedEmail | None = None
    reason: str = ""


class Dispatcher:
    """Sends due deliveries through each subscription's Sender; safe to run in many processes."""

    def __init__(self, *, store: Store, subscriptions: Sequence[Subscription],
                 senders: Mapping[str, Sender], mailers: Mapping[str, DigestMailer],
                 settings: AlertSettings, clock: Callable[[], datetime],
                 rng: Callable[[], float] = random.random) -> None:
        self.store, self.settings, self.clock, self.rng = store, settings, clock, rng
        self.subscriptions = {sub.name: sub for sub in subscriptions}
        self.senders, self.mailers = senders, mailers

    async def dispatch_due(self) -> int:
        """Send every instant delivery that is due, and retry failed digests; returns sent.

        Each delivery is tried at most once per call, even when its retry is due at once.
        """
        sent, tried = 0, set[int]()
        while True:
            claimed = await asyncio.to_thread(self.store.claim_due, self.clock(), 100, tried)
            if not claimed:
                break
            tried.update(claimed)
            by_sub: dict[str, list[int]] = {}
            for delivery_id, name in sorted(claimed.items()):
                by_sub.setdefault(name, []).append(delivery_id)
            counts = await asyncio.gather(*(self._send_in_order(name, ids)
                                            for name, ids in by_sub.items()))
            sent += sum(counts)
        for name in await asyncio.to_thread(self.store.digests_to_retry, self.clock()):
            if name in self.subscriptions:
                sent += (await self.send_digest(name)).changes
        return sent

    async def _send_in_order(self, name: str, ids: list[int]) -> int:
        """One subscription's deliveries oldest first (Slack threads need the first one)."""
        sent = 0
        for index, delivery_id in enumerate(ids):
            outcome = await self._send_one(delivery_id)
            if isinstance(outcome, float):  # rate limited: the rest waits as long
                until = self.clock() + timedelta(seconds=outcome)
                await asyncio.to_thread(self.store.postpone, ids[index + 1:], until)
                break
            sent += outcome
        return sent

    async def _send_one(self, delivery_id: int) -> int | float:
        """1 if sent, 0 if not, or the seconds a rate limit asks us to wait."""
        row, alert = await asyncio.to_thread(self.store.load_alert, delivery_id,
                                             self.settings.dashboard_url)
        if alert is None:
            await asyncio.to_thread(self.store.mark_skipped, delivery_id,
                                    "marked as noise or muted before it was sent")
            return 0
        sender = self.senders.get(row.subscription)
        if sender is None:
            await self._failed(row, NotifyError(
                f"subscription {row.subscription!r} is no longer configured", permanent=True))
            return 0
        try:
            receipt = await sender.send(alert)
        except NotifyError as exc:
            await self._failed(row, exc)
            return exc.retry_after if exc.retry_after is not None else 0
        except Exception as exc:  # a bug in a channel must not lose the alert
            logger.exception("sending delivery %d failed unexpectedly", delivery_id)
            await self._failed(row, NotifyError(f"internal error: {type(exc).__name__}: {exc}"))
            return 0
        await asyncio.to_thread(self.store.mark_sent, [delivery_id], receipt.remote_id,
                                self.clock())
        logger.info("sent delivery %d (%s) to %s", delivery_id, row.kind, row.subscription,
                    extra={"source": row.source_key})
        return 1

    async def _failed(self, row: DeliveryRow, exc: NotifyError) -> None:
        assert row.id is not None
        next_attempt = self._next_attempt(row.attempts + 1, exc)
        await asyncio.to_thread(self.store.mark_failed, [row.id], str(exc), next_attempt)
        state = "gave up" if next_attempt is None else f"retry at {next_attempt:%H:%M:%S}"
        logger.warning("delivery %d to %s failed (%s): %s", row.id, row.subscription, state,
                       exc, extra={"source": row.source_key})

    def _next_attempt(self, attempts: int, exc: NotifyError) -> datetime | None:
        """When to try again: None when the error is permanent or attempts are used up."""
        if exc.permanent or attempts >= self.settings.max_attempts:
            return None
        if exc.retry_after is not None:
            delay = exc.retry_after
        else:
            backoff = self.settings.backoff_base * 2 ** (attempts - 1)
            delay = min(self.settings.backoff_max, backoff) * (0.5 + self.rng())
        return self.clock() + timedelta(seconds=delay)

    # ---- digests ---------------------------------------------------------------------------

    async def send_digest(self, name: str, *, preview: bool = False,
                          force: bool = False) -> DigestResult:
        """Send ``name``'s digest of everything pending (or only render it, with preview)."""
        sub = self.subscriptions[name]
        loaded = await asyncio.to_thread(self.store.digest_alerts, name,
                                         self.settings.dashboard_url)
        alerts = [alert for _, alert in loaded if alert is not None]
        digest = await asyncio.to_thread(self._digest, sub, alerts)
        if not (alerts or sub.send_empty or force):
            return DigestResult(subscription=name, sent=False, reason="nothing to say")
        rendered = render_digest(digest)
        if preview:
            return DigestResult(subscription=name, sent=False, changes=len(digest.changes),
                                rendered=rendered, reason="preview")
        await self._skip([row for row, alert in loaded if alert is None])
        return await self._mail(sub, rendered, [a.delivery_id for a in alerts],
                                len(digest.changes))

    async def _mail(self, sub: Subscription, rendered: RenderedEmail, ids: list[int],
                    changes: int) -> DigestResult:
        mailer = self.mailers[sub.name]
        try:
            receipt = await mailer.send_rendered(rendered, sub.recipients)
        except NotifyError as exc:
            attempts = await asyncio.to_thread(self.store.max_attempts, ids) + 1
            await asyncio.to_thread(self.store.mark_failed, ids, str(exc),
                                    self._next_attempt(attempts, exc))
            logger.warning("digest %s failed: %s", sub.name, exc)
            return DigestResult(subscription=sub.name, sent=False, reason=str(exc))
        if ids:
            await asyncio.to_thread(self.store.mark_sent, ids, receipt.remote_id, self.clock())
        logger.info("digest %s sent: %d change(s)", sub.name, changes)
        return DigestResult(subscription=sub.name, sent=True, changes=changes,
                            rendered=rendered)

    async def _skip(self, rows: list[DeliveryRow]) -> None:
        for row in rows:
            assert row.id is not None
            await asyncio.to_thread(self.store.mark_skipped, row.id,
                                    "marked as noise or muted before the digest")

    def _digest(self, sub: Subscription, alerts: list[Alert]) -> Digest:
        now = self.clock()
        start = self.store.last_digest_at(sub.name) or min(
            (alert.created_at for alert in alerts), default=now - timedelta(days=1))
        horizon = now + timedelta(days=self.settings.digest_deadline_days)
        deadlines = tuple(
            DigestDeadline(source_key=row.source_key, label=row.label, due=row.due,
                           url=row.url, kind=row.kind)
            for row in self.store.deadlines(after=now) if row.due <= horizon)
        sources = {alert.source.key: alert.source for alert in alerts}
        sources.update(self._deadline_sources(deadlines, sources))
        return Digest(
            subscription=sub.name, period_start=start, period_end=now, timezone=sub.timezone,
            changes=tuple(a.change for a in alerts if a.change is not None),
            sources=sources, deadlines=deadlines, dashboard_url=self.settings.dashboard_url,
            health=tuple(a for a in alerts if a.kind in (AlertKind.SOURCE_DOWN,
                                                         AlertKind.SOURCE_RECOVERED)),
        )

    def _deadline_sources(self, deadlines: tuple[DigestDeadline, ...],
                          known: Mapping[str, AlertSource]) -> dict[str, AlertSource]:
        wanted = {d.source_key for d in deadlines} - set(known)
        return {row.key: AlertSource(key=row.key, title=row.title, url=row.url)
                for row in self.store.sources() if row.key in wanted}
