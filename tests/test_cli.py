"""The `lexwatch` command as a user runs it: a real process against the loopback server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.revision import head_revision
from tests.processes import LOOPBACK, clean_env
from tests.servers.replay import ReplayServer

V1 = """<html><head><title>Guidance</title></head><body><main>
<h1>Guidance</h1><p>Draft guidelines will be published in June.</p>
<h2>Contact</h2><p>Write to ai-office@example.eu.</p></main></body></html>"""
V2 = V1.replace("will be published in June", "were published on 18 July 2025")


def lexwatch(
    cwd: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = clean_env(LOOPBACK)
    env = {**base, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def workdir(tmp_path: Path, replay_server: ReplayServer) -> Path:
    replay_server.add("/guidance", V1, V2)
    (tmp_path / "lexwatch.toml").write_text(f"""
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
per_host_spacing = 0
[sources.guidance]
title = "National AI guidance"
url = "{replay_server.url("/guidance")}"
parser = "html"
interval = "1h"
tags = ["ai-act"]
""")
    return tmp_path


@pytest.mark.slow
def test_check_changes_diff_history(workdir: Path, replay_server: ReplayServer):
    first = lexwatch(workdir, "check", "guidance")
    assert first.returncode == 0, first.stderr
    assert "baseline" in first.stdout

    replay_server.set_version("/guidance", 1)
    second = lexwatch(workdir, "check", "--all")
    assert second.returncode == 0, second.stderr
    assert "changed" in second.stdout and "[publication_added/medium]" in second.stdout

    listed = json.loads(lexwatch(workdir, "changes", "--json").stdout)
    assert [(c["source"], c["item"], c["category"]) for c in listed] == [
        ("guidance", "Guidance", "publication_added")
    ]
    [event] = json.loads(lexwatch(workdir, "events", "--json").stdout)
    assert listed[0]["event_id"] == event["id"]

    shown = lexwatch(workdir, "diff", str(listed[0]["id"]))
    assert "[-will be-] {+were+}" in shown.stdout
    assert "{+on 18 July 2025.+}" in shown.stdout

    history = lexwatch(workdir, "history", "guidance")
    assert history.stdout.count("baseline") == 1 and history.stdout.count("changed") == 1
    assert (workdir / "lexwatch.db").exists()


def test_dry_run_stores_nothing(workdir: Path):
    result = lexwatch(workdir, "check", "guidance", "--dry-run")
    assert result.returncode == 0 and "dry run" in result.stdout
    assert json.loads(lexwatch(workdir, "changes", "--json").stdout) == []
    assert "never" in lexwatch(workdir, "sources").stdout


def test_failed_check_exits_1_with_the_reason(workdir: Path, replay_server: ReplayServer):
    replay_server.fault("/guidance", "maintenance")
    result = lexwatch(workdir, "check", "guidance", "--json")
    assert result.returncode == 1
    [row] = json.loads(result.stdout)
    assert row["outcome"] == "failed" and "maintenance" in row["error"]


def test_config_error_names_the_key_and_exits_2(workdir: Path):
    config = workdir / "lexwatch.toml"
    config.write_text(config.read_text().replace('interval = "1h"', 'intervall = "1h"'))
    result = lexwatch(workdir, "check", "--all")
    assert result.returncode == 2
    assert "sources.guidance.intervall" in result.stderr
    assert "allowed keys:" in result.stderr and "interval" in result.stderr


def test_unknown_source_lists_valid_keys(workdir: Path):
    result = lexwatch(workdir, "check", "nope")
    assert result.returncode == 2 and "valid keys: guidance" in result.stderr


def test_check_without_sources_is_a_usage_error(workdir: Path):
    result = lexwatch(workdir, "check")
    assert result.returncode == 2 and "--all" in result.stderr


@pytest.mark.parametrize("database", ["not-a-database", "in-a-file/x.db", "folder"])
def test_an_unusable_sqlite_database_is_exit_3_with_the_reason(workdir: Path, database: str):
    (workdir / "not-a-database").write_text("my notes, not SQLite\n")
    (workdir / "in-a-file").write_text("a file where a folder should be\n")
    (workdir / "folder").mkdir()
    url = f"sqlite:///{workdir / database}"
    for command in (["status"], ["check", "--all"], ["sources"]):
        result = lexwatch(workdir, *command, env={"LEXWATCH_DATABASE_URL": url})
        said = " ".join(result.stderr.split())
        assert result.returncode == 3, result.stderr
        assert said.startswith("database error: cannot use the") and "Traceback" not in said
        assert str(workdir / database.split("/")[0]) in said
    assert (workdir / "not-a-database").read_text() == "my notes, not SQLite\n"


LONG_URL = "https://no-such-host.invalid/" + "/".join(["artificial-intelligence"] * 6)


def test_an_unresolvable_host_is_said_once_and_sources_stay_one_line_each(workdir: Path):
    """Offline: one DNS failure per check, in the results; `sources` keeps one line per source
    and the whole URL when piped; `history` has the details."""
    with (workdir / "lexwatch.toml").open("a") as config:
        config.write(f'[sources.offline]\nurl = "{LONG_URL}"\nparser = "html"\n')
    checked = lexwatch(workdir, "check", "offline")
    assert checked.returncode == 1
    said = checked.stdout + checked.stderr
    dns = "could not resolve host 'no-such-host.invalid' (DNS: "
    assert " ".join(said.split()).count(dns) == 1, said
    assert "robots.txt" not in said and "ConnectTimeout" not in said

    listed = lexwatch(workdir, "sources")  # piped, as into grep or a file
    rows = [line for line in listed.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 2, listed.stdout
    [offline] = [row for row in rows if row.startswith("│ offline ")]
    assert LONG_URL in offline and "new (1 failed)" in offline
    assert dns not in listed.stdout  # the reason is in the history
    assert dns in " ".join(lexwatch(workdir, "history", "offline").stdout.split())

    data = {s["key"]: s for s in json.loads(lexwatch(workdir, "sources", "--json").stdout)}
    assert set(data) == {"guidance", "offline"}
    assert data["offline"]["url"] == LONG_URL and data["offline"]["failure_streak"] == 1
    assert data["offline"]["status"] == "new" and dns in data["offline"]["last_error"]
    assert data["guidance"]["status"] == "new" and data["guidance"]["tags"] == ["ai-act"]


def test_db_upgrade_and_stats(workdir: Path):
    assert f"revision {head_revision()}" in lexwatch(workdir, "db", "upgrade").stdout
    stats = lexwatch(workdir, "db", "stats").stdout
    assert "sources    1" in stats and "changes    0" in stats


def test_run_checks_on_schedule_and_stops_cleanly_on_sigterm(
    workdir: Path, replay_server: ReplayServer
):
    config = workdir / "lexwatch.toml"
    config.write_text(config.read_text().replace('interval = "1h"', "interval = 1"))
    env = clean_env(LOOPBACK)
    service = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--no-dashboard"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while replay_server.hits("/guidance") < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    service.send_signal(signal.SIGTERM)
    _, stderr = service.communicate(timeout=30)
    assert service.returncode == 0, stderr
    assert replay_server.hits("/guidance") >= 3
    assert "stopped" in stderr
    history = lexwatch(workdir, "history", "guidance").stdout
    assert "baseline" in history and "not_modified" in history


COUNTER = """<html><body><main><h1>Guidance</h1><p>Draft guidelines will be published in June.</p>
<p>This page was viewed {views} times since {since}.</p></main></body></html>"""


@pytest.mark.slow
def test_mark_noise_learns_an_ignore_rule(workdir: Path, replay_server: ReplayServer):
    replay_server.add(
        "/guidance",
        COUNTER.format(views=10, since="1 May"),
        COUNTER.format(views=25, since="1 May"),
        COUNTER.format(views=31, since="3 May"),
        COUNTER.format(views=40, since="3 May").replace(
            "will be published in June", "were published on 18 July 2025"
        ),
    )
    lexwatch(workdir, "check", "guidance")
    replay_server.set_version("/guidance", 1)
    lexwatch(workdir, "check", "guidance")
    [noise] = json.loads(lexwatch(workdir, "changes", "--json").stdout)

    marked = lexwatch(workdir, "changes", "mark-noise", str(noise["id"]), "--accept")
    assert marked.returncode == 0, marked.stderr
    assert "marked as noise" in marked.stdout and "ignore = [" in marked.stdout
    config = (workdir / "lexwatch.toml").read_text()
    assert "[sources.guidance]" in config and r"viewed \S+" in config
    assert json.loads(lexwatch(workdir, "changes", "--json").stdout)[0]["marked_noise"]

    replay_server.set_version("/guidance", 2)  # the same kind of churn: nothing to say
    quiet = lexwatch(workdir, "check", "guidance", "--json")
    assert json.loads(quiet.stdout)[0]["changes"] == []
    replay_server.set_version("/guidance", 3)  # a real change still shows
    real = json.loads(lexwatch(workdir, "check", "guidance", "--json").stdout)[0]
    assert [c["category"] for c in real["changes"]] == ["publication_added"]
    assert "18 July" in " ".join(real["changes"][0]["evidence"])


CONSULTATION = (Path(__file__).parent / "data/parsers/ds_page/consultation-open.html").read_text()


def test_deadlines_follow_the_page_and_export_to_icalendar(
    tmp_path: Path, replay_server: ReplayServer
):
    opened = CONSULTATION.replace("23 June 2026, 22:00 CET", "10 March 2027")
    extended = CONSULTATION.replace(
        "open until 23 June 2026, 22:00 CET",
        "open until 10 March 2027. The deadline has been extended to 24 March 2027",
    )
    url = replay_server.add("/en/consultations/targeted-consultation", opened, extended)
    (tmp_path / "lexwatch.toml").write_text(f"""
builtin_catalog = false
[http]
per_host_spacing = 0
[sources.consultation]
url = "{url}"
parser = "ds_page"
tags = ["consultation"]
""")
    lexwatch(tmp_path, "check", "consultation")
    [first] = json.loads(lexwatch(tmp_path, "deadlines", "--json").stdout)
    assert (first["kind"], first["due"]) == ("consultation", "2027-03-10T22:59:59+00:00")

    replay_server.set_version("/en/consultations/targeted-consultation", 1)
    checked = json.loads(lexwatch(tmp_path, "check", "consultation", "--json").stdout)[0]
    extended_change = [c for c in checked["changes"] if c["category"] == "deadline_extended"]
    assert extended_change and "24 March 2027" in extended_change[0]["summary"]

    shown = lexwatch(tmp_path, "deadlines", "--ics", "deadlines.ics")
    assert "2027-03-10 → 2027-03-24" in shown.stdout
    ics = (tmp_path / "deadlines.ics").read_text().replace("\r\n ", "").replace("\n ", "")
    assert "BEGIN:VCALENDAR" in ics and "DTEND:20270324T225959Z" in ics
    assert ics.count("BEGIN:VEVENT") == 1 and "was 2027-03-10" in ics
