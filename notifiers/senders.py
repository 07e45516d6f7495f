"""One Sender per subscription, built from settings (the channels' only composition point)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from monitor.config import Settings
from monitor.types import Channel, Sender, Subscription
from notifiers.apprise_channel import AppriseSender
from notifiers.email import EmailSender
from notifiers.slack import slack_sender
from notifiers.webhook import WebhookSender


def make_sender(sub: Subscription, settings: Settings, http: httpx.AsyncClient) -> Sender:
    """The Sender for ``sub``'s channel; a Slack bot channel needs the token in the env."""
    if sub.channel in (Channel.SLACK, Channel.SLACK_WEBHOOK):
        token = settings.alerts.slack_token
        return slack_sender(
            sub,
            token=token.get_secret_value() if token else None,
            base_url=settings.alerts.slack_base_url,
        )
    if sub.channel is Channel.EMAIL:
        return EmailSender(sub, settings.smtp)
    if sub.channel is Channel.WEBHOOK:
        return WebhookSender(sub.target, sub.secret, http)
    return AppriseSender(sub.target)


def make_senders(
    subs: Sequence[Subscription], settings: Settings, http: httpx.AsyncClient
) -> dict[str, Sender]:
    return {sub.name: make_sender(sub, settings, http) for sub in subs}


def make_mailers(subs: Sequence[Subscription], settings: Settings) -> dict[str, EmailSender]:
    """The e-mail senders of the digest subscriptions."""
    return {
        sub.name: EmailSender(sub, settings.smtp) for sub in subs if sub.channel is Channel.EMAIL
    }
