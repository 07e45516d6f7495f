"""Source health, one source's history, comparing two snapshots, and "check now"."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from starlette.responses import Response

from dashboard import chart, views
from dashboard.api import run_check
from dashboard.pages_common import (
    flash,
    lexwatch,
    now,
    redirect,
    render,
    require_actor,
    require_reader,
)
from dashboard.params import SnapshotId, SourceKey
from monitor.analysis.diff import diff_documents
from storage import browse
from storage.codec import diff_to_dict

logger = logging.getLogger(__name__)
router = APIRouter()

MAX_COMPARED_ITEMS = 200  # a compare page shows at most this many item diffs
_running: set[asyncio.Task[None]] = set()


@router.get("/sources", include_in_schema=False)
def sources_page(request: Request) -> Response:
    require_reader(request)
    health = lexwatch(request).store.reader.source_health(now(request))
    rows = [(h, chart.sparkline(h.recent_outcomes)) for h in health]
    return render(request, "sources.html", {"rows": rows}, title="Sources")


def _source(request: Request, key: str) -> browse.SourceHealth:
    found = lexwatch(request).store.reader.source_health(now(request), key)
    if not found:
        raise HTTPException(status_code=404, detail=f"no source with key {key!r}")
    return found[0]


@router.get("/sources/{key}", include_in_schema=False)
def source_page(request: Request, key: SourceKey) -> Response:
    require_reader(request)
    health = _source(request, key)
    reader = lexwatch(request).store.reader
    snapshots = reader.source_snapshots(key, limit=100)
    checks = reader.recent_checks(key, limit=30)
    context = {
        "health": health,
        "spark": chart.sparkline(health.recent_outcomes),
        "snapshots": snapshots,
        "checks": checks,
        "checkable": key in lexwatch(request).sources,
    }
    return render(request, "source.html", context, title=health.source.title)


@router.get("/sources/{key}/compare", include_in_schema=False)
def compare_page(request: Request, key: SourceKey, old: SnapshotId, new: SnapshotId) -> Response:
    """The item diffs between any two stored snapshots of a source."""
    require_reader(request)
    health = _source(request, key)
    store = lexwatch(request).store
    infos = [store.reader.snapshot_info(snapshot) for snapshot in (old, new)]
    if any(info is None or info.source_key != key for info in infos):
        raise HTTPException(
            status_code=404, detail=f"snapshots {old} and {new} are not both snapshots of {key!r}"
        )
    diffs = diff_documents(store.document(old), store.document(new))
    items = [
        (d.kind.value, d.key, views.diff_view(diff_to_dict(d))) for d in diffs[:MAX_COMPARED_ITEMS]
    ]
    context = {
        "health": health,
        "old": infos[0],
        "new": infos[1],
        "items": items,
        "total": len(diffs),
        "view": request.query_params.get("view", "inline"),
    }
    return render(request, "compare.html", context, title=f"Compare {key}")


@router.post("/sources/{key}/check", include_in_schema=False)
async def check_now(
    request: Request, key: SourceKey, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    """Start a check of the source in the background and come back to its page."""
    require_actor(request, csrf_token)
    app = lexwatch(request)
    source = app.sources.get(key)
    if source is None:
        raise HTTPException(status_code=404, detail=f"{key!r} is not a configured source")
    task = asyncio.create_task(run_check(app, request.app.state.checker, source))
    _running.add(task)  # keep a reference until it is done (asyncio holds only weak ones)
    task.add_done_callback(_running.discard)
    flash(request, f"A check of {key} has started; reload this page in a moment to see it.")
    return redirect(f"/sources/{key}")
