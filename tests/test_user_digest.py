"""A dashboard user's own digest: stored changes routed to "user:<name>" by their choice of
tags, categories and severities, and sent by the App's dispatcher over real SMTP (aiosmtpd on
loopback) beside a digest of lexwatch.toml; turned off, nothing more is sent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from dashboard.roles import USER_NAME_MAX
from monitor.app import App
from monitor.config import DashboardSettings, Settings, SourceSettings, SubscriptionSettings
from monitor.errors import ConfigError
from monitor.types import Category, CheckOutcome, CheckRecord, Severity
from notifiers.outbox import DigestResult
from storage.subscriptions import UserDigest
from tests.servers.smtp import SmtpServer
from tests.test_outbox import OTHER, change

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def settings_for(database_url: str, smtp: SmtpServer) -> Settings:
    return Settings(
        database_url=database_url,
        builtin_catalog=False,
        sources={
            "ai-office": SourceSettings(
                url="https://example.eu/ai-office",
                parser="html",
                title="AI Office",
                tags=["ai-act"],
            ),
            "edpb": SourceSettings(
                url="https://example.eu/edpb", parser="html", title="EDPB", tags=["privacy"]
            ),
        },
        subscriptions=[
            SubscriptionSettings(
                name="team",
                channel="email",  # type: ignore[arg-type]
                recipients=["team@example.eu"],
                mode="digest",  # type: ignore[arg-type]
            )
        ],
        smtp={"host": smtp.host, "port": smtp.port, "security": "none"},  # type: ignore[arg-type]
        dashboard=DashboardSettings(users=SecretStr("vera:pw")),
    )


def store_changes(app: App, source: str, *changes: object) -> None:
    record = CheckRecord(
        source_key=source,
        started_at=T0,
        duration_ms=5,
        outcome=CheckOutcome.CHANGED,
        http_status=200,
        changes=changes,  # type: ignore[arg-type]
    )
    app.store.record(record, None)


def send_all(app: App) -> tuple[list[DigestResult], DigestResult]:
    async def run() -> tuple[list[DigestResult], DigestResult]:
        async with app.dispatcher() as dispatcher:
            return await dispatcher.send_user_digests(), await dispatcher.send_digest("team")

    return asyncio.run(run())


def test_a_users_digest_has_only_their_categories_over_real_smtp(
    database_url: str, smtp_server: SmtpServer
):
    app = App.start(settings_for(database_url, smtp_server))
    app.store.save_user_digest(
        UserDigest(
            user="vera",
            email="vera@example.eu",
            tags=("ai-act",),
            categories=(Category.DEADLINE_EXTENDED,),
            severities=(Severity.HIGH,),
        ),
        T0,
    )
    store_changes(
        app,
        "ai-office",
        change("a", category=Category.DEADLINE_EXTENDED, title="Deadline moved to 30 June"),
        change("b", category=Category.CONSULTATION_OPENED, title="Consultation opened"),
        change(
            "c",
            category=Category.DEADLINE_EXTENDED,
            severity=Severity.LOW,
            title="Minor date shuffle",
        ),
    )
    store_changes(
        app,
        "edpb",
        change("d", category=Category.DEADLINE_EXTENDED, title="EDPB deadline moved", source=OTHER),
    )

    users, team = send_all(app)
    assert [(r.subscription, r.sent, r.changes) for r in users] == [("user:vera", True, 1)]
    assert team.sent and team.changes == 4
    by_recipient = {mail.message["To"]: mail.message for mail in smtp_server.messages}
    assert set(by_recipient) == {"vera@example.eu", "team@example.eu"}
    mine = by_recipient["vera@example.eu"]
    body = mine.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Deadline moved to 30 June" in body
    for other in ("Consultation opened", "Minor date shuffle", "EDPB deadline moved"):
        assert other not in body
    assert mine["X-Lexwatch-Subscription"] == "user:vera"

    # Turned off: what waited is dropped, nothing more is sent.
    store_changes(app, "ai-office", change("e", category=Category.DEADLINE_EXTENDED))
    app.store.save_user_digest(UserDigest(user="vera", email="vera@example.eu", enabled=False), T0)
    store_changes(app, "ai-office", change("f", category=Category.DEADLINE_EXTENDED))
    users, _ = send_all(app)
    assert users == []
    assert [m.message["To"] for m in smtp_server.messages].count("vera@example.eu") == 1
    waiting = [d for d in app.store.deliveries(limit=500) if d.subscription == "user:vera"]
    assert {d.status for d in waiting} == {"sent", "skipped"}
    app.close()


def test_the_longest_user_name_allowed_gets_a_digest_and_a_longer_one_is_refused_at_start(
    database_url: str, smtp_server: SmtpServer
):
    """A user's digest is the subscription "user:NAME", stored in a column of 100 characters:
    a longer name would make PostgreSQL refuse every change that reaches the digest, and
    with it the check that found the change."""
    longest = "v" * USER_NAME_MAX
    settings = settings_for(database_url, smtp_server)
    settings.dashboard.users = SecretStr(f"{longest}:pw,{longest}w:pw")
    with pytest.raises(ConfigError, match=f"has {USER_NAME_MAX + 1} characters; at most"):
        App.start(settings)
    settings.dashboard.users = SecretStr(f"{longest}:pw")
    app = App.start(settings)
    try:
        app.store.save_user_digest(UserDigest(user=longest, email="v@example.eu"), T0)
        store_changes(app, "ai-office", change("a", category=Category.DEADLINE_EXTENDED))
        queued = {d.subscription for d in app.store.deliveries(limit=10)}
    finally:
        app.close()
    assert queued == {"team", f"user:{longest}"}
