"""Apprise: one URL reaches Teams, Discord, Telegram, ntfy, Matrix, Pushover and 100 more.

The alert becomes a title and a short body. Services whose messages are Markdown (Teams
workflows, and Discord or Mattermost, which render Markdown in any message) get the scraped
text Markdown-escaped (and sent as Markdown, so Apprise does not convert it again); the rest
get plain text, which Apprise escapes itself for HTML services. Mentions such as
``@everyone`` are made inert everywhere. Apprise's ``notify`` is blocking (requests), so it
runs in a worker thread. The URL often holds a token: error messages never show it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import date

import apprise

from monitor.errors import NotifyError
from monitor.types import Alert, AlertChange, AlertKind, Receipt, Severity, TextOp
from notifiers.escape import clip, markdown, one_line, unping

log = logging.getLogger(__name__)

# Services that render Markdown in plain messages although Apprise sends them text.
MARKDOWN_SCHEMES = frozenset({"discord", "mmost", "mmosts", "rocket", "rockets", "zulip"})
MAX_TITLE = 250
MAX_LINE = 600
MAX_EVIDENCE = 3


class AppriseSender:
    """Sends alerts to one Apprise URL (``Sender`` protocol)."""

    def __init__(self, url: str) -> None:
        self._scheme = url.split("://", 1)[0] if "://" in url else "?"
        self._apprise = apprise.Apprise()
        # add() is False for unknown schemes and malformed URLs; send() reports it.
        self._supported = bool(self._apprise.add(url))
        self._markdown = self._supported and (
            self._apprise[0].notify_format == apprise.NotifyFormat.MARKDOWN
            or self._scheme.lower() in MARKDOWN_SCHEMES
        )

    @property
    def markdown(self) -> bool:
        """Whether this service renders Markdown (scraped text is then Markdown-escaped)."""
        return self._markdown

    async def send(self, alert: Alert) -> Receipt:
        """Notify; NotifyError(permanent) for an unsupported URL, NotifyError when it fails."""
        if not self._supported:
            raise NotifyError(
                f"subscription {alert.subscription!r}: Apprise does not support"
                f" the URL (scheme {self._scheme!r}) or it is malformed;"
                " see https://github.com/caronc/apprise/wiki",
                permanent=True,
            )
        title, body = apprise_message(alert, markdown_format=self._markdown)
        body_format = apprise.NotifyFormat.MARKDOWN if self._markdown else apprise.NotifyFormat.TEXT
        ok = await asyncio.to_thread(
            self._apprise.notify,
            body=body,
            title=title,
            notify_type=_notify_type(alert),
            body_format=body_format,
        )
        if not ok:
            raise NotifyError(
                f"Apprise ({self._scheme}://) could not deliver alert"
                f" {alert.delivery_id} of subscription {alert.subscription!r};"
                " its log says why"
            )
        return Receipt(remote_id=None)


def apprise_message(alert: Alert, *, markdown_format: bool) -> tuple[str, str]:
    """Title and body of ``alert`` as plain text, or as Markdown with scraped text escaped."""
    text: Callable[[str], str] = markdown if markdown_format else unping
    if alert.kind is AlertKind.CHANGE and alert.change is not None:
        change = alert.change
        title = f"{change.category.label}: {one_line(change.title)}"
        body = _change_lines(alert, change, text, markdown_format)
    elif alert.kind is AlertKind.TEST:
        title = "lexwatch test message"
        body = [f"This is a test from lexwatch subscription {text(alert.subscription)}."]
        if alert.change is not None:
            body += ["", *_change_lines(alert, alert.change, text, markdown_format)]
    else:
        state = "down" if alert.kind is AlertKind.SOURCE_DOWN else "recovered"
        title = f"Source {state}: {one_line(alert.source.title or alert.source.key)}"
        source = text(clip(one_line(alert.source.title), MAX_TITLE))
        body = [f"{source} ({_url(alert.source.url, markdown_format)})"]
        if one_line(alert.detail):
            body.append(text(clip(one_line(alert.detail), MAX_LINE)))
    return text(clip(title, MAX_TITLE)), "\n".join(body)


def _change_lines(
    alert: Alert, change: AlertChange, text: Callable[[str], str], markdown_format: bool
) -> list[str]:
    lines = [
        f"{change.severity.value.upper()} · {change.category.label}"
        f" · {text(clip(one_line(alert.source.title), MAX_TITLE))}"
    ]
    summary = one_line(change.summary)
    if summary:
        lines.append(text(clip(summary, MAX_LINE)))
    moved = _dates(change.old_date, change.new_date)
    if moved:
        lines.append(f"Date: {moved}")
    excerpt = _excerpt(change.excerpt, text, markdown_format)
    if excerpt:
        lines.append(f"What changed: {excerpt}")
    lines += [f"“{text(clip(one_line(s), MAX_LINE))}”" for s in change.evidence[:MAX_EVIDENCE]]
    if change.url:
        lines.append(f"Document: {_url(change.url, markdown_format)}")
    if alert.dashboard_url:
        dashboard = f"{alert.dashboard_url.rstrip('/')}/changes/{change.id}"
        lines.append(f"Dashboard: {_url(dashboard, markdown_format)}")
    return lines


def _url(url: str, markdown_format: bool) -> str:
    """A URL as an autolink in Markdown (its ``_`` and ``*`` must not become emphasis)."""
    if not markdown_format:
        return url
    return "<" + url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20") + ">"


def _dates(old: date | None, new: date | None) -> str:
    if old and new and old != new:
        return f"{old.isoformat()} → {new.isoformat()}"
    known = new or old
    return known.isoformat() if known else ""


def _excerpt(ops: Iterable[TextOp], text: Callable[[str], str], markdown_format: bool) -> str:
    """Deletions and insertions marked: ~~x~~ **y** in Markdown, wdiff's [-x-] {+y+} in text."""
    marks = (
        {"insert": "**{}**", "delete": "~~{}~~"}
        if markdown_format
        else {"insert": "{{+{}+}}", "delete": "[-{}-]"}
    )
    pieces: list[str] = []
    used = 0
    for op in ops:
        words = one_line(op.text)
        if not words:
            continue
        piece = marks.get(op.op, "{}").format(text(clip(words, MAX_LINE)))
        if used + len(piece) > MAX_LINE * 2:  # whole runs only: no half-closed ** or ~~
            pieces.append("…")
            break
        pieces.append(piece)
        used += len(piece) + 1
    return " ".join(pieces)


def _notify_type(alert: Alert) -> apprise.NotifyType:
    if alert.kind is AlertKind.SOURCE_DOWN:
        return apprise.NotifyType.FAILURE
    if alert.kind is AlertKind.SOURCE_RECOVERED:
        return apprise.NotifyType.SUCCESS
    if alert.change is not None and alert.change.severity is Severity.HIGH:
        return apprise.NotifyType.WARNING
    return apprise.NotifyType.INFO
