"""Audit exports: events as CSV and XLSX (opened with the csv module and openpyxl), read in
batches, with the list's filters and neutralised formulas; downloads and who may make them."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from dashboard.app import create_app
from dashboard.exports import COLUMNS
from monitor.app import App
from storage.exports import EventFilter
from tests.api_seed import NOW, make_app, seed
from tests.event_seed import add_event

TOKEN = "tok-exports-81c2"
PASSWORD = "correct horse battery"
BASE = "https://lexwatch.example.org"
FORMULA_TITLE = '=HYPERLINK("http://evil.example/","click me")'
FORMULA_SUMMARY = "-2+3 @SUM(A1)"


@dataclass
class Seeded:
    app: App
    consultation: int  # ai-office + hys, in review, alice's
    formula: int  # a press release whose title and summary look like formulas
    extension: int  # hys, actioned, bob's
    changes: dict[str, int]


@pytest.fixture
def seeded(database_url: str) -> Iterator[Seeded]:
    app = make_app(
        database_url,
        users=f"alice:{PASSWORD}",
        session_secret="s" * 40,
        api_tokens=TOKEN,
    )
    app.settings = app.settings.model_copy(
        update={"alerts": app.settings.alerts.model_copy(update={"dashboard_url": BASE + "/"})}
    )
    changes = seed(app.store).changes
    store = app.store
    yield Seeded(
        app=app,
        consultation=add_event(
            store,
            [changes["opened"], changes["hys_opened"]],
            title="GPAI consultation",
            state="in_review",
            assignee="alice",
            action_due=date(2026, 12, 1),
        ),
        formula=add_event(
            store, [changes["hostile"]], title=FORMULA_TITLE, summary=FORMULA_SUMMARY
        ),
        extension=add_event(store, [changes["extended"]], state="actioned", assignee="bob"),
        changes=changes,
    )
    app.close()


def client_for(app: App) -> TestClient:
    return TestClient(create_app(app, clock=lambda: NOW))


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf"), "no byte order mark for Excel"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(COLUMNS)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def export_ids(client: TestClient, query: str) -> list[int]:
    response = client.get(f"/api/v1/exports/events.csv?{query}")
    return [int(row["Event"]) for row in csv_rows(response)]


# -- CSV ------------------------------------------------------------------------------------------


def test_csv_has_one_row_per_event_newest_first_with_links_to_raw_responses(seeded: Seeded):
    with client_for(seeded.app) as client:
        response = client.get("/api/v1/exports/events.csv")
        rows = csv_rows(response)
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == (
            'attachment; filename="lexwatch-events-20261116-1200.csv"'
        )
        assert [int(row["Event"]) for row in rows] == [
            seeded.extension,
            seeded.formula,
            seeded.consultation,
        ]
        row = rows[2]
        opened, hys_opened = seeded.changes["opened"], seeded.changes["hys_opened"]
        assert row["Title"] == "GPAI consultation"
        assert (row["State"], row["Assignee"], row["Action due"]) == (
            "in_review",
            "alice",
            "2026-12-01",
        )
        assert (row["Category"], row["Severity"]) == ("consultation_opened", "high")
        assert row["First detected (UTC)"] == "2026-11-02T10:00:00Z"
        assert row["Last detected (UTC)"] == "2026-11-02T11:00:00Z"
        assert row["Sources"].split("\n") == ["ai-office", "hys"]
        assert (row["Source count"], row["Change count"]) == ("2", "2")
        assert row["Evidence excerpts"] == "ai-office: The consultation is open until 30 June."
        assert row["Event page"] == f"{BASE}/events/{seeded.consultation}"
        assert row["Changes"].split("\n") == [
            f"{BASE}/changes/{opened}",
            f"{BASE}/changes/{hys_opened}",
        ]
        # The change on ai-office was found in "<html>v2</html>", against "<html>v1</html>".
        assert row["Raw responses"].split("\n") == [
            f"{BASE}/changes/{opened}/raw/previous",
            f"{BASE}/changes/{opened}/raw",
        ]
        served = [b"<html>v1</html>", b"<html>v2</html>"]
        assert row["Raw response SHA-256"].split("\n") == [
            hashlib.sha256(body).hexdigest() for body in served
        ]
        for url, body in zip(row["Raw responses"].split("\n"), served, strict=True):
            assert client.get(url.removeprefix(BASE)).content == body


def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(seeded: Seeded):
    with client_for(seeded.app) as client:
        rows = csv_rows(client.get("/api/v1/exports/events.csv?source=press"))
    [row] = rows
    assert row["Title"] == "'" + FORMULA_TITLE
    assert row["Summary"] == "'" + FORMULA_SUMMARY
    assert row["Event page"].startswith("https://")  # not everything gets a quote


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["extension", "formula", "consultation"]),
        ("state=in_review", ["consultation"]),
        ("state=new", ["formula"]),
        ("assignee=bob", ["extension"]),
        ("unassigned=true", ["formula"]),
        ("source=hys", ["extension", "consultation"]),
        ("tag=press", ["formula"]),
        ("tag=ai-act&source=ai-office", ["consultation"]),
        ("tag=no-such-tag", []),
        ("category=deadline_extended", ["extension"]),
        ("severity=medium", ["formula"]),
        # Europe/Brussels days: the consultation was last seen on 2 November (UTC 11:00).
        ("since=2026-11-03", ["extension", "formula"]),
        ("until=2026-11-02", ["consultation"]),
        ("since=2026-11-03&until=2026-11-03", ["formula"]),
        ("state=actioned&assignee=alice", []),
    ],
)
def test_csv_export_applies_the_filters(seeded: Seeded, query: str, expected: list[str]):
    ids = {name: getattr(seeded, name) for name in ("extension", "formula", "consultation")}
    with client_for(seeded.app) as client:
        assert export_ids(client, query) == [ids[name] for name in expected]


def test_a_bad_filter_is_refused_with_a_reason(seeded: Seeded):
    with client_for(seeded.app) as client:
        response = client.get("/api/v1/exports/events.csv?state=closed")
    assert response.status_code == 422
    assert "in_review" in response.text


# -- XLSX -----------------------------------------------------------------------------------------


def test_xlsx_holds_the_same_rows_as_typed_cells_and_the_filters_used(seeded: Seeded):
    with client_for(seeded.app) as client:
        response = client.get("/api/v1/exports/events.xlsx?tag=ai-act")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"] == (
        'attachment; filename="lexwatch-events-20261116-1200.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Events"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    by_id = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    assert list(by_id) == [seeded.formula, seeded.consultation]  # tag ai-act: press, ai-office
    consultation = by_id[seeded.consultation]
    assert consultation["First detected (UTC)"] == datetime(2026, 11, 2, 10, 0)
    assert consultation["Action due"] == datetime(2026, 12, 1)
    assert consultation["Change count"] == 2
    assert consultation["Sources"] == "ai-office\nhys"
    about = dict(book["Export"].iter_rows(values_only=True))
    assert about["tag"] == "ai-act"
    assert about["exported at (UTC)"] == "2026-11-16T12:00:00Z"
    assert about["exported by"] == "anonymous reader"


def test_xlsx_keeps_formula_like_text_as_text(seeded: Seeded):
    with client_for(seeded.app) as client:
        response = client.get("/api/v1/exports/events.xlsx?source=press")
    sheet = load_workbook(io.BytesIO(response.content))["Events"]
    title, summary = sheet["B2"], sheet["M2"]
    assert (title.value, title.data_type, title.quotePrefix) == (FORMULA_TITLE, "s", True)
    assert (summary.value, summary.data_type, summary.quotePrefix) == (FORMULA_SUMMARY, "s", True)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


# -- reading in batches ------------------------------------------------------------------------


def test_exports_read_in_batches_every_event_once_even_across_equal_times(seeded: Seeded):
    """Three more events last seen at the same instant: the keyset cursor crosses them."""
    store = seeded.app.store
    editorial = seeded.changes["editorial"]
    same_time = [add_event(store, [editorial], title=f"twin {n}") for n in range(3)]
    batches = list(store.reader.export_events(EventFilter(), batch=2))
    assert [len(batch) for batch in batches] == [2, 2, 2]
    ids = [item.event.id for batch in batches for item in batch]
    # The twins were last seen at T0 + 8 days, after the others but the extension (10 days).
    assert ids == [
        seeded.extension,
        *sorted(same_time, reverse=True),
        seeded.formula,
        seeded.consultation,
    ]


def test_an_export_of_nothing_is_a_header(seeded: Seeded):
    with client_for(seeded.app) as client:
        response = client.get("/api/v1/exports/events.csv?since=2030-01-01")
        assert csv_rows(response) == []
        book = load_workbook(
            io.BytesIO(client.get("/api/v1/exports/events.xlsx?state=new&since=2030-01-01").content)
        )
    assert [row for row in book["Events"].iter_rows(values_only=True)] == [COLUMNS]


# -- who may download -------------------------------------------------------------------------


def log_in(client: TestClient, name: str = "alice") -> None:
    page = client.get("/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    response = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": match.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_behind_a_login_a_reader_or_token_may_download_and_nobody_else(seeded: Seeded):
    seeded.app.settings = seeded.app.settings.model_copy(
        update={
            "dashboard": seeded.app.settings.dashboard.model_copy(update={"login_required": True})
        }
    )
    urls = [
        "/api/v1/exports/events.csv",
        "/api/v1/exports/events.xlsx",
        f"/api/v1/events/{seeded.consultation}/evidence-pack",
    ]
    with client_for(seeded.app) as client:
        for url in urls:
            assert client.get(url).status_code == 401, url
            token = {"authorization": f"Bearer {TOKEN}"}
            assert client.get(url, headers=token).status_code == 200, url
        log_in(client)
        for url in urls:
            assert client.get(url).status_code == 200, url
        sheet = load_workbook(io.BytesIO(client.get(urls[1]).content))["Export"]
        assert dict(sheet.iter_rows(values_only=True))["exported by"] == "alice"


def test_no_pack_for_an_unknown_event(seeded: Seeded):
    with client_for(seeded.app) as client:
        response = client.get("/api/v1/events/999999/evidence-pack")
    assert response.status_code == 404
    assert response.json() == {"detail": "no event with id 999999"}
