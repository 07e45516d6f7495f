from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.health import Health, source_health

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def health(**kw):
    base = dict(
        enabled=True,
        failure_streak=0,
        last_error=None,
        first_success_at=NOW - timedelta(days=100),
        last_change_at=NOW,
        expected_change=None,
        now=NOW,
    )
    return source_health(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "status"),
    [
        ({}, Health.OK),
        ({"enabled": False, "failure_streak": 9}, Health.DISABLED),
        ({"failure_streak": 2, "last_error": "HTTP 500"}, Health.OK),
        ({"failure_streak": 3, "last_error": "HTTP 500"}, Health.FAILING),
        ({"first_success_at": None, "last_change_at": None}, Health.NEW),
        (
            {"expected_change": 14 * 86400, "last_change_at": NOW - timedelta(days=20)},
            Health.SILENT,
        ),
        ({"expected_change": 14 * 86400, "last_change_at": NOW - timedelta(days=10)}, Health.OK),
        ({"expected_change": 14 * 86400, "last_change_at": None}, Health.SILENT),
    ],
)
def test_health(kw, status):
    assert health(**kw).status is status


def test_reasons_say_why():
    assert (
        "3 failed checks in a row: HTTP 503"
        in health(failure_streak=3, last_error="HTTP 503").reason
    )
    assert (
        "no change for 20 days"
        in health(expected_change=7 * 86400, last_change_at=NOW - timedelta(days=20)).reason
    )
