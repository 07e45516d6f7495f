"""Alerts as a user drives them: `lexwatch check` sends, `deliveries`, `notify test`, `digest`.

Real processes against the loopback replay server, a local webhook receiver and a real SMTP
server (aiosmtpd).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from pathlib import Path

import pytest

from storage.models import DeliveryRow
from storage.store import Store
from tests import test_overlapping_checks as overlapping
from tests.servers.receiver import Received, Receiver, receiver_fixture  # noqa: F401
from tests.servers.replay import ReplayServer
from tests.servers.smtp import SmtpServer
from tests.test_cli import V1, V2, lexwatch

SECRET = "whsec-test-4f1d"


def delivered(receiver: Receiver) -> list[Received]:
    """The POSTs the receiver accepted (it answers 503 to those the test queued it to)."""
    return [request for request in receiver.requests if request.status < 300]


def payloads(receiver: Receiver) -> list[dict]:
    return [json.loads(request.body) for request in delivered(receiver)]


def run(workdir: Path, *args: str):
    return lexwatch(workdir, *args, env={"LEXWATCH_HOOK_SECRET": SECRET})


@pytest.fixture
def workdir(
    tmp_path: Path, replay_server: ReplayServer, receiver: Receiver, smtp_server: SmtpServer
) -> Path:
    replay_server.add("/guidance", V1, V2)
    (tmp_path / "lexwatch.toml").write_text(f"""
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
per_host_spacing = 0
allow_private_addresses = true
[alerts]
backoff_base = 0
[smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
[sources.guidance]
title = "National AI guidance"
url = "{replay_server.url("/guidance")}"
parser = "html"
tags = ["ai-act"]

[[subscriptions]]
name = "hook"
channel = "webhook"
target = "{receiver.url()}"
secret_env = "LEXWATCH_HOOK_SECRET"

[[subscriptions]]
name = "daily"
channel = "email"
mode = "digest"
recipients = ["legal@example.eu"]
""")
    return tmp_path


def test_check_sends_its_alerts_and_a_later_run_sends_what_an_outage_held_back(
    workdir: Path, replay_server: ReplayServer, receiver: Receiver
):
    assert run(workdir, "check", "guidance").returncode == 0  # baseline: nothing to say
    assert receiver.requests == []
    replay_server.set_version("/guidance", 1)
    receiver.answer(503)  # the webhook is down for this run's one attempt
    changed = run(workdir, "check", "guidance")
    assert changed.returncode == 0, changed.stderr
    assert delivered(receiver) == []
    pending = json.loads(run(workdir, "deliveries", "--json").stdout)
    assert {(d["subscription"], d["status"]) for d in pending} == {
        ("hook", "pending"),
        ("daily", "pending"),
    }
    # The process that stored the change is gone; the next run sends what it owed.
    assert run(workdir, "check", "guidance").returncode == 0
    [sent] = delivered(receiver)
    payload = json.loads(sent.body)
    assert payload["kind"] == "change" and payload["change"]["category"] == "publication_added"
    [event] = json.loads(run(workdir, "events", "--json").stdout)
    assert payload["change"]["event_id"] == event["id"]
    signed = f"{sent.headers['x-lexwatch-timestamp']}.".encode() + sent.body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert sent.headers["x-lexwatch-signature"] == f"sha256={expected}"


def test_notify_test_sends_a_sample_through_the_outbox(workdir: Path, receiver: Receiver):
    result = run(workdir, "notify", "test", "hook")
    assert result.returncode == 0, result.stderr
    assert "test alert sent to hook" in result.stdout
    assert [p["kind"] for p in payloads(receiver)] == ["test"]
    unknown = run(workdir, "notify", "test", "nope")
    assert unknown.returncode == 2 and "valid names: hook, daily" in unknown.stderr


def test_notify_test_reports_a_failure(workdir: Path, receiver: Receiver):
    receiver.answer(503)
    result = run(workdir, "notify", "test", "hook")
    assert result.returncode == 1 and "503" in result.stderr


def test_digest_preview_then_send(
    workdir: Path, replay_server: ReplayServer, smtp_server: SmtpServer
):
    run(workdir, "check", "guidance")
    replay_server.set_version("/guidance", 1)
    run(workdir, "check", "guidance")
    preview = run(workdir, "digest", "--preview", "--out", str(workdir))
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.startswith("Subject: 1 publication added — lexwatch digest")
    assert "National AI guidance" in preview.stdout
    assert "<html" in (workdir / "digest-daily.html").read_text()
    assert smtp_server.messages == []  # a preview sends nothing and keeps the queue
    sent = run(workdir, "digest", "daily", "--send")
    assert sent.returncode == 0 and "digest daily: sent, 1 change(s)" in sent.stdout
    assert len(smtp_server.messages) == 1
    again = run(workdir, "digest", "--send")
    assert "nothing to send" in again.stdout and len(smtp_server.messages) == 1


def test_a_users_digest_preview_is_written_under_a_portable_file_name(
    workdir: Path, replay_server: ReplayServer
):
    """``user:bob`` as ``digest-user-bob.html``: a colon is no file name on Windows."""
    users = {"LEXWATCH_DASHBOARD__USERS": "bob:pw-41c8", "LEXWATCH_HOOK_SECRET": SECRET}
    run(workdir, "check", "guidance")
    replay_server.set_version("/guidance", 1)
    run(workdir, "check", "guidance")
    saved = lexwatch(workdir, "users", "digest", "bob", "--email", "bob@example.org", env=users)
    assert saved.returncode == 0, saved.stderr
    preview = lexwatch(workdir, "digest", "user:bob", "--preview", env=users)
    assert preview.returncode == 0, preview.stderr
    assert "<html" in (workdir / "digest-user-bob.html").read_text()
    assert [p.name for p in workdir.glob("digest-*")] == ["digest-user-bob.html"]


def test_dead_deliveries_are_listed_and_redriven(
    workdir: Path, replay_server: ReplayServer, receiver: Receiver
):
    text = (workdir / "lexwatch.toml").read_text()
    (workdir / "lexwatch.toml").write_text(
        text.replace("backoff_base = 0", "backoff_base = 0\nmax_attempts = 1")
    )
    run(workdir, "check", "guidance")
    replay_server.set_version("/guidance", 1)
    receiver.answer(503)
    run(workdir, "check", "guidance")
    dead = run(workdir, "deliveries", "--status", "dead")
    assert "hook" in dead.stdout and "503" in dead.stdout
    redriven = run(workdir, "deliveries", "retry", "--all-dead")
    assert redriven.returncode == 0, redriven.stderr
    assert "1 dead delivery(ies) queued again" in redriven.stdout
    assert [p["kind"] for p in payloads(receiver)] == ["change"]


def test_a_bad_subscription_stops_lexwatch_with_the_key_named(workdir: Path):
    text = (workdir / "lexwatch.toml").read_text()
    (workdir / "lexwatch.toml").write_text(text.replace('mode = "digest"', 'mode = "dayly"'))
    result = run(workdir, "deliveries")
    assert result.returncode == 2
    assert "subscriptions.daily.mode" in result.stderr and "'instant' or 'digest'" in result.stderr
    (workdir / "lexwatch.toml").write_text(text)
    result = lexwatch(workdir, "deliveries")  # LEXWATCH_HOOK_SECRET not set
    assert result.returncode == 2 and "LEXWATCH_HOOK_SECRET is not set" in result.stderr


@pytest.mark.slow
def test_check_sends_every_alert_before_it_exits_however_long_that_takes(
    tmp_path: Path, replay_server: ReplayServer, receiver: Receiver
):
    """A dispatcher round stops claiming after `dispatch_interval` (1 s here). A receiver that
    takes 0.4 s an answer gets eight alerts per subscription only well after that; `lexwatch
    check` sends them all before it exits rather than leaving them to the next run."""
    database_url, config = eight_new_notices(tmp_path, replay_server, receiver)
    receiver.delay = 0.4
    overlapping.finish(overlapping.lexwatch(config, "check", "--all"))
    assert [d.status for d in deliveries(database_url)] == ["sent"] * 16
    assert sorted(r.path for r in delivered(receiver)) == ["/hook/legal"] * 8 + ["/hook/team"] * 8


@pytest.mark.slow
def test_check_leaves_the_alerts_of_a_hanging_receiver_to_their_retry_after_one_try(
    tmp_path: Path, replay_server: ReplayServer, receiver: Receiver
):
    """A receiver that never answers: each send gives up after `send_timeout` (3 s), which
    outlasts the round (1 s), so `lexwatch check` stops there rather than spending 3 s on
    each of the eight alerts of each subscription; they wait, pending, for their retry."""
    database_url, config = eight_new_notices(tmp_path, replay_server, receiver)
    config.write_text(config.read_text().replace("[alerts]\n", "[alerts]\nsend_timeout = 3\n"))
    receiver.hang(times=16)
    overlapping.finish(overlapping.lexwatch(config, "check", "--all"))
    waiting = deliveries(database_url)
    assert [d.status for d in waiting] == ["pending"] * 16
    tries: Counter[str] = Counter()
    for delivery in waiting:
        tries[delivery.subscription] += delivery.attempts
    assert set(tries.values()) <= {0, 1}, tries  # at most one try per subscription
    assert receiver.hanging == sum(tries.values())  # each try is a request held unanswered


def eight_new_notices(
    tmp_path: Path, replay_server: ReplayServer, receiver: Receiver
) -> tuple[str, Path]:
    """Eight feeds checked once (a baseline), then each given a new notice: the database URL
    and the configuration (two webhook subscriptions on ``receiver``, rounds of 1 s)."""
    feeds = {overlapping.key(i): f"/feed/{i}" for i in range(8)}
    for i, path in enumerate(feeds.values()):
        replay_server.add(
            path, overlapping.feed(i, 0), overlapping.feed(i, 1), content_type=overlapping.RSS
        )
    database_url = f"sqlite:///{tmp_path / 'lexwatch.db'}"
    urls = {name: replay_server.url(path) for name, path in feeds.items()}
    config = overlapping.write_config(tmp_path / "lexwatch.toml", database_url, urls, receiver)
    overlapping.finish(overlapping.lexwatch(config, "check", "--all"))  # the baseline
    for path in feeds.values():
        replay_server.set_version(path, 1)
    return database_url, config


def deliveries(database_url: str) -> list[DeliveryRow]:
    store = Store.open(database_url)
    try:
        return store.deliveries(limit=100)
    finally:
        store.close()
