"""E-mail delivery over SMTP: instant alerts and digests as multipart/alternative messages.

The content comes from ``notifiers.render``; this module only builds the MIME message and
delivers it. smtplib blocks, so every send runs in a worker thread. TLS is verified
(``ssl.create_default_context()``) unless the caller injects a context. SMTP failures become
``NotifyError``: refused connections, timeouts, disconnects and 4xx answers are transient (the
outbox retries them); 5xx answers (bad recipient, login refused, message rejected) and a
server without the configured security are permanent.
"""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import ssl
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

from monitor.errors import NotifyError
from monitor.types import Alert, Receipt, Subscription
from notifiers.render import RenderedEmail, line, render_alert_email

if TYPE_CHECKING:
    from monitor.config import SmtpSettings

logger = logging.getLogger(__name__)

_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_FALLBACK_DOMAIN = "lexwatch.invalid"


def build_message(
    rendered: RenderedEmail,
    *,
    sender: str,
    recipients: Sequence[str],
    message_id_domain: str | None = None,
    subscription: str | None = None,
    now: datetime | None = None,
    delivery_id: int | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text/plain, then text/html, both UTF-8) with Date and
    Message-ID. The subject is forced onto one line; addresses with line breaks are refused
    (``NotifyError``, permanent), so no header can be injected."""
    for address in (sender, *recipients):
        _check_address(address)
    message = EmailMessage()
    message["Subject"] = line(rendered.subject) or "lexwatch"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id(message_id_domain or _domain(sender))
    # RFC 3834: tells auto-responders (out-of-office) not to answer a robot.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    if subscription:
        message["X-Lexwatch-Subscription"] = line(subscription)
    if delivery_id is not None:  # the same on every retry: a mail filter can drop repeats
        message["X-Lexwatch-Delivery"] = str(delivery_id)
    message.set_content(rendered.text, charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message


def message_id(domain: str) -> str:
    """A unique Message-ID short enough never to be folded onto a second header line."""
    return f"<{uuid.uuid4().hex[:24]}.lexwatch@{domain}>"


def _check_address(address: str) -> None:
    if not address.strip() or any(c in address for c in "\r\n\0"):
        raise NotifyError(f"{address!r} is not a usable e-mail address", permanent=True)


def _domain(sender: str) -> str:
    """The domain of the sender's address (for Message-IDs), or lexwatch.invalid."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    return domain if _DOMAIN.fullmatch(domain) else _FALLBACK_DOMAIN


class EmailSender:
    """Sends one subscription's e-mails through the configured SMTP server.

    ``send`` implements the Sender protocol (an instant alert to the subscription's
    recipients); ``send_rendered`` sends anything already rendered (the digest job uses it).
    """

    def __init__(
        self,
        subscription: Subscription,
        smtp: SmtpSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._subscription = subscription
        self._smtp = smtp
        self._ssl_context = ssl_context
        self._now = now or (lambda: datetime.now(UTC))

    async def send(self, alert: Alert) -> Receipt:
        """Render the alert and send it; return the Message-ID; raise NotifyError."""
        rendered = render_alert_email(alert, timezone=self._subscription.timezone)
        return await self.send_rendered(
            rendered, self._subscription.recipients, delivery_id=alert.delivery_id
        )

    async def send_rendered(
        self, rendered: RenderedEmail, recipients: Sequence[str], *, delivery_id: int | None = None
    ) -> Receipt:
        """Send a rendered e-mail to ``recipients``; return the Message-ID; raise NotifyError."""
        if not recipients:
            raise NotifyError(
                f"subscription {self._subscription.name!r} has no e-mail recipients", permanent=True
            )
        message = build_message(
            rendered,
            sender=self._smtp.sender,
            recipients=recipients,
            subscription=self._subscription.name,
            now=self._now(),
            delivery_id=delivery_id,
        )
        await asyncio.to_thread(self._deliver, message, tuple(recipients))
        return Receipt(remote_id=str(message["Message-ID"]))

    def _deliver(self, message: EmailMessage, recipients: tuple[str, ...]) -> None:
        where = f"SMTP server {self._smtp.host}:{self._smtp.port}"
        try:
            with self._connect() as client:
                self._login(client)
                refused = client.send_message(
                    message, from_addr=parseaddr(self._smtp.sender)[1], to_addrs=list(recipients)
                )
        except (smtplib.SMTPException, OSError) as exc:  # SMTPException is an OSError too
            raise smtp_error(exc, where, self._smtp.username) from exc
        if refused:
            # The others got it: raising would make the outbox send it to them again.
            logger.warning(
                "%s refused recipients of %s: %s",
                where,
                message["Message-ID"],
                ", ".join(f"{addr} ({code})" for addr, (code, _) in refused.items()),
            )
        logger.info(
            "sent %s to %d recipient(s) via %s",
            message["Message-ID"],
            len(recipients) - len(refused),
            where,
        )

    def _connect(self) -> smtplib.SMTP:
        smtp = self._smtp
        if smtp.security == "tls":
            return smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=self._context()
            )
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.security == "starttls":
            try:
                client.starttls(context=self._context())
            except BaseException:
                client.close()
                raise
        return client

    def _login(self, client: smtplib.SMTP) -> None:
        username = self._smtp.username
        if not username:
            return
        if self._smtp.password is None:
            raise NotifyError(
                f"smtp.username is {username!r} but LEXWATCH_SMTP__PASSWORD is not set",
                permanent=True,
            )
        client.login(username, self._smtp.password.get_secret_value())

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context


def smtp_error(exc: BaseException, where: str, username: str | None = None) -> NotifyError:
    """Translate an smtplib/socket error into NotifyError (permanent for 5xx answers)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        listed = ", ".join(
            f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in exc.recipients.items()
        )
        return NotifyError(
            f"{where} refused every recipient: {listed}",
            permanent=any(code >= 500 for code in codes),
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return NotifyError(
            f"{where} refused the login of {username!r}: {exc.smtp_code} {_text(exc.smtp_error)}",
            permanent=exc.smtp_code >= 500,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return NotifyError(
            f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}",
            permanent=500 <= exc.smtp_code < 600,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return NotifyError(
            f"{where}: {exc} (check smtp.security: starttls, tls or none)", permanent=True
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return NotifyError(f"{where} closed the connection: {exc}")
    if isinstance(exc, smtplib.SMTPException):
        return NotifyError(f"{where}: {exc}")
    return NotifyError(f"cannot reach {where}: {type(exc).__name__}: {exc}")


def _text(answer: bytes | str) -> str:
    return line(answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer)
