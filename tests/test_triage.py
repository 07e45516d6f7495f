"""Triage storage: transitions, assignment, due dates, notes, the audit trail, and two editors
writing one event at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from storage.event_browse import NOBODY, every_event
from storage.store import Store
from storage.triage import Outcome, Write
from tests.dashboard_pages_seed import start
from tests.triage_seed import AT, add_event


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


def write(event_id: int, actor: str = "alice", version: int | None = None, n: int = 0) -> Write:
    return Write(event_id=event_id, actor=actor, at=AT + timedelta(minutes=n), version=version)


def test_the_workflow_is_recorded_step_by_step(store: Store):
    event_id = add_event(store.engine)
    triage = store.triage
    assert triage.assign(write(event_id, n=1), "bob").done
    assert triage.transition(write(event_id, version=1, n=2), "in_review").done
    assert triage.set_due(write(event_id, "bob", n=3), date(2026, 12, 1)).done
    assert triage.add_note(write(event_id, "bob", n=4), "Ask **legal** first").done
    done = triage.transition(write(event_id, "bob", n=5), "actioned")
    assert done.done and done.event is not None
    assert (done.event.state, done.event.assignee, done.event.action_due, done.event.version) == (
        "actioned",
        "bob",
        date(2026, 12, 1),
        5,
    )
    trail = [(row.actor, row.action, row.detail) for row in triage.log(event_id)]
    assert trail == [
        ("alice", "assign", {"from": None, "to": "bob"}),
        ("alice", "state", {"from": "new", "to": "in_review"}),
        ("bob", "due", {"from": None, "to": "2026-12-01"}),
        ("bob", "note", {"text": "Ask **legal** first"}),
        ("bob", "state", {"from": "in_review", "to": "actioned"}),
    ]
    times = [row.at for row in triage.log(event_id)]
    assert times == [AT + timedelta(minutes=n) for n in range(1, 6)]


def test_transitions_outside_the_workflow_are_refused_and_not_logged(store: Store):
    event_id = add_event(store.engine)
    refused = store.triage.transition(write(event_id), "actioned")
    assert refused.outcome is Outcome.NOT_ALLOWED
    assert "can move to in_review, dismissed, not to actioned" in refused.message
    assert store.triage.log(event_id) == []
    assert store.triage.transition(write(event_id), "dismissed").done
    assert store.triage.transition(write(event_id), "in_review").done  # reopened
    assert store.triage.event(event_id).state == "in_review"  # type: ignore[union-attr]
    missing = store.triage.transition(write(999_999), "in_review")
    assert missing.outcome is Outcome.NOT_FOUND


def test_a_stale_version_is_refused_with_nothing_stored(store: Store):
    event_id = add_event(store.engine)
    assert store.triage.assign(write(event_id, version=0), "alice").done
    stale = store.triage.transition(write(event_id, "bob", version=0), "dismissed")
    assert stale.outcome is Outcome.STALE
    assert "changed by someone else" in stale.message
    assert store.triage.event(event_id).state == "new"  # type: ignore[union-attr]
    assert [row.action for row in store.triage.log(event_id)] == ["assign"]


def test_dismissing_as_noise_marks_the_changes_as_noise(database_url: str):
    app = start(database_url)
    store = app.store
    changes = [row.id for row in store.reader.changes_page(_all()).rows[:2]]
    event_id = add_event(store.engine, change_ids=[c for c in changes if c is not None])
    done = store.triage.transition(write(event_id), "dismissed", noise=True)
    assert done.done
    for change_id in changes:
        assert change_id is not None
        assert store.change(change_id).marked_noise_at == AT  # type: ignore[union-attr]
    assert store.triage.log(event_id)[0].detail == {"from": "new", "to": "dismissed", "noise": True}
    app.close()


def _all() -> Any:
    from storage.browse import ChangeQuery

    return ChangeQuery(include_noise=True, per_page=200)


def test_lists_filter_by_state_and_assignee_and_the_queue_is_open_work(store: Store):
    mine = add_event(store.engine, "mine", assignee="alice")
    done = add_event(store.engine, "done", assignee="alice", state="actioned")
    other = add_event(store.engine, "other", assignee="bob", state="in_review")
    nobody = add_event(store.engine, "nobody")

    def ids(**kw: Any) -> list[int]:
        return sorted(row.id for row in store.events(every_event(**kw)).rows if row.id)

    assert ids(states=("new",)) == [mine, nobody]
    assert ids(assignee="alice") == [mine, done]
    assert ids(assignee=NOBODY) == [nobody]
    assert ids(states=("in_review", "actioned"), assignee="bob") == [other]
    assert [row.id for row in store.triage.queue("alice")] == [mine]


def test_two_editors_at_once_never_lose_a_transition(store: Store):
    """Both editors saw version 0 and write at the same moment (each holds at its UPDATE
    until the other has read the row too): one transition is stored and logged, the other
    is refused as stale, never silently overwritten."""
    event_id = add_event(store.engine)
    arrived = threading.Barrier(2)
    paused: set[int] = set()

    def hold_first_update(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        me = threading.get_ident()
        if statement.lstrip().upper().startswith("UPDATE EVENTS") and me not in paused:
            paused.add(me)
            arrived.wait(timeout=60)  # a safety net only: both writers always arrive

    event.listen(store.engine, "before_cursor_execute", hold_first_update)
    results: dict[str, Any] = {}

    def editor(name: str, to: str) -> None:
        results[name] = store.triage.transition(write(event_id, name, version=0), to)

    threads = [
        threading.Thread(target=editor, args=("alice", "in_review")),
        threading.Thread(target=editor, args=("bob", "dismissed")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    event.remove(store.engine, "before_cursor_execute", hold_first_update)

    outcomes = sorted(result.outcome for result in results.values())
    assert outcomes == [Outcome.DONE, Outcome.STALE]
    winner = next(name for name, result in results.items() if result.done)
    trail = store.triage.log(event_id)
    assert [(row.actor, row.action) for row in trail] == [(winner, "state")]
    final = store.triage.event(event_id)
    assert final is not None and final.state == trail[0].detail["to"] and final.version == 1
