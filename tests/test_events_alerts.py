"""Events in the alerts: one Slack message per event (later sources update it, a moved date
replies in its thread and updates it), one digest entry per event, no second webhook."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from monitor.config import Settings
from monitor.types import Category, Change, CheckOutcome, CheckRecord
from storage.outbox import Routing
from storage.queries import ChangeFilter
from storage.store import Store
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from tests.test_events import CADA, HYS, JUNE_4, NEWS, PAGE, T0
from tests.test_outbox import Clock, digest, digest_settings, dispatch, settings_for, slack_settings


def open_store(database_url: str, settings: Settings) -> Store:
    store = Store.open(database_url)
    store.sync_sources([HYS, PAGE, NEWS])
    store.routing = Routing(subscriptions=tuple(settings.resolved_subscriptions({})))
    return store


def store_change(store: Store, change: Change, at) -> None:
    store.record(
        CheckRecord(
            source_key=change.source_key,
            started_at=at,
            duration_ms=1,
            outcome=CheckOutcome.CHANGED,
            changes=(change,),
        ),
        None,
    )


def blocks_text(body: dict) -> str:
    return " ".join(str(block) for block in body.get("blocks", []))


def test_one_slack_message_per_event_updated_as_sources_tell_it(
    database_url: str, slack_server: FakeSlack
):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    store_change(store, CADA[0], T0)
    assert dispatch(store, settings, clock) == 1
    for change in CADA[1:]:
        clock.advance(3600)
        store_change(store, change, clock.now)
        assert dispatch(store, settings, clock) == 1

    [parent] = slack_server.posted  # one message for the consultation, however many sources
    assert "thread_ts" not in parent.body
    assert [call.body["ts"] for call in slack_server.updated] == [parent.ts, parent.ts]
    now = slack_server.message(parent.ts)
    assert now is not None and "seen on 3 sources" in now["text"]
    assert "Have Your Say, Digital strategy, Digital strategy news" in blocks_text(now)

    store.close()


def test_a_deadline_moved_again_replies_in_its_thread_and_updates_the_first_message(
    database_url: str, slack_server: FakeSlack
):
    settings = slack_settings(slack_server)
    store, clock = open_store(database_url, settings), Clock(T0)
    june_18, july_2 = date(2025, 6, 18), date(2025, 7, 2)
    extended = replace(
        CADA[0], category=Category.DEADLINE_EXTENDED, old_date=JUNE_4, new_date=june_18
    )
    store_change(store, extended, T0)
    store_change(
        store,
        replace(CADA[1], category=extended.category, old_date=JUNE_4, new_date=june_18),
        T0 + timedelta(hours=1),
    )
    dispatch(store, settings, clock)
    again = replace(extended, category=Category.DEADLINE_CHANGED, old_date=june_18, new_date=july_2)
    store_change(store, again, T0 + timedelta(days=3))
    clock.advance(3 * 86400)
    dispatch(store, settings, clock)

    parent, reply = slack_server.posted
    assert "thread_ts" not in parent.body and reply.body["thread_ts"] == parent.ts
    assert "2 July 2025" in blocks_text(reply.body)
    # Updated twice: the page told it too; then the move, after the reply.
    assert [c.body["ts"] for c in slack_server.updated] == [parent.ts, parent.ts]
    methods = [(call.method, call.ts) for call in slack_server.calls]
    assert methods[-2:] == [("chat.postMessage", reply.ts), ("chat.update", parent.ts)]
    now = slack_server.message(parent.ts)
    assert now is not None
    assert "4 June 2025 → *2 July 2025*" in blocks_text(now)
    assert "3 changes" in blocks_text(now)
    store.close()


def test_the_digest_has_one_entry_per_event(database_url: str, smtp_server: SmtpServer):
    settings = digest_settings(smtp_server)
    store, clock = open_store(database_url, settings), Clock(T0 + timedelta(days=1))
    for hours, change in enumerate(CADA):
        store_change(store, change, T0 + timedelta(hours=hours))
    result = digest(store, settings, clock, "daily")
    assert result.sent and result.changes == 1
    [mail] = smtp_server.messages
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert text.count("seen on 3 sources") == 1
    assert "seen on 3 sources: Have Your Say, Digital strategy, Digital strategy news" in " ".join(
        text.split()
    )
    store.close()


def test_a_webhook_hears_an_event_once(database_url: str):
    settings = settings_for(
        [{"name": "hook", "channel": "webhook", "target": "http://127.0.0.1:9/hook"}]
    )
    store = open_store(database_url, settings)
    for hours, change in enumerate(CADA):
        store_change(store, change, T0 + timedelta(hours=hours))
    [delivery] = store.deliveries()
    assert delivery.change_id == min(row.id for row in store.changes(ChangeFilter()))
    store.close()
