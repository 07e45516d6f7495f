"""Subscriptions and alert settings: a bad config stops lexwatch with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.app import resolve_sources, resolve_subscriptions
from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.types import Category, Channel, DeliveryMode, Severity


def settings_from(tmp_path: Path, text: str):
    path = tmp_path / "lexwatch.toml"
    path.write_text(text)
    return load_settings(path)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        settings = settings_from(tmp_path, text)
        resolve_subscriptions(settings, resolve_sources(settings))
    return str(caught.value)


def test_a_full_subscription_resolves(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOOK_URL", "https://hooks.slack.com/services/T/B/x")
    settings = settings_from(
        tmp_path,
        """
[[subscriptions]]
name = "urgent"
channel = "slack_webhook"
target_env = "HOOK_URL"
categories = ["consultation_opened", "deadline_extended"]
min_severity = "high"
tags = ["ai-act"]
sources = ["ds-ai-office"]
health = true
""",
    )
    [sub] = resolve_subscriptions(settings, resolve_sources(settings))
    assert sub.channel is Channel.SLACK_WEBHOOK and sub.mode is DeliveryMode.INSTANT
    assert sub.target == "https://hooks.slack.com/services/T/B/x"
    assert sub.categories == (Category.CONSULTATION_OPENED, Category.DEADLINE_EXTENDED)
    assert sub.min_severity is Severity.HIGH and sub.health


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            'name = "x"\nchannel = "teams"',
            "subscriptions.x.channel: Input should be 'slack', 'slack_webhook', 'email', 'webhook'"
            " or 'apprise'",
        ),
        (
            'name = "x"\nchannel = "webhook"\ntarget = "http://h/x"\nmin_severity = "urgent"',
            "subscriptions.x.min_severity: Input should be 'high', 'medium' or 'low'",
        ),
        (
            'name = "x"\nchannel = "webhook"\ntarget = "http://h/x"\ncategories = ["news"]',
            "subscriptions.x.categories.0: Input should be 'consultation_opened'",
        ),
        (
            'name = "x"\nchannel = "email"\nrecipients = ["legal"]',
            "subscriptions.x.recipients: Value error, 'legal' is not an e-mail address",
        ),
        (
            'name = "x"\nchannel = "email"\nrecipients = ["a@b.eu"]\ntimezone = "Brussels"',
            "subscriptions.x.timezone: Value error, 'Brussels' is not an IANA time zone",
        ),
        (
            'name = "x"\nchannel = "webhook"\ntarget = "http://h/x"\nfilter = "all"',
            "subscriptions.x.filter: Extra inputs are not permitted (allowed keys: categories,",
        ),
    ],
)
def test_invalid_values_name_the_key_and_the_allowed_values(
    tmp_path: Path, toml: str, message: str
):
    assert message in error_of(tmp_path, f"[[subscriptions]]\n{toml}\n")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            'name = "x"\nchannel = "webhook"',
            "subscriptions.x.target: channel 'webhook' needs a target",
        ),
        ('name = "x"\nchannel = "webhook"\ntarget = "ftp://h/x"', "webhook needs an http(s) URL"),
        (
            'name = "x"\nchannel = "email"',
            "subscriptions.x.recipients: an e-mail subscription needs",
        ),
        (
            'name = "x"\nchannel = "apprise"\ntarget_env = "NOPE"',
            "subscriptions.x.target_env: environment variable NOPE is not set",
        ),
        (
            'name = "x"\nchannel = "webhook"\ntarget = "http://h/x"\nsecret_env = "NOPE"',
            "subscriptions.x.secret_env: environment variable NOPE is not set",
        ),
        (
            'name = "x"\nchannel = "slack"\ntarget = "#a"\nmode = "digest"',
            "subscriptions.x.mode: 'digest' is for channel 'email'",
        ),
        (
            'name = "x"\nchannel = "webhook"\ntarget = "http://h/x"\nsources = ["nope"]',
            "subscriptions.x.sources: unknown source(s) 'nope'; valid keys:",
        ),
    ],
)
def test_incomplete_subscriptions_are_refused_at_start(tmp_path: Path, toml: str, message: str):
    settings = settings_from(tmp_path, f"[[subscriptions]]\n{toml}\n")
    with pytest.raises(ConfigError) as caught:
        resolve_subscriptions(settings, resolve_sources(settings))
    assert message in str(caught.value)


def test_subscription_names_are_unique(tmp_path: Path):
    text = '[[subscriptions]]\nname = "a"\nchannel = "apprise"\ntarget = "ntfy://t"\n' * 2
    assert "subscription names must be unique: a" in error_of(tmp_path, text)


@pytest.mark.parametrize(
    ("section", "key"), [("smtp", "password"), ("alerts", "slack_token"), ("dashboard", "users")]
)
def test_secrets_in_the_file_are_refused(tmp_path: Path, section: str, key: str):
    message = error_of(tmp_path, f'[{section}]\n{key} = "hunter2"\n')
    assert f"{section}.{key}" in message and "is a secret" in message
    assert f"LEXWATCH_{section.upper()}__{key.upper()}" in message and "hunter2" not in message


def test_secrets_come_from_the_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LEXWATCH_SMTP__PASSWORD", "hunter2")
    monkeypatch.setenv("LEXWATCH_ALERTS__SLACK_TOKEN", "xoxb-1")
    settings = settings_from(tmp_path, '[smtp]\nhost = "mail.example.eu"\n')
    assert settings.smtp.password.get_secret_value() == "hunter2"
    assert settings.alerts.slack_token.get_secret_value() == "xoxb-1"
    assert "hunter2" not in repr(settings) and "xoxb-1" not in repr(settings)
