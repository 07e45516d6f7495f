"""A tiny HTTP receiver on 127.0.0.1 for webhook-style deliveries: records every POST and
answers what the test queued (default 200), optionally checking a signature first.

    def test_hook(receiver):
        receiver.answer(503, headers={"Retry-After": "12"})   # next request only
        ...
        body = receiver.requests[0].body

``delay`` slows every answer down by that many seconds. A ``check`` callable (request ->
bool) makes it answer 401 to requests it rejects, like a real receiver verifying signatures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    status: int  # what the receiver answered


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    hang: bool = False  # hold the request until ``release()`` (then answer ``status``)


class Receiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: list[_Answer] = []
        self._requests: list[Received] = []
        self.check: Callable[[Received], bool] | None = None
        self._released = threading.Event()
        self.delay = 0.0  # seconds before each answer: a slow receiver
        self._hanging = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True, name="receiver"
        )

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(
        self, status: int, body: str = "", *, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (then 200 again)."""
        with self._lock:
            self._answers += [_Answer(status, body.encode(), headers or {})] * times

    def hang(self, *, times: int = 1, then: int = 503) -> None:
        """Hold the next ``times`` requests without answering until ``release()``; then
        answer them ``then`` (by when the sender has usually given up)."""
        with self._lock:
            self._answers += [_Answer(then, b"too late", {}, hang=True)] * times

    def release(self) -> None:
        """Let every held request (and any later one asked to hang) be answered."""
        self._released.set()

    @property
    def hanging(self) -> int:
        """How many requests are held right now."""
        with self._lock:
            return self._hanging

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    def _respond(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Answer:
        seen = Received(method, path, headers, body, 0)
        time.sleep(self.delay)
        with self._lock:
            answer = self._answers.pop(0) if self._answers else _Answer(200, b"ok", {})
            self._hanging += answer.hang
        if answer.hang:
            self._released.wait(120)
            with self._lock:
                self._hanging -= 1
        if answer.status < 300 and self.check is not None and not self.check(seen):
            answer = _Answer(401, b"bad signature", {})
        with self._lock:
            self._requests.append(Received(method, path, headers, body, answer.status))
        return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = receiver._respond("POST", self.path, headers, body)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        return Handler


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[Receiver]:
    """A started ``Receiver``, stopped after the test."""
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()
