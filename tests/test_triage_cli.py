"""`lexwatch config check` on roles, `lexwatch triage` and `lexwatch users` from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from storage.store import Store
from tests.triage_seed import add_event

CONFIG = """builtin_catalog = false
[sources.news]
url = "https://example.eu/news"
parser = "feed"
tags = ["ai-act"]
[dashboard.roles]
{roles}
"""


def write_config(tmp_path: Path, roles: str) -> Path:
    path = tmp_path / "lexwatch.toml"
    path.write_text(CONFIG.format(roles=roles))
    return path


@pytest.mark.parametrize(
    ("roles", "env", "message"),
    [
        (
            'mallory = "admin"',
            {"LEXWATCH_DASHBOARD__USERS": "alice:pw"},
            "dashboard.roles names user(s) 'mallory' that LEXWATCH_DASHBOARD__USERS does not"
            " define; configured users: alice",
        ),
        (
            'alice = "owner"',
            {"LEXWATCH_DASHBOARD__USERS": "alice:pw"},
            "dashboard.roles.alice: Input should be 'viewer', 'editor' or 'admin'",
        ),
        (
            'alice = "editor"',
            {"LEXWATCH_DASHBOARD__USERS": "alice:pw", "LEXWATCH_DASHBOARD__API_TOKENS": "alice:"},
            "the token bound to 'alice' is empty",
        ),
    ],
    ids=["unknown-user", "unknown-role", "empty-bound-token"],
)
def test_config_check_names_role_mistakes(
    tmp_path: Path, roles: str, env: dict[str, str], message: str
):
    path = write_config(tmp_path, roles)
    result = CliRunner().invoke(main, ["config", "check", "--config", str(path)], env=env)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_config_check_accepts_roles_and_masks_tokens(tmp_path: Path):
    path = write_config(tmp_path, 'alice = "admin"\nbob = "viewer"')
    env = {
        "LEXWATCH_DASHBOARD__USERS": "alice:pw,bob:pw",
        "LEXWATCH_DASHBOARD__API_TOKENS": "alice:secret-tok",
    }
    result = CliRunner().invoke(main, ["config", "check", "--config", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "secret-tok" not in result.output and 'alice = "admin"' in result.output


def test_triage_and_users_from_the_shell(tmp_path: Path):
    path = write_config(tmp_path, 'alice = "editor"')
    database = f"sqlite:///{tmp_path / 'lexwatch.db'}"
    env = {"LEXWATCH_DASHBOARD__USERS": "alice:pw,bob:pw", "LEXWATCH_DATABASE_URL": database}
    store = Store.open(database)
    event_id = add_event(store.engine, "Deadline moved")
    store.close()

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["--config", str(path), *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    run("triage", "assign", str(event_id), "bob", "--as", "alice")
    run("triage", "move", str(event_id), "in_review", "--as", "alice", "--version", "1")
    run("triage", "due", str(event_id), "2026-12-01", "--as", "bob")
    run("triage", "note", str(event_id), "Asked *legal*", "--as", "bob")
    stale = CliRunner().invoke(
        main,
        [
            "--config",
            str(path),
            "triage",
            "move",
            str(event_id),
            "actioned",
            "--as",
            "bob",
            "--version",
            "1",
        ],
        env=env,
    )
    assert stale.exit_code != 0 and "changed by someone else" in " ".join(stale.output.split())
    nobody = CliRunner().invoke(
        main, ["--config", str(path), "triage", "note", str(event_id), "x", "--as", "eve"], env=env
    )
    assert nobody.exit_code != 0 and "'eve' is not a dashboard user" in nobody.output

    log = json.loads(run("triage", "log", str(event_id), "--json"))
    assert [(e["actor"], e["action"]) for e in log] == [
        ("alice", "assign"),
        ("alice", "state"),
        ("bob", "due"),
        ("bob", "note"),
    ]
    listed = json.loads(
        run("triage", "list", "--state", "in_review", "--assignee", "bob", "--json")
    )
    assert [(e["id"], e["action_due"], e["version"]) for e in listed] == [
        (event_id, "2026-12-01", 4)
    ]

    run("users", "digest", "bob", "--email", "bob@example.eu", "--category", "deadline_extended")
    said = run("users")
    assert "alice  editor  no digest" in said and "bob  viewer  digest to bob@example.eu" in said
