"""The JSON API, the feeds and /healthz, /metrics against their own OpenAPI document, by an
independent client: schemathesis (`st run`, every check, bounded and seeded examples) against
the dashboard served by uvicorn on loopback over a seeded database.

It fails on any 5xx, any status the document does not list, any body that does not match its
schema, and any valid request refused or invalid one accepted, so a client generated from
/api/openapi.json accepts every real answer. Three set-ups cover the answers an API client
can meet: with an API token, reading behind a login (401), and without tokens (403).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.api_seed import NOW, make_app, seed
from tests.servers.dashboard import RecordingChecker, served

TOKEN = "tok-contract-7f3e"
SEED = "20261120"
# A run takes 15-70 s on a busy 2-core machine; the suite's 120 s per test is too tight.
pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


def schemathesis(base_url: str, workdir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "run",
        f"{base_url}/api/openapi.json",
        "--checks",
        "all",
        "--seed",
        SEED,
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--generation-allow-x00",
        "true",
        *options,
    ]
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )


def assert_conforms(result: subprocess.CompletedProcess[str]) -> None:
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found problems:\n{report[-12_000:]}"
    # 15 of changes, sources, deadlines, deliveries; 3 of events; 6 of triage; 3 of exports.
    assert " passed" in report and "27 selected / 27 total" in report, report[-4_000:]


def test_every_answer_with_a_token_matches_the_document(database_url: str, tmp_path: Path):
    # Bound to an editor (no roles table: every user is an admin), so triage writes are reached.
    app = make_app(database_url, api_tokens=f"ana:{TOKEN}", users="ana:pw-contract")
    seed(app.store)
    checker = RecordingChecker()
    try:
        with served(app, clock=lambda: NOW, checker=checker) as base_url:
            result = schemathesis(
                base_url,
                tmp_path,
                "--max-examples",
                "25",
                "--header",
                f"Authorization: Bearer {TOKEN}",
            )
    finally:
        app.close()
    assert_conforms(result)
    assert checker.checked, "schemathesis never got to check a source now"


@pytest.mark.parametrize(
    "dashboard",
    [
        pytest.param({"login_required": True, "api_tokens": TOKEN}, id="login-required"),
        pytest.param({}, id="no-tokens"),
    ],
)
def test_refusals_match_the_document(dashboard: dict[str, object], tmp_path: Path):
    """401 (reading needs a login or token) and 403 (no tokens set up) are documented too."""
    app = make_app(f"sqlite:///{tmp_path / 'lexwatch.db'}", **dashboard)
    seed(app.store)
    try:
        with served(app, clock=lambda: NOW) as base_url:
            result = schemathesis(base_url, tmp_path, "--max-examples", "10")
    finally:
        app.close()
    assert_conforms(result)
