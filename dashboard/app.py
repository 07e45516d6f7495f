"""The dashboard's FastAPI app: pages, API, feeds and ops, behind sessions and security headers.

``create_app`` builds it from a started ``monitor.app.App``; ``serve`` runs it with uvicorn
inside the caller's event loop (``lexwatch run`` serves it beside the scheduler).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dashboard import (
    api,
    api_events,
    api_exports,
    api_triage,
    categories,
    docs,
    feeds,
    openapi,
    ops,
    pages,
)
from dashboard.auth import LoginThrottle
from dashboard.deps import Lexwatch
from monitor.errors import ConfigError
from monitor.pipeline import Checker

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "lexwatch_session"
SESSION_DAYS = 14

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
# The API docs page is the one page with a script: Swagger UI, from this server only, which
# fetches the OpenAPI document. Nothing inline, nothing from elsewhere.
DOCS_CSP = CSP + "; script-src 'self'; connect-src 'self'"
DOCS_PATH = docs.DOCS_PATH


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(
    app: Lexwatch, *, checker: Checker | None = None, clock: Callable[[], datetime] | None = None
) -> FastAPI:
    """The dashboard for ``app``; ``checker`` runs "check now" (else one is opened per check)."""
    web = FastAPI(
        title="lexwatch",
        version=_version(),
        docs_url=None,
        openapi_url=docs.OPENAPI_PATH,
        redoc_url=None,
    )
    web.state.lexwatch = app
    web.state.checker = checker
    web.state.clock = clock or utcnow
    web.state.login_throttle = LoginThrottle(limit=5, window=60.0)
    web.add_middleware(
        SessionMiddleware,
        secret_key=_session_secret(app),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_DAYS * 86400,
        same_site="lax",
        https_only=app.settings.dashboard.secure_cookies,
    )
    web.add_middleware(SecurityHeaders)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    web.include_router(docs.router)
    web.include_router(api.router)
    web.include_router(api_events.router)
    web.include_router(api_exports.router)
    web.include_router(api_triage.router)
    web.include_router(feeds.router)
    web.include_router(ops.router)
    web.include_router(pages.router)
    web.include_router(categories.router)
    pages.install_error_pages(web)
    openapi.install(web)
    return web


def _version() -> str:
    from monitor import __version__

    return __version__


def _session_secret(app: Lexwatch) -> str:
    configured = app.settings.dashboard.session_secret
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    logger.warning(
        "dashboard.session_secret is not set: using a random one, so logins end"
        " when lexwatch restarts (set LEXWATCH_DASHBOARD__SESSION_SECRET)"
    )
    return secrets.token_urlsafe(32)


class SecurityHeaders:
    """Adds a strict Content-Security-Policy and friends to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope["path"] == DOCS_PATH else CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(
                    [
                        (b"content-security-policy", policy.encode()),
                        (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"same-origin"),
                        (b"x-frame-options", b"DENY"),
                    ]
                )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the caller owns signals and stops us via an Event."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(
    app: Lexwatch,
    *,
    host: str,
    port: int,
    stop: asyncio.Event,
    checker: Checker | None = None,
    sock: socket.socket | None = None,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Serve the dashboard on host:port (or ``sock``) in the running loop until ``stop``."""
    # Bound here, not by uvicorn: uvicorn calls sys.exit when it cannot bind, from a task.
    sock = sock or bind(host, port)
    config = uvicorn.Config(
        create_app(app, checker=checker, clock=clock),
        log_level="warning",
        access_log=False,
        lifespan="off",
        log_config=None,
        **proxy_options(app.settings.dashboard.trusted_proxies),
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopper.cancel()
    await task
    sock.close()
    logger.info("dashboard on http://%s:%d stopped", host, port)


def proxy_options(trusted: list[str]) -> dict[str, Any]:
    """uvicorn's proxy-header options: off unless dashboard.trusted_proxies names proxies.

    uvicorn's own default believes X-Forwarded-For from 127.0.0.1, so any local client (or a
    proxy that passes the header through) could choose the address the login throttle counts.
    """
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted)}


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a ConfigError that says which setting to change."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, protocol = infos[0][:3]
        # With its protocol named (not 0), asyncio turns Nagle off on every accepted
        # connection, and accepted sockets inherit TCP_NODELAY set here: without it each
        # keep-alive response whose headers and body are written apart waited ~40 ms for
        # the client's delayed ACK (48 ms a request against 2.7 ms, measured).
        sock = socket.socket(family, kind, protocol)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(infos[0][4])
        sock.listen(128)
    except OSError as exc:
        raise ConfigError(
            f"cannot serve the dashboard on {host}:{port}: {exc.strerror or exc}"
            " (set dashboard.host / dashboard.port, or run --no-dashboard)"
        ) from exc
    sock.setblocking(False)
    return sock
