"""The dashboard's HTML pages (server-rendered, no JavaScript), gathered in one router.

/                       timeline (filters in the query string)     pages_changes
/events/{id}            one event: its changes, sources, grouping, audit trail;  pages_events
                        POST split
/changes/{id}           one change; /raw its stored response;      pages_changes
                        POST noise | mute | redeliver
/sources, /sources/{k}  health; history, /compare, POST /check     pages_sources
/deadlines, /trends     lists and month grid; changes per week     pages_calendar
/login, /logout         sessions; /deliveries the outbox (admins)  pages_account
/triage, /queue         events by state and assignee, bulk actions;  pages_triage
                        my queue; POST /events/{id}/triage/...
/account                the user's own e-mail digest                pages_subscription
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from dashboard import (
    pages_account,
    pages_calendar,
    pages_changes,
    pages_events,
    pages_sources,
    pages_subscription,
    pages_triage,
)
from dashboard.pages_common import LoginRedirect, login_redirect, render

router = APIRouter()
for module in (
    pages_changes,
    pages_events,
    pages_sources,
    pages_calendar,
    pages_account,
    pages_triage,
    pages_subscription,
):
    router.include_router(module.router)


def install_error_pages(app: FastAPI) -> None:
    """HTML error pages for the pages; the JSON API keeps FastAPI's JSON errors."""

    async def login_needed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRedirect)
        return login_redirect(exc.target)

    async def error_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if _wants_json(request) or exc.status_code < 400:
            return await http_exception_handler(request, exc)
        context = {"status": exc.status_code, "detail": exc.detail}
        response = render(
            request,
            "error.html",
            context,
            status_code=exc.status_code,
            title=f"Error {exc.status_code}",
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if _wants_json(request):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors()
        )
        context = {"status": 400, "detail": f"Bad request: {problems}"}
        return render(request, "error.html", context, status_code=400, title="Bad request")

    app.add_exception_handler(LoginRedirect, login_needed)
    app.add_exception_handler(HTTPException, error_page)
    app.add_exception_handler(RequestValidationError, bad_request)


def _wants_json(request: Request) -> bool:
    """API clients get JSON errors; browsers (and anything not asking for JSON) a page."""
    if request.url.path.startswith(("/api/", "/feeds/", "/healthz", "/metrics")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept
