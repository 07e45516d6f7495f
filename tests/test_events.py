"""Events: changes that report the same happening are one event (storage.events)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from dashboard.app import create_app
from monitor.analysis.diff import diff_documents
from monitor.app import App
from monitor.types import (
    Category,
    Change,
    CheckOutcome,
    CheckRecord,
    Document,
    DocumentKind,
    Item,
    Source,
)
from storage import grouping
from storage.db import session_scope
from storage.event_browse import EventQuery
from storage.models import ChangeRow, EventLogRow, EventRow
from storage.store import Store

T0 = datetime(2025, 4, 9, 10, 0, tzinfo=UTC)
HYS = Source(
    key="hys", title="Have Your Say", url="https://x.eu/hys", parser="hys_search", interval=60
)
PAGE = Source(
    key="ds-page", title="Digital strategy", url="https://x.eu/ds", parser="ds_page", interval=60
)
NEWS = Source(
    key="ds-news", title="Digital strategy news", url="https://x.eu/rss", parser="feed", interval=60
)
OJ = Source(key="oj", title="OJ L series", url="https://x.eu/oj", parser="eurlex_feed", interval=60)
ACT = Source(
    key="act", title="EUR-Lex act", url="https://x.eu/act", parser="eurlex_act", interval=60
)
CADA_PAGE = (
    "https://digital-strategy.ec.europa.eu/en/consultations/"
    "commission-launches-public-consultation-cloud-and-ai-development-act"
)
JUNE_4 = date(2025, 6, 4)


@pytest.fixture
def store(database_url: str):
    store = Store.open(database_url)
    yield store
    store.close()


def make(
    source: Source,
    item: str,
    category: Category,
    title: str,
    *,
    event_key: str | None = None,
    url: str | None = None,
    old: date | None = None,
    new: date | None = None,
) -> Change:
    doc = Document(kind=DocumentKind.LISTING, items=(Item(key=item, title=title, text=title),))
    [diff] = diff_documents(Document(kind=DocumentKind.LISTING, items=()), doc)
    return Change(
        source_key=source.key,
        item_key=item,
        category=category,
        severity=category.severity,
        title=title,
        summary=f"{title}.",
        url=url,
        diff=diff,
        evidence=(f"{title}: the source says so.",),
        old_date=old,
        new_date=new,
        event_key=event_key,
    )


def store_change(store: Store, change: Change, at: datetime) -> None:
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


def events(store: Store) -> list[EventRow]:
    with session_scope(store.engine) as session:
        return list(session.exec(select(EventRow).order_by(col(EventRow.id))).all())


def changes(store: Store) -> list[ChangeRow]:
    with session_scope(store.engine) as session:
        return list(session.exec(select(ChangeRow).order_by(col(ChangeRow.id))).all())


# The Cloud and AI Development Act consultation (9 April - 4 June 2025), as three sources
# report it (tests/data/eval/real/lwe-hys-search-cloud-ai-development-act-call-for-evidence-
# opened, lwe-ds-consultation-cloud-ai-development-act-...: the page links initiative 14628).
CADA = (
    make(
        HYS,
        "14628",
        Category.CONSULTATION_OPENED,
        "Cloud and AI Development Act",
        event_key="hys:14628",
        url="https://ec.europa.eu/info/law/better-regulation/have-your-say/initiatives/14628",
        new=JUNE_4,
    ),
    make(
        PAGE,
        "(top)",
        Category.CONSULTATION_OPENED,
        "Commission launches public consultation on the Cloud and AI Development Act",
        event_key="hys:14628",  # the page links exactly one initiative
        url=CADA_PAGE,
        new=JUNE_4,
    ),
    make(
        NEWS,
        "https://digital-strategy.ec.europa.eu/node/131100",
        Category.CONSULTATION_OPENED,
        "Commission launches public consultation on the Cloud and AI Development Act",
        url=CADA_PAGE,  # the news item points at the consultation page
        new=JUNE_4,
    ),
)


def test_a_consultation_on_three_sources_is_one_event_seen_on_three(store: Store):
    store.sync_sources([HYS, PAGE, NEWS])
    for hours, change in enumerate(CADA):
        store_change(store, change, T0 + timedelta(hours=hours))

    [event] = events(store)
    assert (event.change_count, event.source_count) == (3, 3)
    assert event.category == "consultation_opened" and event.new_date == JUNE_4
    assert [entry["rule"] for entry in event.grouping] == ["first", "hys", "url"]
    assert {row.event_id for row in changes(store)} == {event.id}
    page = store.events(EventQuery())
    assert [row.id for row in page.rows] == [event.id]
    assert page.sources[event.id] == ["hys", "ds-page", "ds-news"]
    with session_scope(store.engine) as session:
        log = session.exec(select(EventLogRow).order_by(col(EventLogRow.id))).all()
    assert [(row.action, row.actor) for row in log] == [
        ("created", "lexwatch"),
        ("joined", "lexwatch"),
        ("joined", "lexwatch"),
    ]


def test_an_oj_feed_item_and_the_eurlex_page_of_one_act_are_one_event(store: Store):
    store.sync_sources([OJ, ACT])
    title = (
        "Commission Delegated Regulation (EU) 2026/77 amending Annex III to Regulation (EU)"
        " 2024/1689"
    )
    feed_item = make(
        OJ,
        "http://data.europa.eu/eli/reg_del/2026/77/oj",
        Category.LEGAL_ACT,
        title,
        event_key="celex:32026R0077",
        url="http://data.europa.eu/eli/reg_del/2026/77/oj",
    )
    page = make(
        ACT,
        "tit_1",
        Category.LEGAL_ACT,
        "Title",
        url="https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202600077#tit_1",
    )
    store_change(store, feed_item, T0)
    store_change(store, page, T0 + timedelta(hours=5))

    [event] = events(store)
    assert event.source_count == 2
    assert event.grouping[1] == {
        "change_id": changes(store)[1].id,
        "rule": "act",
        "detail": "act:2026/77",
    }


def test_the_oj_feed_entry_and_the_eurlex_page_of_one_act_as_parsed_are_one_event(store: Store):
    """The items as the real parsers read the recorded OJ L feed and the AI Act's EUR-Lex
    page (tests/data/parsers): the feed's corrigendum to Regulation 2024/1689 and a section
    of the act's page share the act number."""
    from pathlib import Path

    from tests.test_parsers_eu import parse

    data = Path(__file__).parent / "data" / "parsers"
    feed = parse("eurlex_feed", data / "eurlex_feed" / "oj-l-feed.xml")
    page = parse("eurlex_act", data / "eurlex_act" / "oj-act-excerpt.xhtml")
    entry = next(item for item in feed.items if item.key == "CELEX:32024R1689R(01)")
    section = page.items[0]
    store.sync_sources([OJ, ACT])
    told = make(
        OJ,
        entry.key,
        Category.CORRIGENDUM,
        entry.title,
        event_key=f"celex:{entry.fields['celex']}",
        url=entry.url,
    )
    store_change(store, told, T0)
    store_change(
        store,
        make(ACT, section.key, Category.CORRIGENDUM, section.title, url=section.url),
        T0 + timedelta(hours=3),
    )

    [event] = events(store)
    assert (event.change_count, event.source_count) == (2, 2)
    assert event.grouping[1]["rule"] == "act" and event.grouping[1]["detail"] == "act:2024/1689"


def test_a_deadline_moved_again_joins_its_event_and_moves_it(store: Store):
    store.sync_sources([HYS, PAGE])
    first = make(
        HYS,
        "14628",
        Category.DEADLINE_EXTENDED,
        "Cloud and AI Development Act",
        event_key="hys:14628",
        old=JUNE_4,
        new=date(2025, 6, 18),
    )
    store_change(store, first, T0)
    store_change(
        store, replace(first, source_key="ds-page", item_key="(top)"), T0 + timedelta(hours=1)
    )
    again = replace(
        first,
        old_date=date(2025, 6, 18),
        new_date=date(2025, 7, 2),
        category=Category.DEADLINE_CHANGED,
    )
    store_change(store, again, T0 + timedelta(days=10))

    [event] = events(store)
    assert (event.change_count, event.source_count) == (3, 2)
    assert (event.old_date, event.new_date) == (JUNE_4, date(2025, 7, 2))
    assert event.last_detected_at == T0 + timedelta(days=10)
    assert [entry["rule"] for entry in event.grouping] == ["first", "hys", "moved"]


def test_sections_of_one_page_and_entries_of_one_feed_stay_separate(store: Store):
    store.sync_sources([PAGE, NEWS])
    sept = date(2026, 9, 10)
    found = [
        make(
            PAGE,
            "page > A",
            Category.CONSULTATION_OPENED,
            "Consultation A",
            event_key="consultation:/c",
            new=sept,
        ),
        make(
            PAGE,
            "page > B",
            Category.CONSULTATION_OPENED,
            "Consultation B",
            event_key="consultation:/c",
            new=sept,
        ),
        make(
            NEWS,
            "n/1",
            Category.CONSULTATION_OPENED,
            "Consultation A opens",
            event_key="consultation:/c",
            new=sept,
        ),
        make(
            NEWS,
            "n/2",
            Category.CONSULTATION_OPENED,
            "Consultation C opens",
            event_key="consultation:/other",
            new=sept,
        ),
        # Another date: another happening, even with the same identity.
        make(
            PAGE,
            "page > A",
            Category.CONSULTATION_CLOSED,
            "Consultation A",
            event_key="consultation:/c",
            new=sept,
        ),
    ]
    for hours, change in enumerate(found):
        store_change(store, change, T0 + timedelta(hours=hours))

    rows = changes(store)
    groups = [row.event_id for row in rows]
    assert groups[0] != groups[1]  # two sections
    assert groups[2] == groups[0]  # the news item about A
    # Another entry of the feed, about another consultation, with the same category and dates.
    assert groups[3] not in (groups[0], groups[1])
    assert groups[4] not in groups[:4]  # closed is not opened
    assert len(events(store)) == 4


def test_similar_titles_with_the_same_dates_group_within_the_window_only(store: Store):
    store.sync_sources([PAGE, NEWS, HYS])
    base = make(
        PAGE,
        "x",
        Category.EVENT_ANNOUNCED,
        "AI Board: first meeting on 10 September",
        new=date(2026, 9, 10),
    )
    store_change(store, base, T0)
    store_change(
        store,
        replace(
            base, source_key="ds-news", item_key="n1", title="AI Board first meeting, 10 September"
        ),
        T0 + timedelta(days=1),
    )
    store_change(store, replace(base, source_key="hys", item_key="h1"), T0 + timedelta(days=9))

    first, later = events(store)
    assert first.change_count == 2 and first.grouping[1]["rule"] == "title"
    assert later.change_count == 1


def test_a_title_like_an_older_member_s_joins_an_event_seen_lately(store: Store):
    """The title rule compares every member of an event seen lately, not only its recent
    ones: here the title matches a member older than the window."""
    store.sync_sources([PAGE, NEWS, HYS])
    oct_1 = date(2026, 10, 1)
    first = make(
        PAGE,
        "x",
        Category.PUBLICATION_ADDED,
        "Delegated regulation on notified conformity assessment bodies",
        url="https://x.eu/doc/77",
        new=oct_1,
    )
    store_change(store, first, T0)
    # Five days later another source links the same document, under another title.
    other = replace(first, source_key="ds-news", item_key="n1", title="Unrelated wording here")
    store_change(store, other, T0 + timedelta(days=5))
    reworded = "Notified bodies: conformity assessment delegated regulation"
    store_change(
        store,
        replace(first, source_key="hys", item_key="h1", title=reworded, url=None),
        T0 + timedelta(days=6),
    )

    [event] = events(store)
    assert [entry["rule"] for entry in event.grouping] == ["first", "url", "title"]
    assert event.grouping[2]["detail"] == "title similarity 1.00 with ds-page"


def test_storing_a_change_beside_events_it_cannot_join_takes_no_more_statements(store: Store):
    """Events of the same category and dates on other sources whose titles are unlike the
    change's are not read further: storing a change beside 20 of them takes the same
    statements as beside none (each was three more: the events, their split-outs)."""
    import sqlalchemy

    sources = [
        Source(key=f"s{n}", title=f"S{n}", url=f"https://x.eu/s{n}", parser="feed", interval=60)
        for n in range(22)
    ]
    store.sync_sources(sources)
    statements: list[str] = []

    @sqlalchemy.event.listens_for(store.engine, "before_cursor_execute")
    def count(connection, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    def storing(n: int, title: str, at: datetime) -> int:
        statements.clear()
        change = make(sources[n], "x", Category.UPDATE, title, new=date(2026, 9, 10))
        store_change(store, change, at)
        return len(statements)

    alone = storing(0, "Report alpha0 beta0", T0)
    for n in range(1, 21):
        storing(n, f"Report alpha{n} beta{n}", T0 + timedelta(minutes=n))
    beside = storing(21, "Report alpha21 beta21", T0 + timedelta(hours=1))

    assert beside == alone
    assert len(events(store)) == 22


def test_title_similarity_ignores_word_order_and_case():
    assert grouping.similar("AI Board: first meeting", "first meeting of the ai board") > 0.8
    assert grouping.similar("AI Board first meeting", "Data Act guidance published") < 0.5


def test_a_split_change_becomes_an_event_of_its_own_and_never_rejoins(store: Store):
    store.sync_sources([HYS, PAGE, NEWS])
    for hours, change in enumerate(CADA):
        store_change(store, change, T0 + timedelta(hours=hours))
    news = changes(store)[2]
    assert news.id is not None

    split = store.split_change(news.id, "alice", T0 + timedelta(days=1))

    parent, own = events(store)
    assert (parent.change_count, parent.source_count) == (2, 2)
    assert own.id == split.id and own.split_from == parent.id and own.change_count == 1
    with pytest.raises(ValueError, match="only change"):
        store.split_change(news.id, "alice", T0 + timedelta(days=1))
    # The same item reports it again: it stays in its own event, not the one it left.
    store_change(store, CADA[2], T0 + timedelta(days=2))
    assert [row.event_id for row in changes(store)][-1] == own.id
    assert events(store)[0].change_count == 2
    with session_scope(store.engine) as session:
        log = session.exec(select(EventLogRow).where(EventLogRow.action == "split")).all()
    assert [(row.event_id, row.actor, row.detail["change_id"]) for row in log] == [
        (parent.id, "alice", news.id)
    ]


# -- the event page ---------------------------------------------------------------------------


def test_the_event_page_shows_every_source_its_evidence_and_why(tmp_path):
    from tests.dashboard_pages_seed import NOW, database_path, start
    from tests.test_dashboard import csrf_of, log_in

    app: App = start(database_path(tmp_path))
    try:
        app.store.sync_sources([HYS, PAGE, NEWS])
        for hours, change in enumerate(CADA):
            store_change(app.store, change, T0 + timedelta(hours=hours))
        [event] = [
            e
            for e in events(app.store)
            if e.category == "consultation_opened" and e.change_count == 3
        ]
        client = TestClient(create_app(app, clock=lambda: NOW))
        page = client.get(f"/events/{event.id}")
        assert page.status_code == 200
        text = re.sub(r"\s+", " ", page.text)
        assert "seen on 3 sources" in text
        ids = [row.id for row in changes(app.store) if row.event_id == event.id]
        assert list(dict.fromkeys(re.findall(r"<a href=\"/changes/(\d+)\">", page.text))) == [
            str(i) for i in ids
        ]
        for source in ("Have Your Say", "Digital strategy", "Digital strategy news"):
            assert f">{source}</a>" in page.text
        assert "same Have Your Say initiative" in text and "same document URL" in text
        assert "Cloud and AI Development Act: the source says so." in text
        assert "Split into an event" not in text  # not logged in
        assert (
            f'<a href="/events/{event.id}">Event {event.id}</a>'
            in client.get(f"/changes/{ids[1]}").text
        )
        assert client.get("/events/999999").status_code == 404

        log_in(client)
        page = client.get(f"/events/{event.id}")
        answer = client.post(
            f"/events/{event.id}/split",
            data={"change_id": ids[2], "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        new = client.get(answer.headers["location"])
        assert "Split out of" in new.text and "split out by an editor" in new.text
        assert "seen on 2 sources" in re.sub(r"\s+", " ", client.get(f"/events/{event.id}").text)
        forged = client.post(
            f"/events/{event.id}/split", data={"change_id": ids[1], "csrf_token": "x"}
        )
        assert forged.status_code == 403
    finally:
        app.close()


# -- the API ----------------------------------------------------------------------------------


def test_the_api_lists_events_with_filters_and_shows_one(tmp_path):
    from tests.dashboard_pages_seed import NOW, database_path, start

    app: App = start(database_path(tmp_path))
    try:
        app.store.sync_sources([HYS, PAGE, NEWS])
        for hours, change in enumerate(CADA):
            store_change(app.store, change, T0 + timedelta(hours=hours))
        client = TestClient(create_app(app, clock=lambda: NOW))
        listed = client.get("/api/v1/events", params={"source": "ds-news"}).json()
        [item] = listed["items"]
        assert (item["source_count"], item["sources"]) == (3, ["hys", "ds-page", "ds-news"])
        assert item["state"] == "new" and item["html_url"].endswith(f"/events/{item['id']}")
        detail = client.get(f"/api/v1/events/{item['id']}").json()
        assert [c["source"] for c in detail["changes"]] == ["hys", "ds-page", "ds-news"]
        assert {c["event_id"] for c in detail["changes"]} == {item["id"]}
        assert [g["rule"] for g in detail["grouping"]] == ["first", "hys", "url"]
        assert [entry["action"] for entry in detail["log"]] == ["created", "joined", "joined"]
        assert client.get("/api/v1/events", params={"state": "dismissed"}).json()["total"] == 0
        assert client.get("/api/v1/events", params={"state": "gone"}).status_code == 422
        assert client.get("/api/v1/events/999999").status_code == 404
        # The change endpoints still answer, each change naming its event.
        [change] = client.get("/api/v1/changes", params={"source": "ds-news"}).json()["items"]
        assert change["event_id"] == item["id"]
    finally:
        app.close()


# -- migration 0010 ---------------------------------------------------------------------------


def _insert_at(connection, changes: list[tuple[Change, datetime]]) -> None:
    """Sources, checks and changes as an older lexwatch wrote them (plain rows)."""
    from sqlalchemy import MetaData

    tables = MetaData()
    tables.reflect(connection, only=["sources", "checks", "changes"])
    for source in (HYS, PAGE, NEWS):
        connection.execute(
            tables.tables["sources"].insert(),
            {
                "key": source.key,
                "title": source.title,
                "url": source.url,
                "parser": source.parser,
                "interval_seconds": 60,
                "tags": [],
                "options": {},
                "official": True,
                "enabled": True,
                "failure_streak": 0,
            },
        )
    checks, rows = tables.tables["checks"], tables.tables["changes"]
    for n, (change, at) in enumerate(changes, start=1):
        check_id = connection.execute(
            checks.insert().returning(checks.c.id),
            {
                "source_key": change.source_key,
                "started_at": at,
                "duration_ms": 1,
                "outcome": "changed",
                "bytes": 0,
                "change_count": 1,
            },
        ).scalar_one()
        connection.execute(
            rows.insert(),
            {
                "source_key": change.source_key,
                "check_id": check_id,
                "item_key": change.item_key,
                "category": change.category.value,
                "severity": change.severity.value,
                "title": change.title,
                "summary": change.summary,
                "url": change.url,
                "old_date": change.old_date,
                "new_date": change.new_date,
                "evidence": list(change.evidence),
                "diff": {},
                "detected_at": at,
                "event_key": change.event_key,
                "happening": f"h{n}",
            },
        )


@pytest.mark.parametrize("revision", ["0008", "0009"])
def test_upgrading_groups_the_changes_stored_before_events(database_url: str, revision: str):
    from alembic import command

    from storage.queries import ChangeFilter
    from tests.migrations import alembic_on

    other = make(NEWS, "n/9", Category.PUBLICATION_ADDED, "Data Act guidance", url="https://x.eu/g")
    found = [(c, T0 + timedelta(hours=n)) for n, c in enumerate([*CADA, other])]
    with alembic_on(database_url) as (config, connection):  # revision's database, with changes
        command.upgrade(config, revision)
        _insert_at(connection, found)

    store = Store.open(database_url)  # migrates to the head: 0010 groups them
    try:
        grouped = store.events(EventQuery())
        assert [(row.title, row.change_count, row.source_count) for row in grouped.rows] == [
            ("Data Act guidance", 1, 1),
            ("Cloud and AI Development Act", 3, 3),
        ]
        consultation = grouped.rows[1]
        assert [entry["rule"] for entry in consultation.grouping] == ["first", "hys", "url"]
        by_item = {row.item_key: row.event_id for row in store.changes(ChangeFilter())}
        assert by_item == {
            "14628": consultation.id,
            "(top)": consultation.id,
            "https://digital-strategy.ec.europa.eu/node/131100": consultation.id,
            "n/9": grouped.rows[0].id,
        }
        with session_scope(store.engine) as session:
            log = session.exec(select(EventLogRow.action)).all()
        assert sorted(log) == ["created", "created", "joined", "joined"]
        # New changes keep joining the events the migration made.
        store_change(store, CADA[1], T0 + timedelta(hours=6))
        assert store.events(EventQuery()).rows[0].change_count == 4
    finally:
        store.close()


def test_retention_deletes_the_events_whose_changes_are_all_gone(store: Store):
    from sqlalchemy import delete

    from monitor.config import RetentionSettings
    from storage.models import DeadlineRow, EventIdentityRow

    store.sync_sources([HYS, PAGE, NEWS])
    for hours, change in enumerate(CADA):
        store_change(store, change, T0 + timedelta(hours=hours))
    other = make(NEWS, "n/9", Category.PUBLICATION_ADDED, "Data Act guidance", url="https://x.eu/g")
    store_change(store, other, T0 + timedelta(hours=5))
    gone, kept = events(store)
    with session_scope(store.engine) as session:  # removed by hand: the event has no change
        session.execute(delete(ChangeRow).where(col(ChangeRow.event_id) == gone.id))

    limits = RetentionSettings(raw_days=3650, snapshot_days=3650, check_days=3650)
    assert store.prune(limits, T0 + timedelta(days=1), dry_run=True).events == 1
    assert store.prune(limits, T0 + timedelta(days=1)).events == 1

    assert [row.id for row in events(store)] == [kept.id]
    with session_scope(store.engine) as session:
        assert {row.event_id for row in session.exec(select(EventLogRow)).all()} == {kept.id}
        identities = session.exec(select(EventIdentityRow.event_id)).all()
        assert set(identities) == {kept.id}
        assert session.exec(select(DeadlineRow).where(DeadlineRow.event_id == gone.id)).all() == []


# -- concurrency ------------------------------------------------------------------------------


def test_two_workers_storing_one_happening_at_once_make_one_event(store: Store):
    """Worker A has stored its change (and made the event) but not committed when worker B
    stores the same happening from another source: B waits for A (PostgreSQL: the advisory
    lock on the identity; SQLite: the one writer) and joins A's event."""
    import threading

    from sqlalchemy import text
    from sqlmodel import Session

    from storage.checks import record_check

    store.sync_sources([HYS, PAGE, NEWS])
    first, second = (
        CheckRecord(
            source_key=change.source_key,
            started_at=T0 + timedelta(minutes=n),
            duration_ms=1,
            outcome=CheckOutcome.CHANGED,
            changes=(change,),
        )
        for n, change in enumerate(CADA[:2])
    )
    postgres = store.engine.dialect.name == "postgresql"
    worker_a = Session(store.engine)
    record_check(worker_a, first, None)
    worker_a.flush()
    worker_b = threading.Thread(target=store.record, args=(second, None))
    worker_b.start()
    if postgres:  # B is seen waiting for A's lock before A commits
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        with store.engine.connect() as watcher:
            for _ in range(10_000):
                if watcher.execute(text(waiting)).scalar():
                    break
                watcher.rollback()
            else:
                raise AssertionError("worker B never waited for worker A")
    worker_a.commit()
    worker_a.close()
    worker_b.join()

    [event] = events(store)
    assert (event.change_count, event.source_count) == (2, 2)
    assert {row.event_id for row in changes(store)} == {event.id}


# -- the command line -------------------------------------------------------------------------


def test_lexwatch_events_lists_one_row_per_event_and_shows_one(tmp_path):
    import json

    from click.testing import CliRunner

    from monitor.cli import main

    database = f"sqlite:///{tmp_path / 'lexwatch.db'}"
    config = tmp_path / "lexwatch.toml"
    config.write_text(f'database_url = "{database}"\nbuiltin_catalog = false\n')
    store = Store.open(database)
    store.sync_sources([HYS, PAGE, NEWS])
    for hours, change in enumerate(CADA):
        store_change(store, change, T0 + timedelta(hours=hours))
    [event] = events(store)
    store.close()

    runner = CliRunner()
    listed = runner.invoke(main, ["--config", str(config), "events", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert (row["id"], row["sources"]) == (event.id, ["hys", "ds-page", "ds-news"])
    table = runner.invoke(main, ["--config", str(config), "events"], env={"COLUMNS": "200"})
    assert "3: hys, ds-page, ds-news" in table.output
    shown = runner.invoke(main, ["--config", str(config), "events", "show", str(event.id)])
    assert shown.exit_code == 0 and "hys: hys:14628" in shown.output
    missing = runner.invoke(main, ["--config", str(config), "events", "show", "99"])
    assert missing.exit_code == 1 and "no event with id 99" in missing.output
