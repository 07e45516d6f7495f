"""/account: the logged-in user's own e-mail digest (which tags, categories, severities; to
which address), stored in ``user_subscriptions`` and sent beside the subscriptions of
lexwatch.toml once a day at ``[dashboard] user_digest_time``. Any role may manage their own;
only admins manage others' (``lexwatch users digest``)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dashboard.pages_common import (
    flash,
    lexwatch,
    now,
    redirect,
    render,
    require_actor,
    require_viewer_login,
)
from dashboard.roles import Role
from monitor.types import Category, Severity
from storage.subscriptions import UserDigest

router = APIRouter()

EMAIL = re.compile(r"[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+")
MAX_NAME = 90  # the subscription "user:<name>" must fit deliveries.subscription (100)


def _tags(request: Request) -> list[str]:
    return sorted({tag for source in lexwatch(request).sources.values() for tag in source.tags})


@router.get("/account", include_in_schema=False)
def account_page(request: Request) -> Response:
    name = require_viewer_login(request)
    mine = lexwatch(request).store.user_digest(name)
    return _form(request, mine or UserDigest(user=name, email="", enabled=False))


def _form(
    request: Request, digest: UserDigest, *, error: str = "", status_code: int = 200
) -> Response:
    settings = lexwatch(request).settings.dashboard
    context = {
        "digest": digest,
        "error": error,
        "tags": _tags(request),
        "categories": [(c.value, c.label) for c in Category if c.alertable],
        "severities": [s.value for s in Severity],
        "digest_time": settings.user_digest_time.strftime("%H:%M"),
    }
    return render(request, "account.html", context, status_code=status_code, title="Account")


@router.post("/account/digest", include_in_schema=False)
def save_digest(
    request: Request,
    csrf_token: Annotated[str | None, Form()] = None,
    email: Annotated[str, Form()] = "",
    enabled: Annotated[bool, Form()] = False,
    tag: Annotated[list[str] | None, Form()] = None,
    category: Annotated[list[str] | None, Form()] = None,
    severity: Annotated[list[str] | None, Form()] = None,
) -> Response:
    name = require_actor(request, csrf_token, Role.VIEWER)
    digest = UserDigest(
        user=name,
        email=email.strip(),
        tags=tuple(t for t in tag or [] if t in _tags(request)),
        categories=tuple(Category(c) for c in category or [] if c in Category._value2member_map_),
        severities=tuple(Severity(s) for s in severity or [] if s in Severity._value2member_map_),
        enabled=enabled,
    )
    problem = _problem(digest)
    if problem:
        return _form(request, digest, error=problem, status_code=400)
    lexwatch(request).store.save_user_digest(digest, now(request))
    flash(
        request,
        f"Your digest goes to {digest.email} once a day."
        if enabled
        else "Your digest is off: nothing more is sent to you.",
    )
    return redirect("/account")


def _problem(digest: UserDigest) -> str:
    if len(digest.user) > MAX_NAME:
        return f"user names longer than {MAX_NAME} characters cannot have a digest"
    if not EMAIL.fullmatch(digest.email):
        return (
            f"{digest.email!r} is not an e-mail address"
            if digest.email
            else "Give an e-mail address."
        )
    return ""
