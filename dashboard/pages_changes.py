"""The timeline (one row per event), one change (evidence, dates, diff, actions) and its raw
evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from starlette.responses import Response

from dashboard import views
from dashboard.pages_common import (
    flash,
    lexwatch,
    now,
    redirect,
    render,
    require_actor,
    require_reader,
    zone,
)
from dashboard.params import RowId, lower_bound, upper_bound
from dashboard.roles import Role
from monitor.analysis.feedback import propose_rule
from monitor.types import Category, Severity
from storage import browse, documents
from storage.event_browse import EventQuery
from storage.models import ChangeRow

router = APIRouter()

PER_PAGE = 50
_FILTERS = ("source", "tag", "category", "severity", "since", "until", "q", "noise")


@dataclass(frozen=True, kw_only=True, slots=True)
class Timeline:
    """The timeline's filters as given in the URL, and what they mean as a query."""

    given: dict[str, str]
    query: browse.ChangeQuery
    problems: tuple[str, ...] = ()
    categories: tuple[str, ...] = field(default=tuple(c.value for c in Category))

    def url(self, **changes: Any) -> str:
        """This view's URL with some parameters changed (page links keep the filters)."""
        values = {**self.given, **{k: str(v) for k, v in changes.items() if v is not None}}
        values = {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}
        return "/?" + urlencode(values) if values else "/"

    @property
    def feed_url(self) -> str:
        """The Atom feed of the same filters."""
        query = urlencode(self.given)
        return "/feeds/events.atom" + (f"?{query}" if query else "")


def parse_timeline(params: dict[str, str], place: str) -> Timeline:
    """The filters from the query string; a bad value is reported and left out."""
    given = {k: params[k].strip() for k in (*_FILTERS, "page") if params.get(k, "").strip()}
    problems: list[str] = [
        f"{k}: {given.pop(k)!r} contains a NUL character" for k in list(given) if "\x00" in given[k]
    ]
    category = _choice(given, "category", [c.value for c in Category], problems)
    severity = _choice(given, "severity", [s.value for s in Severity], problems)
    since = lower_bound(_day(given, "since", problems), place)
    until = upper_bound(_day(given, "until", problems), place)
    query = browse.ChangeQuery(
        source=given.get("source"),
        tag=given.get("tag"),
        category=category,
        severity=severity,
        since=since,
        until=until,
        text=given.get("q"),
        include_noise=given.get("noise") == "1",
        page=_page(given, problems),
        per_page=PER_PAGE,
    )
    return Timeline(
        given={k: v for k, v in given.items() if k != "page"}, query=query, problems=tuple(problems)
    )


def _choice(
    given: dict[str, str], name: str, allowed: list[str], problems: list[str]
) -> str | None:
    value = given.get(name)
    if value is not None and value not in allowed:
        problems.append(f"{name}: {value!r} is not one of {', '.join(allowed)}")
        given.pop(name)
        return None
    return value


def _day(given: dict[str, str], name: str, problems: list[str]) -> date | None:
    """A YYYY-MM-DD day (dashboard.params turns it into a bound in the dashboard's zone)."""
    value = given.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name}: {value!r} is not a date (use YYYY-MM-DD)")
        given.pop(name)
        return None


def _page(given: dict[str, str], problems: list[str]) -> int:
    value = given.get("page", "1")
    # isdecimal alone lets "²" or a 5,000-digit number through to int(), which raises.
    if not (
        value.isascii()
        and value.isdecimal()
        and len(value) <= 7
        and 1 <= int(value) <= browse.MAX_PAGE
    ):
        problems.append(f"page: {value!r} is not a page number (1 to {browse.MAX_PAGE:,})")
        return 1
    return int(value)


@router.get("/", include_in_schema=False)
def timeline(request: Request) -> Response:
    require_reader(request)
    view = parse_timeline(dict(request.query_params), zone(request))
    reader = lexwatch(request).store.reader
    # One row per event, however many sources reported it (storage.event_browse).
    page = reader.events_page(EventQuery(changes=view.query))
    options = reader.filter_options()
    context = {"view": view, "page": page, "sources": options.sources, "tags": options.tags}
    return render(request, "timeline.html", context, title="Timeline")


# -- one change ---------------------------------------------------------------------------------


def _detail(request: Request, change_id: int) -> browse.ChangeDetail:
    found = lexwatch(request).store.reader.change_detail(change_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no change with id {change_id}")
    return found


@router.get("/changes/{change_id}", include_in_schema=False)
def change_page(
    request: Request,
    change_id: RowId,
    view: Annotated[str, Query(pattern="^(inline|side)$")] = "inline",
) -> Response:
    require_reader(request)
    detail = _detail(request, change_id)
    change = detail.change
    rule = propose_rule(change.source_key, change.diff)
    context = {
        "detail": detail,
        "change": change,
        "diff": views.diff_view(change.diff),
        "view": view,
        "rule": rule.as_toml() if (rule.patterns or rule.fields) else None,
        "raw": bool(detail.check and detail.check.blob_hash),
        "previous": _previous(request, change) is not None,
        "pages": documents.pages_of(change.diff),
        "muted": _is_muted(request, change.source_key, change.item_key),
    }
    return render(request, "change.html", context, title=change.title)


def _is_muted(request: Request, source_key: str, item_key: str) -> bool:
    return lexwatch(request).store.reader.is_muted(source_key, item_key)


@router.get("/changes/{change_id}/raw", include_in_schema=False)
def raw_evidence(request: Request, change_id: RowId) -> Response:
    """The stored response as a download; never rendered as a page (it is scraped HTML)."""
    require_reader(request)
    detail = _detail(request, change_id)
    digest = detail.check.blob_hash if detail.check else None
    return _download(request, digest, f"lexwatch-change-{change_id}-evidence", "raw response")


@router.get("/changes/{change_id}/raw/previous", include_in_schema=False)
def previous_version(request: Request, change_id: RowId) -> Response:
    """The stored body of the version the change compares against (the old document)."""
    require_reader(request)
    detail = _detail(request, change_id)
    digest = _previous(request, detail.change)
    return _download(request, digest, f"lexwatch-change-{change_id}-previous", "previous version")


def _download(request: Request, digest: str | None, stem: str, what: str) -> Response:
    """A stored body as an attachment in its own type; never rendered (it is scraped)."""
    body = lexwatch(request).store.blob(digest) if digest else None
    if digest is None or body is None:
        raise HTTPException(
            status_code=404,
            detail=f"the {what} of this change is not kept"
            " (it may be older than the retention period)",
        )
    media, suffix = download_type(_stored_type(request, digest))
    return Response(
        body,
        media_type=media,
        headers={
            "content-disposition": f'attachment; filename="{stem}.{suffix}"',
            "content-security-policy": "default-src 'none'; sandbox",
        },
    )


def _previous(request: Request, change: ChangeRow) -> str | None:
    return lexwatch(request).store.reader.previous_blob(change)


def _stored_type(request: Request, digest: str) -> str:
    return lexwatch(request).store.reader.blob_content_type(digest) or ""


_TEXTUAL = (
    "text/",
    "application/xml",
    "application/xhtml",
    "application/json",
    "application/rss",
    "application/atom",
)
_SUFFIXES = {
    "html": "html.txt",
    "xhtml": "html.txt",
    "xml": "xml.txt",
    "rss": "xml.txt",
    "atom": "xml.txt",
    "json": "json.txt",
}


# Documents keep their type: a download (attachment, sandboxed) the reader's viewer opens.
_DOCUMENTS = {
    "application/pdf": "pdf",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}


def download_type(stored: str) -> tuple[str, str]:
    """Text as text/plain (so no browser renders it), documents as themselves, anything else
    as plain bytes."""
    lowered = stored.lower()
    document = _DOCUMENTS.get(lowered.split(";")[0].strip())
    if document is not None:
        return lowered.split(";")[0].strip(), document
    if not lowered.startswith(_TEXTUAL):
        return "application/octet-stream", "bin"
    kind = lowered.split(";")[0].split("/")[-1].split("+")[0]
    return "text/plain; charset=utf-8", _SUFFIXES.get(kind, "txt")


# -- actions ------------------------------------------------------------------------------------


@router.post("/changes/{change_id}/noise", include_in_schema=False)
def mark_noise(
    request: Request, change_id: RowId, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    require_actor(request, csrf_token)
    row = lexwatch(request).store.mark_noise(change_id, now(request))
    if row is None:
        raise HTTPException(status_code=404, detail=f"no change with id {change_id}")
    flash(
        request,
        f"Change {change_id} is marked as noise: it leaves the timeline and is"
        " not alerted. Add the proposed rule to lexwatch.toml to ignore such changes.",
    )
    return redirect(f"/changes/{change_id}")


@router.post("/changes/{change_id}/mute", include_in_schema=False)
def mute_item(
    request: Request, change_id: RowId, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    name = require_actor(request, csrf_token)
    change = _detail(request, change_id).change
    lexwatch(request).store.mute(change.source_key, change.item_key, name, now(request))
    flash(
        request,
        f"Item {change.item_key!r} of {change.source_key} is muted: its changes are"
        " kept but no longer alerted.",
    )
    return redirect(f"/changes/{change_id}")


@router.post("/changes/{change_id}/redeliver", include_in_schema=False)
def redeliver(
    request: Request, change_id: RowId, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    require_actor(request, csrf_token, Role.ADMIN)
    _detail(request, change_id)
    count = lexwatch(request).store.redeliver(change_id, now(request))
    flash(
        request,
        f"Change {change_id} is queued for delivery again"
        f" ({count} deliver{'y' if count == 1 else 'ies'}).",
    )
    return redirect(f"/changes/{change_id}")
