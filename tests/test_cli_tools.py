"""`lexwatch record` and `lexwatch sources test` as a user runs them: a real process, a clean
environment, the loopback server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import LOOPBACK, clean_env
from tests.servers.replay import ReplayServer

PAGE = """<!DOCTYPE html><html><head><title>Guidance</title></head><body><main>
<h1>Guidance on [bold red]high-risk[/bold red] AI</h1>
<p>Draft guidelines will be published in June.</p>
<h2>Contact</h2><p>Write to ai-office@example.eu.</p><p>Or call us.</p><p>Or visit.</p>
<p>Or write a letter.</p></main></body></html>"""

FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>Digital strategy news</title><link>https://example.eu/</link>
<item><guid>https://example.eu/n/1</guid><title>AI Pact webinar</title>
<link>https://example.eu/n/1</link><description>Join the webinar.</description>
<pubDate>Mon, 01 Sep 2025 08:00:00 GMT</pubDate></item>
</channel></rss>"""

HYS = {
    "initiativeResultDtoPage": {
        "content": [
            {
                "id": 14765,
                "shortTitle": "AI regulatory sandboxes",
                "foreseenActType": "IMPLEMENTING_ACT",
                "currentStatuses": [
                    {
                        "receivingFeedbackStatus": "OPEN",
                        "feedbackEndDate": "2026/01/13 23:59:59",
                        "isCurrent": True,
                    }
                ],
            }
        ]
    }
}


def lexwatch(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = clean_env(LOOPBACK)
    env["COLUMNS"] = "400"  # no folded cells: the tests look for whole lines
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_sources_test_on_a_local_html_file(tmp_path: Path):
    (tmp_path / "page.html").write_text(PAGE)

    result = lexwatch(tmp_path, "sources", "test", "page.html", "--parser", "html")

    assert result.returncode == 0, result.stderr
    assert "2 item(s) · page · parser html" in result.stdout
    assert "Guidance on [bold red]high-risk[/bold red] AI > Contact" in result.stdout  # a key
    assert "Guidance on [bold red]high-risk[/bold red] AI" in result.stdout  # never markup
    assert "Draft guidelines will be published in June." in result.stdout
    assert "Or write a letter." not in result.stdout and "(1 more lines)" in result.stdout
    assert not (tmp_path / "lexwatch.db").exists()


def test_sources_test_json_with_options(tmp_path: Path):
    (tmp_path / "hys.json").write_text(json.dumps(HYS))

    result = lexwatch(
        tmp_path,
        "sources",
        "test",
        "hys.json",
        "--parser",
        "json",
        "--json",
        "--option",
        "items_path=initiativeResultDtoPage.content",
        "--option",
        "key_field=id",
        "--option",
        "title_field=shortTitle",
    )

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["kind"] == "listing" and shown["content_type"] == "application/json"
    [item] = shown["items"]
    assert (item["key"], item["title"]) == ("14765", "AI regulatory sandboxes")
    assert item["fields"]["currentStatuses.0.feedbackEndDate"] == "2026/01/13 23:59:59"


def test_sources_test_on_a_loopback_url(tmp_path: Path, replay_server: ReplayServer):
    url = replay_server.add("/feed.xml", FEED, content_type="application/rss+xml")

    result = lexwatch(tmp_path, "sources", "test", url, "--parser", "feed")

    assert result.returncode == 0, result.stderr
    assert "1 item(s) · feed · parser feed" in result.stdout
    assert "https://example.eu/n/1" in result.stdout and "AI Pact webinar" in result.stdout
    assert "published: 2025-09-01T08:00:00+00:00" in result.stdout
    assert replay_server.hits("/feed.xml") == 1


def test_sources_test_refuses_an_error_page(tmp_path: Path, replay_server: ReplayServer):
    url = replay_server.add("/page", PAGE)
    replay_server.fault("/page", "maintenance")

    result = lexwatch(tmp_path, "sources", "test", url, "--parser", "html")

    assert result.returncode == 1
    assert "error page served with 200" in result.stderr


def test_bad_parser_name_lists_the_valid_ones(tmp_path: Path):
    (tmp_path / "page.html").write_text(PAGE)

    result = lexwatch(tmp_path, "sources", "test", "page.html", "--parser", "htlm")

    assert result.returncode == 2
    assert "unknown parser 'htlm'; valid parsers:" in result.stderr
    assert "feed" in result.stderr and "html" in result.stderr


def test_a_parse_error_is_the_message_and_exit_1(tmp_path: Path):
    (tmp_path / "page.html").write_text(PAGE)

    result = lexwatch(tmp_path, "sources", "test", "page.html", "--parser", "feed")

    assert result.returncode == 1
    assert "error: not an RSS or Atom feed" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_option_names_the_valid_keys(tmp_path: Path):
    (tmp_path / "page.html").write_text(PAGE)

    result = lexwatch(
        tmp_path, "sources", "test", "page.html", "--parser", "html", "--option", "colour=red"
    )

    assert result.returncode == 2
    assert "'colour=red': use KEY=VALUE with KEY one of keep, drop" in result.stderr


@pytest.fixture
def workdir(tmp_path: Path, replay_server: ReplayServer) -> Path:
    replay_server.add("/guidance", PAGE)
    (tmp_path / "lexwatch.toml").write_text(f"""
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
per_host_spacing = 0
retries = 0
[sources.guidance]
url = "{replay_server.url("/guidance")}"
parser = "html"
[sources.missing]
url = "{replay_server.url("/missing")}"
parser = "html"
""")
    return tmp_path


def test_record_writes_the_recording_layout(workdir: Path):
    result = lexwatch(workdir, "record", "guidance", "--out", "rec")

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (workdir / "rec" / "guidance").iterdir()) == ["0.body", "0.json"]
    assert "guidance" in result.stdout and "1" in result.stdout
    assert not (workdir / "lexwatch.db").exists()  # recording needs no database


def test_record_refuses_a_failed_fetch_and_goes_on(workdir: Path):
    result = lexwatch(workdir, "record", "--all")

    assert result.returncode == 1
    assert "not recording missing: HTTP 404" in result.stdout
    assert (workdir / "recordings" / "guidance" / "0.json").exists()
    assert not (workdir / "recordings" / "missing").exists()


def test_record_usage_errors(workdir: Path):
    assert lexwatch(workdir, "record").returncode == 2
    unknown = lexwatch(workdir, "record", "nope")
    assert unknown.returncode == 2 and "valid keys: guidance, missing" in unknown.stderr


def test_record_then_check_offline_with_replay(workdir: Path, replay_server: ReplayServer):
    assert lexwatch(workdir, "record", "guidance", "--out", "rec").returncode == 0
    replay_server.stop()  # offline from here on

    first = lexwatch(workdir, "--replay", "rec", "check", "guidance", "--json")
    second = lexwatch(workdir, "--replay", "rec", "check", "guidance", "--json")

    assert first.returncode == 0, first.stderr
    assert [r["outcome"] for r in json.loads(first.stdout)] == ["baseline"]
    assert [r["outcome"] for r in json.loads(second.stdout)] == ["not_modified"]
