"""`lexwatch run` as users run it: a real process, the loopback web server, a webhook receiver.

One service run covers the schedule (checks repeat every 2 s), a stored change, its webhook
alert sent at once (the dispatcher interval is far longer), the dashboard served from the same
process, structured logs with source keys, and a SIGTERM that lets a slow check finish.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.processes import clean_env
from tests.servers.replay import ReplayServer

V1 = """<html><head><title>Guidance</title></head><body><main>
<h1>Guidance</h1><p>The consultation closes on 10 September 2026.</p>
<h2>Contact</h2><p>Write to ai-office@example.eu.</p></main></body></html>"""
V2 = V1.replace("closes on 10 September 2026", "closes on 18 September 2026")
NEWS = """<html><head><title>News</title></head><body><main><h1>News</h1>
<p>Nothing new this week.</p></main></body></html>"""


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records every JSON body it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.server.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(workdir: Path, server: ReplayServer, hook: str, port: int) -> None:
    (workdir / "lexwatch.toml").write_text(f"""
builtin_catalog = false
log_format = "json"
[http]
contact = "mailto:tests@example.org"
per_host_spacing = 0
retries = 0
allow_private_addresses = true
[alerts]
dispatch_interval = 300
[dashboard]
port = {port}
[sources.guidance]
title = "National AI guidance"
url = "{server.url("/guidance")}"
parser = "html"
interval = 2
[sources.news]
title = "News"
url = "{server.url("/news")}"
parser = "html"
interval = 2
[[subscriptions]]
name = "hook"
channel = "webhook"
target = "{hook}"
""")


def start(workdir: Path, *args: str) -> subprocess.Popen[str]:
    env = clean_env()
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", *args],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.1)


def checks_of(workdir: Path, key: str) -> list[tuple[str, int]]:
    with sqlite3.connect(workdir / "lexwatch.db") as db:
        return db.execute(
            "SELECT outcome, duration_ms FROM checks WHERE source_key = ? ORDER BY id", (key,)
        ).fetchall()


@pytest.mark.slow
def test_service_checks_alerts_serves_and_stops_cleanly(
    tmp_path: Path, replay_server: ReplayServer, receiver: Receiver
):
    replay_server.add("/guidance", V1, V2)
    replay_server.add("/news", NEWS)
    port = free_port()
    write_config(tmp_path, replay_server, receiver.url, port)
    service = start(tmp_path)
    try:
        # On schedule: the first check, then one every ~2 s, each a conditional GET.
        wait_for(lambda: replay_server.hits("/guidance") >= 3, 30, "three checks")
        # The other source is on its own schedule: on a busy machine it may be a beat behind.
        wait_for(lambda: replay_server.hits("/news") >= 2, 30, "two checks of the other source")
        assert "if-none-match" in replay_server.requests[-1].headers

        replay_server.set_version("/guidance", 1)
        # The alert goes out at once, though the dispatcher's own interval is 5 minutes.
        wait_for(lambda: bool(receiver.bodies), 15, "the webhook alert")
        alert = receiver.bodies[0]
        assert alert["kind"] == "change" and alert["source"]["key"] == "guidance"
        assert alert["change"]["category"] == "deadline_extended"

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200

        # A slow answer is in flight when SIGTERM arrives: it is waited for and stored.
        replay_server.fault("/guidance", "timeout", delay=2.5)
        seen = replay_server.hits("/guidance")
        wait_for(lambda: replay_server.hits("/guidance") > seen, 10, "the slow request")
        service.send_signal(signal.SIGTERM)
        _, stderr = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == 0, stderr
    assert "Traceback" not in stderr
    checks = checks_of(tmp_path, "guidance")
    # Every request the server saw became a stored check: nothing cut short, nothing lost.
    assert len(checks) == replay_server.hits("/guidance")
    assert checks[-1][1] >= 2000  # the slow one finished
    assert [outcome for outcome, _ in checks].count("changed") == 1
    assert len(receiver.bodies) == 1

    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert lines and all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(
        line.get("source") == "guidance" and line["logger"] == "monitor.pipeline" for line in lines
    )
    assert lines[-1]["message"] == "stopped"


def test_no_dashboard_and_no_checks(
    tmp_path: Path, replay_server: ReplayServer, receiver: Receiver
):
    replay_server.add("/guidance", V1)
    replay_server.add("/news", NEWS)
    port = free_port()
    write_config(tmp_path, replay_server, receiver.url, port)
    service = start(tmp_path, "--no-dashboard", "--no-checks")
    try:
        wait_for(lambda: _started(tmp_path), 30, "the service to open its database")
        time.sleep(3)  # a checking service would have checked both sources by now
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
        service.send_signal(signal.SIGINT)
        _, stderr = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == 0, stderr
    assert replay_server.hits("/guidance") == 0
    assert "not checking sources" in stderr


def _started(workdir: Path) -> bool:
    try:
        with sqlite3.connect(workdir / "lexwatch.db") as db:
            return bool(db.execute("SELECT count(*) FROM sources").fetchone()[0])
    except sqlite3.OperationalError:  # not created or not migrated yet
        return False


def test_a_bad_config_stops_the_service_at_start(tmp_path: Path):
    (tmp_path / "lexwatch.toml").write_text("""
builtin_catalog = false
[sources.broken]
url = "ftp://example.eu/x"
parser = "html"
""")
    service = start(tmp_path)
    _, stderr = service.communicate(timeout=30)
    assert service.returncode == 2
    assert "configuration error" in stderr and "sources.broken.url" in stderr


def test_the_dashboard_port_in_use_is_a_clear_error(
    tmp_path: Path, replay_server: ReplayServer, receiver: Receiver
):
    replay_server.add("/guidance", V1)
    replay_server.add("/news", NEWS)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        write_config(tmp_path, replay_server, receiver.url, taken.getsockname()[1])
        service = start(tmp_path)
        _, stderr = service.communicate(timeout=60)
    assert service.returncode == 2, stderr
    assert "cannot serve the dashboard" in " ".join(stderr.split())
    assert "Traceback" not in stderr and replay_server.hits("/guidance") == 0


def test_sources_on_one_host_share_its_politeness_limits(
    tmp_path: Path, replay_server: ReplayServer
):
    """Jobs of one process share one limiter: two slow sources on one host never overlap."""
    from monitor.app import App
    from monitor.config import load_settings
    from monitor.service.schedule import run_service

    for path in ("/one", "/two"):
        replay_server.add(path, NEWS)
        replay_server.fault(path, "timeout", delay=0.4, times=4)
    (tmp_path / "lexwatch.toml").write_text(f"""
builtin_catalog = false
database_url = "sqlite:///{tmp_path / "lexwatch.db"}"
[http]
contact = "mailto:tests@example.org"
allow_private_addresses = true
per_host_concurrency = 1
respect_robots = false
per_host_spacing = 0
[sources.one]
url = "{replay_server.url("/one")}"
parser = "html"
interval = 1
[sources.two]
url = "{replay_server.url("/two")}"
parser = "html"
interval = 1
""")
    app = App.start(load_settings(tmp_path / "lexwatch.toml"))

    async def run_for(seconds: float) -> None:
        service = asyncio.create_task(run_service(app, dashboard=False, grace=5))
        await asyncio.sleep(seconds)
        os.kill(os.getpid(), signal.SIGTERM)
        await service

    try:
        asyncio.run(run_for(5))
    finally:
        app.close()
    assert replay_server.hits("/one") >= 2 and replay_server.hits("/two") >= 2
    assert replay_server.max_concurrency("/") == 1
    assert len(checks_of(tmp_path, "one")) == replay_server.hits("/one")


def test_log_lines_name_the_source_also_from_worker_threads():
    """Lines logged during a check carry its key, in threads too; JSON keeps extra fields."""
    import io
    import logging

    from monitor.logs import checking, configure_logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    log = logging.getLogger("lexwatch.test")

    async def check() -> None:
        with checking("ai-office"):
            await asyncio.to_thread(log.warning, "parsed %d items", 3)
        log.info("digest sent", extra={"subscription": "daily"})

    try:
        asyncio.run(check())
        configure_logging("INFO", "text", stream=stream)
        with checking("eur-lex"):
            log.error("HTTP 503")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    first, second, third = stream.getvalue().splitlines()
    assert json.loads(first) == {
        "ts": json.loads(first)["ts"],
        "level": "WARNING",
        "logger": "lexwatch.test",
        "message": "parsed 3 items",
        "source": "ai-office",
    }
    assert json.loads(second)["subscription"] == "daily" and "source" not in json.loads(second)
    assert third.endswith("ERROR lexwatch.test [eur-lex]: HTTP 503")
