"""A fake Slack (Web API + incoming webhook) on 127.0.0.1 that records calls and fails on demand.

An ``aiohttp.web`` app in a background thread with its own loop, so sync tests and tests that
run their own loop (``asyncio.run``) reach it through real sockets with the real slack-sdk::

    def test_post(slack_server):   # fixture: from tests.servers.slack import slack_server_fixture
        client = AsyncWebClient(token="xoxb-test", base_url=slack_server.base_url,
                                retry_handlers=[])
        slack_server.fail_next("rate_limited", 1, retry_after=7)   # then normal service
        ...
        assert [c.body["text"] for c in slack_server.posted] == ["..."]

Web API: ``POST {base_url}<method>`` (``chat.postMessage`` answers ``{"ok": true, "channel":
"C1", "ts": ...}`` with increasing ts; ``auth.test`` answers ok; anything else
``unknown_method``). A request without ``Authorization: Bearer ...`` gets ``not_authed``; when
``token`` is set, another token gets ``invalid_auth``. ``chat.update`` (channel ``C1``, the
``ts`` of a posted message) replaces that message's text and blocks: ``updated`` lists those
calls and ``message(ts)`` the message as it reads now; an unknown ts gets
``message_not_found``. Incoming webhook: ``POST webhook_url``
answers ``ok``. Faults (``fail_next(kind, n)``) apply to the next ``n`` calls of either kind;
see ``FAULT_KINDS``. Every call, failed or not, is in ``calls``; ``posted`` keeps the ones that
delivered a message.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web

from tests.servers.threaded import ThreadedApp

FAULT_KINDS = {
    "rate_limited": "429 with Retry-After: retry_after (API body ok:false ratelimited)",
    "server_error": "status (default 500); API body ok:false internal_error, webhook text",
    "error": "API: 200 ok:false error (default channel_not_found); webhook: status + error text",
    "disconnect": "close the connection without answering",
    "not_json": "API: status (default 200) with a body that is not JSON (content_type, body)",
}
WEBHOOK_PATH = "/services/T00000000/B00000000/fakewebhooksecret"
# Incoming-webhook error bodies Slack documents, with their statuses.
WEBHOOK_ERROR_STATUS = {
    "invalid_payload": 400,
    "no_text": 400,
    "invalid_token": 403,
    "action_prohibited": 403,
    "no_service": 404,
    "channel_not_found": 404,
    "channel_is_archived": 410,
    "rollup_error": 500,
}


@dataclass(frozen=True)
class SlackCall:
    """One request as the fake saw it and what it answered (``headers`` names lower-cased)."""

    method: str  # "chat.postMessage", "auth.test", ... or "webhook"
    body: dict[str, Any]  # the JSON body, or the form fields
    headers: dict[str, str]
    status: int  # HTTP status answered (0: connection dropped)
    delivered: bool  # a message was accepted (it would show in Slack)
    ts: str | None = None


@dataclass
class _Fault:
    kind: str
    remaining: int
    options: dict[str, Any] = field(default_factory=dict)


class FakeSlack:
    """See the module docstring. Thread-safe: tests configure it while it serves."""

    def __init__(self, *, token: str | None = None) -> None:
        self.token = token
        self._lock = threading.Lock()
        self._calls: list[SlackCall] = []
        self._faults: list[_Fault] = []
        self._ts = 0
        self._messages: dict[str, dict[str, Any]] = {}  # ts -> the body it now has
        self._server = ThreadedApp("fake-slack", self._app)

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> FakeSlack:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post(WEBHOOK_PATH, self._webhook)
        return app

    # -- configuration and what it saw -----------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``AsyncWebClient(base_url=...)`` and ``[alerts] slack_base_url``."""
        return f"{self.url}/api/"

    @property
    def webhook_url(self) -> str:
        """An incoming webhook URL (the subscription's target)."""
        return f"{self.url}{WEBHOOK_PATH}"

    def fail_next(
        self,
        kind: str,
        n: int = 1,
        *,
        retry_after: float = 1,
        status: int | None = None,
        error: str | None = None,
        content_type: str = "text/html",
        body: str = "<html>Bad gateway</html>",
    ) -> None:
        """Answer the next ``n`` calls with fault ``kind`` (see ``FAULT_KINDS``); faults queue."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {kind!r} unknown; use one of {sorted(FAULT_KINDS)}")
        if n < 1:
            raise ValueError(f"fail_next n={n} must be >= 1")
        options = {
            "retry_after": retry_after,
            "status": status,
            "error": error,
            "content_type": content_type,
            "body": body,
        }
        with self._lock:
            self._faults.append(_Fault(kind, n, options))

    @property
    def calls(self) -> list[SlackCall]:
        """A copy of every call so far, in arrival order."""
        with self._lock:
            return list(self._calls)

    @property
    def posted(self) -> list[SlackCall]:
        """The calls that delivered a message (what a Slack user would see)."""
        return [call for call in self.calls if call.delivered]

    @property
    def updated(self) -> list[SlackCall]:
        """The chat.update calls that changed a message."""
        return [c for c in self.calls if c.method == "chat.update" and c.status == 200 and c.ts]

    def message(self, ts: str) -> dict[str, Any] | None:
        """The message posted at ``ts`` as it reads now (after any chat.update)."""
        with self._lock:
            return self._messages.get(ts)

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        """chat.update: the message at (channel C1, ts) gets the new text and blocks."""
        ts = str(body.get("ts") or "")
        with self._lock:
            if body.get("channel") != "C1":
                return {"ok": False, "error": "channel_not_found"}
            if ts not in self._messages:
                return {"ok": False, "error": "message_not_found"}
            self._messages[ts] = {**self._messages[ts], **body}
        return {"ok": True, "channel": "C1", "ts": ts, "text": body.get("text", "")}

    def reset(self) -> None:
        """Forget calls and pending faults."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()

    # -- serving ---------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        body = await _body(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        fault = self._take_fault()
        if fault is not None:
            return await self._api_fault(request, method, body, headers, fault)
        answer = self._api_answer(method, body, headers)
        delivered = method == "chat.postMessage" and answer["ok"]
        self._record(SlackCall(method, body, headers, 200, delivered, answer.get("ts")))
        return web.json_response(answer)

    def _api_answer(
        self, method: str, body: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any]:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer ").strip():
            return {"ok": False, "error": "not_authed"}
        if self.token is not None and auth != f"Bearer {self.token}":
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {"ok": True, "team": "lexwatch-test", "user": "lexwatch", "bot_id": "B1"}
        if method == "chat.update":
            return self._update(body)
        if method != "chat.postMessage":
            return {"ok": False, "error": "unknown_method"}
        if not body.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        ts = self._next_ts()
        with self._lock:
            self._messages[ts] = body
        message = {"type": "message", "text": body.get("text", ""), "ts": ts}
        if body.get("thread_ts"):
            message["thread_ts"] = body["thread_ts"]
        return {"ok": True, "channel": "C1", "ts": ts, "message": message}

    async def _api_fault(
        self,
        request: web.Request,
        method: str,
        body: dict[str, Any],
        headers: dict[str, str],
        fault: _Fault,
    ) -> web.StreamResponse:
        kw = fault.options
        extra: dict[str, str] = {}
        if fault.kind == "disconnect":
            self._record(SlackCall(method, body, headers, 0, False))
            return await _hang_up(request)
        if fault.kind == "not_json":
            self._record(SlackCall(method, body, headers, kw["status"] or 200, False))
            return web.Response(
                status=kw["status"] or 200, text=kw["body"], content_type=kw["content_type"]
            )
        if fault.kind == "rate_limited":
            status, error = 429, "ratelimited"
            extra["Retry-After"] = _seconds(kw["retry_after"])
        elif fault.kind == "server_error":
            status, error = kw["status"] or 500, "internal_error"
        else:
            status, error = 200, kw["error"] or "channel_not_found"
        self._record(SlackCall(method, body, headers, status, False))
        return web.json_response({"ok": False, "error": error}, status=status, headers=extra)

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        fault = self._take_fault()
        if fault is not None and fault.kind == "disconnect":
            self._record(SlackCall("webhook", body, headers, 0, False))
            return await _hang_up(request)
        if fault is not None:
            status, text, extra = _webhook_fault(fault)
        elif body.get("text") or body.get("blocks"):
            status, text, extra = 200, "ok", {}
        else:
            status, text, extra = 400, "no_text", {}
        self._record(SlackCall("webhook", body, headers, status, status == 200))
        return web.Response(status=status, text=text, headers=extra)

    def _take_fault(self) -> _Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.pop(0)
            return fault

    def _record(self, call: SlackCall) -> None:
        with self._lock:
            self._calls.append(call)

    def _next_ts(self) -> str:
        with self._lock:
            self._ts += 1
            return f"{1_700_000_000 + self._ts}.{self._ts:06d}"


def _webhook_fault(fault: _Fault) -> tuple[int, str, dict[str, str]]:
    kw = fault.options
    if fault.kind == "rate_limited":
        return 429, "rate_limited", {"Retry-After": _seconds(kw["retry_after"])}
    if fault.kind == "server_error":
        return kw["status"] or 500, "internal_error", {}
    error = kw["error"] or "no_service"
    return kw["status"] or WEBHOOK_ERROR_STATUS.get(error, 400), error, {}


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if request.content_type == "application/json":
        loaded = json.loads(raw or b"{}")
        return loaded if isinstance(loaded, dict) else {"_": loaded}
    return dict(parse_qsl(raw.decode("utf-8", "replace")))


async def _hang_up(request: web.Request) -> web.StreamResponse:
    transport = request.transport
    if transport is not None:
        transport.close()
    raise asyncio.CancelledError


@pytest.fixture(name="slack_server")
def slack_server_fixture() -> Iterator[FakeSlack]:
    """A started ``FakeSlack``, stopped after the test."""
    server = FakeSlack().start()
    try:
        yield server
    finally:
        server.stop()


# Both import styles work: ``from tests.servers.slack import slack_server`` (the parameter name
# then shadows the import, which ruff's F811 flags) or ``slack_server_fixture``.
slack_server = slack_server_fixture
