"""The outbox end to end: changes stored → deliveries → Slack / e-mail, with real servers.

A fake Slack (tests/servers/slack.py) and a real SMTP server (aiosmtpd, tests/servers/smtp.py)
on loopback; storage on SQLite and PostgreSQL. Time is a test clock, so backoff is exact.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from monitor.analysis.diff import diff_documents
from monitor.config import Settings
from monitor.types import (
    Category,
    Change,
    CheckOutcome,
    CheckRecord,
    Document,
    DocumentKind,
    Item,
    Severity,
    Source,
)
from notifiers.outbox import Dispatcher
from notifiers.senders import make_mailers, make_senders
from storage.outbox import Lease, Routing
from storage.queries import ChangeFilter
from storage.store import Store
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SOURCE = Source(
    key="ai-office",
    title="AI Office",
    url="https://example.eu/ai-office",
    parser="html",
    interval=3600,
    tags=("ai-act",),
)
OTHER = Source(
    key="edpb",
    title="EDPB",
    url="https://example.eu/edpb",
    parser="html",
    interval=3600,
    tags=("privacy",),
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def settings_for(subscriptions: list[dict], **sections) -> Settings:
    return Settings(subscriptions=subscriptions, **sections)


def open_store(database_url: str, settings: Settings) -> Store:
    store = Store.open(database_url)
    store.sync_sources([SOURCE, OTHER])
    store.routing = Routing(
        subscriptions=tuple(settings.resolved_subscriptions({})),
        failure_threshold=settings.alerts.failure_threshold,
    )
    return store


def change(
    item: str = "a",
    *,
    category: Category = Category.CONSULTATION_OPENED,
    severity: Severity = Severity.HIGH,
    source: Source = SOURCE,
    title: str | None = None,
) -> Change:
    old = Document(kind=DocumentKind.PAGE, items=(Item(key=item, title="T", text="closed"),))
    new = Document(
        kind=DocumentKind.PAGE, items=(Item(key=item, title="T", text="open until 10 June 2026"),)
    )
    [diff] = diff_documents(old, new)
    return Change(
        source_key=source.key,
        item_key=item,
        category=category,
        severity=severity,
        title=title or f"Consultation {item} on GPAI guidelines opened",
        summary="A consultation opened",
        # A document of its own per item: two items are two events (storage.grouping).
        url=f"https://example.eu/{item}",
        diff=diff,
        evidence=("open until 10 June 2026",),
    )


def store_changes(store: Store, at: datetime, *changes: Change, source: Source = SOURCE) -> None:
    store.record(
        CheckRecord(
            source_key=source.key,
            started_at=at,
            duration_ms=5,
            outcome=CheckOutcome.CHANGED,
            http_status=200,
            changes=changes,
        ),
        None,
    )


def store_failure(store: Store, at: datetime) -> None:
    store.record(
        CheckRecord(
            source_key=SOURCE.key,
            started_at=at,
            duration_ms=5,
            outcome=CheckOutcome.FAILED,
            http_status=503,
            error="HTTP 503 Service Unavailable",
        ),
        None,
    )


def with_dispatcher(store: Store, settings: Settings, clock: Clock, use, **options):
    """Run ``use(dispatcher)`` with the real senders of ``settings``' subscriptions
    (``options``: more Dispatcher arguments)."""

    async def run():
        subs = settings.resolved_subscriptions({})
        async with httpx.AsyncClient() as http:
            dispatcher = Dispatcher(
                store=store,
                subscriptions=subs,
                senders=make_senders(subs, settings, http),
                mailers=make_mailers(subs, settings),
                settings=settings.alerts,
                clock=clock,
                rng=lambda: 0.5,
                # No receiver here hangs: a busy machine never ends a round.
                **{"round_seconds": 60.0, **options},
            )
            return await use(dispatcher)

    return asyncio.run(run())


def dispatch(store: Store, settings: Settings, clock: Clock) -> int:
    return with_dispatcher(store, settings, clock, lambda d: d.dispatch_due())


def digest(store: Store, settings: Settings, clock: Clock, name: str, **kw):
    return with_dispatcher(store, settings, clock, lambda d: d.send_digest(name, **kw))


def slack_settings(slack: FakeSlack, **sub) -> Settings:
    return settings_for(
        [{"name": "legal", "channel": "slack", "target": "#ai-act", **sub}],
        alerts={
            "slack_token": "xoxb-test",
            "slack_base_url": slack.base_url,
            "max_attempts": 4,
            "backoff_base": 60,
            "backoff_max": 600,
            "dashboard_url": "https://lexwatch.example.eu",
        },
    )


# ---- routing: what gets queued --------------------------------------------------------------


def test_routing_follows_the_subscription_filters(database_url: str):
    settings = settings_for(
        [
            {"name": "all", "channel": "webhook", "target": "http://127.0.0.1:9/hook"},
            {
                "name": "privacy",
                "channel": "webhook",
                "target": "http://127.0.0.1:9/hook",
                "tags": ["privacy"],
            },
            {
                "name": "urgent",
                "channel": "webhook",
                "target": "http://127.0.0.1:9/hook",
                "min_severity": "high",
            },
            {
                "name": "legal-acts",
                "channel": "webhook",
                "target": "http://127.0.0.1:9/hook",
                "categories": ["legal_act"],
                "sources": ["ai-office"],
            },
        ]
    )
    store = open_store(database_url, settings)
    store_changes(
        store,
        T0,
        change("a"),
        change("b", category=Category.PUBLICATION_ADDED, severity=Severity.MEDIUM),
        change("c", category=Category.EDITORIAL, severity=Severity.LOW),
    )
    # Its own title: changes of the same category and dates with closely matching titles are
    # one event (storage.grouping), alerted once.
    store_changes(store, T0, change("d", source=OTHER, title="Newsletter 7"), source=OTHER)
    routed = sorted((row.subscription, row.item_key) for row in store.deliveries())
    assert routed == [
        ("all", "a"),
        ("all", "b"),
        ("all", "d"),
        ("privacy", "d"),
        ("urgent", "a"),
        ("urgent", "d"),
    ]
    store.close()


def test_deliveries_are_written_with_their_change_or_not_at_all(database_url: str, monkeypatch):
    settings = settings_for(
        [{"name": "all", "channel": "webhook", "target": "http://127.0.0.1:9/hook"}]
    )
    store = open_store(database_url, settings)
    from storage import outbox

    def crash(*args, **kwargs):
        raise RuntimeError("power cut after the changes were written")

    monkeypatch.setattr(outbox, "enqueue_health", crash)
    with pytest.raises(RuntimeError):
        store_changes(store, T0, change("a"))
    assert store.counts()["changes"] == 0 and store.deliveries() == []
    monkeypatch.undo()
    store_changes(store, T0, change("a"))
    assert store.counts()["changes"] == 1 and len(store.deliveries()) == 1
    store.close()


def test_muted_items_and_repeats_of_an_event_are_not_queued(database_url: str):
    settings = settings_for(
        [{"name": "all", "channel": "webhook", "target": "http://127.0.0.1:9/hook"}]
    )
    store = open_store(database_url, settings)
    store.mute(SOURCE.key, "muted", "alice", T0)
    first = Change(**{**_fields(change("a")), "event_key": "hys:1"})
    store_changes(store, T0, first, change("muted"))
    again = Change(**{**_fields(change("x", source=OTHER)), "event_key": "hys:1"})
    store_changes(store, T0 + timedelta(hours=1), again, source=OTHER)
    assert [row.item_key for row in store.deliveries()] == ["a"]
    store.close()


def _fields(value: Change) -> dict:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


# ---- Slack: outage, rate limits, dead letters, threads --------------------------------------


def test_slack_outage_then_recovery_delivers_each_alert_exactly_once(
    database_url: str, slack_server: FakeSlack
):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"), change("b"), change("c"))
    slack_server.fail_next("server_error", 2)
    slack_server.fail_next("disconnect", 1)
    assert dispatch(store, settings, clock) == 0  # Slack is down: all three fail
    assert {row.status for row in store.deliveries()} == {"pending"}
    clock.advance(601)  # past every backoff: Slack is back
    assert dispatch(store, settings, clock) == 3
    posted = sorted(call.body["text"] for call in slack_server.posted)
    assert len(posted) == 3 and all(
        f"Consultation {item} " in text for item, text in zip("abc", posted, strict=True)
    )
    assert {row.status for row in store.deliveries()} == {"sent"}
    clock.advance(86400)
    assert dispatch(store, settings, clock) == 0
    assert len(slack_server.posted) == 3  # nothing sent twice
    store.close()


def test_a_slack_answer_that_is_not_json_is_retried_not_an_internal_error(
    database_url: str, slack_server: FakeSlack
):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"))
    slack_server.fail_next("not_json", content_type="text/plain", body="ok")
    assert dispatch(store, settings, clock) == 0
    [row] = store.deliveries()
    assert row.status == "pending" and "not Slack's JSON" in (row.last_error or "")
    assert "internal error" not in (row.last_error or "")
    clock.advance(600)
    assert dispatch(store, settings, clock) == 1 and len(slack_server.posted) == 1
    store.close()


def test_backoff_is_exponential_and_a_rate_limit_is_honoured(
    database_url: str, slack_server: FakeSlack
):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"), change("b"))
    slack_server.fail_next("server_error", 1)
    dispatch(store, settings, clock)
    [first, second] = sorted(store.deliveries(), key=lambda r: r.id)
    # backoff_base 60 s × 2^0 × (0.5 + rng 0.5) = 60 s for the first retry.
    assert first.attempts == 1 and first.next_attempt_at == T0 + timedelta(seconds=60)
    assert second.status == "sent"
    clock.advance(60)
    slack_server.fail_next("rate_limited", 1, retry_after=17)
    dispatch(store, settings, clock)
    first = store.delivery(first.id)
    assert first.next_attempt_at == clock.now + timedelta(seconds=17)
    clock.advance(17)
    assert dispatch(store, settings, clock) == 1
    store.close()


def test_a_delivery_dies_after_max_attempts_and_can_be_redriven(
    database_url: str, slack_server: FakeSlack
):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"))
    slack_server.fail_next("server_error", 4)
    for _ in range(4):
        dispatch(store, settings, clock)
        clock.advance(3600)
    [row] = store.deliveries()
    assert (row.status, row.attempts) == ("dead", 4) and "500" in (row.last_error or "")
    assert store.retry_deliveries([row.id], clock.now) == 1
    assert dispatch(store, settings, clock) == 1
    assert store.delivery(row.id).status == "sent" and len(slack_server.posted) == 1
    store.close()


def test_a_permanent_error_is_dead_at_once(database_url: str, slack_server: FakeSlack):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"))
    slack_server.fail_next("error", 1, error="channel_not_found")
    dispatch(store, settings, clock)
    [row] = store.deliveries()
    assert row.status == "dead" and "channel_not_found" in (row.last_error or "")
    store.close()


def test_later_changes_of_an_item_reply_in_the_thread_of_the_first(
    database_url: str, slack_server: FakeSlack
):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"))
    dispatch(store, settings, clock)
    clock.advance(3600)
    store_changes(store, clock.now, change("a", category=Category.AMENDMENT), change("b"))
    dispatch(store, settings, clock)
    first, reply, other = slack_server.posted
    assert "thread_ts" not in first.body and "thread_ts" not in other.body
    assert reply.body["thread_ts"] == first.ts
    store.close()


def test_a_change_marked_noise_before_sending_is_skipped(
    database_url: str, slack_server: FakeSlack
):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"), change("b"))
    [_, noise] = store.changes(ChangeFilter())
    store.mark_noise(noise.id, T0)
    dispatch(store, settings, clock)
    statuses = {row.change_id: row.status for row in store.deliveries()}
    assert statuses[noise.id] == "skipped" and list(statuses.values()).count("sent") == 1
    assert len(slack_server.posted) == 1
    store.close()


def test_a_dispatcher_that_dies_mid_send_leaves_its_claims_to_the_next(
    database_url: str, slack_server: FakeSlack
):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"), change("b"))
    lease = Lease(subscription="legal", token="dead-dispatcher")
    assert store.acquire_lease(lease, clock.now, clock.now + timedelta(seconds=15))
    assert store.claim_next(lease, clock.now) is not None  # ...and the process is killed
    assert dispatch(store, settings, clock) == 0  # leased: another dispatcher keeps off
    clock.advance(settings.alerts.dispatch_interval)  # the lease is shorter than that
    assert dispatch(store, settings, clock) == 2
    assert len(slack_server.posted) == 2
    store.close()


# ---- source health ------------------------------------------------------------------------


def test_a_failing_source_raises_one_alert_and_one_on_recovery(database_url: str):
    settings = settings_for(
        [
            {"name": "ops", "channel": "webhook", "target": "http://127.0.0.1:9/h", "health": True},
            {"name": "quiet", "channel": "webhook", "target": "http://127.0.0.1:9/h"},
        ],
        alerts={"failure_threshold": 3},
    )
    store = open_store(database_url, settings)
    for hour in range(5):
        store_failure(store, T0 + timedelta(hours=hour))
    store_changes(store, T0 + timedelta(hours=6))
    store_changes(store, T0 + timedelta(hours=7))
    kinds = [(row.subscription, row.kind) for row in sorted(store.deliveries(), key=lambda r: r.id)]
    assert kinds == [("ops", "source_down"), ("ops", "source_recovered")]
    down = min(store.deliveries(), key=lambda r: r.id)
    assert "3 checks in a row failed" in down.detail and "503" in down.detail
    store.close()


# ---- the digest ---------------------------------------------------------------------------


def digest_settings(smtp: SmtpServer, **sub) -> Settings:
    return settings_for(
        [
            {
                "name": "daily",
                "channel": "email",
                "mode": "digest",
                "recipients": ["legal@example.eu"],
                **sub,
            }
        ],
        smtp={
            "host": smtp.host,
            "port": smtp.port,
            "security": "none",
            "sender": "lexwatch <lexwatch@example.eu>",
        },
        alerts={"backoff_base": 60},
    )


def test_the_digest_sends_everything_pending_in_one_mail_once(
    database_url: str, smtp_server: SmtpServer
):
    settings = digest_settings(smtp_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"), change("b", category=Category.DEADLINE_EXTENDED))
    assert dispatch(store, settings, clock) == 0  # digests wait for their time
    result = digest(store, settings, clock, "daily")
    assert result.sent and result.changes == 2
    [mail] = smtp_server.messages
    parsed = mail.message
    assert parsed["To"] == "legal@example.eu" and "2 changes" in parsed["Subject"]
    assert {row.status for row in store.deliveries()} == {"sent"}
    assert not digest(store, settings, clock, "daily").sent  # nothing new: nothing sent
    assert len(smtp_server.messages) == 1
    store.close()


def test_a_digest_that_fails_is_retried_and_arrives_once(
    database_url: str, smtp_server: SmtpServer
):
    settings = digest_settings(smtp_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"))
    smtp_server.fail_next(451, 1)
    assert not digest(store, settings, clock, "daily").sent
    [row] = store.deliveries()
    assert (row.status, row.attempts) == ("pending", 1)
    clock.advance(60)
    dispatch(store, settings, clock)  # the dispatcher retries due digests
    assert len(smtp_server.messages) == 1 and store.delivery(row.id).status == "sent"
    store.close()


def test_an_empty_digest_is_sent_only_when_asked(database_url: str, smtp_server: SmtpServer):
    store, clock = open_store(database_url, digest_settings(smtp_server)), Clock(T0)
    assert digest(store, digest_settings(smtp_server), clock, "daily").reason == "nothing to say"
    assert digest(store, digest_settings(smtp_server, send_empty=True), clock, "daily").sent
    assert "No changes" in smtp_server.messages[0].message["Subject"]
    store.close()


def test_alerts_queued_while_another_dispatcher_held_the_lease_are_sent_in_its_round(
    database_url: str, slack_server: FakeSlack
):
    """Two overlapping `lexwatch check` runs: the second stores its alerts after the first
    dispatcher's last look and before it lets the lease go, finds the lease taken and leaves
    them. The first must send them in its round, not leave them for the next run."""
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"))
    release, second_tried = store.release_lease, []

    def release_after_the_second_run(lease: Lease) -> None:
        if not second_tried:
            store_changes(store, T0, change("b"), source=OTHER)
            other = Lease(subscription=lease.subscription, token="the second run")
            second_tried.append(
                store.acquire_lease(other, clock(), clock() + timedelta(seconds=60))
            )
        release(lease)

    store.release_lease = release_after_the_second_run  # type: ignore[method-assign]
    assert dispatch(store, settings, clock) == 2
    assert second_tried == [False]  # the second run found the lease taken
    assert {row.status for row in store.deliveries()} == {"sent"}
    assert len(slack_server.posted) == 2
    store.close()


def test_a_round_that_ran_out_before_its_first_claim_still_sends_one_and_check_sends_all(
    database_url: str, slack_server: FakeSlack
):
    """Each look at the monotonic clock is 100 s later than the last: every round has run out
    before it claims anything, as on a machine too busy to start in time. A round still sends
    one alert (the oldest); `lexwatch check`'s rounds (until_done) send every one."""
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_changes(store, T0, change("a"), change("b"), change("c"))
    ticks = iter(range(0, 10**9, 100))

    def late() -> float:
        return float(next(ticks))

    async def one_round(dispatcher: Dispatcher) -> None:
        await dispatcher.dispatch_due()  # returns at once: its time is up
        await dispatcher.wait_idle()  # the send it started, as `lexwatch run` lets it finish

    options = {"monotonic": late, "round_seconds": 1.0}
    with_dispatcher(store, settings, clock, one_round, **options)
    assert len(slack_server.posted) == 1
    assert "Consultation a " in slack_server.posted[0].body["text"]
    rest = with_dispatcher(
        store, settings, clock, lambda d: d.dispatch_due(until_done=True), **options
    )
    assert rest == 2 and {row.status for row in store.deliveries()} == {"sent"}
    store.close()
