"""A real SMTP server on 127.0.0.1 (aiosmtpd) that captures messages and fails on request.

aiosmtpd's Controller runs the server in a background thread with its own event loop, so the
code under test reaches it through real sockets with the real smtplib::

    def test_digest(smtp_server):                      # plain, no login
        ...send to smtp_server.host, smtp_server.port...
        [captured] = smtp_server.messages
        assert captured.message["Subject"] == "..."   # parsed back, policy=default

    def test_secure(make_smtp_server):
        server = make_smtp_server(mode="starttls", auth=("bot", "s3cret"))
        ...pass ssl_context=server.client_context (trusts the test CA)...

Modes: ``"plain"``; ``"starttls"`` (STARTTLS offered and required before MAIL, a certificate
for 127.0.0.1/localhost from a throw-away CA made with trustme); ``"tls"`` (implicit TLS from
the first byte, as on port 465). ``auth=(user, password)`` requires a login before MAIL (over
TLS in starttls mode). ``fail_next(code, n)`` makes the next ``n`` messages fail with ``code``
(451: temporary, 550: rejected) at DATA, or at each RCPT TO with ``stage="rcpt"``. ``stop()``
then ``start()`` gives an outage (connection refused) and a recovery on the same port.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Literal

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Mode = Literal["plain", "starttls", "tls"]
Stage = Literal["data", "rcpt"]

DEFAULT_REPLIES = {
    421: "421 4.3.2 Service shutting down, try again later",
    450: "450 4.2.1 Mailbox busy, try again later",
    451: "451 4.3.0 Temporary local problem, try again later",
    452: "452 4.3.1 Insufficient system storage",
    550: "550 5.7.1 Message rejected",
    552: "552 5.3.4 Message too big",
    554: "554 5.7.1 Transaction failed",
}


@dataclass(frozen=True, kw_only=True)
class CapturedMessage:
    """One message the server accepted: envelope, parsed message, and how it came in."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    tls: bool  # the connection was encrypted (implicit TLS or after STARTTLS)
    login: str | None  # the user that logged in, if any


@dataclass
class _Fault:
    stage: Stage
    reply: str
    remaining: int


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self,
        smtp: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self._server._take_fault("rcpt")
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self._server._take_fault("data")
        if reply is not None:
            return reply
        raw = envelope.original_content or b""
        login = (
            session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword)
            else None
        )
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self._server.messages.append(
            CapturedMessage(
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                message=parsed,
                login=login,
                tls=smtp.transport is not None
                and smtp.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 2.0.0 OK: queued"


class SmtpServer:
    """A capturing SMTP server on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        *,
        mode: Mode = "plain",
        auth: tuple[str, str] | None = None,
        ca: trustme.CA | None = None,
    ) -> None:
        self.mode = mode
        self.auth = auth
        self.host = "127.0.0.1"
        self.port = 0
        self.messages: list[CapturedMessage] = []
        self.logins: list[tuple[str, bool]] = []  # (user, accepted) for every AUTH attempt
        self._faults: deque[_Fault] = deque()
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._ca = ca if ca is not None or mode == "plain" else trustme.CA()
        self._server_context = self._make_server_context()

    # ---- test-facing API --------------------------------------------------------------

    @property
    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this server's certificate (TLS modes)."""
        context = ssl.create_default_context()
        if self._ca is not None:
            self._ca.configure_trust(context)
        return context

    def fail_next(
        self, code: int, n: int = 1, *, stage: Stage = "data", reply: str | None = None
    ) -> None:
        """Answer ``code`` to the next ``n`` messages (DATA) or RCPT TO commands."""
        text = reply or DEFAULT_REPLIES.get(code, f"{code} Failure requested by the test")
        with self._lock:
            self._faults.append(_Fault(stage=stage, reply=text, remaining=n))

    def start(self) -> SmtpServer:
        """Listen (again on the same port after stop(), so a client sees a recovery)."""
        assert self._controller is None, "already running"
        port = self.port or _free_port(self.host)
        self._controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=port,
            ready_timeout=10.0,
            **self._server_options(),
        )
        self._controller.start()
        self.port = port
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until start()."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- internals --------------------------------------------------------------------

    def _take_fault(self, stage: Stage) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault.stage == stage:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault.reply
        return None

    def _make_server_context(self) -> ssl.SSLContext | None:
        if self._ca is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context

    def _server_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"server_hostname": "smtp.lexwatch.test"}
        if self.mode == "tls":
            options["ssl_context"] = self._server_context
        elif self.mode == "starttls":
            options.update(tls_context=self._server_context, require_starttls=True)
        if self.auth is not None:
            options.update(
                authenticator=self._authenticate,
                auth_required=True,
                # Implicit TLS is invisible to aiosmtpd's check, so only
                # STARTTLS mode can enforce "login over TLS only".
                auth_require_tls=self.mode == "starttls",
            )
        return options

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or self.auth is None:
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        ok = (user, password) == self.auth
        self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def _free_port(host: str) -> int:
    # aiosmtpd's Controller cannot listen on port 0 (it connects to its own port to start),
    # so ask the OS for a free one first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_ca() -> trustme.CA:
    """One throw-away certificate authority for every TLS test server of the session."""
    return trustme.CA()


@pytest.fixture
def make_smtp_server(smtp_ca: trustme.CA) -> Iterator[Callable[..., SmtpServer]]:
    """Factory: ``make_smtp_server(mode="starttls", auth=("user", "pw"))``, started; all
    servers are stopped at the end of the test."""
    servers: list[SmtpServer] = []

    def make(*, mode: Mode = "plain", auth: tuple[str, str] | None = None) -> SmtpServer:
        server = SmtpServer(mode=mode, auth=auth, ca=smtp_ca if mode != "plain" else None)
        servers.append(server.start())
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(make_smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """A plain SMTP server without login that captures every message."""
    return make_smtp_server()
