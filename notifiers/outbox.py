"""The dispatcher: sends what the outbox holds, at least once per (change, subscription),
and twice only when a receiver's answer is lost (see the README's "Delivery you can rely on").

Instant deliveries are sent under a fenced per-subscription lease and recorded; a failure is
retried with exponential backoff and jitter (or after the receiver's Retry-After), dead after
``alerts.max_attempts`` (re-driven with `lexwatch deliveries retry`). Digest deliveries wait
for their subscription's digest, which sends them all in one e-mail.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from monitor.config import AlertSettings
from monitor.errors import NotifyError
from monitor.types import (
    Alert,
    AlertChange,
    AlertEvent,
    AlertKind,
    AlertSource,
    Digest,
    DigestDeadline,
    Receipt,
    Sender,
    Subscription,
)
from notifiers.render import RenderedEmail, render_digest
from storage.models import DeadlineRow, DeliveryRow
from storage.outbox import Lease
from storage.store import Store

logger = logging.getLogger(__name__)


class DigestMailer(Protocol):
    async def send_rendered(
        self, rendered: RenderedEmail, recipients: Sequence[str]
    ) -> Receipt: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class DigestResult:
    subscription: str
    sent: bool
    changes: int = 0
    rendered: RenderedEmail | None = None
    reason: str = ""


class Result(Enum):
    """What became of one delivery attempt."""

    SENT = "sent"
    SKIPPED = "skipped"  # noise or muted before it was sent
    FAILED = "failed"  # recorded; retried later or dead
    RATE_LIMITED = "rate_limited"  # recorded; the receiver asked us to wait ``wait`` seconds
    FENCED = "fenced"  # our lease was lost: another dispatcher owns the outcome


@dataclass(frozen=True, kw_only=True, slots=True)
class Attempt:
    result: Result
    wait: float | None = None


# A dispatcher holds a subscription for at most this long past its last renewal (and never
# longer than the dispatch interval), renewing a third of the way through while it sends:
# only a dead or frozen dispatcher lets it run out.
LEASE_SECONDS = 15.0
# A round stops claiming after this long (or the dispatch interval, if shorter); sends
# still under way finish in the background, each within ``alerts.send_timeout``.
ROUND_SECONDS = 10.0


class Dispatcher:
    """Sends due deliveries through each subscription's Sender; safe to run in many processes.

    A round starts one worker per subscription with due deliveries and no worker running in
    this process; the worker holds the subscription's send lease (storage.outbox) and sends
    its due deliveries oldest first, each within ``alerts.send_timeout``. The round returns
    when every worker is done or after ``round_seconds``; a worker still sending then stops
    claiming and finishes in the background (``wait_idle`` waits for it), so a receiver
    that hangs delays neither other subscriptions nor the next round.
    """

    def __init__(
        self,
        *,
        store: Store,
        subscriptions: Sequence[Subscription],
        senders: Mapping[str, Sender],
        mailers: Mapping[str, DigestMailer],
        settings: AlertSettings,
        clock: Callable[[], datetime],
        rng: Callable[[], float] = random.random,
        monotonic: Callable[[], float] = time.monotonic,
        round_seconds: float | None = None,
        mailer_for: Callable[[Subscription], DigestMailer] | None = None,
    ) -> None:
        self.store, self.settings, self.clock, self.rng = store, settings, clock, rng
        self.subscriptions = {sub.name: sub for sub in subscriptions}
        self.senders, self.mailers = senders, mailers
        # Builds the mailer of a user's own digest (read from the database when it is sent).
        self.mailer_for = mailer_for
        self.monotonic = monotonic
        self.lease_seconds = min(LEASE_SECONDS, float(settings.dispatch_interval))
        self.round_seconds = (
            round_seconds
            if round_seconds is not None
            else min(ROUND_SECONDS, float(settings.dispatch_interval))
        )
        self._workers: dict[str, asyncio.Task[int]] = {}
        self._digest_lock = asyncio.Lock()

    async def dispatch_due(self, *, until_done: bool = False) -> int:
        """One round: send the instant deliveries that are due, and retry failed digests;
        returns how many were sent within the round.

        Each delivery is tried at most once per round, even when its retry is due at once.
        ``until_done``: for the commands that exit after it (``lexwatch check``), whose next run
        (and that of an overlapping one that left its alerts to this one's lease) may be hours
        away: rounds follow one another while they send and something is due.
        """
        sent = await (self._rounds() if until_done else self._send_instant(self._round_end()))
        for name in await asyncio.to_thread(self.store.digests_to_retry, self.clock()):
            if name in self.subscriptions or name in await self._user_subscriptions():
                sent += (await self.send_digest(name)).changes
        return sent

    async def _user_subscriptions(self) -> dict[str, Subscription]:
        """The users' own digests that are on (``storage.subscriptions``), by name."""
        if self.mailer_for is None:
            return {}
        found = await asyncio.to_thread(self.store.user_subscriptions)
        return {sub.name: sub for sub in found}

    async def send_user_digests(self) -> list[DigestResult]:
        """Every user's own digest (the daily job at ``dashboard.user_digest_time``)."""
        return [await self.send_digest(name) for name in await self._user_subscriptions()]

    def sending(self) -> frozenset[str]:
        """The subscriptions whose worker is still sending (a round may end before them)."""
        return frozenset(self._workers)

    async def wait_idle(self) -> None:
        """Wait for the sends a round left running (each ends within ``send_timeout``)."""
        while self._workers:
            await asyncio.wait(set(self._workers.values()))

    def _round_end(self) -> float:
        return self.monotonic() + self.round_seconds

    async def _rounds(self) -> int:
        """Rounds, each waiting for the sends it started, until one sends nothing: nothing is
        due (the round looked and started no worker), or a receiver fails or hangs (its
        alerts wait for their retry)."""
        sent = 0
        while True:
            await self.wait_idle()  # a round's sends are its own: none is left running
            this_round = await self._send_instant(self._round_end(), wait=True)
            if not this_round:
                return sent
            sent += this_round

    async def _send_instant(self, deadline: float, *, wait: bool = False) -> int:
        """Start a worker for each subscription with due deliveries (and none running);
        their count of sent alerts, when they finish by ``deadline`` (or at all, ``wait``)."""
        due = await asyncio.to_thread(self.store.due_subscriptions, self.clock())
        started = [self._start(name, deadline) for name in due if name not in self._workers]
        if not started:
            return 0
        timeout = None if wait else max(0.0, deadline - self.monotonic())
        done, _ = await asyncio.wait(started, timeout=timeout)
        return sum(
            task.result() for task in done if not task.cancelled() and task.exception() is None
        )

    def _start(self, name: str, deadline: float) -> asyncio.Task[int]:
        task = asyncio.get_running_loop().create_task(
            self._work(name, deadline), name=f"send {name}"
        )
        self._workers[name] = task
        task.add_done_callback(lambda done: self._finished(name, done))
        return task

    def _finished(self, name: str, task: asyncio.Task[int]) -> None:
        if self._workers.get(name) is task:
            del self._workers[name]
        if not task.cancelled() and task.exception() is not None:
            logger.error("sending to subscription %s failed", name, exc_info=task.exception())

    async def _work(self, name: str, deadline: float) -> int:
        """Send ``name``'s due deliveries under its send lease (none if another holds it).

        Once the lease is let go, it looks again: another process (an overlapping ``lexwatch
        check``) whose alerts arrived while this one held the lease found it taken and left
        them to this one, which must not leave them waiting for the next run.
        """
        sent, tried, first = 0, set[int](), True
        while first or self.monotonic() < deadline:  # once even if the round ran out before
            first = False
            lease = Lease(subscription=name, token=str(uuid.uuid4()))
            now = self.clock()
            if not await asyncio.to_thread(self.store.acquire_lease, lease, now, self._until(now)):
                break  # the other holder sends them, and looks again when it lets go
            renewing = asyncio.get_running_loop().create_task(self._renew(lease))
            try:
                sent += await self._send_in_order(lease, deadline, tried)
            finally:
                renewing.cancel()
                await asyncio.to_thread(self.store.release_lease, lease)
            if await asyncio.to_thread(self.store.next_due, name, self.clock(), tried) is None:
                break
        return sent

    def _until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.lease_seconds)

    async def _renew(self, lease: Lease) -> None:
        """Keep the lease while sending; a lost one shows in the next claim or outcome."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                held = await asyncio.to_thread(
                    self.store.renew_lease, lease, self._until(self.clock())
                )
            except Exception:  # the database is away: the fenced outcome will say so
                logger.warning(
                    "could not renew the send lease of %s", lease.subscription, exc_info=True
                )
                continue
            if not held:
                logger.warning(
                    "the send lease of %s ran out; another dispatcher has it", lease.subscription
                )
                return

    async def _send_in_order(self, lease: Lease, deadline: float, tried: set[int]) -> int:
        """One subscription's deliveries oldest first (Slack threads need the first one);
        none of ``tried`` (each is tried once a round), to which each one tried is added.
        One is tried even when the round ran out before (a slow database, a busy machine): a
        round that started sends something, and ``lexwatch check`` counts on that."""
        sent, claimed = 0, False
        while not claimed or self.monotonic() < deadline:
            delivery_id = await asyncio.to_thread(self.store.claim_next, lease, self.clock(), tried)
            if delivery_id is None:
                break
            claimed = True
            tried.add(delivery_id)
            attempt = await self._send_one(delivery_id, lease.token)
            if attempt.result is Result.RATE_LIMITED and attempt.wait is not None:
                until = self.clock() + timedelta(seconds=attempt.wait)
                await asyncio.to_thread(self.store.postpone_subscription, lease, until)
                break
            if attempt.result is Result.FENCED:
                break
            sent += attempt.result is Result.SENT
        return sent

    async def _send_one(self, delivery_id: int, token: str) -> Attempt:
        row, alert = await asyncio.to_thread(
            self.store.load_alert, delivery_id, self.settings.dashboard_url
        )
        if alert is None:
            kept = await asyncio.to_thread(
                self.store.finish_skipped,
                delivery_id,
                token,
                "marked as noise or muted before it was sent",
            )
            return Attempt(result=Result.SKIPPED if kept else Result.FENCED)
        sender = self.senders.get(row.subscription)
        if sender is None:
            return await self._failed(
                row,
                token,
                NotifyError(
                    f"subscription {row.subscription!r} is no longer configured", permanent=True
                ),
            )
        try:
            receipt = await self._timed(sender, alert)
        except NotifyError as exc:
            return await self._failed(row, token, exc)
        except Exception as exc:  # a bug in a channel must not lose the alert
            logger.exception("sending delivery %d failed unexpectedly", delivery_id)
            return await self._failed(
                row, token, NotifyError(f"internal error: {type(exc).__name__}: {exc}")
            )
        return await self._sent(row, token, receipt)

    async def _timed(self, sender: Sender, alert: Alert) -> Receipt:
        """``sender.send(alert)``, given up after ``send_timeout`` as a transient failure."""
        timeout = self.settings.send_timeout
        try:
            return await asyncio.wait_for(sender.send(alert), timeout)
        except TimeoutError as exc:
            raise NotifyError(
                f"subscription {alert.subscription!r} did not answer within"
                f" {timeout:g} s (alerts.send_timeout)"
            ) from exc

    async def _sent(self, row: DeliveryRow, token: str, receipt: Receipt) -> Attempt:
        assert row.id is not None
        if not await asyncio.to_thread(
            self.store.finish_sent,
            row.id,
            token,
            receipt.remote_id,
            self.clock(),
            receipt.remote_channel,
        ):
            logger.warning(
                "delivery %d was sent, but our lease ran out meanwhile: another"
                " dispatcher owns it now (the receiver may see it twice, with the"
                " same X-Lexwatch-Delivery id)",
                row.id,
            )
            return Attempt(result=Result.FENCED)
        logger.info(
            "sent delivery %d (%s) to %s",
            row.id,
            row.kind,
            row.subscription,
            extra={"source": row.source_key},
        )
        return Attempt(result=Result.SENT)

    async def _failed(self, row: DeliveryRow, token: str, exc: NotifyError) -> Attempt:
        assert row.id is not None
        next_attempt = self._next_attempt(row.attempts + 1, exc)
        if not await asyncio.to_thread(
            self.store.finish_failed, row.id, token, str(exc), next_attempt
        ):
            logger.warning(
                "delivery %d to %s failed (%s), but our lease ran out meanwhile:"
                " another dispatcher owns it now",
                row.id,
                row.subscription,
                exc,
            )
            return Attempt(result=Result.FENCED)
        state = "gave up" if next_attempt is None else f"retry at {next_attempt:%H:%M:%S}"
        logger.warning(
            "delivery %d to %s failed (%s): %s",
            row.id,
            row.subscription,
            state,
            exc,
            extra={"source": row.source_key},
        )
        if exc.retry_after is not None and next_attempt is not None:
            return Attempt(result=Result.RATE_LIMITED, wait=exc.retry_after)
        return Attempt(result=Result.FAILED)

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

    async def send_digest(
        self, name: str, *, preview: bool = False, force: bool = False
    ) -> DigestResult:
        """Send ``name``'s digest of everything pending (or only render it, with preview).

        One digest at a time in this process: a retry never overlaps the scheduled send.
        """
        async with self._digest_lock:
            return await self._send_digest(name, preview=preview, force=force)

    async def _send_digest(self, name: str, *, preview: bool, force: bool) -> DigestResult:
        sub = self.subscriptions.get(name) or (await self._user_subscriptions()).get(name)
        if sub is None:
            return DigestResult(
                subscription=name, sent=False, reason="no such digest (turned off?)"
            )
        loaded = await asyncio.to_thread(
            self.store.digest_alerts, name, self.settings.dashboard_url
        )
        alerts = [alert for _, alert in loaded if alert is not None]
        digest = await asyncio.to_thread(self._digest, sub, alerts)
        if not (alerts or sub.send_empty or force):
            return DigestResult(subscription=name, sent=False, reason="nothing to say")
        rendered = render_digest(digest)
        if preview:
            return DigestResult(
                subscription=name,
                sent=False,
                changes=len(digest.changes),
                rendered=rendered,
                reason="preview",
            )
        await self._skip([row for row, alert in loaded if alert is None])
        return await self._mail(sub, rendered, [a.delivery_id for a in alerts], len(digest.changes))

    async def _mail(
        self, sub: Subscription, rendered: RenderedEmail, ids: list[int], changes: int
    ) -> DigestResult:
        mailer = self.mailers.get(sub.name)
        if mailer is None:
            assert self.mailer_for is not None  # only users' digests are not in self.mailers
            mailer = self.mailer_for(sub)
        try:
            receipt = await mailer.send_rendered(rendered, sub.recipients)
        except NotifyError as exc:
            attempts = await asyncio.to_thread(self.store.max_attempts, ids) + 1
            await asyncio.to_thread(
                self.store.mark_failed, ids, str(exc), self._next_attempt(attempts, exc)
            )
            logger.warning("digest %s failed: %s", sub.name, exc)
            return DigestResult(subscription=sub.name, sent=False, reason=str(exc))
        if ids:
            await asyncio.to_thread(self.store.mark_sent, ids, receipt.remote_id, self.clock())
        logger.info("digest %s sent: %d change(s)", sub.name, changes)
        return DigestResult(subscription=sub.name, sent=True, changes=changes, rendered=rendered)

    async def _skip(self, rows: list[DeliveryRow]) -> None:
        for row in rows:
            assert row.id is not None
            await asyncio.to_thread(
                self.store.mark_skipped, row.id, "marked as noise or muted before the digest"
            )

    def _digest(self, sub: Subscription, alerts: list[Alert]) -> Digest:
        now = self.clock()
        start = self.store.last_digest_at(sub.name) or min(
            (alert.created_at for alert in alerts), default=now - timedelta(days=1)
        )
        horizon = now + timedelta(days=self.settings.digest_deadline_days)
        deadlines = tuple(
            DigestDeadline(
                source_key=row.source_key, label=row.label, due=row.due, url=row.url, kind=row.kind
            )
            for row in _one_per_event(self.store.deadlines(after=now))
            if row.due <= horizon
        )
        changes, events = _one_per_event_change(alerts)
        sources = {alert.source.key: alert.source for alert in alerts}
        sources.update(self._deadline_sources(deadlines, sources))
        return Digest(
            subscription=sub.name,
            period_start=start,
            period_end=now,
            timezone=sub.timezone,
            changes=changes,
            events=events,
            sources=sources,
            deadlines=deadlines,
            dashboard_url=self.settings.dashboard_url,
            health=tuple(
                a for a in alerts if a.kind in (AlertKind.SOURCE_DOWN, AlertKind.SOURCE_RECOVERED)
            ),
        )

    def _deadline_sources(
        self, deadlines: tuple[DigestDeadline, ...], known: Mapping[str, AlertSource]
    ) -> dict[str, AlertSource]:
        wanted = {d.source_key for d in deadlines} - set(known)
        return {
            row.key: AlertSource(key=row.key, title=row.title, url=row.url)
            for row in self.store.sources()
            if row.key in wanted
        }


def _one_per_event(rows: Sequence[DeadlineRow]) -> list[DeadlineRow]:
    """A deadline once per event however many sources state it (the first, soonest)."""
    seen: set[int] = set()
    kept = []
    for row in rows:
        if row.event_id is not None:
            if row.event_id in seen:
                continue
            seen.add(row.event_id)
        kept.append(row)
    return kept


def _one_per_event_change(
    alerts: Sequence[Alert],
) -> tuple[tuple[AlertChange, ...], dict[int, AlertEvent]]:
    """One entry per event: its latest change (alerts come oldest first), in the order the
    events first appear; changes without an event stay as they are."""
    slots: dict[object, AlertChange] = {}
    events: dict[int, AlertEvent] = {}
    for alert in alerts:
        change = alert.change
        if change is None:
            continue
        if alert.event is None:
            slots[("change", change.id)] = change
            continue
        slots[("event", alert.event.id)] = change  # a later change takes the event's slot
        events[alert.event.id] = alert.event
    return tuple(slots.values()), events
