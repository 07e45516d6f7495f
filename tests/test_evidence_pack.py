"""An event's evidence pack from real checks of a page served on loopback: unzipped, every
hash verified, the raw responses byte-equal to what the server served, the same bytes every
time and from the CLI as from the API."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dashboard.app import create_app
from monitor.app import App
from monitor.config import load_settings
from storage.queries import ChangeFilter
from storage.triage import Write
from tests.checking import check
from tests.servers.replay import ReplayServer
from tests.test_cli import lexwatch

BASE = "https://lexwatch.example.org"
NOTE = "=cmd|' /C calc'!A0 (a note that looks like a formula)"
V1 = """<!DOCTYPE html><html><head><title>AI Office</title></head><body><main>
<h1>European AI Office</h1><p>The AI Office is the centre of AI expertise.</p>
<h2>Consultation on the GPAI code of practice</h2>
<p>The consultation on the GPAI code is open until 10 June 2026.</p>
</main></body></html>"""
V2 = V1.replace("open until 10 June 2026", "open until 30 June 2026 (extended)")
# The same page republished elsewhere, with an introduction of its own.
MIRROR_V1, MIRROR_V2 = (
    page.replace("The AI Office is the centre of AI expertise.", "Republished from the AI Office.")
    for page in (V1, V2)
)


@dataclass
class Checked:
    app: App
    config: Path
    event_id: int
    page_change: int
    mirror_change: int


def write_config(folder: Path, database_url: str, server: ReplayServer) -> Path:
    config = folder / "lexwatch.toml"
    config.write_text(f"""
database_url = "{database_url}"
builtin_catalog = false
[alerts]
dashboard_url = "{BASE}"
[http]
contact = "mailto:tests@example.org"
per_host_spacing = 0
retries = 1
[sources.office]
title = "AI Office"
url = "{server.url("/office")}"
parser = "html"
keep = ["main"]
tags = ["ai-act"]
[sources.mirror]
title = "AI Office"
url = "{server.url("/mirror")}"
parser = "html"
keep = ["main"]
[[subscriptions]]
name = "ticketing"
channel = "webhook"
target = "http://127.0.0.1:9/hook"
""")
    return config


@pytest.fixture
def checked(tmp_path: Path, database_url: str, replay_server: ReplayServer) -> Iterator[Checked]:
    """The page and its mirror checked twice (a baseline, then the deadline extended on
    both): the grouping makes one event of the two changes, which alice then triages."""
    replay_server.add("/office", V1, V2)
    replay_server.add("/mirror", MIRROR_V1, MIRROR_V2)
    config = write_config(tmp_path, database_url, replay_server)
    app = App.start(load_settings(config))
    for version in (0, 1):
        for key, path in (("office", "/office"), ("mirror", "/mirror")):
            replay_server.set_version(path, version)
            check(app, key)
    [page_change] = app.store.changes(ChangeFilter(source="office"))
    [mirror_change] = app.store.changes(ChangeFilter(source="mirror"))
    assert page_change.id is not None and mirror_change.id is not None
    event_id = page_change.event_id
    assert event_id is not None and mirror_change.event_id == event_id
    later = mirror_change.detected_at + timedelta(hours=1)  # after the grouping's own entries
    write = Write(event_id=event_id, actor="alice", at=later)
    assert app.store.triage.transition(write, "in_review").done
    assert app.store.triage.add_note(write, NOTE).done
    yield Checked(
        app=app,
        config=config,
        event_id=event_id,
        page_change=page_change.id,
        mirror_change=mirror_change.id,
    )
    app.close()


def download(app: App, event_id: int) -> bytes:
    with TestClient(create_app(app)) as client:
        response = client.get(f"/api/v1/events/{event_id}/evidence-pack")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="lexwatch-event-{event_id}.zip"'
    )
    return response.content


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_file_of_the_pack_is_listed_and_hashes_to_what_the_manifest_says(checked: Checked):
    files = unzip(download(checked.app, checked.event_id))
    folder = f"lexwatch-event-{checked.event_id}/"
    assert all(name.startswith(folder) for name in files)
    files = {name.removeprefix(folder): data for name, data in files.items()}
    sums = dict(reversed(line.split("  ", 1)) for line in files["SHA256SUMS"].decode().splitlines())
    assert set(sums) == set(files) - {"SHA256SUMS"}
    for path, digest in sums.items():
        assert sha256(files[path]) == digest, path
    manifest = json.loads(files["manifest.json"])
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(files) - {"SHA256SUMS", "manifest.json"}
    for path, entry in listed.items():
        assert (entry["sha256"], entry["size"]) == (sha256(files[path]), len(files[path]))
    page, mirror = checked.page_change, checked.mirror_change
    assert {
        f"changes/{page}/diff.txt",
        f"changes/{page}/diff.json",
        f"changes/{mirror}/diff.txt",
        f"changes/{mirror}/diff.json",
        "event.json",
        "README.txt",
    } <= set(files)


def test_raw_responses_are_the_bytes_served_named_by_their_blob_hash(checked: Checked):
    files = unzip(download(checked.app, checked.event_id))
    folder = f"lexwatch-event-{checked.event_id}/"
    raw = {name.removeprefix(folder): data for name, data in files.items() if "/raw/" in name}
    served = [page.encode() for page in (V1, V2, MIRROR_V1, MIRROR_V2)]
    assert sorted(raw.values()) == sorted(served)
    for path, data in raw.items():
        assert path == f"raw/{sha256(data)}.html.txt"
    document = json.loads(files[f"{folder}event.json"])
    blob_hashes = {
        side["sha256"] for change in document["changes"] for side in change["raw"].values()
    }
    assert blob_hashes == {sha256(body) for body in served}
    manifest = json.loads(files[f"{folder}manifest.json"])
    for entry in manifest["files"]:
        if entry["kind"] == "raw_response":
            assert entry["blob_hash"] == entry["sha256"]


def test_event_json_has_the_event_its_grouping_audit_log_and_changes(checked: Checked):
    files = unzip(download(checked.app, checked.event_id))
    document = json.loads(files[f"lexwatch-event-{checked.event_id}/event.json"])
    event = document["event"]
    assert (event["id"], event["state"], event["change_count"], event["source_count"]) == (
        checked.event_id,
        "in_review",
        2,
        2,
    )
    assert event["html_url"] == f"{BASE}/events/{checked.event_id}"
    assert [(e["change_id"], e["rule"]) for e in document["grouping"]] == [
        (checked.page_change, "first"),
        (checked.mirror_change, "title"),
    ]
    log = [(e["actor"], e["action"]) for e in document["log"]]
    assert log == [
        ("lexwatch", "created"),
        ("lexwatch", "joined"),
        ("alice", "state"),
        ("alice", "note"),
    ]
    assert document["log"][-1]["detail"]["text"] == NOTE  # JSON keeps it as written
    page = document["changes"][0]
    assert page["id"] == checked.page_change and page["source_key"] == "office"
    assert any("30 June 2026" in sentence for sentence in page["evidence"])
    assert (page["old_date"], page["new_date"]) == ("2026-06-10", "2026-06-30")
    assert page["check"]["http_status"] == 200
    assert page["raw"]["new"]["download_url"] == f"{BASE}/changes/{checked.page_change}/raw"
    assert page["raw"]["old"]["download_url"] == (
        f"{BASE}/changes/{checked.page_change}/raw/previous"
    )
    assert page["diff"] == {
        "text": f"changes/{checked.page_change}/diff.txt",
        "json": f"changes/{checked.page_change}/diff.json",
    }


def test_the_text_diff_shows_the_lines_that_changed(checked: Checked):
    files = unzip(download(checked.app, checked.event_id))
    folder = f"lexwatch-event-{checked.event_id}/changes/{checked.page_change}/"
    text = files[folder + "diff.txt"].decode()
    removed = [line for line in text.splitlines() if line.startswith("-") and "June" in line]
    added = [line for line in text.splitlines() if line.startswith("+") and "June" in line]
    assert removed and "10 June 2026" in removed[0]
    assert added and "30 June 2026 (extended)" in added[0]
    stored = json.loads(files[folder + "diff.json"])
    assert stored == checked.app.store.change(checked.page_change).diff  # type: ignore[union-attr]


def test_the_same_event_gives_the_same_bytes_from_the_api_and_the_cli(checked: Checked):
    first = download(checked.app, checked.event_id)
    assert download(checked.app, checked.event_id) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        stamps = {info.date_time for info in archive.infolist()}
    assert len(stamps) == 1  # every entry at the event's last detection, not the export's time
    folder = checked.config.parent
    result = lexwatch(folder, "export", "pack", str(checked.event_id), "-o", "pack.zip")
    assert result.returncode == 0, result.stderr
    assert f"wrote pack.zip: {len(unzip(first))} files" in result.stderr
    assert (folder / "pack.zip").read_bytes() == first


def test_the_cli_exports_events_with_filters(checked: Checked):
    folder = checked.config.parent
    result = lexwatch(folder, "export", "events", "--state", "in_review", "-o", "review.csv")
    assert result.returncode == 0, result.stderr
    assert "wrote 1 event(s) to review.csv" in result.stderr
    text = (folder / "review.csv").read_text(encoding="utf-8-sig")
    assert f"{BASE}/events/{checked.event_id}" in text
    result = lexwatch(folder, "export", "events", "--state", "dismissed", "-o", "none.xlsx")
    assert result.returncode == 0, result.stderr
    assert "wrote 0 event(s) to none.xlsx" in result.stderr
    from openpyxl import load_workbook

    book = load_workbook(folder / "none.xlsx")
    assert book["Events"].max_row == 1
    assert dict(book["Export"].iter_rows(values_only=True))["state"] == "dismissed"


def test_the_cli_says_which_event_is_missing(checked: Checked):
    result = lexwatch(checked.config.parent, "export", "pack", "424242")
    assert result.returncode == 1
    assert "no event with id 424242" in result.stderr
    assert not (checked.config.parent / "lexwatch-event-424242.zip").exists()


def test_event_json_names_the_alerts_of_its_changes_and_its_deadline(checked: Checked):
    files = unzip(download(checked.app, checked.event_id))
    document = json.loads(files[f"lexwatch-event-{checked.event_id}/event.json"])
    # One alert per event on a webhook: the mirror told the same happening, so none of its own.
    assert [
        (a["change_id"], a["subscription"], a["channel"], a["mode"], a["kind"], a["status"])
        for a in document["alerts"]
    ] == [(checked.page_change, "ticketing", "webhook", "instant", "change", "pending")]
    # The sentence that stated the date changed, on both sources: its old deadline closed,
    # the new one opened.
    assert sorted((d["source_key"], d["due"][:10], d["status"]) for d in document["deadlines"]) == [
        ("mirror", "2026-06-10", "closed"),
        ("mirror", "2026-06-30", "open"),
        ("office", "2026-06-10", "closed"),
        ("office", "2026-06-30", "open"),
    ]
