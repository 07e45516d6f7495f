"""The Store: lexwatch's one handle on the database, used by the pipeline, CLI and service."""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from monitor.errors import StorageError
from monitor.types import (
    Alert,
    CheckRecord,
    Document,
    ServiceProcess,
    Source,
    SourceState,
    Subscription,
)
from storage import checks as writes
from storage import (
    documents,
    events,
    heartbeats,
    outbox,
    queries,
    subscriptions,
    turns,
)
from storage.db import (
    current_revision,
    make_engine,
    migrate_schema,
    not_retried,
    retried_methods,
    session_scope,
)
from storage.models import (
    BlobRow,
    ChangeRow,
    CheckRow,
    DeadlineRow,
    DeliveryRow,
    EventRow,
    SnapshotRow,
    SourceRow,
)
from storage.outbox import Lease, Routing
from storage.queries import ChangeFilter
from storage.revision import head_revision
from storage.subscriptions import UserDigest

# The dashboard's reads, events' triage and pruning load when first used: a check needs none.
if TYPE_CHECKING:
    from storage.event_browse import EventDetail, EventPage, EventQuery
    from storage.reader import Reader
    from storage.retention import PruneReport, RetentionLimits
    from storage.triage import Triage

logger = logging.getLogger(__name__)


# A busy or briefly unreachable database is waited for (storage.db.retrying).
@retried_methods
class Store:
    """Synchronous, thread-safe: each call is its own transaction."""

    def __init__(self, engine: Engine, routing: Routing | None = None) -> None:
        self.engine = engine
        # Where stored changes and source failures are alerted (set by monitor.app).
        self.routing = routing

    @functools.cached_property
    def reader(self) -> Reader:
        """The dashboard's reads (storage.browse), each in a session of its own."""
        from storage.reader import Reader

        return Reader(self.engine)

    @functools.cached_property
    def triage(self) -> Triage:
        """Events' triage: compare-and-set writes with their audit trail (storage.triage)."""
        from storage.triage import Triage

        return Triage(self.engine)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open the database at ``url``, applying pending migrations unless told not to."""
        store = cls(make_engine(url))
        if migrate:
            revision = migrate_schema(store.engine)
            logger.debug("database %s at revision %s", store.engine.url, revision)
        elif current_revision(store.engine) != head_revision():
            raise StorageError("the database schema is not current: run `lexwatch db upgrade`")
        return store

    def close(self) -> None:
        self.engine.dispose()

    def sync_sources(self, sources: Iterable[Source]) -> None:
        with session_scope(self.engine) as session:
            queries.sync_sources(session, sources)

    def document_sources(self, parent: str) -> list[SourceRow]:
        """The documents page ``parent`` links to or linked to (``storage.documents``)."""
        with session_scope(self.engine) as session:
            return documents.document_sources(session, parent)

    def sync_document_sources(self, parent: str, linked: Sequence[Source]) -> None:
        with session_scope(self.engine) as session:
            documents.sync_document_sources(session, parent, linked)

    def state(self, key: str) -> SourceState:
        with session_scope(self.engine) as session:
            return queries.source_state(session, key)

    def document(self, snapshot_id: int) -> Document:
        with session_scope(self.engine) as session:
            return queries.load_document(session, snapshot_id)

    def site_pages(self, host: str) -> list[tuple[str, Document]]:
        """The last stored document of the other watched pages of ``host``."""
        with session_scope(self.engine) as session:
            return queries.site_pages(session, host)

    def blob(self, digest: str) -> bytes | None:
        with session_scope(self.engine) as session:
            return queries.load_blob(session, digest)

    def record(
        self,
        record: CheckRecord,
        previous_snapshot: int | None,
        packed: writes.Packed | None = None,
    ) -> CheckRow:
        """Write one check atomically: either all of it is stored, or none of it.

        Only while the source is still at ``record.base_version``: else the check is stored
        as SKIPPED, without what it found (another check from the same state was stored).
        ``packed``: ``storage.checks.pack(record)``, made before taking a writer's turn.
        """
        with session_scope(self.engine) as session:
            return writes.record_check(session, record, previous_snapshot, self.routing, packed)

    def sources(self) -> Sequence[SourceRow]:
        with session_scope(self.engine) as session:
            return queries.list_sources(session)

    def changes(self, where: ChangeFilter) -> Sequence[ChangeRow]:
        with session_scope(self.engine) as session:
            return queries.list_changes(session, where)

    def change(self, change_id: int) -> ChangeRow | None:
        with session_scope(self.engine) as session:
            return queries.get_change(session, change_id)

    def checks(self, source_key: str, limit: int = 50) -> Sequence[CheckRow]:
        with session_scope(self.engine) as session:
            return queries.list_checks(session, source_key, limit)

    def deadlines(
        self, *, after: datetime | None, include_closed: bool = False
    ) -> Sequence[DeadlineRow]:
        with session_scope(self.engine) as session:
            return queries.list_deadlines(session, after=after, include_closed=include_closed)

    def split_change(self, change_id: int, actor: str, now: datetime) -> EventRow:
        """Take a change out of its event into a new event of its own (``storage.events``);
        LookupError: no such change; ValueError: it is its event's only change."""
        with session_scope(self.engine) as session:
            event = events.split(session, change_id, actor, now)
        if event is None:
            raise LookupError(f"no change with id {change_id}")
        return event

    def events(self, where: EventQuery) -> EventPage:
        """Events, latest first, with their sources (``storage.event_browse``)."""
        from storage import event_browse

        with session_scope(self.engine) as session:
            return event_browse.events_page(session, where)

    def event(self, event_id: int) -> EventDetail | None:
        """One event with its changes and audit trail; None when there is no such event."""
        from storage import event_browse

        with session_scope(self.engine) as session:
            return event_browse.event_detail(session, event_id)

    def mark_noise(self, change_id: int, now: datetime) -> ChangeRow | None:
        with session_scope(self.engine) as session:
            return queries.mark_noise(session, change_id, now)

    # ---- users' own digests (storage.subscriptions) --------------------------------------

    def user_digest(self, user: str) -> UserDigest | None:
        with session_scope(self.engine) as session:
            return subscriptions.get(session, user)

    def user_digests(self) -> list[UserDigest]:
        with session_scope(self.engine) as session:
            return subscriptions.listed(session)

    def save_user_digest(self, digest: UserDigest, now: datetime) -> None:
        with session_scope(self.engine) as session:
            subscriptions.save(session, digest, now)

    def user_subscriptions(self) -> list[Subscription]:
        """The users' digests that are on, as subscriptions (none unless routed)."""
        when = self.routing.user_digests if self.routing else None
        if when is None:
            return []
        with session_scope(self.engine) as session:
            return subscriptions.enabled(session, when)

    # ---- the outbox ---------------------------------------------------------------------

    def deliveries(self, *, status: str | None = None, limit: int = 100) -> list[DeliveryRow]:
        with session_scope(self.engine) as session:
            return outbox.list_deliveries(session, status=status, limit=limit)

    def delivery(self, delivery_id: int) -> DeliveryRow | None:
        with session_scope(self.engine) as session:
            return session.get(DeliveryRow, delivery_id)

    def retry_deliveries(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Re-drive dead deliveries (the given ids, or all of them)."""
        with session_scope(self.engine) as session:
            return outbox.retry(session, ids, now)

    def redeliver(self, change_id: int, now: datetime) -> int:
        with session_scope(self.engine) as session:
            return outbox.redeliver(session, change_id, now)

    def mute(self, source_key: str, item_key: str, by: str | None, now: datetime) -> None:
        with session_scope(self.engine) as session:
            outbox.mute(session, source_key, item_key, by, now)

    def unmute(self, source_key: str, item_key: str) -> bool:
        with session_scope(self.engine) as session:
            return outbox.unmute(session, source_key, item_key)

    def due_subscriptions(self, now: datetime) -> list[str]:
        with session_scope(self.engine) as session:
            return outbox.due_subscriptions(session, now)

    def acquire_lease(self, lease: Lease, now: datetime, until: datetime) -> bool:
        """Hold ``lease``'s subscription until ``until`` unless another dispatcher holds it."""
        with session_scope(self.engine) as session:
            return outbox.acquire_lease(session, lease, now, until)

    def renew_lease(self, lease: Lease, until: datetime) -> bool:
        with session_scope(self.engine) as session:
            return outbox.renew_lease(session, lease, until)

    def release_lease(self, lease: Lease) -> None:
        with session_scope(self.engine) as session:
            outbox.release_lease(session, lease)

    def next_due(
        self, subscription: str, now: datetime, exclude: Collection[int] = ()
    ) -> int | None:
        """The next due delivery of ``subscription``, not claimed; None: nothing due."""
        with session_scope(self.engine) as session:
            return outbox.next_due(session, subscription, now, exclude)

    def claim_next(self, lease: Lease, now: datetime, exclude: Collection[int] = ()) -> int | None:
        """The next due delivery of the lease's subscription, claimed; None: nothing (more)."""
        with session_scope(self.engine) as session:
            return outbox.claim_next(session, lease, now, exclude)

    def finish_sent(
        self,
        delivery_id: int,
        token: str,
        remote_id: str | None,
        now: datetime,
        remote_channel: str | None = None,
    ) -> bool:
        with session_scope(self.engine) as session:
            return outbox.finish_sent(session, delivery_id, token, remote_id, now, remote_channel)

    def finish_failed(
        self, delivery_id: int, token: str, error: str, next_attempt: datetime | None
    ) -> bool:
        with session_scope(self.engine) as session:
            return outbox.finish_failed(session, delivery_id, token, error, next_attempt)

    def finish_skipped(self, delivery_id: int, token: str, reason: str) -> bool:
        with session_scope(self.engine) as session:
            return outbox.finish_skipped(session, delivery_id, token, reason)

    def postpone_subscription(self, lease: Lease, until: datetime) -> None:
        with session_scope(self.engine) as session:
            outbox.postpone_subscription(session, lease, until)

    def load_alert(
        self, delivery_id: int, dashboard_url: str | None
    ) -> tuple[DeliveryRow, Alert | None]:
        with session_scope(self.engine) as session:
            return outbox.load_alert(session, delivery_id, dashboard_url)

    def digest_alerts(
        self, subscription: str, dashboard_url: str | None
    ) -> list[tuple[DeliveryRow, Alert | None]]:
        with session_scope(self.engine) as session:
            return [
                outbox.load_alert(session, row.id, dashboard_url)
                for row in outbox.digest_rows(session, subscription)
                if row.id is not None
            ]

    def digests_to_retry(self, now: datetime) -> list[str]:
        with session_scope(self.engine) as session:
            return outbox.digests_to_retry(session, now)

    def last_digest_at(self, subscription: str) -> datetime | None:
        with session_scope(self.engine) as session:
            return outbox.last_digest_at(session, subscription)

    def mark_sent(self, ids: Sequence[int], remote_id: str | None, now: datetime) -> None:
        with session_scope(self.engine) as session:
            outbox.mark_sent(session, ids, remote_id, now)

    def mark_failed(self, ids: Sequence[int], error: str, next_attempt: datetime | None) -> None:
        with session_scope(self.engine) as session:
            outbox.mark_failed(session, ids, error, next_attempt)

    def mark_skipped(self, delivery_id: int, reason: str) -> None:
        with session_scope(self.engine) as session:
            outbox.mark_skipped(session, delivery_id, reason)

    def max_attempts(self, ids: Sequence[int]) -> int:
        with session_scope(self.engine) as session:
            return outbox.max_attempts(session, ids)

    def enqueue_test(self, subscription: Subscription, source_key: str, now: datetime) -> int:
        with session_scope(self.engine) as session:
            return outbox.enqueue_test(session, subscription, source_key, now)

    def delivery_counts(self) -> dict[str, int]:
        with session_scope(self.engine) as session:
            return outbox.delivery_counts(session)

    def counts(self) -> dict[str, int]:
        tables: dict[str, queries.Table] = {
            "sources": SourceRow,
            "checks": CheckRow,
            "snapshots": SnapshotRow,
            "blobs": BlobRow,
            "changes": ChangeRow,
            "deadlines": DeadlineRow,
            "deliveries": DeliveryRow,
        }
        with session_scope(self.engine) as session:
            return {name: queries.count_rows(session, table) for name, table in tables.items()}

    def prune(
        self, settings: RetentionLimits, now: datetime, *, dry_run: bool = False
    ) -> PruneReport:
        """Delete old checks, snapshots and raw bodies, never the evidence of a Change."""
        from storage.retention import prune

        return prune(self.engine, settings, now, dry_run=dry_run)

    # ---- the check cycle's batched fast path ------------------------------------------

    def one_writer(self) -> bool:
        """Whether the database takes one writer at a time (SQLite): writers should queue.

        SQLite's busy handler polls with sleeps of up to 100 ms; writers that wait on a
        lock of their own get the database the moment it is free.
        """
        return self.engine.dialect.name == "sqlite"

    def beat(self, process: ServiceProcess, now: datetime) -> None:
        """The service ``process`` is alive at ``now`` (``lexwatch status`` reads it)."""
        with session_scope(self.engine) as session:
            heartbeats.beat(session, process, now)

    def stop_beating(self, process_id: str, now: datetime) -> None:
        with session_scope(self.engine) as session:
            heartbeats.stop(session, process_id, now)

    def shares_turns(self) -> bool:
        """Whether ``reserve_turn`` works here: PostgreSQL, where scale-out workers meet."""
        return self.engine.dialect.name == "postgresql"

    @not_retried  # on failure the limiter spaces this process's requests at once
    def reserve_turn(self, host: str, spacing: float) -> turns.Turn:
        """When a request to ``host`` may start (see ``storage.turns``)."""
        with session_scope(self.engine) as session:
            return turns.reserve_turn(session.connection(), host, spacing)

    def states(self, keys: Sequence[str]) -> dict[str, SourceState]:
        """``state`` of many sources in one query (sources not in the database left out)."""
        with session_scope(self.engine) as session:
            return queries.source_states(session.connection(), keys)

    def record_found(self, checks: Sequence[writes.Pending]) -> list[writes.Stored | None]:
        """Write checks of any outcome in one transaction, by the same path as ``record``:
        their check ids, and which were skipped. None for a check left for ``record``
        (``storage.checks.record_found_checks``). Pack the checks before the call.
        """
        with session_scope(self.engine) as session:
            return writes.record_found_checks(session, checks, self.routing)

    def record_quiet(self, records: Sequence[CheckRecord]) -> list[writes.Stored | None]:
        """Write quiet checks (``storage.checks.is_quiet``) in one transaction, by the same
        path as ``record``: their check ids, and which were skipped (another check of the
        source was stored first). None for a record left for ``record``
        (``storage.checks.record_quiet_checks``).
        """
        with session_scope(self.engine) as session:
            return writes.record_quiet_checks(session, records, self.routing)
