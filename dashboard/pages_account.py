"""Logging in and out, and the deliveries page (for logged-in users)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from dashboard import auth
from dashboard.pages_common import (
    check_csrf,
    lexwatch,
    redirect,
    render,
    require_viewer_login,
    safe_next,
    users,
)
from dashboard.params import PageNumber
from dashboard.roles import Role
from monitor.types import DeliveryStatus

router = APIRouter()


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:  # noqa: A002 (query name)
    return _login_form(request, next_url=safe_next(next))


def _login_form(
    request: Request, *, next_url: str, error: str = "", name: str = "", status_code: int = 200
) -> Response:
    context = {"next": next_url, "error": error, "name": name, "configured": bool(users(request))}
    return render(request, "login.html", context, status_code=status_code, title="Log in")


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",  # noqa: A002
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    check_csrf(request, csrf_token)
    address, target = auth.client_address(request), safe_next(next)
    throttle: auth.LoginThrottle = request.app.state.login_throttle
    if throttle.blocked(address):
        return _login_form(
            request,
            next_url=target,
            name=username,
            status_code=429,
            error="Too many failed attempts: wait a minute and try again.",
        )
    if not auth.authenticate(users(request), username, password):
        throttle.failed(address)
        return _login_form(
            request,
            next_url=target,
            name=username,
            status_code=401,
            error="Wrong user name or password.",
        )
    throttle.succeeded(address)
    auth.log_in(request, username)
    return redirect(target)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf_token)
    auth.log_out(request)
    return redirect("/")


@router.get("/deliveries", include_in_schema=False)
def deliveries_page(
    request: Request, status: Annotated[str | None, Query()] = None, page: PageNumber = 1
) -> Response:
    """The outbox: what was sent, what waits, what gave up (subscription names and errors)."""
    require_viewer_login(request, Role.ADMIN)
    chosen = status if status in {s.value for s in DeliveryStatus} else None
    found = lexwatch(request).store.reader.deliveries_page(chosen, page=page, per_page=50)
    context = {
        "found": found,
        "status": chosen or "",
        "statuses": [s.value for s in DeliveryStatus],
        "pages": max(1, -(-found.total // found.per_page)),
    }
    return render(request, "deliveries.html", context, title="Deliveries")
