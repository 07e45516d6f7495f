"""The real built-in catalog, end to end and offline: every entry's URL, parser and options
run through the replay server on the loopback, with a document in its publisher's format."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.tools.record import write_recording
from monitor.types import Fetched
from sources.catalog import CATALOG
from sources.parsers import PAGERS, PARSERS
from tests.processes import clean_env

DATA = Path(__file__).parent / "data" / "parsers"
# A document in each parser's format (the golden fixtures, which say what is real in them).
SAMPLE = {
    "feed": ("feed/ds-rss-drupal.xml", "application/rss+xml"),
    "eurlex_feed": ("eurlex_feed/oj-l-feed.xml", "application/rss+xml"),
    "ds_page": ("ds_page/consultation-open.html", "text/html; charset=utf-8"),
    "html": ("html/ds-ai-office-policy.html", "text/html; charset=utf-8"),
    "hys_search": ("hys_search/search-current-shape.json", "application/json"),
    "hys_initiative": ("hys_initiative/initiative-detail.json", "application/json"),
    "eurlex_act": ("eurlex_act/oj-act-excerpt.xhtml", "application/xhtml+xml"),
    "eurlex_docinfo": ("eurlex_docinfo/aiact-docinfo.html", "text/html; charset=utf-8"),
    "oeil_procedure": ("oeil_procedure/procedure-file.html", "text/html; charset=utf-8"),
}


def test_every_catalog_parser_is_registered_and_sampled():
    assert {source.parser for source in CATALOG} <= set(PARSERS)
    assert {source.parser for source in CATALOG} <= set(SAMPLE)
    assert len(CATALOG) >= 15


def record_catalog(directory: Path) -> None:
    """A recording of every catalog source, with all the pages its pager asks for."""
    for source in CATALOG:
        name, content_type = SAMPLE[source.parser]
        content = (DATA / name).read_bytes()
        urls, pager = [source.url], PAGERS.get(source.parser)
        while pager and (following := pager(content, urls[-1], source.options)):
            urls.append(following)
        pages = [
            Fetched(
                url=url,
                final_url=url,
                status=200,
                headers={"content-type": content_type},
                content=content,
                content_type=content_type,
                etag=None,
                last_modified=None,
                fetched_at=datetime.now(UTC),
                elapsed=0.0,
            )
            for url in urls
        ]
        write_recording(directory / source.key, source.key, pages)


def lexwatch(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_the_builtin_catalog_runs_offline_through_replay(tmp_path: Path):
    record_catalog(tmp_path / "recordings")
    first = lexwatch(tmp_path, "--replay", "recordings", "check", "--all", "--json")
    results = {row["source"]: row for row in json.loads(first.stdout)}
    assert set(results) == {source.key for source in CATALOG}, first.stderr
    failed = {key: row["error"] for key, row in results.items() if row["outcome"] != "baseline"}
    assert failed == {}
    assert first.returncode == 0

    again = json.loads(
        lexwatch(tmp_path, "--replay", "recordings", "check", "--all", "--json").stdout
    )
    assert {row["outcome"] for row in again} == {"not_modified"}
    listed = lexwatch(tmp_path, "sources").stdout
    assert "failing" not in listed and listed.count(" ok") >= len(CATALOG) // 2


def test_builtin_sources_name_english_and_added_ones_the_declared_language(tmp_path: Path):
    """A redirect of a built-in English page to another language version is a failed check;
    a source the user adds without `language` is read in the language its pages declare."""
    from monitor.app import resolve_sources
    from monitor.config import load_settings
    from sources.catalog import builtin_sources

    assert {s.options.language for s in builtin_sources().values()} == {"en"}
    config = tmp_path / "lexwatch.toml"
    config.write_text('[sources.cnil]\nurl = "https://www.cnil.fr/fr/ia"\nparser = "html"\n')
    sources = resolve_sources(load_settings(config))
    assert sources["cnil"].options.language is None
    assert sources["eurlex-ai-act"].options.language == "en"
