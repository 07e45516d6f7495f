"""Slack: Block Kit rendering (pure) and delivery by bot token or incoming webhook.

``slack_message(alert)`` turns an Alert into the fallback text (shown in notifications and by
clients that cannot draw blocks) and the Block Kit blocks. Every piece of scraped text goes
through ``notifiers.escape`` so it renders literally; see that module for why it is safe.

``SlackSender`` delivers one alert and translates every failure into ``NotifyError``: 429 carries
the Retry-After seconds, errors that no retry can fix (bad token, unknown channel, bot not in
the channel, ...) are ``permanent``, and the rest (5xx, connection errors) are transient. It
never retries itself: the outbox does, and a client-side retry would double-send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from monitor.errors import ConfigError, NotifyError
from monitor.types import (
    EVENT_UPDATE,
    Alert,
    AlertChange,
    AlertEvent,
    AlertKind,
    Channel,
    Receipt,
    Subscription,
    TextOp,
)
from notifiers.escape import clip, clip_mrkdwn, is_web_url, link, mrkdwn, one_line, plain
from notifiers.labels import SEVERITY_MARKS
from sources.fetch.retry_after import retry_after

log = logging.getLogger(__name__)

Block = dict[str, Any]

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_BLOCKS = 50
MAX_TEXT = 40_000
# Our own budgets, well inside the limits, so one alert stays readable.
MAX_EXCERPT = 1200
MAX_EVIDENCE = 5
MAX_SENTENCE = 500
MAX_FALLBACK = 300

# chat.postMessage errors no retry can fix; anything else unknown is retried by the outbox.
PERMANENT_ERRORS: dict[str, str] = {
    "invalid_auth": "the bot token is invalid; check LEXWATCH_ALERTS__SLACK_TOKEN",
    "not_authed": "no bot token was sent; set LEXWATCH_ALERTS__SLACK_TOKEN",
    "account_inactive": "the bot's account or app was deactivated",
    "token_revoked": "the bot token was revoked; install the app again",
    "token_expired": "the bot token expired; rotate it",
    "no_permission": "the token may not post here",
    "missing_scope": "the bot token needs the chat:write scope",
    "channel_not_found": "no such channel (use its id, e.g. C0123456789, or #name)",
    "not_in_channel": "invite the bot to the channel first (/invite @your-app)",
    "is_archived": "the channel is archived",
    "restricted_action": "the workspace does not allow this bot to post here",
    "invalid_blocks": "Slack rejected the message blocks",
    "invalid_blocks_format": "Slack rejected the message blocks",
    "msg_too_long": "the message is too long",
    "invalid_arguments": "Slack rejected the request's arguments",
    "team_access_not_granted": "the token has no access to this workspace",
    "ekm_access_denied": "the workspace's key management denied the message",
}
THREAD_ERRORS = frozenset({"thread_not_found", "invalid_thread_ts"})
# Incoming webhooks answer plain-text codes; these statuses mean the URL or payload is bad.
PERMANENT_WEBHOOK_STATUSES = frozenset({400, 401, 403, 404, 410})
NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)
NOT_JSON = "the answer is not Slack's JSON (a proxy or an outage page?); retried"


# -- rendering --------------------------------------------------------------------------------


def slack_message(alert: Alert) -> tuple[str, list[Block]]:
    """The fallback text and the Block Kit blocks for ``alert`` (pure; all scraped text escaped).

    Raises ValueError for a CHANGE alert without a change.
    """
    if alert.kind is AlertKind.CHANGE:
        if alert.change is None:
            raise ValueError(f"alert {alert.delivery_id} is a change alert without a change")
        text, blocks = _change_text(alert, alert.change), _change_blocks(alert, alert.change)
    elif alert.kind is AlertKind.TEST:
        text, blocks = _test_message(alert)
    else:
        text, blocks = _health_text(alert), _health_blocks(alert)
    return clip_mrkdwn(text, MAX_TEXT), _limit_blocks(blocks)


def _change_text(alert: Alert, change: AlertChange) -> str:
    label = change.category.label
    title = clip(one_line(change.title), MAX_FALLBACK)
    return (
        f"{SEVERITY_MARKS[change.severity]} {label} ({change.severity.value}): "
        f"{mrkdwn(title)} · {mrkdwn(one_line(alert.source.title))}"
    )


def _change_blocks(alert: Alert, change: AlertChange) -> list[Block]:
    blocks = [_header(change.title or change.category.label), _section(_change_lead(alert, change))]
    excerpt = excerpt_mrkdwn(change.excerpt, MAX_EXCERPT)
    if excerpt:
        blocks.append(_section(f"*What changed* (~removed~ *added*)\n{excerpt}"))
    evidence = _evidence(change.evidence)
    if evidence:
        blocks.append(_section(f"*Evidence*\n{evidence}"))
    blocks.append(_context(_change_links(alert, change)))
    return blocks


def _change_lead(alert: Alert, change: AlertChange) -> str:
    lines = [
        f"{SEVERITY_MARKS[change.severity]} *{change.category.label}*"
        f" · {change.severity.value} severity",
        f"*Source:* {_source_link(alert)}",
    ]
    if alert.event is not None and len(alert.event.sources) > 1:
        lines.append(f"*Seen on {len(alert.event.sources)} sources:* {_sources(alert.event)}")
    moved = _date_line(change.old_date, change.new_date)
    if moved:
        lines.append(moved)
    summary = one_line(change.summary)
    if summary and summary != one_line(change.title):
        lines.append(mrkdwn(clip(summary, MAX_SENTENCE * 2)))
    return "\n".join(lines)


def _date_line(old: date | None, new: date | None) -> str:
    if old and new and old != new:
        return f"*Date:* {_day(old)} → *{_day(new)}*"
    if new:
        return f"*Date:* {_day(new)}"
    if old:
        return f"*Date:* ~{_day(old)}~ (no longer stated)"
    return ""


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def excerpt_mrkdwn(ops: Iterable[TextOp], limit: int) -> str:
    """The word diff as mrkdwn: deletions ~struck~, insertions *bold*, context plain.

    Each run is escaped on its own and kept whole (a span cut in half would leave a stray
    marker); runs that no longer fit are replaced by an ellipsis.
    """
    pieces: list[str] = []
    used = 0
    for op in ops:
        words = one_line(op.text)
        if not words:
            continue
        escaped = mrkdwn(clip(words, MAX_SENTENCE))
        piece = {"insert": f"*{escaped}*", "delete": f"~{escaped}~"}.get(op.op, escaped)
        if used + len(piece) + 1 > limit - 1:
            pieces.append("…")
            break
        pieces.append(piece)
        used += len(piece) + 1
    return " ".join(pieces)


def _evidence(sentences: Iterable[str]) -> str:
    quoted = [f">{mrkdwn(clip(one_line(s), MAX_SENTENCE))}" for s in sentences if one_line(s)]
    return "\n".join(quoted[:MAX_EVIDENCE])


def _change_links(alert: Alert, change: AlertChange) -> list[str]:
    parts = []
    if is_web_url(change.url):
        parts.append(link(change.url or "", "Open the document"))
    dashboard = _dashboard(alert, change.id)
    if dashboard:
        parts.append(link(dashboard, "View in lexwatch"))
    event = _event_page(alert)
    if event:
        parts.append(link(event, "The event"))
    if change.related_to is not None:
        related = _dashboard(alert, change.related_to)
        label = f"Follows change #{change.related_to}"
        parts.append(link(related, label) if related else label)
    parts.append(f"Detected {_when(change.detected_at)}")
    return parts


def _dashboard(alert: Alert, change_id: int) -> str | None:
    if not alert.dashboard_url:
        return None
    return f"{alert.dashboard_url.rstrip('/')}/changes/{change_id}"


def _event_page(alert: Alert) -> str | None:
    if not alert.dashboard_url or alert.event is None:
        return None
    return f"{alert.dashboard_url.rstrip('/')}/events/{alert.event.id}"


def _sources(event: AlertEvent) -> str:
    return mrkdwn(clip(", ".join(one_line(title) for title in event.sources), MAX_SENTENCE))


def event_message(alert: Alert) -> tuple[str, list[Block]]:
    """The event's first message as it reads after a later change (``chat.update``): the
    event as it stands now, seen on how many sources, and what changed last (pure)."""
    event = alert.event
    if event is None:
        raise ValueError(f"alert {alert.delivery_id} has no event")
    count = len(event.sources)
    seen = f"seen on {count} source{'s' if count != 1 else ''}"
    text = (
        f"{SEVERITY_MARKS[event.severity]} {event.category.label} ({event.severity.value}): "
        f"{mrkdwn(clip(one_line(event.title), MAX_FALLBACK))} · {seen}"
    )
    lines = [
        f"{SEVERITY_MARKS[event.severity]} *{event.category.label}*"
        f" · {event.severity.value} severity",
        f"*Seen on {count} source{'s' if count != 1 else ''}:* {_sources(event)}",
    ]
    moved = _date_line(event.old_date, event.new_date)
    if moved:
        lines.append(moved)
    summary = one_line(event.summary)
    if summary and summary != one_line(event.title):
        lines.append(mrkdwn(clip(summary, MAX_SENTENCE * 2)))
    parts = [f"{event.change_count} changes; the latest in the thread"]
    page = _event_page(alert)
    if page:
        parts.append(link(page, "The event in lexwatch"))
    blocks = [_header(event.title or event.category.label), _section("\n".join(lines))]
    blocks.append(_context(parts))
    return clip_mrkdwn(text, MAX_TEXT), _limit_blocks(blocks)


def _when(moment: datetime) -> str:
    """A Slack date token: each reader sees it in their own time zone; UTC as the fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _source_link(alert: Alert) -> str:
    return link(alert.source.url, alert.source.title or alert.source.key)


def _health_text(alert: Alert) -> str:
    state = "down" if alert.kind is AlertKind.SOURCE_DOWN else "recovered"
    detail = one_line(alert.detail)
    title = mrkdwn(one_line(alert.source.title or alert.source.key))
    return f"Source {state}: {title}" + (
        f": {mrkdwn(clip(detail, MAX_FALLBACK))}" if detail else ""
    )


def _health_blocks(alert: Alert) -> list[Block]:
    down = alert.kind is AlertKind.SOURCE_DOWN
    heading = "\u26a0\ufe0f Source down" if down else "\u2705 Source recovered"
    body = (
        f"lexwatch cannot check {_source_link(alert)} any more."
        if down
        else f"Checks of {_source_link(alert)} succeed again."
    )
    detail = one_line(alert.detail)
    if detail:
        body += f"\n>{mrkdwn(clip(detail, MAX_SENTENCE * 2))}"
    context = [f"Source key: {mrkdwn(alert.source.key)}", _when(alert.created_at)]
    return [
        _header(f"{heading}: {alert.source.title or alert.source.key}"),
        _section(body),
        _context(context),
    ]


def _test_message(alert: Alert) -> tuple[str, list[Block]]:
    name = mrkdwn(one_line(alert.subscription))
    text = f"lexwatch test message for subscription {name}"
    note = (
        f"\U0001f9ea This is a *test* from lexwatch subscription *{name}*. If you can read"
        " it, alerts for this subscription reach this channel."
    )
    if alert.change is not None:
        note += " Below, a sample of how a change alert looks (nothing changed)."
    blocks = [_header("lexwatch test message"), _section(note)]
    if alert.change is not None:
        blocks += [_divider(), *_change_blocks(alert, alert.change)]
    return text, blocks


def _header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": plain(text, MAX_HEADER), "emoji": False},
    }


def _section(text: str) -> Block:
    # verbatim: no auto-linking of bare URLs or #names in scraped text (our <url|x> still work).
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip_mrkdwn(text, MAX_SECTION), "verbatim": True},
    }


def _context(parts: list[str]) -> Block:
    text = clip_mrkdwn(" · ".join(parts), MAX_SECTION)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def _divider() -> Block:
    return {"type": "divider"}


def _limit_blocks(blocks: list[Block]) -> list[Block]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    more = _context([f"… {len(blocks) - MAX_BLOCKS + 1} more blocks left out"])
    return [*blocks[: MAX_BLOCKS - 1], more]


# -- delivery ---------------------------------------------------------------------------------


class SlackSender:
    """Sends alerts to one Slack subscription (``Sender`` protocol).

    Channel SLACK posts with ``client`` (``chat.postMessage``, replies in ``alert.thread_ts``'s
    thread); SLACK_WEBHOOK posts to the incoming webhook ``webhook`` (no threads there).
    Clients must have no retry handlers (``retry_handlers=[]``): the outbox retries.
    """

    def __init__(
        self,
        subscription: Subscription,
        *,
        client: AsyncWebClient | None = None,
        webhook: AsyncWebhookClient | None = None,
    ) -> None:
        self._subscription = subscription
        self._client = client
        self._webhook = webhook
        needed: object = {Channel.SLACK: client, Channel.SLACK_WEBHOOK: webhook}.get(
            subscription.channel, ValueError
        )
        if needed is ValueError:
            raise ValueError(
                f"SlackSender cannot send to channel {subscription.channel.value!r};"
                " use 'slack' or 'slack_webhook'"
            )
        if needed is None:
            kind = "client" if subscription.channel is Channel.SLACK else "webhook"
            raise ValueError(f"subscription {subscription.name!r} needs a Slack {kind}")
        _check_no_retries(needed)

    async def send(self, alert: Alert) -> Receipt:
        """Post ``alert``; the Receipt holds the message ts (token mode) or None (webhook)."""
        text, blocks = slack_message(alert)
        if self._webhook is not None and self._subscription.channel is Channel.SLACK_WEBHOOK:
            return await self._send_webhook(self._webhook, text, blocks)
        assert self._client is not None  # checked in __init__
        if alert.detail == EVENT_UPDATE and alert.event and alert.event.parent_ts:
            if await self._update_parent(self._client, alert, None):
                return Receipt(remote_id=None)  # no message of its own
            # The first message cannot be updated (deleted?): tell it in the thread.
        return await self._post_message(self._client, alert, text, blocks)

    async def _post_message(
        self, client: AsyncWebClient, alert: Alert, text: str, blocks: list[Block]
    ) -> Receipt:
        try:
            receipt, channel = await self._post(client, text, blocks, alert.thread_ts)
        except SlackApiError as exc:
            if not (alert.thread_ts and _error_code(exc) in THREAD_ERRORS):
                raise self._api_error(exc) from exc
        else:
            await self._update_parent(client, alert, channel)
            return receipt
        # The first message of the thread was deleted: a new message beats no message.
        log.warning(
            "Slack thread %s is gone; posting delivery %s as a new message",
            alert.thread_ts,
            alert.delivery_id,
        )
        try:
            receipt, _ = await self._post(client, text, blocks, None)
        except SlackApiError as exc:
            raise self._api_error(exc) from exc
        return receipt

    async def _update_parent(
        self, client: AsyncWebClient, alert: Alert, channel: str | None
    ) -> bool:
        """The event's first message now tells the event as it stands (``chat.update``);
        whether it was updated. After a reply in the thread a failure here is only logged:
        a retry of the delivery would post the reply twice.

        chat.update takes a channel id, not a #name: the id Slack answered to the reply, or
        to the first message (stored with it), else the subscription's target."""
        event = alert.event
        if event is None or event.parent_ts is None or alert.thread_ts != event.parent_ts:
            return False
        text, blocks = event_message(alert)
        try:
            await client.chat_update(
                channel=channel or event.parent_channel or self._subscription.target,
                ts=event.parent_ts,
                text=text,
                blocks=blocks,
            )
        except SlackApiError as exc:
            log.warning(
                "Slack chat.update of event %s's message %s failed: %s",
                event.id,
                event.parent_ts,
                _error_code(exc) or exc,
            )
            return False
        except (*NETWORK_ERRORS, AttributeError, TypeError, ValueError) as exc:
            log.warning("Slack chat.update of event %s's message failed: %r", event.id, exc)
            return False
        return True

    async def _post(
        self, client: AsyncWebClient, text: str, blocks: list[Block], thread_ts: str | None
    ) -> tuple[Receipt, str | None]:
        """chat.postMessage; SlackApiError passes through, network errors become NotifyError."""
        try:
            response = await client.chat_postMessage(
                channel=self._subscription.target,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except NETWORK_ERRORS as exc:
            raise NotifyError(
                f"Slack API unreachable for subscription {self._subscription.name!r}: {exc!r}"
            ) from exc
        except (AttributeError, TypeError, ValueError) as exc:
            # slack-sdk trips over a 200 whose body is plain text (a proxy, an outage page):
            # a transient fault of the far end, retried, not a bug of ours.
            raise NotifyError(
                f"Slack chat.postMessage to {self._subscription.target!r}"
                f" (subscription {self._subscription.name!r}) failed: {NOT_JSON}"
            ) from exc
        ts, channel = response.get("ts"), response.get("channel")
        # The channel's id (the target may be a #name, which chat.update does not take).
        channel_id = str(channel) if channel else None
        return Receipt(remote_id=str(ts) if ts else None, remote_channel=channel_id), channel_id

    def _api_error(self, exc: SlackApiError) -> NotifyError:
        return _api_error(exc, self._subscription.name, self._subscription.target)

    async def _send_webhook(
        self, webhook: AsyncWebhookClient, text: str, blocks: list[Block]
    ) -> Receipt:
        where = f"Slack incoming webhook of subscription {self._subscription.name!r}"
        try:
            response = await webhook.send(
                text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
            )
        except NETWORK_ERRORS as exc:
            raise NotifyError(f"{where} unreachable: {exc!r}") from exc
        status, body = response.status_code, (response.body or "").strip()[:200]
        if 200 <= status < 300:
            return Receipt(remote_id=None)
        message = f"{where} answered HTTP {status} {body!r}"
        if status == 429:
            wait = retry_after(_header_value(response.headers, "Retry-After"))
            raise NotifyError(message, retry_after=wait)
        raise NotifyError(message, permanent=status in PERMANENT_WEBHOOK_STATUSES)


def _check_no_retries(client: object) -> None:
    handlers = getattr(client, "retry_handlers", None)
    if handlers:
        raise ValueError(
            "Slack clients for lexwatch must be built with retry_handlers=[]:"
            " the outbox retries, and a client retry would send twice"
        )


def _error_code(exc: SlackApiError) -> str | None:
    data = getattr(exc.response, "data", None)
    return str(data.get("error")) if isinstance(data, dict) and data.get("error") else None


def _api_error(exc: SlackApiError, name: str, channel: str) -> NotifyError:
    # A SlackResponse has status_code; on a body that is not JSON slack-sdk puts aiohttp's
    # response (status) there instead.
    status = int(getattr(exc.response, "status_code", 0) or getattr(exc.response, "status", 0) or 0)
    code = _error_code(exc)
    data = getattr(exc.response, "data", None)
    what = code or ("no error code" if isinstance(data, dict) and data else NOT_JSON)
    message = (
        f"Slack chat.postMessage to {channel!r} (subscription {name!r}) failed:"
        f" HTTP {status} {what}"
    )
    if status == 429 or code == "ratelimited":
        headers = getattr(exc.response, "headers", {}) or {}
        return NotifyError(message, retry_after=retry_after(_header_value(headers, "Retry-After")))
    if status < 500 and code in PERMANENT_ERRORS:
        return NotifyError(f"{message}: {PERMANENT_ERRORS[code]}", permanent=True)
    return NotifyError(message)


def _header_value(headers: Any, name: str) -> str | None:
    """One header from aiohttp's case-insensitive headers or a plain dict."""
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else str(value)


def slack_sender(subscription: Subscription, *, token: str | None, base_url: str) -> SlackSender:
    """A SlackSender with clients built for lexwatch (no client-side retries).

    Raises ConfigError when a token subscription has no token.
    """
    if subscription.channel is Channel.SLACK_WEBHOOK:
        webhook = AsyncWebhookClient(url=subscription.target, retry_handlers=[])
        return SlackSender(subscription, webhook=webhook)
    if subscription.channel is Channel.SLACK and not token:
        raise ConfigError(
            f"subscriptions.{subscription.name}: channel 'slack' needs a bot token"
            " in LEXWATCH_ALERTS__SLACK_TOKEN (or use channel 'slack_webhook')"
        )
    client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=[])
    return SlackSender(subscription, client=client)
