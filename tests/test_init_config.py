"""`lexwatch init` writes every setting, commented; `lexwatch config check` validates and masks."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.app import resolve_sources
from monitor.cli import main
from monitor.cli.init_config import render_template, settings_fields
from monitor.config import Settings, load_settings

# A line of the template that becomes real TOML when its "# " is removed.
_CODE = re.compile(r"^# (\[\[?[A-Za-z0-9_.-]+\]\]?|[a-z_]+ = .*)$")

SECRETS = {
    "LEXWATCH_SMTP__PASSWORD": "smtp-pass-4f1e",
    "LEXWATCH_ALERTS__SLACK_TOKEN": "xoxb-slack-token-77aa",
    "LEXWATCH_DASHBOARD__USERS": "alice:dash-pass-19c2",
    "LEXWATCH_DASHBOARD__API_TOKENS": "api-token-a1,api-token-b2",
    "LEXWATCH_DASHBOARD__SESSION_SECRET": "session-secret-5d5d",
    "TEAM_HOOK": "https://hooks.slack.com/services/T000/B000/hook-secret-0b0b",
    "SIGNING_KEY": "hmac-key-9e9e",
}


def lexwatch(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def uncommented(template: str) -> str:
    """The template with every setting and example table switched on."""
    return "\n".join(line[2:] if _CODE.match(line) else line for line in template.splitlines())


def test_init_writes_a_template_that_loads_as_the_defaults(tmp_path: Path):
    path = tmp_path / "lexwatch.toml"
    result = lexwatch("init", str(path))
    assert result.exit_code == 0, result.output
    assert f"wrote {path}" in result.output
    settings = load_settings(path)
    # Everything is commented out: the file means exactly the defaults.
    assert settings == Settings()
    assert resolve_sources(settings)


def test_init_refuses_to_overwrite_without_force(tmp_path: Path):
    path = tmp_path / "lexwatch.toml"
    path.write_text('database_url = "sqlite:///mine.db"\n')
    result = CliRunner().invoke(main, ["init", str(path)])
    assert result.exit_code == 2
    assert "already exists; use --force" in " ".join(result.output.split())
    assert path.read_text() == 'database_url = "sqlite:///mine.db"\n'
    assert lexwatch("init", str(path), "--force").exit_code == 0
    assert path.read_text() == render_template()


def test_the_template_lists_every_setting_with_its_meaning():
    template = render_template()
    for setting in settings_fields():
        assert setting.meaning and _wrapped_in(setting.meaning, template), setting.key
        if setting.secret:
            # Only the variable to set, never a line that could carry a value.
            assert _wrapped_in(f"Secret: set {setting.env} in the environment", template), (
                setting.key
            )
            assert not re.search(rf"^# {setting.name} =", template, re.M), setting.key
        else:
            assert re.search(rf"^# {setting.name} = ", template, re.M), setting.key


def _wrapped_in(text: str, template: str) -> bool:
    flat = " ".join(line.removeprefix("#").strip() for line in template.splitlines())
    return " ".join(text.split()) in flat


def test_every_line_of_the_template_switched_on_is_a_valid_config(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LEXWATCH_TEAM_WEBHOOK_URL", "https://hooks.example.org/x")
    monkeypatch.setenv("LEXWATCH_WEBHOOK_SECRET", "k")
    path = tmp_path / "lexwatch.toml"
    path.write_text(uncommented(render_template()))
    data = tomllib.loads(path.read_text())
    settings = load_settings(path)
    sources = resolve_sources(settings)
    assert sources["my-ai-guidance"].url == "https://example.org/ai/guidance"
    assert sources["edpb-news"].enabled is False
    [subscription] = settings.resolved_subscriptions()
    assert subscription.target == "https://hooks.example.org/x"  # target_env wins
    # Each top-level and section value shown is the value loaded.
    assert data["http"]["read_timeout"] == settings.http.read_timeout == 30.0
    assert settings.default_interval == 6 * 3600
    assert settings.retention.run_at.isoformat() == "03:30:00"


def _secret_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "lexwatch.toml"
    path.write_text("""
database_url = "postgresql://lexwatch:db-pass-3c3c@db.internal:5432/lexwatch"
builtin_catalog = false
[sources.office]
url = "https://example.org/office"
parser = "html"
[[subscriptions]]
name = "team"
channel = "slack_webhook"
target_env = "TEAM_HOOK"
[[subscriptions]]
name = "hook"
channel = "webhook"
target = "https://receiver.example.org/lexwatch/in/token-in-path-6a6a"
secret_env = "SIGNING_KEY"
""")
    return path, dict(SECRETS)


def test_config_check_prints_the_effective_settings_with_secrets_masked(tmp_path: Path):
    path, env = _secret_env(tmp_path)
    env["LEXWATCH_HTTP__CONTACT"] = "mailto:ops@example.org"
    result = lexwatch("config", "check", "--config", str(path), env=env)
    assert result.exit_code == 0, result.output
    for secret in [*SECRETS.values(), "db-pass-3c3c", "token-in-path-6a6a", "api-token-a1"]:
        assert secret not in result.output
    shown = tomllib.loads(result.output)  # the output is TOML, comments aside
    assert shown["http"]["contact"] == "mailto:ops@example.org"  # the environment applied
    assert shown["smtp"]["password"] == "********"
    assert shown["alerts"]["slack_token"] == "********"
    assert {shown["dashboard"][k] for k in ("users", "api_tokens", "session_secret")} == {
        "********"
    }
    assert shown["database_url"] == "postgresql://lexwatch:***@db.internal:5432/lexwatch"
    team, hook = shown["subscriptions"]
    assert team["target"] == "********" and team["target_env"] == "TEAM_HOOK"
    assert hook["target"] == "https://receiver.example.org/********"
    assert shown["sources"]["office"] == {"url": "https://example.org/office", "parser": "html"}
    assert "1 sources (1 enabled), 2 subscription(s): configuration OK" in result.output


@pytest.mark.parametrize(
    "config, env, message",
    [
        (
            "[http]\ncontact = 'x'\ntimeout = 3\n",
            {},
            "http.timeout: Extra inputs are not permitted",
        ),
        ("[sources.x]\nurl = 'https://e.org'\nparser = 'nope'\n", {}, "unknown parser 'nope'"),
        (
            "[[subscriptions]]\nname = 'a'\nchannel = 'slack_webhook'\ntarget_env = 'HOOK'\n",
            {},
            "environment variable HOOK is not set",
        ),
        ("database_url = 'mysql://x@y/z'\n", {}, "use sqlite:///FILE or postgresql://"),
        ("[dashboard]\nport = 0\n", {}, "dashboard.port"),
        ("", {"LEXWATCH_HTTP__RETRIES": "many"}, "http.retries"),
        ("[http\n", {}, "is not valid TOML"),
    ],
    ids=[
        "unknown-key",
        "bad-parser",
        "unset-target-env",
        "bad-database",
        "bad-port",
        "bad-env-value",
        "bad-toml",
    ],
)
def test_config_check_rejects_an_invalid_config_with_exit_2(
    tmp_path: Path, config: str, env: dict[str, str], message: str
):
    path = tmp_path / "lexwatch.toml"
    path.write_text(config)
    result = CliRunner().invoke(main, ["config", "check", "--config", str(path)], env=env)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert said.startswith("configuration error") and message in said


def test_config_check_refuses_what_a_start_refuses(tmp_path: Path):
    """One validation: a subscription naming an unknown source stops `run`, so `config check`
    says so too, instead of "configuration OK"."""
    path = tmp_path / "lexwatch.toml"
    path.write_text(
        "builtin_catalog = false\n[sources.news]\nurl = 'https://example.eu/'\n"
        "parser = 'feed'\n[[subscriptions]]\nname = 'team'\nchannel = 'webhook'\n"
        "target_env = 'HOOK'\nsources = ['news', 'nope']\n"
    )
    checked = CliRunner().invoke(
        main,
        ["config", "check", "--config", str(path)],
        env={"HOOK": "https://receiver.example.org/in"},
    )
    started = CliRunner().invoke(
        main,
        ["--config", str(path), "status"],
        env={
            "HOOK": "https://receiver.example.org/in",
            "LEXWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        },
    )
    for result in (checked, started):
        said = " ".join(result.output.split())
        assert result.exit_code == 2, result.output
        assert "subscriptions.team.sources: unknown source(s) 'nope'; valid keys: news" in said


def test_config_check_masks_an_apprise_url_from_the_environment(tmp_path: Path):
    path = tmp_path / "lexwatch.toml"
    path.write_text("builtin_catalog = false\n")
    env = {
        "LEXWATCH_SUBSCRIPTIONS": '[{"name": "phone", "channel": "apprise",'
        ' "target": "tgram://123456:AAE-bot-token-8c8c/4242"}]'
    }
    result = lexwatch("config", "check", "--config", str(path), env=env)
    assert result.exit_code == 0, result.output
    assert "bot-token-8c8c" not in result.output and "4242" not in result.output
    assert tomllib.loads(result.output)["subscriptions"][0]["target"] == "tgram://********"


@pytest.mark.parametrize(
    "channel, target, what",
    [
        ("apprise", "tgram://123456:AAE-bot-token-8c8c/4242", "an Apprise URL with credentials"),
        ("apprise", "mailto://ops:mail-pass-8c8c@example.org", "an Apprise URL with credentials"),
        ("apprise", "discord://1234/webhook-token-8c8c", "an Apprise URL with credentials"),
        (
            "slack_webhook",
            "https://hooks.slack.com/services/T0/B0/hook-8c8c",
            "a Slack incoming-webhook URL",
        ),
    ],
)
def test_a_secret_target_written_in_the_file_is_refused(
    tmp_path: Path, channel: str, target: str, what: str
):
    """As every other secret: the error names the environment variable to use instead, and
    never repeats the secret."""
    path = tmp_path / "lexwatch.toml"
    path.write_text(
        f"[[subscriptions]]\nname = 'phone-alerts'\nchannel = '{channel}'\ntarget = '{target}'\n"
    )
    result = CliRunner().invoke(main, ["config", "check", "--config", str(path)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    # Without the spaces: the console cuts a path longer than its width (pytest-xdist's
    # temporary folders are) at any character, not at a space.
    expected = f"subscriptions.phone-alerts.target in {path} is {what}, a secret"
    assert "".join(expected.split()) in "".join(said.split())
    assert 'target_env = "LEXWATCH_PHONE_ALERTS_URL"' in said and "8c8c" not in said


def test_an_apprise_url_without_credentials_may_stay_in_the_file(tmp_path: Path):
    path = tmp_path / "lexwatch.toml"
    path.write_text(
        "builtin_catalog = false\n[[subscriptions]]\nname = 'desk'\n"
        "channel = 'apprise'\ntarget = 'ntfy://lexwatch-desk'\n"
    )
    result = lexwatch("config", "check", "--config", str(path))
    assert result.exit_code == 0 and "ntfy://********" in result.output


def test_config_check_of_a_missing_file_is_a_clear_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "no.toml"), "config", "check"])
    assert result.exit_code == 2
    assert "no.toml does not exist" in " ".join(result.output.split())
