"""The outbox: every query behind durable delivery.

Deliveries are written in the transaction that stores their Change (``enqueue_changes``) or
the failed check that makes a source "down" (``enqueue_health``), so a crash can never keep
a stored Change from being alerted; a unique (subscription, dedupe_key) index makes every
enqueue idempotent.

Instant deliveries are sent under a per-subscription *send lease* (``send_leases``): one
dispatcher at a time sends a subscription's alerts, oldest first. It stamps each delivery it
claims with the lease token, and the outcome is written only where that token still stands
(``finish_*``), so a dispatcher that stalled past its lease can never undo what the next
holder recorded. Digest deliveries are not leased: the digest sends them together.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, exists, func, update
from sqlmodel import Session, col, select

from monitor.types import (
    EVENT_UPDATE,
    Alert,
    AlertChange,
    AlertEvent,
    AlertKind,
    AlertSource,
    Category,
    Change,
    Channel,
    CheckOutcome,
    CheckRecord,
    DeliveryMode,
    DeliveryStatus,
    Severity,
    Subscription,
)
from storage import subscriptions as user_subscriptions
from storage.codec import diff_from_dict
from storage.db import upsert_insert
from storage.excerpt import excerpt
from storage.models import (
    ChangeRow,
    DeliveryRow,
    EventRow,
    MuteRow,
    SendLeaseRow,
    SourceRow,
)
from storage.subscriptions import UserDigests


@dataclass(frozen=True, kw_only=True, slots=True)
class Routing:
    """The subscriptions that stored changes and source failures are routed to."""

    subscriptions: tuple[Subscription, ...] = ()
    failure_threshold: int = 3
    # Set: dashboard users' own digests (storage.subscriptions) are routed too.
    user_digests: UserDigests | None = None


@functools.cache
def _insert_delivery(dialect: str) -> Any:
    """Built once per dialect: building it cost as much CPU as running it."""
    return upsert_insert(dialect)(DeliveryRow).on_conflict_do_nothing()


def _insert_ignoring_duplicates(session: Session, values: dict[str, Any]) -> None:
    connection = session.connection()
    connection.execute(_insert_delivery(connection.dialect.name), values)


def _delivery(
    sub: Subscription,
    *,
    kind: AlertKind,
    dedupe_key: str,
    source_key: str,
    now: datetime,
    change_id: int | None = None,
    item_key: str | None = None,
    detail: str = "",
    event_id: int | None = None,
) -> dict[str, Any]:
    instant = sub.mode is DeliveryMode.INSTANT
    return {
        "subscription": sub.name,
        "channel": sub.channel.value,
        "mode": sub.mode.value,
        "kind": kind.value,
        "dedupe_key": dedupe_key,
        "change_id": change_id,
        "source_key": source_key,
        "item_key": item_key,
        "event_id": event_id,
        "detail": detail,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now if instant else None,
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredChange:
    """A change as stored, with what routing it reads: its id, its event and how it went
    into it (``storage.events``)."""

    id: int
    change: Change
    event_id: int | None = None
    related_to: int | None = None
    # It started its event: no alert about that event can have been queued before it.
    started: bool = False
    moved: bool = False  # it moved its event's date (grouping's "moved" rule)


@dataclass(frozen=True, kw_only=True, slots=True)
class Routes:
    """What routing the changes of a batch of checks reads, read once for the batch: the
    subscriptions (users' digests too), and the tags and muted items of their sources."""

    subscriptions: tuple[Subscription, ...] = ()
    tags: dict[str, list[str]] = field(default_factory=dict)
    muted: frozenset[tuple[str, str]] = frozenset()


def routes(session: Session, routing: Routing, source_keys: Collection[str]) -> Routes:
    """``Routes`` for changes of these sources (none: nothing to read)."""
    if not source_keys:
        return Routes()
    subs = routing.subscriptions
    if routing.user_digests is not None:
        subs += tuple(user_subscriptions.enabled(session, routing.user_digests))
    if not subs:
        return Routes()
    rows = session.connection().execute(_TAGS_AND_MUTED, {"r_keys": sorted(source_keys)}).all()
    tags = {key: list(tags) for key, tags, _ in rows}
    muted = frozenset((key, item) for key, _, item in rows if item is not None)
    return Routes(subscriptions=subs, tags=tags, muted=muted)


# Each source's tags, with each of its muted items (a row with None: none muted).
_TAGS_AND_MUTED = (
    select(col(SourceRow.key), col(SourceRow.tags), col(MuteRow.item_key))
    .outerjoin(MuteRow, col(MuteRow.source_key) == col(SourceRow.key))
    .where(col(SourceRow.key).in_(bindparam("r_keys", expanding=True)))
)


def enqueue_changes(
    session: Session, routes: Routes, stored: Sequence[StoredChange], now: datetime
) -> None:
    """One delivery per (change, subscription that wants it), in the caller's transaction;
    one alert per event (``_follow_up``). Users' own digests are routed too.

    The deliveries go in together, in order, at the end or before ``_follow_up`` reads the
    deliveries (it does not for a change that started its event)."""
    if not stored or not routes.subscriptions:
        return
    source_key = stored[0].change.source_key
    tags = routes.tags.get(source_key, [])
    rows: list[dict[str, Any]] = []
    for one in stored:
        if (source_key, one.change.item_key) in routes.muted:
            continue
        for sub in routes.subscriptions:
            if not sub.wants(one.change, tags):
                continue
            if not one.started:
                _insert_deliveries(session, rows)
            follow = _follow_up(session, sub, one)
            if follow is not None:
                rows.append(_change_delivery(sub, one, now, follow))
    _insert_deliveries(session, rows)


def _insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the waiting ``rows`` (a duplicate is ignored) and empty the list."""
    if rows:
        connection = session.connection()
        connection.execute(_insert_delivery(connection.dialect.name), rows)
        rows.clear()


def _change_delivery(
    sub: Subscription, one: StoredChange, now: datetime, follow: str
) -> dict[str, Any]:
    return _delivery(
        sub,
        kind=AlertKind.CHANGE,
        dedupe_key=f"change:{one.id}",
        source_key=one.change.source_key,
        now=now,
        change_id=one.id,
        item_key=one.change.item_key,
        event_id=one.event_id,
        detail=follow,
    )


def _follow_up(session: Session, sub: Subscription, change: StoredChange) -> str | None:
    """Whether ``sub`` is alerted of this change: None (no), "" (an alert) or
    ``EVENT_UPDATE``. One alert per event:

    - the event's first change for ``sub`` is an alert;
    - a change that moves the event's date (``storage.grouping``'s "moved" rule) is an
      alert again: on Slack (bot token) a reply in the event's thread, which also updates
      the first message;
    - any other later change (the same happening told by another source) is, on Slack,
      only an update of the first message ("seen on 3 sources"), and nothing elsewhere.
    """
    if change.event_id is None:
        return None if _related_repeat(session, sub, change) else ""
    if change.started:
        return ""
    values = {"d_sub": sub.name, "d_event": change.event_id, "d_change": change.id}
    if session.connection().execute(_EARLIER, values).first() is None or change.moved:
        return ""
    return EVENT_UPDATE if sub.channel is Channel.SLACK else None


_EARLIER = (
    select(col(DeliveryRow.id))
    .where(
        col(DeliveryRow.subscription) == bindparam("d_sub"),
        col(DeliveryRow.event_id) == bindparam("d_event"),
        col(DeliveryRow.change_id) != bindparam("d_change"),
    )
    .limit(1)
)


def _related_repeat(session: Session, sub: Subscription, change: StoredChange) -> bool:
    """A change stored before events: the same event, seen first on another source, was
    already routed to ``sub``."""
    if change.related_to is None:
        return False
    statement = select(DeliveryRow.id).where(
        DeliveryRow.subscription == sub.name, col(DeliveryRow.change_id) == change.related_to
    )
    return session.exec(statement.limit(1)).first() is not None


def enqueue_health(
    session: Session, routing: Routing, record: CheckRecord, previous_streak: int, check_id: int
) -> None:
    """One alert when a source reaches the failure threshold, one when it recovers."""
    threshold = routing.failure_threshold
    failed = record.outcome is CheckOutcome.FAILED
    if failed and previous_streak + 1 == threshold:
        kind, detail = (
            AlertKind.SOURCE_DOWN,
            (f"{threshold} checks in a row failed; last error: {record.error or 'unknown'}"),
        )
    elif not failed and previous_streak >= threshold:
        kind, detail = (
            AlertKind.SOURCE_RECOVERED,
            (f"checked successfully again after {previous_streak} failed checks"),
        )
    else:
        return
    for sub in routing.subscriptions:
        if sub.health and (not sub.sources or record.source_key in sub.sources):
            _insert_ignoring_duplicates(
                session,
                _delivery(
                    sub,
                    kind=kind,
                    dedupe_key=f"{kind.value}:{record.source_key}:{check_id}",
                    source_key=record.source_key,
                    now=record.started_at,
                    detail=detail[:2000],
                ),
            )


def enqueue_test(session: Session, sub: Subscription, source_key: str, now: datetime) -> int:
    """A test alert for ``sub`` (always instant, whatever the subscription's mode)."""
    row = DeliveryRow(
        **_delivery(
            sub,
            kind=AlertKind.TEST,
            source_key=source_key,
            now=now,
            dedupe_key=f"test:{now.isoformat()}",
        )
    )
    row.mode, row.next_attempt_at = DeliveryMode.INSTANT.value, now
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


@dataclass(frozen=True, kw_only=True, slots=True)
class Lease:
    """A dispatcher's hold on one subscription: only it sends that subscription's alerts, and
    only it may record their outcome, until ``expires_at`` (renewed while it sends)."""

    subscription: str
    token: str


def due_subscriptions(session: Session, now: datetime) -> list[str]:
    """The subscriptions with instant deliveries due now."""
    statement = (
        select(DeliveryRow.subscription)
        .distinct()
        .where(
            col(DeliveryRow.status) == DeliveryStatus.PENDING.value,
            DeliveryRow.mode == DeliveryMode.INSTANT.value,
            col(DeliveryRow.next_attempt_at) <= now,
        )
    )
    return sorted(session.exec(statement).all())


def acquire_lease(session: Session, lease: Lease, now: datetime, until: datetime) -> bool:
    """Take ``lease`` unless another dispatcher holds an unexpired one; whether we have it.

    One atomic upsert: two dispatchers racing for a free subscription cannot both win.
    """
    insert = upsert_insert(session.get_bind().dialect.name)
    values = {"subscription": lease.subscription, "token": lease.token, "expires_at": until}
    statement = insert(SendLeaseRow).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["subscription"],
            set_={"token": lease.token, "expires_at": until},
            where=col(SendLeaseRow.expires_at) <= now,
        )
    )
    holder = select(SendLeaseRow.token).where(SendLeaseRow.subscription == lease.subscription)
    return session.exec(holder).first() == lease.token


def renew_lease(session: Session, lease: Lease, until: datetime) -> bool:
    """Extend ``lease``; False when it was lost (it ran out and another dispatcher took it)."""
    result = session.execute(update(SendLeaseRow).where(*_holding(lease)).values(expires_at=until))
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def release_lease(session: Session, lease: Lease) -> None:
    """End ``lease``: the subscription is free for any dispatcher's next round at once."""
    session.execute(delete(SendLeaseRow).where(*_holding(lease)))


def _holding(lease: Lease) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        col(SendLeaseRow.subscription) == lease.subscription,
        col(SendLeaseRow.token) == lease.token,
    )


def next_due(
    session: Session, subscription: str, now: datetime, exclude: Collection[int] = ()
) -> int | None:
    """The oldest instant delivery of ``subscription`` due now (not one of ``exclude``)."""
    statement = (
        select(DeliveryRow.id)
        .where(
            DeliveryRow.subscription == subscription,
            col(DeliveryRow.status) == DeliveryStatus.PENDING.value,
            DeliveryRow.mode == DeliveryMode.INSTANT.value,
            col(DeliveryRow.next_attempt_at) <= now,
        )
        .order_by(col(DeliveryRow.id))
        .limit(1)
    )
    if exclude:
        statement = statement.where(col(DeliveryRow.id).not_in(exclude))
    return session.exec(statement).first()


def claim_next(
    session: Session, lease: Lease, now: datetime, exclude: Collection[int] = ()
) -> int | None:
    """The oldest due instant delivery of the lease's subscription, stamped with its token;
    None when none is due or the lease is no longer held (or has run out)."""
    delivery_id = next_due(session, lease.subscription, now, exclude)
    if delivery_id is None:
        return None
    held = exists().where(*_holding(lease), col(SendLeaseRow.expires_at) > now)
    result = session.execute(
        update(DeliveryRow)
        .where(col(DeliveryRow.id) == delivery_id, held)
        .values(lease_token=lease.token)
    )
    return delivery_id if int(result.rowcount) == 1 else None  # type: ignore[attr-defined]


def _fenced(delivery_id: int, token: str) -> tuple[ColumnElement[bool], ...]:
    """Only the claim that holds ``token`` may record the outcome of ``delivery_id``."""
    return (
        col(DeliveryRow.id) == delivery_id,
        col(DeliveryRow.lease_token) == token,
        col(DeliveryRow.status) == DeliveryStatus.PENDING.value,
    )


def finish_sent(
    session: Session,
    delivery_id: int,
    token: str,
    remote_id: str | None,
    now: datetime,
    remote_channel: str | None = None,
) -> bool:
    """Record a send by the lease holder; False (nothing written) for anyone else."""
    result = session.execute(
        update(DeliveryRow)
        .where(*_fenced(delivery_id, token))
        .values(**_sent(remote_id, now), remote_channel=remote_channel)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def finish_failed(
    session: Session, delivery_id: int, token: str, error: str, next_attempt: datetime | None
) -> bool:
    """Record a failed attempt by the lease holder (``next_attempt`` None: dead)."""
    status = DeliveryStatus.PENDING if next_attempt is not None else DeliveryStatus.DEAD
    result = session.execute(
        update(DeliveryRow)
        .where(*_fenced(delivery_id, token))
        .values(
            status=status.value,
            last_error=error[:2000],
            next_attempt_at=next_attempt,
            attempts=DeliveryRow.attempts + 1,
        )
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def finish_skipped(session: Session, delivery_id: int, token: str, reason: str) -> bool:
    result = session.execute(
        update(DeliveryRow)
        .where(*_fenced(delivery_id, token))
        .values(status=DeliveryStatus.SKIPPED.value, last_error=reason, next_attempt_at=None)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def postpone_subscription(session: Session, lease: Lease, until: datetime) -> None:
    """Hold the lease's due deliveries until ``until`` without counting an attempt (the
    receiver asked us to slow down: Retry-After)."""
    held = exists().where(*_holding(lease))
    session.execute(
        update(DeliveryRow)
        .where(
            col(DeliveryRow.subscription) == lease.subscription,
            col(DeliveryRow.status) == DeliveryStatus.PENDING.value,
            col(DeliveryRow.mode) == DeliveryMode.INSTANT.value,
            col(DeliveryRow.next_attempt_at) < until,
            held,
        )
        .values(next_attempt_at=until)
    )


def load_alert(
    session: Session, delivery_id: int, dashboard_url: str | None
) -> tuple[DeliveryRow, Alert | None]:
    """The delivery and the Alert to send; None when it must be skipped (noise, muted)."""
    row = session.get(DeliveryRow, delivery_id)
    if row is None:
        raise LookupError(f"no delivery with id {delivery_id}")
    change = session.get(ChangeRow, row.change_id) if row.change_id is not None else None
    if change is not None and _suppressed(session, change):
        return row, None
    source = session.get(SourceRow, row.source_key)
    assert row.id is not None
    event = alert_event(session, change.event_id) if change is not None else None
    # The event's first message, else (another event of the same item) the item's thread.
    parent = _event_thread(session, row) if event is not None else None
    if event is not None and parent is not None:
        event = replace(event, parent_ts=parent[0], parent_channel=parent[1])
    thread = parent[0] if parent is not None else _thread(session, row)
    return row, Alert(
        delivery_id=row.id,
        kind=AlertKind(row.kind),
        subscription=row.subscription,
        source=_alert_source(source, row.source_key),
        created_at=row.created_at,
        change=alert_change(change) if change is not None else None,
        detail=row.detail,
        dashboard_url=dashboard_url,
        thread_ts=thread,
        event=event,
    )


def _suppressed(session: Session, change: ChangeRow) -> bool:
    muted = session.get(MuteRow, (change.source_key, change.item_key)) is not None
    return change.marked_noise_at is not None or muted


def _alert_source(row: SourceRow | None, key: str) -> AlertSource:
    if row is None:
        return AlertSource(key=key, title=key, url="")
    return AlertSource(key=row.key, title=row.title, url=row.url)


def alert_change(row: ChangeRow) -> AlertChange:
    assert row.id is not None
    return AlertChange(
        id=row.id,
        source_key=row.source_key,
        item_key=row.item_key,
        category=Category(row.category),
        severity=Severity(row.severity),
        title=row.title,
        summary=row.summary,
        url=row.url,
        evidence=tuple(row.evidence),
        excerpt=excerpt(diff_from_dict(row.diff)) if row.diff else (),
        detected_at=row.detected_at,
        old_date=row.old_date,
        new_date=row.new_date,
        related_to=row.related_to,
        event_id=row.event_id,
    )


def alert_event(session: Session, event_id: int | None) -> AlertEvent | None:
    """The event as a notifier sees it: its sources' titles, in the order they told it."""
    event = session.get(EventRow, event_id) if event_id is not None else None
    if event is None or event.id is None:
        return None
    keys = session.exec(
        select(ChangeRow.source_key)
        .where(ChangeRow.event_id == event.id)
        .order_by(col(ChangeRow.detected_at), col(ChangeRow.id))
    ).all()
    ordered = list(dict.fromkeys(keys))
    titles = dict(
        session.exec(
            select(SourceRow.key, SourceRow.title).where(col(SourceRow.key).in_(ordered))
        ).all()
    )
    return AlertEvent(
        id=event.id,
        title=event.title,
        category=Category(event.category),
        severity=Severity(event.severity),
        summary=event.summary,
        sources=tuple(titles.get(key, key) for key in ordered),
        change_count=event.change_count,
        old_date=event.old_date,
        new_date=event.new_date,
    )


def _event_thread(session: Session, row: DeliveryRow) -> tuple[str, str | None] | None:
    """The remote id and channel of this subscription's first sent alert about the event."""
    if row.kind != AlertKind.CHANGE.value or row.event_id is None:
        return None
    statement = (
        select(DeliveryRow.remote_id, DeliveryRow.remote_channel)
        .where(
            DeliveryRow.subscription == row.subscription,
            col(DeliveryRow.event_id) == row.event_id,
            col(DeliveryRow.status) == DeliveryStatus.SENT.value,
            col(DeliveryRow.remote_id).is_not(None),
            col(DeliveryRow.id) < row.id,
        )
        .order_by(col(DeliveryRow.id))
        .limit(1)
    )
    found = session.exec(statement).first()
    return None if found is None or found[0] is None else (found[0], found[1])


def _thread(session: Session, row: DeliveryRow) -> str | None:
    """The remote id of the first alert this subscription got about the same item."""
    if row.kind != AlertKind.CHANGE.value or row.item_key is None:
        return None
    statement = (
        select(DeliveryRow.remote_id)
        .where(
            DeliveryRow.subscription == row.subscription,
            col(DeliveryRow.source_key) == row.source_key,
            col(DeliveryRow.item_key) == row.item_key,
            col(DeliveryRow.status) == DeliveryStatus.SENT.value,
            col(DeliveryRow.remote_id).is_not(None),
            col(DeliveryRow.id) < row.id,
        )
        .order_by(col(DeliveryRow.id))
        .limit(1)
    )
    return session.exec(statement).first()


def _sent(remote_id: str | None, now: datetime) -> dict[str, Any]:
    """The columns of a delivery that was sent (one more attempt, nothing left to retry)."""
    return {
        "status": DeliveryStatus.SENT.value,
        "sent_at": now,
        "remote_id": remote_id,
        "last_error": None,
        "attempts": DeliveryRow.attempts + 1,
        "next_attempt_at": None,
    }


def mark_sent(session: Session, ids: Sequence[int], remote_id: str | None, now: datetime) -> None:
    session.execute(
        update(DeliveryRow).where(col(DeliveryRow.id).in_(ids)).values(**_sent(remote_id, now))
    )


def mark_skipped(session: Session, delivery_id: int, reason: str) -> None:
    session.execute(
        update(DeliveryRow)
        .where(col(DeliveryRow.id) == delivery_id)
        .values(status=DeliveryStatus.SKIPPED.value, last_error=reason, next_attempt_at=None)
    )


def mark_failed(
    session: Session, ids: Sequence[int], error: str, next_attempt: datetime | None
) -> None:
    """Count a failed attempt; ``next_attempt`` None means give up (dead)."""
    status = DeliveryStatus.PENDING if next_attempt is not None else DeliveryStatus.DEAD
    session.execute(
        update(DeliveryRow)
        .where(col(DeliveryRow.id).in_(ids))
        .values(
            status=status.value,
            last_error=error[:2000],
            next_attempt_at=next_attempt,
            attempts=DeliveryRow.attempts + 1,
        )
    )


def max_attempts(session: Session, ids: Sequence[int]) -> int:
    """The most attempts any of these deliveries has had (a digest retries them together)."""
    if not ids:
        return 0
    statement = select(func.max(DeliveryRow.attempts)).where(col(DeliveryRow.id).in_(ids))
    return session.exec(statement).one() or 0


def digest_rows(session: Session, subscription: str) -> list[DeliveryRow]:
    """The deliveries waiting for ``subscription``'s next digest, oldest first."""
    statement = (
        select(DeliveryRow)
        .where(
            DeliveryRow.subscription == subscription,
            DeliveryRow.mode == DeliveryMode.DIGEST.value,
            col(DeliveryRow.status) == DeliveryStatus.PENDING.value,
        )
        .order_by(col(DeliveryRow.id))
    )
    return list(session.exec(statement).all())


def digests_to_retry(session: Session, now: datetime) -> list[str]:
    """Digest subscriptions whose last send failed and whose retry time has come."""
    statement = (
        select(DeliveryRow.subscription)
        .distinct()
        .where(
            DeliveryRow.mode == DeliveryMode.DIGEST.value,
            col(DeliveryRow.status) == DeliveryStatus.PENDING.value,
            DeliveryRow.attempts > 0,
            col(DeliveryRow.next_attempt_at) <= now,
        )
    )
    return sorted(session.exec(statement).all())


def last_digest_at(session: Session, subscription: str) -> datetime | None:
    statement = (
        select(DeliveryRow.sent_at)
        .where(
            DeliveryRow.subscription == subscription,
            DeliveryRow.mode == DeliveryMode.DIGEST.value,
            col(DeliveryRow.status) == DeliveryStatus.SENT.value,
        )
        .order_by(col(DeliveryRow.sent_at).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def list_deliveries(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[DeliveryRow]:
    statement = select(DeliveryRow)
    if status is not None:
        statement = statement.where(col(DeliveryRow.status) == status)
    return list(session.exec(statement.order_by(col(DeliveryRow.id).desc()).limit(limit)).all())


def retry(session: Session, ids: Sequence[int] | None, now: datetime) -> int:
    """Re-drive dead deliveries (the given ones, or all): pending again, attempts reset."""
    statement = update(DeliveryRow).where(col(DeliveryRow.status) == DeliveryStatus.DEAD.value)
    if ids is not None:
        statement = statement.where(col(DeliveryRow.id).in_(ids))
    result = session.execute(
        statement.values(
            status=DeliveryStatus.PENDING.value, attempts=0, last_error=None, next_attempt_at=now
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def redeliver(session: Session, change_id: int, now: datetime) -> int:
    """Send a change again to every subscription that had it (sent, dead or skipped)."""
    result = session.execute(
        update(DeliveryRow)
        .where(
            col(DeliveryRow.change_id) == change_id,
            col(DeliveryRow.status) != DeliveryStatus.PENDING.value,
        )
        .values(
            status=DeliveryStatus.PENDING.value, attempts=0, last_error=None, next_attempt_at=now
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def skip_pending(
    session: Session,
    *,
    change_id: int | None = None,
    item: tuple[str, str] | None = None,
    reason: str,
) -> None:
    """Pending deliveries of a change marked noise, or of a muted item, are not sent."""
    statement = update(DeliveryRow).where(col(DeliveryRow.status) == DeliveryStatus.PENDING.value)
    if change_id is not None:
        statement = statement.where(col(DeliveryRow.change_id) == change_id)
    if item is not None:
        statement = statement.where(
            col(DeliveryRow.source_key) == item[0], col(DeliveryRow.item_key) == item[1]
        )
    session.execute(
        statement.values(
            status=DeliveryStatus.SKIPPED.value, last_error=reason, next_attempt_at=None
        )
    )


def mute(session: Session, source_key: str, item_key: str, by: str | None, now: datetime) -> None:
    if session.get(MuteRow, (source_key, item_key)) is None:
        session.add(
            MuteRow(source_key=source_key, item_key=item_key, created_at=now, created_by=by)
        )
    skip_pending(session, item=(source_key, item_key), reason="item muted")


def unmute(session: Session, source_key: str, item_key: str) -> bool:
    row = session.get(MuteRow, (source_key, item_key))
    if row is not None:
        session.delete(row)
    return row is not None


def delivery_counts(session: Session) -> dict[str, int]:
    statement = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
    return {status: count for status, count in session.exec(statement).all()}
