"""Audit exports: events as CSV and XLSX (opened with the csv module and openpyxl), read in
batches, with the list's filters and neutralised formulas; downloads and who may make them."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pydantic import SecretStr

from dashboard.app import create_app
from dashboard.exports import COLUMNS
from monitor.app import App
from monitor.types import Category, Severity
from storage.browse import ChangeQuery
from storage.event_browse import EventQuery
from storage.queries import ChangeFilter
from storage.store import Store
from storage.triage import Write
from tests.api_seed import NOW, T0, change, check, make_app, seed
from tests.triage_seed import add_event

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
    hostile: int  # a press release with markup in its title
    extension: int  # hys, actioned, bob's
    changes: dict[str, int]
    hidden: list[int]  # editorial, noise, and one whose only change is marked noise


def event_of(store: Store, change_id: int) -> int:
    row = store.change(change_id)
    assert row is not None and row.event_id is not None
    return row.event_id


def triage(store: Store, event_id: int, *, to: list[str], assignee: str, due: date | None) -> None:
    """Through the triage write path, as the dashboard's editors do."""
    write = Write(event_id=event_id, actor="carol", at=NOW)
    for state in to:
        assert store.triage.transition(write, state).done
    assert store.triage.assign(write, assignee).done
    if due is not None:
        assert store.triage.set_due(write, due).done


@contextmanager
def seeding(database_url: str) -> Iterator[Seeded]:
    app = make_app(
        database_url,
        users=f"alice:{PASSWORD}",
        session_secret="s" * 40,
        api_tokens=TOKEN,
    )
    app.settings = app.settings.model_copy(
        update={"alerts": app.settings.alerts.model_copy(update={"dashboard_url": BASE + "/"})}
    )
    store = app.store
    changes = seed(store).changes
    formula = change("press", "r3", Category.PUBLICATION_ADDED, Severity.MEDIUM, FORMULA_TITLE)
    formula = replace(formula, summary=FORMULA_SUMMARY)
    store.record(check("press", T0 + timedelta(days=1, hours=1), changes=(formula,)), None)
    [changes["formula"]] = [
        row.id for row in store.changes(ChangeFilter(source="press")) if row.title == FORMULA_TITLE
    ]
    events = {name: event_of(store, change_id) for name, change_id in changes.items()}
    assert events["opened"] == events["hys_opened"], "the grouping put them in one event"
    triage(store, events["opened"], to=["in_review"], assignee="alice", due=date(2026, 12, 1))
    triage(store, events["extended"], to=["in_review", "actioned"], assignee="bob", due=None)
    yield Seeded(
        app=app,
        consultation=events["opened"],
        formula=events["formula"],
        hostile=events["hostile"],
        extension=events["extended"],
        changes=changes,
        hidden=[events["editorial"], events["noise"], events["newsletter"]],
    )
    app.close()


@pytest.fixture
def seeded(database_url: str) -> Iterator[Seeded]:
    """A seeded database of the test's own."""
    with seeding(database_url) as seeded:
        yield seeded


@pytest.fixture(scope="module")
def shared_seeded(shared_database_url: str) -> Iterator[Seeded]:
    """The same seeded database, once per module and backend, for tests that only read it."""
    with seeding(shared_database_url) as seeded:
        yield seeded


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
        # The most recently active first; events of noise only and editorial ones left out.
        assert [int(row["Event"]) for row in rows] == [
            seeded.extension,
            seeded.formula,
            seeded.hostile,
            seeded.consultation,
        ]
        row = rows[3]
        opened, hys_opened = seeded.changes["opened"], seeded.changes["hys_opened"]
        assert row["Title"] == "Consultation on GPAI guidelines opened"
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
        pack = f"/api/v1/events/{seeded.consultation}/evidence-pack"
        assert row["Evidence pack"] == BASE + pack
        assert client.get(pack).headers["content-type"] == "application/zip"
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
    [row, hostile] = rows
    assert hostile["Title"].startswith("Press release <script>")  # as it is: CSV is no HTML
    assert row["Title"] == "'" + FORMULA_TITLE
    assert row["Summary"] == "'" + FORMULA_SUMMARY
    assert row["Event page"].startswith("https://")  # not everything gets a quote


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["extension", "formula", "hostile", "consultation"]),
        ("state=in_review", ["consultation"]),
        ("state=actioned", ["extension"]),
        ("state=new", ["formula", "hostile"]),
        ("assignee=bob", ["extension"]),
        ("assignee=-", ["formula", "hostile"]),
        ("state=open", ["formula", "hostile", "consultation"]),
        ("state=all", ["extension", "formula", "hostile", "consultation"]),
        ("source=hys", ["extension", "consultation"]),
        ("tag=press", ["formula", "hostile"]),
        ("tag=ai-act&source=ai-office", ["consultation"]),
        ("tag=no-such-tag", []),
        ("category=deadline_extended", ["extension"]),
        ("severity=medium", ["formula", "hostile"]),
        ("q=gpai", ["consultation"]),
        # Europe/Brussels days: the consultation was last seen on 2 November (UTC 11:00).
        ("since=2026-11-03", ["extension", "formula", "hostile"]),
        ("until=2026-11-02", ["consultation"]),
        ("since=2026-11-03&until=2026-11-03", ["formula", "hostile"]),
        ("state=actioned&assignee=alice", []),
        ("source=press&include_noise=true", ["newsletter", "formula", "hostile"]),
        ("category=editorial", ["editorial"]),
    ],
)
def test_csv_export_applies_the_list_filters(
    shared_seeded: Seeded, query: str, expected: list[str]
):
    seeded = shared_seeded
    ids = {
        "extension": seeded.extension,
        "formula": seeded.formula,
        "hostile": seeded.hostile,
        "consultation": seeded.consultation,
        "editorial": seeded.hidden[0],
        "newsletter": seeded.hidden[2],
    }
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
    # Tag ai-act: the press corner and the AI Office.
    assert list(by_id) == [seeded.formula, seeded.hostile, seeded.consultation]
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
    """Three more events last active at the same instant: the keyset cursor crosses them."""
    store = seeded.app.store
    at = T0 + timedelta(days=5)
    twins = [add_event(store.engine, f"twin {n}", at=at) for n in range(3)]
    everything = EventQuery(changes=ChangeQuery(include_noise=True))
    batches = list(store.reader.export_events(everything, batch=3))
    assert [len(batch) for batch in batches] == [3, 3, 3, 1]
    ids = [item.event.id for batch in batches for item in batch]
    editorial, noise, newsletter = seeded.hidden
    assert ids == [
        newsletter,
        seeded.extension,
        noise,
        editorial,
        *sorted(twins, reverse=True),
        seeded.formula,
        seeded.hostile,
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


def test_behind_a_login_a_viewer_or_a_token_may_download_and_nobody_else(seeded: Seeded):
    """Exporting is reading: the viewer role is enough, logged in or by a token of theirs."""
    dashboard = seeded.app.settings.dashboard.model_copy(
        update={
            "login_required": True,
            "roles": {"alice": "viewer"},
            "api_tokens": SecretStr(f"alice:{TOKEN}"),
        }
    )
    seeded.app.settings = seeded.app.settings.model_copy(update={"dashboard": dashboard})
    urls = [
        "/api/v1/exports/events.csv",
        "/api/v1/exports/events.xlsx",
        f"/api/v1/events/{seeded.consultation}/evidence-pack",
    ]
    token = {"authorization": f"Bearer {TOKEN}"}
    with client_for(seeded.app) as client:
        for url in urls:
            assert client.get(url).status_code == 401, url
            assert client.get(url, headers={"authorization": "Bearer nope"}).status_code == 401
            assert client.get(url, headers=token).status_code == 200, url
        by_token = load_workbook(io.BytesIO(client.get(urls[1], headers=token).content))
        log_in(client)
        for url in urls:
            assert client.get(url).status_code == 200, url
        by_login = load_workbook(io.BytesIO(client.get(urls[1]).content))
    for book in (by_token, by_login):
        assert dict(book["Export"].iter_rows(values_only=True))["exported by"] == "alice"


def test_no_pack_for_an_unknown_event(seeded: Seeded):
    with client_for(seeded.app) as client:
        response = client.get("/api/v1/events/999999/evidence-pack")
    assert response.status_code == 404
    assert response.json() == {"detail": "no event with id 999999"}


# -- the dashboard's links ----------------------------------------------------------------------


def download_links(page: str) -> dict[str, str]:
    """The page's download links by their text."""
    found = re.findall(r'<a href="([^"]+)" download[^>]*>([^<]+)</a>', page)
    return {text: html.unescape(href) for href, text in found}


def test_the_triage_list_exports_what_it_shows(seeded: Seeded):
    """Its links carry the list's filters: following one gives the events the list shows."""
    with client_for(seeded.app) as client:
        log_in(client)
        for query in ("", "?state=all", "?state=new&assignee=-", "?state=all&assignee=alice"):
            page = client.get(f"/triage{query}").text
            listed = [int(n) for n in re.findall(r'href="/events/(\d+)"', page)]
            links = download_links(page)
            assert set(links) == {"CSV", "Excel (XLSX)"}, query
            exported = [int(row["Event"]) for row in csv_rows(client.get(links["CSV"]))]
            assert exported == list(dict.fromkeys(listed)), query
            xlsx = client.get(links["Excel (XLSX)"])
            assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert exported == [seeded.consultation]  # the last: alice's


def test_the_timeline_exports_what_it_shows(seeded: Seeded):
    queries = ("", "?source=hys", "?tag=press&since=2026-11-03", "?q=gpai", "?noise=1")
    with client_for(seeded.app) as client:
        for query in queries:
            page = client.get(f"/{query}").text
            listed = re.findall(r'<a class="title" href="/events/(\d+)"', page)
            links = download_links(page)
            assert set(links) == {"CSV", "Excel (XLSX)"}, query
            exported = [row["Event"] for row in csv_rows(client.get(links["CSV"]))]
            assert exported == listed, query
            sheet = load_workbook(io.BytesIO(client.get(links["Excel (XLSX)"]).content))
            assert [str(r[0]) for r in sheet["Events"].iter_rows(min_row=2, values_only=True)] == (
                listed
            )
    assert len(listed) == 7  # noise=1: every event


def test_the_event_page_links_to_its_evidence_pack(seeded: Seeded):
    with client_for(seeded.app) as client:
        page = client.get(f"/events/{seeded.consultation}").text
        link = download_links(page)["Download the evidence pack (zip)"]
        assert link == f"/api/v1/events/{seeded.consultation}/evidence-pack"
        response = client.get(link)
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert f"lexwatch-event-{seeded.consultation}/event.json" in archive.namelist()
