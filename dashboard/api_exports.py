"""Audit exports under /api/v1: events as CSV or XLSX with the list's filters, and one event's
evidence pack (a zip). The dashboard's download links point here too: a logged-in reader or
an API token may download, as for every read of the API (``deps.read_access``).

    GET /api/v1/exports/events.csv?state=in_review&since=2026-01-01
    GET /api/v1/exports/events.xlsx?assignee=alice
    GET /api/v1/events/{id}/evidence-pack
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.responses import Response

from dashboard import exports, packs
from dashboard.api import timeline_filters
from dashboard.deps import (
    Clock,
    get_clock,
    get_reader,
    public_url,
    read_access,
    request_actor,
)
from dashboard.openapi import NOT_FOUND, READ_SECURITY, UNAUTHORIZED, file_answer
from dashboard.params import WITHOUT_NUL, RowId
from monitor import __version__
from storage.browse import ChangeQuery
from storage.event_browse import EventQuery, assignee_named, states_named
from storage.reader import Reader

router = APIRouter(
    prefix="/api/v1", tags=["exports"], dependencies=[Depends(read_access)], responses=UNAUTHORIZED
)

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL = 8 * 1024 * 1024  # a file this large is built in memory; a larger one on disk
CHUNK = 256 * 1024

# The triage list's choices: one state, "open" (new or in review) or "all".
StateChoice = Literal["new", "in_review", "actioned", "dismissed", "open", "all"]
ReaderDep = Annotated[Reader, Depends(get_reader)]
ClockDep = Annotated[Clock, Depends(get_clock)]


def event_filters(
    changes: Annotated[ChangeQuery, Depends(timeline_filters)],
    state: Annotated[
        StateChoice | None,
        Query(description="triage state; open: new or in review; all (the default): any"),
    ] = None,
    assignee: Annotated[
        str | None,
        Query(description="assigned to this user; - : to nobody", pattern=WITHOUT_NUL),
    ] = None,
) -> EventQuery:
    """The events lists' filters, by the same names: the timeline's and the triage list's."""
    return EventQuery(
        changes=changes, states=states_named(state), assignee=assignee_named(assignee)
    )


FiltersDep = Annotated[EventQuery, Depends(event_filters)]


def links(request: Request) -> exports.Links:
    """Links under alerts.dashboard_url (or the address this request came in on)."""
    return exports.Links(base=public_url(request, "/"))


def _stamp(clock: Clock) -> str:
    return clock().strftime("%Y%m%d-%H%M")


def _attachment(name: str) -> dict[str, str]:
    return {
        "content-disposition": f'attachment; filename="{name}"',
        "cache-control": "no-store",
    }


@router.get(
    "/exports/events.csv",
    summary="Events as CSV (UTF-8 with a byte order mark), one row per event",
    response_class=Response,
    responses=file_answer("text/csv", "A CSV file; formula-like cells are neutralised"),
    openapi_extra=READ_SECURITY,
)
def events_csv(
    request: Request, reader: ReaderDep, clock: ClockDep, where: FiltersDep
) -> StreamingResponse:
    chunks = exports.csv_chunks(reader.export_events(where), links(request))
    name = f"lexwatch-events-{_stamp(clock)}.csv"
    return StreamingResponse(chunks, media_type=CSV_TYPE, headers=_attachment(name))


@router.get(
    "/exports/events.xlsx",
    summary="Events as an Excel workbook, one row per event (and the filters on a sheet)",
    response_class=Response,
    responses=file_answer(XLSX_TYPE, "An XLSX workbook"),
    openapi_extra=READ_SECURITY,
)
def events_xlsx(
    request: Request, reader: ReaderDep, clock: ClockDep, where: FiltersDep
) -> StreamingResponse:
    about = export_about(where, clock(), _who(request), links(request))
    spool = _spool()
    exports.write_xlsx(reader.export_events(where), links(request), spool, about=about)
    name = f"lexwatch-events-{_stamp(clock)}.xlsx"
    return StreamingResponse(_read_out(spool), media_type=XLSX_TYPE, headers=_attachment(name))


@router.get(
    "/events/{event_id}/evidence-pack",
    summary="One event's evidence pack: a zip of its JSON, diffs and raw responses, hashed",
    response_class=Response,
    responses={**file_answer(packs.MEDIA_TYPE, "A zip file"), **NOT_FOUND},
    openapi_extra=READ_SECURITY,
)
def evidence_pack(request: Request, event_id: RowId, reader: ReaderDep) -> StreamingResponse:
    pack = reader.event_pack(event_id)
    if pack is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no event with id {event_id}")
    spool = _spool()
    packs.write_pack(pack, reader.blob, links(request), spool)
    name = f"{packs.pack_name(event_id)}.zip"
    return StreamingResponse(
        _read_out(spool), media_type=packs.MEDIA_TYPE, headers=_attachment(name)
    )


def export_about(
    where: EventQuery, moment: datetime, who: str, link: exports.Links
) -> list[tuple[str, str]]:
    """The "Export" sheet: what was asked, when, by whom, from where."""
    filters = exports.describe(where) or [("filters", "none: every event")]
    return [
        ("exported at (UTC)", moment.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("exported by", who),
        ("lexwatch", __version__),
        ("dashboard", link.url("/")),
        *filters,
    ]


def _who(request: Request) -> str:
    actor = request_actor(request)
    return actor.name if actor is not None else "anonymous reader"


def _spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL)  # closed by _read_out


def _read_out(spool: IO[bytes]) -> Iterator[bytes]:
    """The spooled file from its start, then closed (and deleted, if it went to disk)."""
    try:
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk
    finally:
        spool.close()
