"""The stored rows. SQLModel tables only; values between stages live in monitor.types."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, LargeBinary
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig

from storage.types import UtcDateTime, WebUrl


class _Row(SQLModel):
    """A table's base. Rows are built from the database and from lexwatch's own values, not
    validated: the validator pydantic would build for each table at import (6 ms of every
    start) is built at a first use, if one comes."""

    # SQLModel's own config type (its pydantic ConfigDict with table options), not exported.
    model_config = SQLModelConfig(defer_build=True)


def _utc_column(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable))


def _named_reference(target: str, name: str, *, index: bool = False) -> Any:
    """A foreign key (NULL allowed) named as the migration that added it names it: a new
    database is built from these models (``storage.db.create_schema``), and a migration
    drops a constraint by its name."""
    return Field(default=None, sa_column_args=[ForeignKey(target, name=name)], index=index)


def _document_url() -> Any:
    """A scraped link: http(s) only (see storage.types.WebUrl)."""
    return Field(default=None, sa_column=Column(WebUrl(), nullable=True))


class SourceRow(_Row, table=True):
    """A watched source: its configuration as last synced, plus its fetch state."""

    __tablename__ = "sources"

    key: str = Field(primary_key=True, max_length=200)
    title: str
    url: str
    parser: str = Field(max_length=50)
    interval_seconds: int
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    official: bool = True
    enabled: bool = True
    expected_change_seconds: int | None = None
    # Fetch state: validators for conditional GET and what the last good fetch looked like.
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    parse_fingerprint: str | None = Field(default=None, max_length=64)
    last_check_at: datetime | None = _utc_column()
    last_success_at: datetime | None = _utc_column()
    first_success_at: datetime | None = _utc_column()
    last_change_at: datetime | None = _utc_column()
    failure_streak: int = 0
    last_error: str | None = None
    # Bumped by every stored check of the source. A check is stored only while the version
    # is still the one it started from, so two overlapping checks never both store a diff
    # against the same snapshot (the later one is recorded as skipped).
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class CheckRow(_Row, table=True):
    """One row per check of one source, whatever its outcome."""

    __tablename__ = "checks"
    __table_args__ = (
        Index("ix_checks_source_started", "source_key", "started_at"),
        Index("ix_checks_started", "started_at"),  # retention deletes by age
    )

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(foreign_key="sources.key", max_length=200)
    started_at: datetime = _utc_column(nullable=False)
    duration_ms: int
    outcome: str = Field(max_length=20)
    http_status: int | None = None
    bytes: int = 0
    final_url: str | None = None
    error: str | None = None
    blob_hash: str | None = Field(default=None, max_length=64)
    snapshot_id: int | None = Field(default=None, foreign_key="snapshots.id")
    change_count: int = 0


class SnapshotRow(_Row, table=True):
    """A source's parsed, normalised document; stored only when it differs from the last."""

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_source_created", "source_key", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(foreign_key="sources.key", max_length=200)
    created_at: datetime = _utc_column(nullable=False)
    content_hash: str = Field(max_length=64)
    item_count: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # compressed JSON, see codec
    blob_hash: str | None = Field(default=None, max_length=64)


class BlobRow(_Row, table=True):
    """A raw response body, content-addressed by SHA-256, compressed, stored once."""

    __tablename__ = "blobs"

    hash: str = Field(primary_key=True, max_length=64)
    size: int
    content_type: str = ""
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _utc_column(nullable=False)


class ChangeRow(_Row, table=True):
    """A classified change, with the diff and evidence that justify it."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_detected", "detected_at"),
        Index("ix_changes_source_detected", "source_key", "detected_at"),
        # The dashboard's default view leaves out noise; filters go by category and source.
        Index("ix_changes_category_noise", "category", "marked_noise_at"),
        Index("ix_changes_source_category_noise", "source_key", "category", "marked_noise_at"),
        # Deleting an old check looks up the changes that name it (foreign key).
        Index("ix_changes_check", "check_id"),
        # One row per happening: the database itself refuses a second copy of a change.
        Index("ix_changes_happening", "happening", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(foreign_key="sources.key", max_length=200)
    check_id: int = Field(foreign_key="checks.id")
    item_key: str
    category: str = Field(max_length=40)
    severity: str = Field(max_length=10)
    title: str
    summary: str
    url: str | None = _document_url()
    old_date: date | None = None
    new_date: date | None = None
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    diff: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    old_snapshot_id: int | None = Field(default=None, foreign_key="snapshots.id")
    new_snapshot_id: int | None = Field(default=None, foreign_key="snapshots.id")
    detected_at: datetime = _utc_column(nullable=False)
    event_key: str | None = Field(default=None, index=True)
    # The first change about the same event on any source, when this one repeats it.
    related_to: int | None = _named_reference("changes.id", "fk_changes_related_to")
    marked_noise_at: datetime | None = _utc_column()
    # What happened, once: SHA-256 of (source, the source version the check started from,
    # item, category, n-th such change of that check); see storage.checks.happening.
    # None only for changes stored before migration 0006.
    happening: str | None = Field(default=None, max_length=64)
    # The event this change reports (one happening seen on one or more sources).
    event_id: int | None = _named_reference("events.id", "fk_changes_event_id", index=True)


class EventRow(_Row, table=True):
    """One real-world happening, however many sources reported it, and the team's triage of it.

    Its changes point at it (``changes.event_id``). The triage columns (state, assignee,
    action_due) are written only through storage's triage functions, which bump ``version``
    and append to ``event_log`` in the same transaction.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_last_detected", "last_detected_at"),
        Index("ix_events_state_assignee", "state", "assignee"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # What identifies the happening across sources (hys:<id>, celex:<n>, a document URL,
    # a deadline identity), when anything does.
    identity: str | None = Field(default=None, max_length=500, index=True)
    category: str = Field(max_length=40)
    severity: str = Field(max_length=10)
    title: str
    summary: str = ""
    url: str | None = _document_url()
    old_date: date | None = None
    new_date: date | None = None
    first_detected_at: datetime = _utc_column(nullable=False)
    last_detected_at: datetime = _utc_column(nullable=False)
    change_count: int = 0
    source_count: int = 0
    state: str = Field(default="new", max_length=20)  # new | in_review | actioned | dismissed
    assignee: str | None = Field(default=None, max_length=200)
    action_due: date | None = None  # the team's own date to act by
    # Why its changes were grouped: [{"change_id": n, "rule": "...", "detail": "..."}].
    grouping: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    split_from: int | None = Field(default=None, foreign_key="events.id")
    # Bumped by every write of the event: a writer that read version n stores only while
    # it is still n, so two editors at once never lose a transition.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class EventLogRow(_Row, table=True):
    """The audit trail of an event: who did what when. Rows are only ever inserted."""

    __tablename__ = "event_log"
    __table_args__ = (Index("ix_event_log_event_at", "event_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id")
    at: datetime = _utc_column(nullable=False)
    actor: str = Field(max_length=200)  # a dashboard user, an API token's user, or "lexwatch"
    action: str = Field(max_length=30)  # created | joined | state | assign | due | note | split
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class EventIdentityRow(_Row, table=True):
    """One identity of an event (hys:<id>, celex:<n>, eli:..., act:<year>/<n>, url:...): what
    a later change about the same thing is found by (storage.grouping)."""

    __tablename__ = "event_identities"

    event_id: int = Field(foreign_key="events.id", primary_key=True)
    identity: str = Field(primary_key=True, max_length=500, index=True)


class UserSubscriptionRow(_Row, table=True):
    """A dashboard user's own e-mail digest: which tags, categories and severities."""

    __tablename__ = "user_subscriptions"

    user: str = Field(primary_key=True, max_length=200)
    email: str = Field(max_length=320)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    severities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    updated_at: datetime = _utc_column(nullable=False)


class DeadlineRow(_Row, table=True):
    """A date to act on, kept current from every check; its history comes from Changes."""

    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_identity", "source_key", "item_key", "kind", "label", unique=True),
        Index("ix_deadlines_due", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(foreign_key="sources.key", max_length=200)
    item_key: str
    kind: str = Field(max_length=20)
    label: str
    url: str | None = _document_url()
    due: datetime = _utc_column(nullable=False)
    status: str = Field(default="open", max_length=20)  # open | closed | withdrawn
    # The event that set or last moved it: the deadlines page shows one row per event.
    event_id: int | None = _named_reference("events.id", "fk_deadlines_event_id", index=True)
    first_seen: datetime = _utc_column(nullable=False)
    last_seen: datetime = _utc_column(nullable=False)
    # [{"due": iso, "seen": iso}] oldest first: every date this deadline has had.
    history: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class DeliveryRow(_Row, table=True):
    """The outbox: one alert to one subscription, written in the transaction of its Change.

    ``dedupe_key`` ("change:<id>", "down:<source>:<check id>", ...) is unique per subscription,
    so a retried or replayed write never queues the same alert twice.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_identity", "subscription", "dedupe_key", unique=True),
        Index("ix_deliveries_due", "status", "mode", "next_attempt_at"),
        Index("ix_deliveries_change", "change_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription: str = Field(max_length=100)
    channel: str = Field(max_length=20)
    mode: str = Field(max_length=10)  # instant | digest
    kind: str = Field(max_length=20)  # change | source_down | source_recovered | test
    dedupe_key: str = Field(max_length=300)
    change_id: int | None = Field(default=None, foreign_key="changes.id")
    source_key: str = Field(max_length=200)
    item_key: str | None = None  # Slack threads: later alerts on the same item reply
    # Slack threads by event: a later change of the same event replies and updates the parent.
    event_id: int | None = _named_reference("events.id", "fk_deliveries_event_id", index=True)
    detail: str = ""
    status: str = Field(default="pending", max_length=10)  # pending | sent | dead | skipped
    attempts: int = 0
    created_at: datetime = _utc_column(nullable=False)
    next_attempt_at: datetime | None = _utc_column()
    last_error: str | None = None
    sent_at: datetime | None = _utc_column()
    remote_id: str | None = None  # Slack ts, SMTP Message-ID, HTTP status ...
    remote_channel: str | None = Field(default=None, max_length=100)  # Slack: channel id
    # The send lease of the dispatcher sending it now (``send_leases.token``); only that
    # dispatcher may record the outcome, so one whose lease ran out cannot undo another's.
    lease_token: str | None = Field(default=None, max_length=36)


class MuteRow(_Row, table=True):
    """An item whose changes are kept but never alerted (muted from the dashboard)."""

    __tablename__ = "mutes"

    source_key: str = Field(primary_key=True, max_length=200)
    item_key: str = Field(primary_key=True)
    created_at: datetime = _utc_column(nullable=False)
    created_by: str | None = None


class HostTurnRow(_Row, table=True):
    """When the next request to a host may start, for every worker at once (scale-out)."""

    __tablename__ = "host_turns"

    host: str = Field(primary_key=True, max_length=255)
    next_start: datetime = _utc_column(nullable=False)


class SendLeaseRow(_Row, table=True):
    """Which dispatcher sends a subscription's instant alerts now, and until when.

    One dispatcher at a time per subscription (so a channel sees its alerts in order, and a
    hanging receiver is waited for once); the holder renews the lease while it sends, so
    after a crash the subscription is free again within one short lease.
    """

    __tablename__ = "send_leases"

    subscription: str = Field(primary_key=True, max_length=100)
    token: str = Field(max_length=36)
    expires_at: datetime = _utc_column(nullable=False)


class HeartbeatRow(_Row, table=True):
    """A service process (`lexwatch run`, `lexwatch scheduler`) saying it is alive."""

    __tablename__ = "heartbeats"

    process: str = Field(primary_key=True, max_length=200)  # host:pid:start time
    role: str = Field(max_length=20)
    checks: bool  # whether it schedules source checks
    host: str = Field(max_length=255)
    pid: int
    started_at: datetime = _utc_column(nullable=False)
    beat_at: datetime = _utc_column(nullable=False)
    stopped_at: datetime | None = _utc_column()  # a clean stop; a crash leaves None
