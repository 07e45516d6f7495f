"""Dashboard users' own e-mail digests (``user_subscriptions``), routed beside the
subscriptions of lexwatch.toml under the name ``user:<name>``.

A user's digest is an e-mail digest of the changes whose source has one of their tags and
whose category and severity are among theirs (an empty choice matches everything), sent once
a day at ``[dashboard] user_digest_time`` in the dashboard's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import update
from sqlmodel import Session, col, select

from monitor.types import Category, Channel, DeliveryMode, DeliveryStatus, Severity, Subscription
from storage.models import DeliveryRow, UserSubscriptionRow

PREFIX = "user:"


@dataclass(frozen=True, kw_only=True, slots=True)
class UserDigests:
    """When users' digests go out (from ``[dashboard]``)."""

    digest_time: time = time(8, 0)
    timezone: str = "Europe/Brussels"


@dataclass(frozen=True, kw_only=True, slots=True)
class UserDigest:
    """What a user chose; empty tuples match everything."""

    user: str
    email: str
    tags: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    severities: tuple[Severity, ...] = ()
    enabled: bool = True


def subscription_name(user: str) -> str:
    return PREFIX + user


def user_of(name: str) -> str | None:
    """The user whose digest the subscription ``name`` is, if it is one."""
    return name[len(PREFIX) :] if name.startswith(PREFIX) else None


def as_subscription(row: UserSubscriptionRow, when: UserDigests) -> Subscription:
    return Subscription(
        name=subscription_name(row.user),
        channel=Channel.EMAIL,
        recipients=(row.email,),
        tags=tuple(row.tags),
        categories=tuple(Category(value) for value in row.categories),
        severities=tuple(Severity(value) for value in row.severities),
        mode=DeliveryMode.DIGEST,
        digest_time=when.digest_time,
        timezone=when.timezone,
    )


def get(session: Session, user: str) -> UserDigest | None:
    row = session.get(UserSubscriptionRow, user)
    return _value(row) if row is not None else None


def _value(row: UserSubscriptionRow) -> UserDigest:
    return UserDigest(
        user=row.user,
        email=row.email,
        tags=tuple(row.tags),
        categories=tuple(Category(value) for value in row.categories),
        severities=tuple(Severity(value) for value in row.severities),
        enabled=row.enabled,
    )


def listed(session: Session) -> list[UserDigest]:
    rows = session.exec(select(UserSubscriptionRow).order_by(col(UserSubscriptionRow.user)))
    return [_value(row) for row in rows.all()]


def enabled(session: Session, when: UserDigests) -> list[Subscription]:
    """Every user's digest that is on, as a Subscription."""
    statement = select(UserSubscriptionRow).where(col(UserSubscriptionRow.enabled).is_(True))
    rows = session.exec(statement.order_by(col(UserSubscriptionRow.user))).all()
    return [as_subscription(row, when) for row in rows]


def save(session: Session, digest: UserDigest, now: datetime) -> None:
    """Store the user's choice; turning it off drops what waited for their next digest."""
    row = session.get(UserSubscriptionRow, digest.user) or UserSubscriptionRow(
        user=digest.user, email=digest.email, updated_at=now
    )
    row.email = digest.email
    row.tags = list(digest.tags)
    row.categories = [category.value for category in digest.categories]
    row.severities = [severity.value for severity in digest.severities]
    row.enabled = digest.enabled
    row.updated_at = now
    session.add(row)
    if not digest.enabled:
        _skip_waiting(session, subscription_name(digest.user))


def _skip_waiting(session: Session, name: str) -> None:
    session.execute(
        update(DeliveryRow)
        .where(
            col(DeliveryRow.subscription) == name,
            col(DeliveryRow.status) == DeliveryStatus.PENDING.value,
        )
        .values(
            status=DeliveryStatus.SKIPPED.value,
            last_error="the user turned their digest off",
            next_attempt_at=None,
        )
    )
