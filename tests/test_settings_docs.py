"""Every setting in the code is documented, and the shipped configurations load.

The settings are read from the models at test time, so a field added to any section must be
described (monitor/cli/init_config.py MEANINGS, or the field's description) and appear in the
README's "Configuration reference" (`lexwatch config reference` prints that section).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.app import resolve_sources
from monitor.cli.init_config import reference_markdown, render_template, settings_fields
from monitor.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings_fields()


def readme_reference() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Configuration reference\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, "README.md has no '## Configuration reference' section"
    return match.group(1)


def test_the_walk_finds_every_section():
    sections = {setting.section for setting in SETTINGS}
    assert {
        "",
        "http",
        "replay",
        "sources.*",
        "subscriptions.*",
        "smtp",
        "alerts",
        "dashboard",
        "retention",
    } <= sections
    assert len(SETTINGS) > 80


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.key for s in SETTINGS])
def test_every_setting_has_a_meaning(setting):
    assert setting.meaning, (
        f"{setting.key} is undocumented: describe it in MEANINGS in"
        " monitor/cli/init_config.py (or Field(description=...))"
    )


def test_every_setting_is_in_the_readme():
    reference = readme_reference()
    missing = [s.key for s in SETTINGS if f"`{s.key}`" not in reference]
    assert not missing, (
        "README.md's configuration reference lacks "
        f"{', '.join(missing)}; regenerate it with `lexwatch config reference`"
    )


def test_every_secret_is_documented_as_an_environment_variable():
    reference = reference_markdown()
    secrets = [s for s in SETTINGS if s.secret]
    assert {s.key for s in secrets} >= {
        "smtp.password",
        "alerts.slack_token",
        "dashboard.users",
        "dashboard.api_tokens",
        "dashboard.session_secret",
    }
    for setting in secrets:
        row = next(line for line in reference.splitlines() if f"`{setting.key}`" in line)
        assert "*secret*: environment only" in row and f"`{setting.env}`" in row


def test_the_example_config_loads_and_resolves(monkeypatch):
    monkeypatch.setenv("LEXWATCH_INTRANET_WEBHOOK_URL", "https://intranet.example.org/hook")
    monkeypatch.setenv("LEXWATCH_INTRANET_WEBHOOK_SECRET", "k")
    settings = load_settings(ROOT / "lexwatch.example.toml")
    sources = resolve_sources(settings)
    assert sources["my-ai-guidance"].options.keep == ("main",)
    assert sources["edpb-news"].enabled is False
    names = [sub.name for sub in settings.resolved_subscriptions()]
    assert names == ["ai-team", "legal-digest", "intranet"]


def test_the_init_template_loads_and_resolves(tmp_path: Path):
    path = tmp_path / "lexwatch.toml"
    path.write_text(render_template())
    settings = load_settings(path)
    assert resolve_sources(settings)
    assert settings.resolved_subscriptions({}) == []
