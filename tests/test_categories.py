"""One registry of categories (monitor.types.CATEGORIES), and every consumer covers all of it.

Each test takes every category in turn and asks a consumer what it makes of it: the
classifier's severity, the label each channel shows, the dashboard's badge, colour and
filter, the API's and the webhook's schemas, the evaluation, the README's table. A category
added to the registry and forgotten by a consumer fails here, not when its first alert is
sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from dashboard import views
from dashboard.app import create_app
from dashboard.categories import category_css
from monitor.analysis.classify import severity_of
from monitor.config import SubscriptionSettings
from monitor.tools.evaluate import build_report
from monitor.types import (
    CATEGORIES,
    Alert,
    AlertChange,
    Category,
    CategoryInfo,
    Digest,
    Severity,
)
from notifiers.apprise_channel import apprise_message
from notifiers.render import group_changes, render_alert_email, render_digest
from notifiers.slack import slack_message
from notifiers.webhook import webhook_payload
from storage.browse import HIDDEN_CATEGORIES
from tests.dashboard_pages_seed import database_path, start
from tests.notify_alerts import change_alert

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
EVERY = list(Category)


def alert_about(category: Category) -> Alert:
    alert = change_alert()
    assert alert.change is not None
    return replace(
        alert, change=replace(alert.change, category=category, severity=category.severity)
    )


def test_every_category_is_in_the_registry_with_all_it_needs():
    assert list(CATEGORIES) == EVERY
    labels = [category.label for category in EVERY]
    colours = [category.info.colour for category in EVERY]
    assert len(set(labels)) == len(labels) and len(set(colours)) == len(colours)
    for category in EVERY:
        info = CATEGORIES[category]
        assert info.label and info.description, category
        assert re.fullmatch(r"#[0-9a-f]{6}", info.colour), category
        assert not info.instant or info.alertable, category  # instant implies alerted
    assert sum(category.named for category in EVERY) == 10  # the shared taxonomy


@pytest.mark.parametrize("category", EVERY, ids=str)
def test_the_classifier_gives_the_registrys_severity(category: Category):
    assert severity_of(category) is CATEGORIES[category].severity


@pytest.mark.parametrize("category", EVERY, ids=str)
def test_every_channel_words_the_category_as_the_registry_does(category: Category):
    alert = alert_about(category)
    label = category.label
    text, blocks = slack_message(alert)
    assert label in text and label in json.dumps(blocks, ensure_ascii=False)
    for markdown in (True, False):
        title, body = apprise_message(alert, markdown_format=markdown)
        assert label in title + body
    email = render_alert_email(alert)
    assert label in email.subject + email.text and label in email.html
    assert webhook_payload(alert)["change"]["category"] == category.value


def test_a_digest_groups_every_category_under_its_label():
    changes = tuple(
        replace(change_of(category), id=n)
        for n, category in enumerate(c for c in EVERY if c.alertable)
    )
    digest = Digest(
        subscription="all",
        period_start=NOW,
        period_end=NOW,
        timezone="Europe/Brussels",
        changes=changes,
        sources={},
        deadlines=(),
    )
    groups = group_changes(digest, ZoneInfo("Europe/Brussels"), None)
    assert sorted(group.label for group in groups) == sorted(c.label for c in EVERY if c.alertable)
    assert all(c.label in render_digest(digest).text for c in EVERY if c.alertable)


def change_of(category: Category) -> AlertChange:
    change = alert_about(category).change
    assert change is not None
    return change


def test_the_webhook_schema_lists_every_category_in_the_registrys_order():
    schema = json.loads((ROOT / "notifiers" / "webhook_schema.json").read_text())
    enums = [
        node["enum"]
        for node in _walk(schema)
        if "enum" in node and "consultation_opened" in node["enum"]
    ]
    assert enums == [[category.value for category in EVERY]]
    severities = [
        node["enum"] for node in _walk(schema) if "enum" in node and "high" in node["enum"]
    ]
    assert severities == [[severity.value for severity in Severity]]


def _walk(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_subscriptions_may_filter_on_every_category_and_hidden_ones_are_never_alerted():
    settings = SubscriptionSettings(
        name="all",
        channel="webhook",
        target="https://x.eu/hook",
        categories=[category.value for category in EVERY],
    )
    assert settings.categories == EVERY
    assert set(HIDDEN_CATEGORIES) == {c.value for c in EVERY if not c.alertable}


def test_the_evaluation_scores_the_named_categories():
    report = build_report([])
    assert list(report.per_category) == [c for c in EVERY if c.named]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    app = start(database_path(tmp_path_factory.mktemp("categories")))
    with TestClient(create_app(app, clock=lambda: NOW)) as test_client:
        yield test_client
    app.close()


def test_the_dashboard_colours_every_category_from_the_registry(client: TestClient):
    answer = client.get("/categories.css")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/css")
    assert answer.text == category_css()
    for category in EVERY:
        colour = category.info.colour
        assert re.search(
            rf"\.cat-{category.value} {{ background: {colour}; fill: {colour};", answer.text
        ), category
    assert '<link rel="stylesheet" href="/categories.css">' in client.get("/").text


def test_the_dashboard_labels_and_filters_every_category(client: TestClient):
    page = client.get("/").text
    for category in EVERY:
        assert views.category_label(category.value) == category.label
        assert f'<option value="{category.value}"' in page, category
        assert f">{category.label}</option>" in page, category
    options = client.app.state.lexwatch.store.reader.filter_options()
    assert options.categories == [c.value for c in EVERY]


def test_the_api_accepts_and_documents_every_category(client: TestClient):
    document = client.get("/api/openapi.json").json()
    enums = [
        node["enum"]
        for node in _walk(document)
        if "enum" in node and "consultation_opened" in node["enum"]
    ]
    assert enums and all(enum == [c.value for c in EVERY] for enum in enums)
    for category in EVERY:
        assert (
            client.get("/api/v1/changes", params={"category": category.value}).status_code == 200
        ), category


README_ROW = re.compile(r"^\| `(?P<name>[a-z_]+)` \| .* \|$", re.MULTILINE)


def readme_rows() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## What a change means", 1)[1]
    return [match.group(0) for match in README_ROW.finditer(section.split("\n## ", 1)[0])]


def readme_row(name: str, info: CategoryInfo) -> str:
    """The README's row for a category: what the registry says of it."""
    alerted = (
        "instant and digest"
        if info.instant
        else "digest only"
        if info.alertable
        else "never (stored for the record)"
    )
    return f"| `{name}` | {info.label} | {info.severity.value} | {alerted} | {info.description} |"


def test_the_readme_table_is_the_registry():
    expected = [readme_row(category.value, category.info) for category in EVERY]
    assert readme_rows() == expected, "\n".join(expected)
