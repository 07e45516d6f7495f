"""FastAPI dependencies shared by the pages, the API, the feeds and the ops endpoints.

The app factory (dashboard.app.create_app) puts the running application (``Lexwatch``) in
``app.state.lexwatch`` and a clock (a callable returning UTC now) in ``app.state.clock``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from fastapi import HTTPException, Request, status

from dashboard.auth import parse_users, session_user
from dashboard.roles import Actor, Role, role_of, token_actor
from storage.reader import Reader

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.pipeline import Checker
    from monitor.types import Source
    from storage.store import Store

Clock = Callable[[], datetime]


class Lexwatch(Protocol):
    """What the dashboard needs of the running application (``monitor.app.App`` is one)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def sources(self) -> Mapping[str, Source]: ...

    def checker(self) -> AbstractAsyncContextManager[Checker]:
        """A Checker for "check now" when the dashboard runs without the service's."""
        ...


TOKENS_HELP = (
    "API tokens are not configured: set LEXWATCH_DASHBOARD__API_TOKENS to one or"
    " more comma-separated secret tokens and restart lexwatch"
)


def get_app(request: Request) -> Lexwatch:
    app: Lexwatch = request.app.state.lexwatch
    return app


def get_reader(request: Request) -> Reader:
    """The storage's read queries (each one its own read-only transaction)."""
    return get_app(request).store.reader


def _utc_now() -> datetime:
    return datetime.now(UTC)


def get_clock(request: Request) -> Clock:
    clock: Clock = getattr(request.app.state, "clock", None) or _utc_now
    return clock


def configured_tokens(app: Lexwatch) -> list[str]:
    secret = app.settings.dashboard.api_tokens
    if secret is None:
        return []
    return [token.strip() for token in secret.get_secret_value().split(",") if token.strip()]


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def token_is_valid(app: Lexwatch, token: str | None) -> bool:
    """Constant-time comparison against every configured token."""
    return token_actor(app.settings.dashboard, token) is not None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="lexwatch"'},
    )


def require_token(request: Request) -> Actor:
    """Token-protected actions: a valid bearer token, else 401; 403 for a token sent when none
    is configured (no token could be right: the message says how to configure one)."""
    app = get_app(request)
    token = bearer_token(request)
    if not configured_tokens(app):
        if token is None:
            raise _unauthorized(TOKENS_HELP)
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=TOKENS_HELP)
    if token is None:
        raise _unauthorized("this action needs an API token: Authorization: Bearer <token>")
    actor = token_actor(app.settings.dashboard, token)
    if actor is None:
        raise _unauthorized("the API token is not valid")
    return actor


def token_with_role(role: Role, *, person: bool = False) -> Callable[[Request], Actor]:
    """A dependency: a valid token whose user has at least ``role`` (else 403); with
    ``person``, a token bound to a user (the audit trail names who acted)."""

    def dependency(request: Request) -> Actor:
        actor = require_token(request)
        if actor.role < role:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"this needs the {role.label} role; the token's user"
                f" {actor.name!r} is {actor.role.label}",
            )
        if person and not actor.person:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="this token is bound to no user, and the audit trail names who acted:"
                " bind it in LEXWATCH_DASHBOARD__API_TOKENS as user:token",
            )
        return actor

    return dependency


def current_user(request: Request) -> str | None:
    """The logged-in user (set by the login page), if still configured."""
    if "session" not in request.scope:  # no SessionMiddleware installed
        return None
    return session_user(request, parse_users(get_app(request).settings.dashboard.users))


def request_actor(request: Request) -> Actor | None:
    """Who the request acts as: the bearer token's actor, else the logged-in user."""
    settings = get_app(request).settings.dashboard
    actor = token_actor(settings, bearer_token(request))
    if actor is not None:
        return actor
    name = current_user(request)
    return Actor(name=name, role=role_of(settings, name), person=True) if name else None


def read_access(request: Request) -> None:
    """With ``dashboard.login_required``, reading needs a login or a valid API token."""
    app = get_app(request)
    if not app.settings.dashboard.login_required:
        return
    if current_user(request) is not None or token_is_valid(app, bearer_token(request)):
        return
    raise _unauthorized("log in or send an API token (Authorization: Bearer <token>)")


def public_url(request: Request, path: str) -> str:
    """An absolute URL for ``path`` as users reach the dashboard (alerts.dashboard_url, or the
    URL this request came in on)."""
    base = get_app(request).settings.alerts.dashboard_url or str(request.base_url)
    return base.rstrip("/") + "/" + path.lstrip("/")
