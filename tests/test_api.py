"""The JSON API, /healthz and /metrics, in-process against the real app and a real database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, update
from sqlmodel import col

from dashboard.app import create_app
from monitor.app import App
from monitor.types import CheckOutcome, Source
from storage.db import session_scope
from storage.models import DeliveryRow
from storage.store import Store
from tests.api_seed import HOSTILE, NOW, Seeded, check, make_app, seed, seeded_app

TOKEN = "tok-3f9a1c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
Factory = Callable[..., tuple[TestClient, Seeded]]


@pytest.fixture
def make_client(database_url: str) -> Iterator[Factory]:
    """A client on the real dashboard app over a seeded database (dashboard settings as kw)."""
    with ExitStack() as stack:

        def build(*extra: Source, **dashboard: object) -> tuple[TestClient, Seeded]:
            app = make_app(database_url, *extra, **dashboard)
            stack.callback(app.close)
            seeded = seed(app.store)
            client = TestClient(create_app(app, clock=lambda: NOW))
            stack.enter_context(client)
            return client, seeded

        yield build


@pytest.fixture
def client(make_client: Factory) -> TestClient:
    return make_client(api_tokens=TOKEN)[0]


@pytest.fixture(scope="module")
def shared_client(shared_database_url: str) -> Iterator[TestClient]:
    """``client`` over one seeded database per module and backend, for tests that only read."""
    with (
        seeded_app(shared_database_url, api_tokens=TOKEN) as (app, _),
        TestClient(create_app(app, clock=lambda: NOW)) as client,
    ):
        yield client


def titles(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/changes{query}")
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


# -- changes ------------------------------------------------------------------------------------


def test_changes_default_view(client: TestClient):
    body = client.get("/api/v1/changes").json()
    assert body["total"] == 4 and (body["next"], body["prev"]) == (None, None)
    first = body["items"][0]
    assert first["title"] == "Deadline extended to 30 June"
    assert (first["old_date"], first["new_date"]) == ("2026-06-10", "2026-06-30")
    assert first["detected_at"] == "2026-11-12T09:00:00Z"
    assert first["source_title"] == "Have Your Say"
    assert first["html_url"] == f"http://testserver/changes/{first['id']}"
    assert first["api_url"] == f"http://testserver/api/v1/changes/{first['id']}"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?source=press", [HOSTILE]),
        (
            "?tag=consultations",
            ["Deadline extended to 30 June", "Have Your Say: GPAI consultation"],
        ),
        ("?category=editorial", ["Typo fixed"]),
        ("?severity=medium", [HOSTILE]),
        ("?since=2026-11-03&until=2026-11-11", [HOSTILE]),
        (
            "?until=2026-11-12",
            [
                "Deadline extended to 30 June",
                HOSTILE,  # whole day included
                "Have Your Say: GPAI consultation",
                "Consultation on GPAI guidelines opened",
            ],
        ),
        ("?since=2026-11-12", ["Deadline extended to 30 June"]),
        ("?until=2026-11-02T10:30:00Z", ["Consultation on GPAI guidelines opened"]),
        ("?q=GPAI+guidelines", ["Consultation on GPAI guidelines opened"]),
        ("?text=gpai&source=hys", ["Have Your Say: GPAI consultation"]),
        ("?include_noise=true&source=press", ["Newsletter 42", HOSTILE]),
        ("?noise=1&category=publication_added", ["Newsletter 42", HOSTILE]),
    ],
)
def test_change_filters(shared_client: TestClient, query: str, expected: list[str]):
    assert titles(shared_client, query) == expected


@pytest.mark.parametrize(
    "query",
    ["?category=gossip", "?severity=urgent", "?since=yesterday", "?per_page=500", "?page=0"],
)
def test_bad_filters_are_422_naming_the_value(shared_client: TestClient, query: str):
    response = shared_client.get(f"/api/v1/changes{query}")
    assert response.status_code == 422
    assert query.split("=")[0].strip("?") in response.text


def test_pagination_links(client: TestClient):
    first = client.get("/api/v1/changes?per_page=3&include_noise=true").json()
    assert first["total"] == 7 and len(first["items"]) == 3 and first["prev"] is None
    assert "page=2" in first["next"] and "include_noise=true" in first["next"]
    last = client.get("/api/v1/changes?per_page=3&include_noise=true&page=3").json()
    assert [item["title"] for item in last["items"]] == ["Consultation on GPAI guidelines opened"]
    assert last["next"] is None and "page=2" in last["prev"]
    seen = {item["id"] for page in (first, last) for item in page["items"]}
    middle = client.get(first["next"]).json()
    assert seen.isdisjoint(item["id"] for item in middle["items"])


def test_change_detail(make_client: Factory):
    other, seeded = make_client(api_tokens=TOKEN)
    change_id = seeded.changes["opened"]
    body = other.get(f"/api/v1/changes/{change_id}").json()
    assert body["diff"]["kind"] == "added" and body["diff"]["new"]["key"] == "b"
    assert body["evidence"] == ["The consultation is open until 30 June."]
    assert body["check"]["raw_evidence_hash"] and body["check"]["http_status"] == 200
    assert body["check"]["final_url"] == "https://ai-office.example.eu/en"
    assert [r["title"] for r in body["related"]] == ["Have Your Say: GPAI consultation"]
    assert body["deliveries"] is None  # anonymous callers do not see the outbox
    with_token = other.get(f"/api/v1/changes/{change_id}", headers=AUTH).json()
    assert [d["subscription"] for d in with_token["deliveries"]] == ["legal-slack"]
    missing = other.get("/api/v1/changes/999999")
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]


# -- sources, snapshots, diff ---------------------------------------------------------------


def test_sources(client: TestClient):
    sources = {s["key"]: s for s in client.get("/api/v1/sources").json()}
    assert sorted(sources) == ["ai-office", "hys", "press"]
    press = sources["press"]
    assert (press["health"], press["failure_streak"], press["last_outcome"]) == (
        "failing",
        3,
        "failed",
    )
    assert press["recent_outcomes"][-3:] == ["failed"] * 3
    assert sources["ai-office"]["next_due"] == "2026-11-16T12:00:00Z"
    one = client.get("/api/v1/sources/hys").json()
    assert one["title"] == "Have Your Say" and len(one["recent_checks"]) == 2
    assert client.get("/api/v1/sources/nope").status_code == 404


def test_snapshots_and_diff(make_client: Factory):
    client, seeded = make_client()
    first, second = seeded.snapshots
    snapshots = client.get("/api/v1/sources/ai-office/snapshots").json()
    assert [s["id"] for s in snapshots] == [second, first]
    assert client.get("/api/v1/sources/nope/snapshots").status_code == 404
    body = client.get(f"/api/v1/diff?source=ai-office&old={first}&new={second}").json()
    kinds = {item["key"]: item["kind"] for item in body["items"]}
    assert kinds == {"a": "modified", "b": "added"}
    modified = next(item for item in body["items"] if item["key"] == "a")
    assert ["delete", "10"] in modified["blocks"][0]["ops"]
    wrong = client.get(f"/api/v1/diff?source=hys&old={first}&new={second}")
    assert wrong.status_code == 404 and "hys" in wrong.json()["detail"]
    assert client.get(f"/api/v1/diff?source=ai-office&old={first}&new=99999").status_code == 404


# -- deadlines, deliveries ----------------------------------------------------------------------


def test_deadlines(client: TestClient):
    upcoming = client.get("/api/v1/deadlines").json()
    assert [d["label"] for d in upcoming] == ["Application date"]
    assert upcoming[0]["due"] == "2026-12-06T12:00:00Z"
    closed = client.get("/api/v1/deadlines?include_closed=true").json()
    assert [(d["label"], d["status"]) for d in closed] == [
        ("Feedback period ends", "closed"),
        ("Application date", "open"),
    ]
    window = client.get("/api/v1/deadlines?from=2026-12-01&to=2026-12-05&include_closed=1")
    assert window.json() == []
    assert client.get("/api/v1/deadlines?from=soon").status_code == 422


def test_deliveries_need_a_token_or_login(client: TestClient):
    anonymous = client.get("/api/v1/deliveries")
    assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["www-authenticate"]
    body = client.get("/api/v1/deliveries", headers=AUTH).json()
    # Four alerts, and the update of the GPAI consultation's Slack message when a second
    # source told it (one event: storage.outbox._follow_up).
    assert body["total"] == 5
    pending = client.get("/api/v1/deliveries?status=pending&per_page=2", headers=AUTH).json()
    assert pending["total"] == 4 and len(pending["items"]) == 2 and "page=2" in pending["next"]
    assert {item["status"] for item in pending["items"]} == {"pending"}
    assert client.get("/api/v1/deliveries?status=lost", headers=AUTH).status_code == 422


# -- actions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "needs an API token"),
        ({"Authorization": "Bearer wrong"}, "not valid"),
        ({"Authorization": f"Basic {TOKEN}"}, "needs an API token"),
    ],
)
def test_actions_refuse_missing_or_wrong_tokens(
    make_client: Factory, headers: dict[str, str], reason: str
):
    client, seeded = make_client(api_tokens=f"other, {TOKEN}")
    response = client.post(f"/api/v1/changes/{seeded.changes['hostile']}/noise", headers=headers)
    assert response.status_code == 401 and reason in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert HOSTILE in titles(client)  # nothing happened


def test_actions_without_configured_tokens_say_how_to_configure(make_client: Factory):
    client, seeded = make_client()
    response = client.post(f"/api/v1/changes/{seeded.changes['hostile']}/noise", headers=AUTH)
    assert response.status_code == 403
    assert "LEXWATCH_DASHBOARD__API_TOKENS" in response.json()["detail"]


def test_mark_noise(make_client: Factory):
    client, seeded = make_client(api_tokens=f"other,{TOKEN}")
    change_id = seeded.changes["hostile"]
    response = client.post(f"/api/v1/changes/{change_id}/noise", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["marked_noise_at"] == "2026-11-16T12:00:00Z"
    assert HOSTILE not in titles(client)
    assert HOSTILE in titles(client, "?include_noise=true")
    assert client.post("/api/v1/changes/999999/noise", headers=AUTH).status_code == 404


def test_redeliver(make_client: Factory):
    client, seeded = make_client(api_tokens=TOKEN)
    change_id = seeded.changes["opened"]
    with session_scope(seeded.store.engine) as session:
        session.execute(
            update(DeliveryRow)
            .where(col(DeliveryRow.change_id) == change_id)
            .values(status="sent", attempts=1)
        )
    response = client.post(f"/api/v1/changes/{change_id}/redeliver", headers=AUTH)
    assert response.status_code == 200 and response.json() == {"change_id": change_id, "queued": 1}
    [delivery] = client.get(f"/api/v1/changes/{change_id}", headers=AUTH).json()["deliveries"]
    assert (delivery["status"], delivery["attempts"]) == ("pending", 0)
    assert client.post("/api/v1/changes/999999/redeliver", headers=AUTH).status_code == 404


def test_check_now_runs_a_real_check(make_client: Factory, replay_server):
    url = replay_server.add(
        "/page", "<html><body><main><h2>News</h2><p>First</p></main></body></html>"
    )
    local = Source(key="local", title="Local page", url=url, parser="html", interval=3600)
    client, _ = make_client(local, api_tokens=TOKEN)
    response = client.post("/api/v1/sources/local/check", headers=AUTH)
    assert response.status_code == 202 and response.json()["source"] == "local"
    # TestClient runs background tasks before it returns.
    checks = client.get("/api/v1/sources/local").json()["recent_checks"]
    assert [c["outcome"] for c in checks] == ["baseline"] and replay_server.hits("/page") == 1
    assert client.post("/api/v1/sources/nope/check", headers=AUTH).status_code == 404
    assert client.post("/api/v1/sources/local/check").status_code == 401


# -- login_required -------------------------------------------------------------------------


def _log_in(client: TestClient, name: str, password: str) -> None:
    form = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None, form
    client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )


def test_login_required_reads_need_a_login_or_a_token(make_client: Factory):
    client, _ = make_client(
        login_required=True, api_tokens=TOKEN, users="ana:pw-1", session_secret="x" * 32
    )
    for path in (
        "/api/v1/changes",
        "/api/v1/sources",
        "/feeds/changes.atom",
        "/feeds/deadlines.ics",
        "/metrics",
    ):
        refused = client.get(path)
        assert refused.status_code == 401, path
        assert "Bearer" in refused.headers["www-authenticate"]
        assert client.get(path, headers=AUTH).status_code == 200, path
    assert client.get("/healthz").status_code == 200  # load balancers never log in
    _log_in(client, "ana", "pw-1")
    assert client.get("/api/v1/changes").status_code == 200
    assert client.get("/api/v1/deliveries").status_code == 200  # a logged-in user sees it


def test_without_login_required_reads_are_public(client: TestClient):
    for path in ("/api/v1/changes", "/api/v1/sources", "/api/v1/deadlines"):
        assert client.get(path).status_code == 200


# -- ops ------------------------------------------------------------------------------------


def test_healthz(client: TestClient):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'ok.db'}")
    app.close()
    # Nothing listens on port 1: every connection attempt is refused.
    broken = App(
        settings=app.settings,
        sources=app.sources,
        store=Store(
            create_engine(
                "postgresql+psycopg://u@127.0.0.1:1/x", connect_args={"connect_timeout": 2}
            )
        ),
    )
    with TestClient(create_app(broken)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def metric_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_parse_and_reflect_the_database(make_client: Factory):
    client, seeded = make_client()
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = metric_samples(response.text)
    assert samples[("lexwatch_changes_total", (("category", "consultation_opened"),))] == 2
    assert samples[("lexwatch_sources", (("state", "failing"),))] == 1
    assert samples[("lexwatch_sources", (("state", "ok"),))] == 2
    assert samples[("lexwatch_source_failure_streak", (("source", "press"),))] == 3
    # Three alerts, and one update of an event's Slack message (a second source told it).
    assert samples[("lexwatch_deliveries", (("status", "pending"),))] == 4
    assert samples[("lexwatch_checks_last_24h", (("outcome", "unchanged"),))] == 1
    last = samples[("lexwatch_last_check_timestamp_seconds", (("source", "ai-office"),))]
    assert last == (NOW.timestamp() - 3600)
    # Every scrape reads the database anew.
    seeded.store.record(check("hys", NOW - timedelta(minutes=5), CheckOutcome.UNCHANGED), None)
    again = metric_samples(client.get("/metrics").text)
    assert again[("lexwatch_checks_last_24h", (("outcome", "unchanged"),))] == 2


def test_openapi_documents_the_api(client: TestClient):
    schema = client.get("/api/openapi.json").json()
    for path in (
        "/api/v1/changes",
        "/api/v1/changes/{change_id}",
        "/api/v1/sources/{key}",
        "/api/v1/diff",
        "/api/v1/deadlines",
        "/api/v1/deliveries",
        "/api/v1/sources/{key}/check",
        "/feeds/changes.atom",
        "/healthz",
    ):
        assert path in schema["paths"], path
    changes = schema["paths"]["/api/v1/changes"]["get"]
    assert {p["name"] for p in changes["parameters"]} >= {"source", "tag", "category", "q"}
    assert client.get("/api/docs").status_code == 200
