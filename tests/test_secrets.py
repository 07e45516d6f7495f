"""Secrets are never logged nor stored: a real `lexwatch check` at DEBUG, then grep everything.

Every secret lexwatch can be given is set (Slack token, SMTP password, dashboard users and
API tokens, a webhook signing secret through ``secret_env``) and a source URL carries an API
key in its query. Two checks run (a baseline, then a change, so Changes and deliveries are
written and the webhook is called), and then the logs and every row of every table of the
SQLite database (compressed columns inflated) are searched for each secret value.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sources.fetch.fetcher import redact_url
from tests.processes import clean_env
from tests.servers.hostile import running

PAGE = "<main><h1>AI Office</h1><h2>News</h2><p>{}</p></main>"


def secrets() -> dict[str, str]:
    """Fresh values, so a match can only be a leak."""
    mark = uuid.uuid4().hex
    return {
        "LEXWATCH_ALERTS__SLACK_TOKEN": f"xoxb-{mark}-slack",
        "LEXWATCH_SMTP__PASSWORD": f"smtp-{mark}-password",
        "LEXWATCH_DASHBOARD__USERS": f"alice:dash-{mark}-password",
        "LEXWATCH_DASHBOARD__API_TOKENS": f"api-{mark}-token",
        "HOOK_SIGNING_SECRET": f"hook-{mark}-secret",
        "QUERY_API_KEY": f"query-{mark}-key",
    }


def lexwatch(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = clean_env()
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--log-level", "DEBUG", *args],
        cwd=cwd,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def database_text(path: Path, *, skip: tuple[str, str] | None = None) -> str:
    """Every value of every row of every table, compressed blobs inflated."""
    found: list[str] = []
    with sqlite3.connect(path) as db:
        tables = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            columns = [column[0] for column in cursor.description]
            for row in cursor:
                found.extend(
                    _as_text(value)
                    for column, value in zip(columns, row, strict=True)
                    if (table, column) != skip
                )
    return "\n".join(found)


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        try:
            value = zlib.decompress(value)
        except zlib.error:
            pass
        return value.decode("utf-8", "replace")
    return str(value)


@dataclass(frozen=True)
class Run:
    values: dict[str, str]
    source_url: str
    logs: str
    database: Path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Two real `lexwatch check --all` runs (baseline, then a change and its webhook)."""
    tmp_path = tmp_path_factory.mktemp("secrets")
    values = secrets()
    with running() as server:
        server.good("/doc", PAGE.format("The AI Office opened."))
        server.good("/hook", "ok", "text/plain")
        source_url = f"{server.url('/doc')}?lang=en&api_key={values['QUERY_API_KEY']}"
        (tmp_path / "lexwatch.toml").write_text(f"""
database_url = "sqlite:///{tmp_path / "lexwatch.db"}"
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
allowed_hosts = ["127.0.0.1"]
per_host_spacing = 0
retries = 0
[sources.office]
url = "{source_url}"
parser = "html"
[[subscriptions]]
name = "hook"
channel = "webhook"
target = "{server.url("/hook")}"
secret_env = "HOOK_SIGNING_SECRET"
""")
        env = {k: v for k, v in values.items() if k != "QUERY_API_KEY"}
        first = lexwatch(tmp_path, env, "check", "--all")
        server.good("/doc", PAGE.format("The AI Office opened a consultation on guidelines."))
        second = lexwatch(tmp_path, env, "check", "--all")
        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        assert server.hits("/doc") == 2 and server.hits("/hook") >= 1
    logs = "\n".join([first.stdout, first.stderr, second.stdout, second.stderr])
    yield Run(values=values, source_url=source_url, logs=logs, database=tmp_path / "lexwatch.db")


def leaks(run: Run, stored: str) -> list[tuple[str, str]]:
    return [
        (name, where)
        for name, value in run.values.items()
        for where, text in (("logs", run.logs), ("database", stored))
        if value in text
    ]


def test_no_secret_in_logs_or_database(run: Run) -> None:
    assert "DEBUG" in run.logs  # it did log at DEBUG
    stored = database_text(run.database, skip=("sources", "url"))
    assert "changed" in stored and "consultation" in stored  # a Change and its evidence
    assert leaks(run, stored) == []
    assert redact_url(run.source_url) in stored  # checks and items keep the URL, key masked


def test_source_url_is_stored_without_its_key(run: Run) -> None:
    assert leaks(run, database_text(run.database)) == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:pw@ex.eu/p?api_key=k1&page=2", "https://u:***@ex.eu/p?api_key=***&page=2"),
        (
            "https://ex.eu/p?accessToken=a&X-Amz-Signature=s&q=ai+act",
            "https://ex.eu/p?accessToken=***&X-Amz-Signature=***&q=ai+act",
        ),
        (
            "https://ex.eu/search?keyword=ai&uri=CELEX:32024R1689",
            "https://ex.eu/search?keyword=ai&uri=CELEX:32024R1689",
        ),
        ("https://ex.eu/p", "https://ex.eu/p"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
