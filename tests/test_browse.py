"""The dashboard's read queries, against a SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from monitor.types import CheckOutcome
from storage import browse
from storage.browse import ChangeQuery
from storage.db import session_scope
from storage.health import Health
from tests.api_seed import HOSTILE, NOW, T0, Seeded, check, seeded_app


@pytest.fixture
def seeded(database_url: str) -> Iterator[Seeded]:
    with seeded_app(database_url) as (_, seeded):
        yield seeded


@pytest.fixture
def session(seeded: Seeded) -> Iterator[Session]:
    with session_scope(seeded.store.engine) as session:
        yield session


@pytest.fixture(scope="module")
def shared_seeded(shared_database_url: str) -> Iterator[Seeded]:
    """``seeded`` once per module and backend, for tests that only read."""
    with seeded_app(shared_database_url) as (_, seeded):
        yield seeded


@pytest.fixture
def shared_session(shared_seeded: Seeded) -> Iterator[Session]:
    with session_scope(shared_seeded.store.engine) as session:
        yield session


def titles(session: Session, **filters: object) -> list[str]:
    page = browse.changes_page(session, ChangeQuery(**filters))  # type: ignore[arg-type]
    return [row.title for row in page.rows]


def test_timeline_is_newest_first_and_hides_noise_editorial_and_marked(session: Session):
    assert titles(session) == [
        "Deadline extended to 30 June",
        HOSTILE,
        "Have Your Say: GPAI consultation",
        "Consultation on GPAI guidelines opened",
    ]


def test_noise_and_editorial_show_when_asked_for(session: Session):
    assert titles(session, category="editorial") == ["Typo fixed"]
    assert titles(session, category="noise") == ["Cookie banner changed"]
    everything = titles(session, include_noise=True)
    assert len(everything) == 7 and everything[0] == "Newsletter 42"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"source": "hys"}, ["Deadline extended to 30 June", "Have Your Say: GPAI consultation"]),
        ({"tag": "ai-act"}, [HOSTILE, "Consultation on GPAI guidelines opened"]),
        ({"tag": "ai-act", "source": "press"}, [HOSTILE]),
        ({"tag": "ai-act", "source": "hys"}, []),
        ({"tag": "nope"}, []),
        (
            {"category": "consultation_opened"},
            ["Have Your Say: GPAI consultation", "Consultation on GPAI guidelines opened"],
        ),
        ({"severity": "medium"}, [HOSTILE]),
        ({"since": T0 + timedelta(days=1)}, ["Deadline extended to 30 June", HOSTILE]),
        (
            {"until": T0 + timedelta(days=1)},
            ["Have Your Say: GPAI consultation", "Consultation on GPAI guidelines opened"],
        ),
        (
            {"text": "gpai"},
            ["Have Your Say: GPAI consultation", "Consultation on GPAI guidelines opened"],
        ),
        ({"text": "<SCRIPT>"}, [HOSTILE]),
        ({"text": "30 june (summary)"}, ["Deadline extended to 30 June"]),
        ({"text": "100%"}, []),  # LIKE wildcards are matched literally
    ],
)
def test_filters(shared_session: Session, filters: dict[str, object], expected: list[str]):
    assert titles(shared_session, **filters) == expected


def test_pagination(session: Session):
    first = browse.changes_page(session, ChangeQuery(per_page=3, include_noise=True))
    second = browse.changes_page(session, ChangeQuery(per_page=3, page=3, include_noise=True))
    assert (first.total, first.pages, first.has_next, first.has_prev) == (7, 3, True, False)
    assert [row.title for row in second.rows] == ["Consultation on GPAI guidelines opened"]
    assert (second.total, second.has_next, second.has_prev) == (7, False, True)
    beyond = browse.changes_page(session, ChangeQuery(per_page=3, page=5, include_noise=True))
    assert (beyond.rows, beyond.total) == ([], 7)
    assert ChangeQuery(per_page=10_000, page=-1).per_page == browse.MAX_PER_PAGE
    assert first.source_titles["ai-office"] == "AI Office"


def test_change_detail_links_related_both_ways(seeded: Seeded, session: Session):
    opened, repeat = seeded.changes["opened"], seeded.changes["hys_opened"]
    first = browse.change_detail(session, opened)
    second = browse.change_detail(session, repeat)
    assert first is not None and second is not None
    assert [row.id for row in first.related] == [repeat]
    assert [row.id for row in second.related] == [opened]
    assert first.source is not None and first.source.title == "AI Office"
    assert first.check is not None and first.check.blob_hash is not None
    assert first.check.final_url == "https://ai-office.example.eu/en"
    assert [(d.subscription, d.status) for d in first.deliveries] == [("legal-slack", "pending")]
    assert browse.change_detail(session, 999_999) is None


def test_source_health(session: Session):
    health = {h.source.key: h for h in browse.source_health(session, NOW)}
    press, office = health["press"], health["ai-office"]
    assert press.health is Health.FAILING and press.failure_streak == 3
    assert press.recent_outcomes == ["changed", "changed", "failed", "failed", "failed"]
    assert press.last_outcome == "failed" and press.expected_period == timedelta(days=30)
    assert office.health is Health.OK
    assert office.next_due == NOW - timedelta(hours=1) + timedelta(hours=1)
    assert office.last_change is not None and office.last_change.title == "Cookie banner changed"
    [only] = browse.source_health(session, NOW, "hys")
    assert only.source.key == "hys" and only.recent_outcomes == ["changed", "changed"]


def test_sparkline_keeps_the_last_30(seeded: Seeded):
    for minute in range(40):
        outcome = CheckOutcome.FAILED if minute < 10 else CheckOutcome.NOT_MODIFIED
        seeded.store.record(check("hys", NOW + timedelta(minutes=minute), outcome), None)
    with session_scope(seeded.store.engine) as session:
        [hys] = browse.source_health(session, NOW, "hys")
    assert hys.recent_outcomes == ["not_modified"] * 30


def test_snapshots(seeded: Seeded, session: Session):
    first, second = seeded.snapshots
    infos = browse.source_snapshots(session, "ai-office", limit=10)
    assert [info.id for info in infos] == [second, first]
    assert (infos[0].item_count, infos[1].item_count) == (2, 1)
    one = browse.snapshot_info(session, first)
    assert one is not None and one.source_key == "ai-office"
    assert browse.snapshot_info(session, 999_999) is None


def test_weekly_counts(session: Session):
    weeks = browse.weekly_counts(session, T0 - timedelta(days=7))
    assert weeks == [
        (date(2026, 11, 2), "consultation_opened", 2),
        (date(2026, 11, 2), "publication_added", 1),
        (date(2026, 11, 9), "deadline_extended", 1),
        (date(2026, 11, 9), "editorial", 1),
        (date(2026, 11, 9), "noise", 1),
    ]
    assert browse.weekly_counts(session, NOW) == []


def test_deadlines_between(session: Session):
    upcoming = browse.deadlines_between(session, NOW, None)
    assert [row.label for row in upcoming] == ["Application date"]
    with_closed = browse.deadlines_between(session, NOW, None, include_closed=True)
    assert [row.label for row in with_closed] == ["Feedback period ends", "Application date"]
    assert (
        browse.deadlines_between(session, NOW, NOW + timedelta(days=10), True)[0].status == "closed"
    )


def test_deliveries_page_and_counts(session: Session):
    pending = browse.deliveries_page(session, "pending", page=1, per_page=2)
    # Three alerts, and the update of the GPAI consultation's Slack message when a second
    # source told it (one event, one message: storage.outbox._follow_up).
    assert (pending.total, len(pending.rows)) == (4, 2)
    assert pending.rows[0].id > pending.rows[1].id  # type: ignore[operator]
    counts = browse.dashboard_counts(session, NOW)
    assert counts.deliveries_by_status == {"pending": 4, "skipped": 1}
    assert counts.changes_by_category["consultation_opened"] == 2
    assert counts.checks_last_24h == {"unchanged": 1}
    assert browse.database_ok(session)


def test_filter_options(session: Session):
    options = browse.filter_options(session)
    assert options.sources[0] == ("ai-office", "AI Office")
    assert options.tags == ["ai-act", "consultations", "official", "press"]
    assert "noise" in options.categories


def test_counting_stops_past_the_page_and_says_so(
    session: Session, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(browse, "COUNT_AHEAD", 2)
    first = browse.changes_page(session, ChangeQuery(per_page=1))
    third = browse.changes_page(session, ChangeQuery(per_page=1, page=3))
    assert (first.total, first.capped, first.has_next) == (2, True, True)  # "2+ changes"
    assert (third.total, third.capped, third.has_next) == (4, False, True)  # all 4 counted
