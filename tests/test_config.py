from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.app import resolve_sources
from monitor.config import load_settings, parse_duration
from monitor.errors import ConfigError
from sources.catalog import CATALOG, builtin_sources

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lexwatch.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("given", "seconds"),
    [(90, 90), ("90", 90), ("30m", 1800), ("6h", 21600), ("1d", 86400), ("1.5h", 5400)],
)
def test_durations(given, seconds):
    assert parse_duration(given) == seconds


@pytest.mark.parametrize("bad", ["soon", "0", "-5m", "6 hours"])
def test_bad_durations_are_rejected(bad):
    with pytest.raises(ValueError, match="duration|too short"):
        parse_duration(bad)


def test_no_file_means_builtin_catalog_into_local_sqlite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite:///lexwatch.db"
    assert set(resolve_sources(settings)) == set(builtin_sources())


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    path = write(tmp_path, 'database_url = "sqlite:///from-file.db"\n[http]\ncontact = "a@b"\n')
    monkeypatch.setenv("LEXWATCH_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("LEXWATCH_HTTP__READ_TIMEOUT", "99")
    settings = load_settings(path)
    assert settings.database_url == "sqlite:///from-env.db"
    assert (settings.http.read_timeout, settings.http.contact) == (99, "a@b")
    assert "a@b" in settings.http.user_agent() and "lexwatch/" in settings.http.user_agent()


def test_override_retimes_and_disables_builtin_sources(tmp_path):
    path = write(
        tmp_path,
        '[sources.ds-rss]\ninterval = "30m"\ntags = ["x"]\n[sources.edpb-news]\nenabled = false\n',
    )
    sources = resolve_sources(load_settings(path))
    assert (sources["ds-rss"].interval, sources["ds-rss"].tags) == (1800, ("x",))
    assert sources["ds-rss"].url == builtin_sources()["ds-rss"].url
    assert sources["edpb-news"].enabled is False


def test_user_source_with_options(tmp_path):
    path = write(
        tmp_path,
        'builtin_catalog = false\n[sources.mine]\nurl = "https://x.eu/p"\n'
        'parser = "html"\nkeep = ["main"]\nignore = ["\\\\d+ views"]\n',
    )
    [source] = resolve_sources(load_settings(path)).values()
    assert (source.key, source.options.keep, source.options.ignore) == (
        "mine",
        ("main",),
        (r"\d+ views",),
    )
    assert source.interval == 6 * 3600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[sources.x]\nurl = "https://x.eu"\n', "needs at least 'url' and 'parser'"),
        ('[sources.x]\nurl = "https://x.eu"\nparser = "pdf"\n', "unknown parser 'pdf'; valid"),
        ('[sources.x]\nurl = "ftp://x.eu"\nparser = "html"\n', "is not an http(s) URL"),
        (
            '[sources.x]\nurl = "https://x.eu"\nparser = "html"\ninterval = "often"\n',
            "sources.x.interval",
        ),
        (
            '[sources.x]\nurl = "https://x.eu"\nparser = "html"\nignore = ["("]\n',
            "not a regular expression",
        ),
        (
            '[sources.x]\nurl = "https://x.eu"\nparser = "html"\nkeep = ["main >>"]\n',
            "sources.x: invalid CSS selector 'main >>'",
        ),
        ("[http]\ntimeout = 3\n", "http.timeout: Extra inputs are not permitted (allowed keys:"),
        ('databse_url = "x"\n', "databse_url"),
        ("[http\n", "not valid TOML"),
    ],
)
def test_config_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as raised:
        resolve_sources(load_settings(write(tmp_path, text)))
    assert message in str(raised.value)


def test_missing_named_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_example_config_loads():
    sources = resolve_sources(load_settings(ROOT / "lexwatch.example.toml"))
    assert {"my-ai-guidance", "my-json-listing", "ds-rss"} <= set(sources)


def test_catalog_keys_are_unique_and_documented_in_readme():
    keys = [source.key for source in CATALOG]
    assert len(keys) == len(set(keys))
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Sources\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.MULTILINE))
    assert documented == set(keys)
