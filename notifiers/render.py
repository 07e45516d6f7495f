"""E-mail content: digests and instant alerts as a subject, plain text and HTML (pure).

Python turns the Digest or Alert into small view values (human-readable labels, dates in the
reader's time zone, only http(s) links); the Jinja2 templates in ``templates/`` only lay them
out. Everything scraped is untrusted: ``.html.j2`` templates autoescape, ``.txt.j2`` ones do
not (plain text has nothing to escape), and subjects are one line of bounded length.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from monitor.types import (
    Alert,
    AlertChange,
    AlertKind,
    Category,
    Digest,
    DigestDeadline,
    Severity,
    TextOp,
    web_url,
)

SUBJECT_MAX = 120
_EXCERPT_OP_CHARS = 300  # the caller trims context; this only bounds a pathological op
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_ORDER = {category: index for index, category in enumerate(Category)}

# Singular and plural, for subjects ("1 deadline extended", "2 corrigenda").
_PHRASES: dict[Category, tuple[str, str]] = {
    Category.CONSULTATION_OPENED: ("consultation opened", "consultations opened"),
    Category.CONSULTATION_CLOSED: ("consultation closed", "consultations closed"),
    Category.DEADLINE_EXTENDED: ("deadline extended", "deadlines extended"),
    Category.DEADLINE_CHANGED: ("deadline changed", "deadlines changed"),
    Category.PUBLICATION_ADDED: ("publication added", "publications added"),
    Category.LEGAL_ACT: ("legal act", "legal acts"),
    Category.CORRIGENDUM: ("corrigendum", "corrigenda"),
    Category.AMENDMENT: ("amendment", "amendments"),
    Category.EVENT_ANNOUNCED: ("event announced", "events announced"),
    Category.PAGE_REMOVED: ("page removed", "pages removed"),
    Category.UPDATE: ("other update", "other updates"),
    Category.EDITORIAL: ("editorial change", "editorial changes"),
    Category.NOISE: ("noise change", "noise changes"),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class RenderedEmail:
    """What an e-mail says: one-line subject, plain-text body and HTML body."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeView:
    id: int
    label: str
    severity: str
    title: str
    source_title: str
    summary: str
    dates: str | None
    excerpt: tuple[TextOp, ...]
    url: str | None
    change_url: str | None
    detected: str


@dataclass(frozen=True, kw_only=True, slots=True)
class GroupView:
    label: str
    changes: tuple[ChangeView, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class DeadlineView:
    label: str
    source_title: str
    due: str
    relative: str
    kind: str
    url: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthView:
    down: bool
    source_title: str
    source_url: str | None
    when: str
    detail: str


@functools.cache
def environment() -> jinja2.Environment:
    """The templates' environment, built once (autoescape for .html.j2 only)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = wrap
    return env


# ---- entry points -------------------------------------------------------------------------


def render_digest(digest: Digest) -> RenderedEmail:
    """The digest e-mail: changes grouped by category, deadlines due soon, source health."""
    zone = ZoneInfo(digest.timezone)
    dashboard = _dashboard(digest.dashboard_url)
    context: dict[str, object] = {
        "subscription": line(digest.subscription),
        "period": _period(digest, zone),
        "day": _long_day(digest.period_end.astimezone(zone).date()),
        "headline": ", ".join(_digest_counts(digest)),
        "groups": group_changes(digest, zone, dashboard),
        "deadlines": [
            _deadline_view(d, digest, zone) for d in sorted(digest.deadlines, key=lambda d: d.due)
        ],
        "health": [_health_view(a, zone) for a in digest.health],
        "dashboard_url": dashboard,
        "timezone": digest.timezone,
    }
    return _render("digest", digest_subject(digest), context)


def render_alert_email(alert: Alert, *, timezone: str = "Europe/Brussels") -> RenderedEmail:
    """An instant e-mail about one change, one source health event, or a test message."""
    zone = ZoneInfo(timezone)
    dashboard = _dashboard(alert.dashboard_url)
    context: dict[str, object] = {
        "kind": alert.kind.value,
        "subscription": line(alert.subscription),
        "change": (
            _change_view(alert.change, alert.source.title, zone, dashboard)
            if alert.change is not None
            else None
        ),
        "health": (
            _health_view(alert, zone)
            if alert.kind in (AlertKind.SOURCE_DOWN, AlertKind.SOURCE_RECOVERED)
            else None
        ),
        "source_title": line(alert.source.title) or line(alert.source.key),
        "detail": line(alert.detail),
        "sent": _moment(alert.created_at, zone),
        "dashboard_url": dashboard,
    }
    return _render("alert", alert_subject(alert), context)


def _render(name: str, subject: str, context: dict[str, object]) -> RenderedEmail:
    values = {**context, "subject": subject}
    return RenderedEmail(
        subject=subject,
        text=environment().get_template(f"{name}.txt.j2").render(values),
        html=environment().get_template(f"{name}.html.j2").render(values),
    )


# ---- subjects -----------------------------------------------------------------------------


def digest_subject(digest: Digest) -> str:
    """E.g. "3 changes, 1 deadline extended, 2 deadlines due — lexwatch digest 22 Nov"."""
    day = digest.period_end.astimezone(ZoneInfo(digest.timezone)).date()
    return fit_subject(_digest_counts(digest), f" — lexwatch digest {_day_month(day)}")


def alert_subject(alert: Alert) -> str:
    """E.g. "Deadline extended: <title> (10 Sep 2025 → 18 Sep 2025) — lexwatch"."""
    suffix = " — lexwatch"
    if alert.kind is AlertKind.TEST:
        return f"Test message{suffix}"
    if alert.kind in (AlertKind.SOURCE_DOWN, AlertKind.SOURCE_RECOVERED):
        state = "Source down" if alert.kind is AlertKind.SOURCE_DOWN else "Source recovered"
        return _truncate(f"{state}: {line(alert.source.title)}", SUBJECT_MAX - len(suffix)) + suffix
    change = alert.change
    if change is None:
        return f"Alert{suffix}"
    dates = _dates(change.old_date, change.new_date, short=True)
    tail = f" ({dates})" if dates else ""
    head = f"{category_label(change.category)}: "
    title = _truncate(line(change.title), SUBJECT_MAX - len(head) - len(tail) - len(suffix))
    return f"{head}{title}{tail}{suffix}"


def fit_subject(parts: Sequence[str], suffix: str) -> str:
    """Join parts with commas, dropping trailing parts (then cutting) to stay in SUBJECT_MAX."""
    kept = list(parts)
    while len(kept) > 1 and len(", ".join(kept)) + len(suffix) > SUBJECT_MAX:
        kept.pop()
    return _truncate(line(", ".join(kept)), SUBJECT_MAX - len(suffix)) + suffix


def _digest_counts(digest: Digest) -> list[str]:
    parts = _change_counts(digest.changes)
    if digest.deadlines:
        parts.append(_plural(len(digest.deadlines), "deadline due", "deadlines due"))
    down = sum(1 for alert in digest.health if alert.kind is AlertKind.SOURCE_DOWN)
    if down:
        parts.append(_plural(down, "source down", "sources down"))
    return parts


def _change_counts(changes: Sequence[AlertChange]) -> list[str]:
    """ "No changes"; "2 corrigenda" (one category); else the total and the top categories."""
    if not changes:
        return ["No changes"]
    counts = Counter(change.category for change in changes)
    if len(counts) == 1:
        category, count = counts.popitem()
        return [_plural(count, *_PHRASES[category])]
    rank = {c: max(ch.severity.rank for ch in changes if ch.category is c) for c in counts}
    ordered = sorted(counts, key=lambda c: (-rank[c], -counts[c], _ORDER[c]))
    top = [c for c in ordered if rank[c] == rank[ordered[0]]][:2]
    return [
        _plural(len(changes), "change", "changes"),
        *(_plural(counts[c], *_PHRASES[c]) for c in top),
    ]


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


# ---- views --------------------------------------------------------------------------------


def group_changes(digest: Digest, zone: ZoneInfo, dashboard: str | None) -> list[GroupView]:
    """Changes by category; categories with the most severe change first, then by taxonomy
    order; inside a category, high severity first, then oldest first."""
    by_category: dict[Category, list[AlertChange]] = {}
    for change in digest.changes:
        by_category.setdefault(change.category, []).append(change)
    top = {c: max(ch.severity.rank for ch in chs) for c, chs in by_category.items()}
    groups = []
    for category in sorted(by_category, key=lambda c: (-top[c], _ORDER[c])):
        changes = sorted(
            by_category[category], key=lambda ch: (-ch.severity.rank, ch.detected_at, ch.id)
        )
        views = tuple(_event_view(ch, digest, zone, dashboard) for ch in changes)
        groups.append(GroupView(label=category_label(category), changes=views))
    return groups


def _change_view(
    change: AlertChange, source_title: str, zone: ZoneInfo, dashboard: str | None
) -> ChangeView:
    return ChangeView(
        id=change.id,
        label=category_label(change.category),
        severity=Severity(change.severity).value,
        title=line(change.title) or "(untitled)",
        source_title=line(source_title),
        summary=line(change.summary),
        dates=_dates(change.old_date, change.new_date, short=False),
        excerpt=excerpt_ops(change.excerpt),
        url=safe_url(change.url),
        change_url=f"{dashboard}/changes/{change.id}" if dashboard else None,
        detected=_moment(change.detected_at, zone),
    )


def _event_view(
    change: AlertChange, digest: Digest, zone: ZoneInfo, dashboard: str | None
) -> ChangeView:
    """A change, or the event it is the latest change of: "seen on 3 sources", its page."""
    view = _change_view(change, _source_title(digest, change), zone, dashboard)
    event = digest.events.get(change.event_id) if change.event_id is not None else None
    if event is None or len(event.sources) < 2:
        return view
    seen = f"seen on {len(event.sources)} sources: " + ", ".join(event.sources)
    page = f"{dashboard}/events/{event.id}" if dashboard else None
    return replace(view, source_title=line(seen), change_url=page or view.change_url)


def _source_title(digest: Digest, change: AlertChange) -> str:
    source = digest.sources.get(change.source_key)
    return source.title if source is not None else change.source_key


def _deadline_view(deadline: DigestDeadline, digest: Digest, zone: ZoneInfo) -> DeadlineView:
    source = digest.sources.get(deadline.source_key)
    due = deadline.due.astimezone(zone)
    days = (due.date() - digest.period_end.astimezone(zone).date()).days
    return DeadlineView(
        label=line(deadline.label),
        source_title=line(source.title if source is not None else deadline.source_key),
        due=_day_and_time(due),
        relative=_relative(days),
        kind=line(deadline.kind),
        url=safe_url(deadline.url),
    )


def _health_view(alert: Alert, zone: ZoneInfo) -> HealthView:
    return HealthView(
        down=alert.kind is AlertKind.SOURCE_DOWN,
        source_title=line(alert.source.title) or line(alert.source.key),
        source_url=safe_url(alert.source.url),
        when=_moment(alert.created_at, zone),
        detail=line(alert.detail),
    )


def excerpt_ops(ops: Iterable[TextOp]) -> tuple[TextOp, ...]:
    """The excerpt with whitespace collapsed and each run bounded; empty runs dropped."""
    cleaned = (TextOp(op=op.op, text=_truncate(line(op.text), _EXCERPT_OP_CHARS)) for op in ops)
    return tuple(op for op in cleaned if op.text)


def category_label(category: Category | str) -> str:
    """ "consultation_opened" → "Consultation opened" (``monitor.types.CATEGORIES``)."""
    return Category(category).label


# ---- text helpers -------------------------------------------------------------------------


def line(text: str | None) -> str:
    """One line of scraped text: control, bidi-override and line-break characters become
    spaces and whitespace runs collapse, so it cannot break a header or fake a layout."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text or "")).strip()


def safe_url(url: str | None) -> str | None:
    """The URL when a reader may follow it (monitor.types.web_url); None otherwise."""
    return web_url(url)


def wrap(text: str, width: int = 76, indent: int = 0, first: int | None = None) -> str:
    """Word-wrap for plain text bodies; long words (URLs) are never broken."""
    lead = " " * (indent if first is None else first)
    return (
        textwrap.fill(
            text,
            width=width,
            initial_indent=lead,
            subsequent_indent=" " * indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        or lead
    )


def _truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary where one is near, with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip() + "…"


def _dashboard(url: str | None) -> str | None:
    safe = safe_url(url)
    return safe.rstrip("/") if safe else None


def _dates(old: date | None, new: date | None, *, short: bool) -> str | None:
    show = _short_date if short else _long_day
    if old and new:
        return f"{show(old)} → {show(new)}"
    if new:
        return show(new)
    if old:
        return f"was {show(old)}"
    return None


def _long_day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _short_date(day: date) -> str:
    return f"{_day_month(day)} {day.year}"


def _day_and_time(moment: datetime) -> str:
    """ "Fri 28 Nov 2025", with the time only when it is not midnight (a day-only date)."""
    day = f"{_WEEKDAYS[moment.weekday()]} {_short_date(moment.date())}"
    if moment.timetz().replace(tzinfo=None) == time(0, 0):
        return day
    return f"{day}, {moment:%H:%M} {moment.tzname()}"


def _day_month(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1][:3]}"


def _moment(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{_WEEKDAYS[local.weekday()]} {_short_date(local.date())}, {local:%H:%M %Z}"


def _period(digest: Digest, zone: ZoneInfo) -> str:
    return f"{_moment(digest.period_start, zone)} to {_moment(digest.period_end, zone)}"


def _relative(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return "yesterday" if days == -1 else f"{-days} days ago"
