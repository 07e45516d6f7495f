"""What every HTML page shares: templates, rendering, access checks, flash messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from dashboard import auth, roles, views
from dashboard.deps import Lexwatch
from dashboard.roles import Role

TEMPLATES = Path(__file__).parent / "templates"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,  # every template: scraped text is untrusted
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
_env.filters.update(
    category=views.category_label,
    severity=views.severity_label,
    iso=views.iso,
    duration=views.format_duration,
    http_url=views.http_url,
)
templates = Jinja2Templates(env=_env)

# (path, label, the role that sees the link: None for anyone, even logged out)
NAV: tuple[tuple[str, str, Role | None], ...] = (
    ("/", "Timeline", None),
    ("/triage", "Triage", None),
    ("/queue", "My queue", Role.VIEWER),
    ("/sources", "Sources", None),
    ("/deadlines", "Deadlines", None),
    ("/trends", "Trends", None),
    ("/deliveries", "Deliveries", Role.ADMIN),
)


def lexwatch(request: Request) -> Lexwatch:
    found: Lexwatch = request.app.state.lexwatch
    return found


def now(request: Request) -> datetime:
    moment: datetime = request.app.state.clock()
    return moment


def users(request: Request) -> dict[str, str]:
    return auth.parse_users(lexwatch(request).settings.dashboard.users)


def user(request: Request) -> str | None:
    return auth.session_user(request, users(request))


def role(request: Request) -> Role | None:
    """The logged-in user's role; None when nobody is logged in."""
    name = user(request)
    return roles.role_of(lexwatch(request).settings.dashboard, name) if name else None


def zone(request: Request) -> str:
    return lexwatch(request).settings.dashboard.timezone


class LoginRedirect(Exception):
    """Raised by a page that needs a login; answered with a redirect to /login."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def require_reader(request: Request) -> None:
    """With dashboard.login_required, anonymous readers are sent to the login page."""
    if lexwatch(request).settings.dashboard.login_required and user(request) is None:
        raise LoginRedirect(_here(request))


def require_viewer_login(request: Request, needed: Role = Role.VIEWER) -> str:
    """A page only logged-in users (with at least ``needed``) may see."""
    name = user(request)
    if name is None:
        raise LoginRedirect(_here(request))
    _check_role(request, needed)
    return name


def require_actor(request: Request, csrf: str | None, needed: Role = Role.EDITOR) -> str:
    """An action: a logged-in user with at least ``needed`` and the session's CSRF token,
    else 403."""
    check_csrf(request, csrf)
    name = user(request)
    if name is None:
        raise HTTPException(status_code=403, detail="log in to do this")
    _check_role(request, needed)
    return name


def _check_role(request: Request, needed: Role) -> None:
    have = role(request)
    if have is None or have < needed:
        raise HTTPException(
            status_code=403,
            detail=f"this needs the {needed.label} role; you are"
            f" {have.label if have else 'not logged in'} (ask an admin: [dashboard.roles])",
        )


def check_csrf(request: Request, csrf: str | None) -> None:
    auth.check_csrf(request, csrf)


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def login_url(target: str) -> str:
    return "/login?" + urlencode({"next": target})


def login_redirect(target: str) -> RedirectResponse:
    return RedirectResponse(login_url(target), status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def _pop_flash(request: Request) -> str | None:
    if "session" not in request.scope:
        return None
    message = request.session.pop("flash", None)
    return message if isinstance(message, str) else None


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    title: str = "",
) -> Response:
    """A page: the template with what the base layout needs (user, CSRF token, clock)."""
    current = user(request)
    place = zone(request)
    have = role(request)
    base = {
        "request": request,
        "user": current,
        "role": have.label if have else "",
        "can_edit": have is not None and have >= Role.EDITOR,
        "is_admin": have is not None and have >= Role.ADMIN,
        "title": title,
        "nav": [
            (path, label)
            for path, label, needed in NAV
            if needed is None or (have is not None and have >= needed)
        ],
        "path": request.url.path,
        "here": _here(request),
        "zone": place,
        "flash": _pop_flash(request),
        "csrf": auth.csrf_token(request) if current or name == "login.html" else "",
        "time": lambda moment: views.format_time(moment, place),
        "day": lambda moment: views.format_date(moment, place),
        "quote": lambda value: quote(str(value), safe=""),
    }
    response = templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status_code
    )
    response.headers["cache-control"] = "no-store" if current else "private, max-age=0"
    return response


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)
