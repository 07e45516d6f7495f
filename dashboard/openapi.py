"""What the OpenAPI document says beyond the routes themselves: the error answers, the API
token as a bearer security scheme, and which operations need it.

A client generated from /api/openapi.json must accept every answer the dashboard gives, so
every status an operation can answer with is listed here with its body. Errors other than
422 are ``{"detail": "<what went wrong and what to do>"}``; a 422 is FastAPI's list of
problems (``HTTPValidationError``), also for the date parameters parsed by dashboard.params.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

BEARER = "apiToken"

# Reading is open unless dashboard.login_required; then it needs a token (or a login).
READ_SECURITY: dict[str, Any] = {"security": [{}, {BEARER: []}]}
TOKEN_SECURITY: dict[str, Any] = {"security": [{BEARER: []}]}


class Problem(BaseModel):
    """An error answer."""

    detail: str


def _answer(description: str, **extra: Any) -> dict[str, Any]:
    return {"model": Problem, "description": description, **extra}


_CHALLENGE = {
    "WWW-Authenticate": {"description": 'Bearer realm="lexwatch"', "schema": {"type": "string"}}
}
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: _answer(
        "No valid API token (or login) where one is needed: send Authorization: Bearer <token>",
        headers=_CHALLENGE,
    )
}
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: _answer(
        "A token was sent but API tokens are not configured (LEXWATCH_DASHBOARD__API_TOKENS),"
        " or the token's user lacks the role this needs (viewer < editor < admin)"
    )
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: _answer("No such item (for an assignment: no such event, or no such user)")
}
ACTION = {**UNAUTHORIZED, **FORBIDDEN, **NOT_FOUND}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: _answer(
        "The event changed since the version sent (another user acted first), or the"
        " transition is not allowed from its current state: reload and try again"
    )
}


def text_answer(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 whose body is a document of ``media_type`` (a feed, metrics), not JSON."""
    return {
        200: {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}
    }


def file_answer(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 whose body is a file to save (a spreadsheet, a zip), sent as an attachment."""
    disposition = {
        "Content-Disposition": {
            "description": 'attachment; filename="..."',
            "schema": {"type": "string"},
        }
    }
    schema = {"type": "string", "format": "binary"}
    return {
        200: {
            "description": description,
            "headers": disposition,
            "content": {media_type: {"schema": schema}},
        }
    }


def install(web: FastAPI) -> None:
    """Generate the document once, with the bearer scheme the ``security`` entries name."""

    def document() -> dict[str, Any]:
        if web.openapi_schema is None:
            schema = get_openapi(
                title=web.title, version=web.version, routes=web.routes, description=web.description
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "one of the tokens in LEXWATCH_DASHBOARD__API_TOKENS"
                    " (user:token acts as that user, with their role)",
                }
            }
            web.openapi_schema = schema
        return web.openapi_schema

    web.openapi = document  # type: ignore[method-assign]
