"""Operations endpoints: /healthz for load balancers, /metrics for Prometheus."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel

from dashboard.deps import Clock, Lexwatch, get_app, get_clock, read_access
from dashboard.openapi import READ_SECURITY, UNAUTHORIZED, text_answer
from monitor.errors import StorageError
from storage import browse
from storage.health import Health

logger = logging.getLogger(__name__)

router = APIRouter(tags=["ops"])


class HealthOut(BaseModel):
    status: str  # ok | error
    database: str  # ok | unreachable


@router.get(
    "/healthz",
    summary="Liveness and database check (no login needed)",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "The database is unreachable"}},
)
def healthz(app: Annotated[Lexwatch, Depends(get_app)]) -> JSONResponse:
    try:
        ok = app.store.reader.database_ok()
    except StorageError as exc:
        logger.warning("health check: %s", exc)
        ok = False
    if ok:
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)


class LexwatchCollector(Collector):
    """Reads the stored counts at scrape time, so the numbers are never stale."""

    def __init__(self, app: Lexwatch, clock: Clock) -> None:
        self.app, self.clock = app, clock

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        counts = self.app.store.reader.dashboard_counts(self.clock())
        yield from _change_metrics(counts)
        yield from _source_metrics(counts)
        yield from _outbox_metrics(counts)


def _change_metrics(counts: browse.DashboardCounts) -> Iterator[CounterMetricFamily]:
    changes = CounterMetricFamily(
        "lexwatch_changes", "Changes detected, by category", labels=["category"]
    )
    for category, n in sorted(counts.changes_by_category.items()):
        changes.add_metric([category], n)
    yield changes


def _source_metrics(counts: browse.DashboardCounts) -> Iterator[GaugeMetricFamily]:
    states = GaugeMetricFamily("lexwatch_sources", "Sources by health state", labels=["state"])
    for state in Health:
        states.add_metric([state.value], sum(1 for s in counts.sources if s.health is state))
    streak = GaugeMetricFamily(
        "lexwatch_source_failure_streak", "Failed checks in a row, per source", labels=["source"]
    )
    last = GaugeMetricFamily(
        "lexwatch_last_check_timestamp_seconds",
        "When each source was last checked (Unix time)",
        labels=["source"],
    )
    for health in counts.sources:
        streak.add_metric([health.source.key], health.failure_streak)
        if health.source.last_check_at is not None:
            last.add_metric([health.source.key], health.source.last_check_at.timestamp())
    yield from (states, streak, last)


def _outbox_metrics(counts: browse.DashboardCounts) -> Iterator[GaugeMetricFamily]:
    deliveries = GaugeMetricFamily(
        "lexwatch_deliveries", "Outbox deliveries by status", labels=["status"]
    )
    for status, n in sorted(counts.deliveries_by_status.items()):
        deliveries.add_metric([status], n)
    checks = GaugeMetricFamily(
        "lexwatch_checks_last_24h", "Checks in the last 24 hours", labels=["outcome"]
    )
    for outcome, n in sorted(counts.checks_last_24h.items()):
        checks.add_metric([outcome], n)
    yield from (deliveries, checks)


def registry_for(request: Request) -> CollectorRegistry:
    """One registry per dashboard app (not the process-global one), made on first scrape."""
    state = request.app.state
    registry: CollectorRegistry | None = getattr(state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry()
        registry.register(LexwatchCollector(get_app(request), get_clock(request)))
        state.metrics_registry = registry
    return registry


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    dependencies=[Depends(read_access)],
    openapi_extra=READ_SECURITY,
    responses={**text_answer("text/plain", "Prometheus text exposition format"), **UNAUTHORIZED},
)
def metrics(request: Request) -> Response:
    return Response(generate_latest(registry_for(request)), media_type=CONTENT_TYPE_LATEST)
