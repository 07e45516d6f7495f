"""E-mail: digest and alert rendering (golden files), subjects, escaping, and real SMTP delivery.

The golden files are tests/data/email/*. After a deliberate change to the templates, rewrite
them with ``LEXWATCH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_notify_email.py``
and review the diff. Delivery tests talk to a real aiosmtpd server on 127.0.0.1
(tests/servers/smtp.py) in plain, STARTTLS and implicit-TLS modes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from pydantic import SecretStr

from monitor.config import SmtpSettings
from monitor.errors import NotifyError
from monitor.types import (
    Alert,
    AlertChange,
    AlertKind,
    AlertSource,
    Category,
    Channel,
    DeliveryMode,
    Digest,
    DigestDeadline,
    Severity,
    Subscription,
    TextOp,
)
from notifiers.email import EmailSender, build_message
from notifiers.render import (
    SUBJECT_MAX,
    RenderedEmail,
    category_label,
    render_alert_email,
    render_digest,
)

# The fixtures are imported here until tests/conftest.py imports them; pytest finds them by
# name, so the test parameters below "redefine" them (F811 for this file).
# ruff: noqa: F811
from tests.servers.smtp import SmtpServer, make_smtp_server, smtp_ca, smtp_server  # noqa: F401

# The test server requires a login without STARTTLS in "plain" and "tls" modes (aiosmtpd
# cannot see implicit TLS); it warns about that, rightly for production, not here.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

GOLDEN = Path(__file__).parent / "data" / "email"
# Read at import: the autouse clean_environ fixture removes LEXWATCH_* before each test.
UPDATE_GOLDEN = os.environ.get("LEXWATCH_UPDATE_GOLDEN") == "1"

END = datetime(2025, 11, 22, 7, 0, tzinfo=UTC)  # 08:00 in Brussels
DASHBOARD = "https://lexwatch.example.org/"
SOURCES = {
    "hys": AlertSource(
        key="hys",
        title="Have Your Say: AI initiatives",
        url="https://ec.europa.eu/info/law/better-regulation/have-your-say",
    ),
    "ai-office": AlertSource(
        key="ai-office",
        title="AI Office news",
        url="https://digital-strategy.ec.europa.eu/en/policies/ai-office",
    ),
    "eurlex-oj": AlertSource(
        key="eurlex-oj",
        title="EUR-Lex: Official Journal L series",
        url="https://eur-lex.europa.eu/oj/direct-access.html",
    ),
}
EXTENDED = (
    TextOp(op="equal", text="Feedback period: 10 July 2025 -"),
    TextOp(op="delete", text="10 September 2025"),
    TextOp(op="insert", text="18 September 2025"),
    TextOp(op="equal", text="(midnight Brussels time)"),
)


def change(
    id: int,
    category: Category,
    severity: Severity,
    title: str,
    *,
    source: str = "hys",
    hours: int = 0,
    **extra: object,
) -> AlertChange:
    values: dict[str, object] = dict(
        id=id,
        source_key=source,
        item_key=f"item-{id}",
        category=category,
        severity=severity,
        title=title,
        summary="",
        url=f"https://ec.europa.eu/item/{id}",
        evidence=(),
        excerpt=(),
        detected_at=END - timedelta(hours=20 - hours),
    )
    values.update(extra)
    return AlertChange(**values)  # type: ignore[arg-type]


def deadline(label: str, due: datetime, kind: str = "consultation") -> DigestDeadline:
    return DigestDeadline(
        source_key="hys",
        label=label,
        due=due,
        kind=kind,
        url="https://ec.europa.eu/info/law/better-regulation/have-your-say/x",
    )


def health(kind: AlertKind, detail: str) -> Alert:
    return Alert(
        delivery_id=90,
        kind=kind,
        subscription="legal-daily",
        source=SOURCES["eurlex-oj"],
        created_at=END - timedelta(hours=12),
        detail=detail,
    )


def digest(
    changes: tuple[AlertChange, ...] = (),
    deadlines: tuple[DigestDeadline, ...] = (),
    *,
    end: datetime = END,
    timezone: str = "Europe/Brussels",
    health_events: tuple[Alert, ...] = (),
) -> Digest:
    return Digest(
        subscription="legal-daily",
        period_start=end - timedelta(days=1),
        period_end=end,
        timezone=timezone,
        changes=changes,
        sources=SOURCES,
        deadlines=deadlines,
        dashboard_url=DASHBOARD,
        health=health_events,
    )


def sample_changes() -> tuple[AlertChange, ...]:
    return (
        change(
            11,
            Category.PUBLICATION_ADDED,
            Severity.MEDIUM,
            "Guidelines on the definition of an AI system",
            source="ai-office",
            hours=2,
            summary="The Commission published guidelines on the AI system definition.",
        ),
        change(
            12,
            Category.DEADLINE_EXTENDED,
            Severity.HIGH,
            "Artificial intelligence - transparency obligations (code of practice)",
            hours=5,
            summary="Feedback deadline extended from 10 to 18 September 2025.",
            old_date=date(2025, 9, 10),
            new_date=date(2025, 9, 18),
            excerpt=EXTENDED,
        ),
        change(
            13,
            Category.CONSULTATION_OPENED,
            Severity.HIGH,
            "Serious incident reporting under the AI Act",
            hours=7,
            summary="Public consultation open until 19 December 2025.",
            new_date=date(2025, 12, 19),
        ),
        change(
            14,
            Category.PUBLICATION_ADDED,
            Severity.MEDIUM,
            "AI Act Service Desk: updated FAQ",
            source="ai-office",
            hours=1,
            summary="New questions on general-purpose AI models.",
        ),
    )


def sample_digest() -> Digest:
    return digest(
        sample_changes(),
        (
            deadline(
                "Feedback on the transparency code of practice closes",
                datetime(2025, 11, 23, 23, 0, tzinfo=UTC),
            ),
            deadline(
                "Call for expression of interest: scientific panel",
                datetime(2025, 11, 24, 16, 0, tzinfo=UTC),
                kind="other",
            ),
        ),
        health_events=(health(AlertKind.SOURCE_DOWN, "3 failed checks in a row: HTTP 503"),),
    )


def change_alert(item: AlertChange, *, kind: AlertKind = AlertKind.CHANGE) -> Alert:
    return Alert(
        delivery_id=7,
        kind=kind,
        subscription="legal-instant",
        source=SOURCES[item.source_key],
        created_at=END,
        change=item,
        dashboard_url=DASHBOARD,
    )


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs; LEXWATCH_UPDATE_GOLDEN=1 rewrites it"


# ---- rendering: golden files --------------------------------------------------------------


def test_digest_matches_golden_text_and_html() -> None:
    rendered = render_digest(sample_digest())
    assert rendered.subject == (
        "4 changes, 1 consultation opened, 1 deadline extended,"
        " 2 deadlines due, 1 source down — lexwatch digest 22 Nov"
    )
    check_golden("digest.txt", rendered.text)
    check_golden("digest.html", rendered.html)


def test_instant_alert_matches_golden_text_and_html() -> None:
    rendered = render_alert_email(change_alert(sample_changes()[1]))
    assert rendered.subject == (
        "Deadline extended: Artificial intelligence - transparency obligations (code of…"
        " (10 Sep 2025 → 18 Sep 2025) — lexwatch"
    )
    check_golden("alert.txt", rendered.text)
    check_golden("alert.html", rendered.html)


# ---- subjects -----------------------------------------------------------------------------

HIGH_DEADLINE = change(1, Category.DEADLINE_EXTENDED, Severity.HIGH, "d")
PUBLICATION = change(2, Category.PUBLICATION_ADDED, Severity.MEDIUM, "p")
SOON = deadline("closes", END + timedelta(days=3))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (digest(), "No changes — lexwatch digest 22 Nov"),
        (digest((HIGH_DEADLINE,)), "1 deadline extended — lexwatch digest 22 Nov"),
        (
            digest(
                (
                    change(1, Category.CORRIGENDUM, Severity.HIGH, "c"),
                    change(2, Category.CORRIGENDUM, Severity.HIGH, "c"),
                )
            ),
            "2 corrigenda — lexwatch digest 22 Nov",
        ),
        (
            digest((HIGH_DEADLINE, PUBLICATION, PUBLICATION)),
            "3 changes, 1 deadline extended — lexwatch digest 22 Nov",
        ),
        (
            digest(
                (
                    PUBLICATION,
                    PUBLICATION,
                    change(3, Category.EVENT_ANNOUNCED, Severity.MEDIUM, "e"),
                )
            ),
            "3 changes, 2 publications added, 1 event announced — lexwatch digest 22 Nov",
        ),
        (digest((), (SOON, SOON)), "No changes, 2 deadlines due — lexwatch digest 22 Nov"),
        (
            digest(
                health_events=(
                    health(AlertKind.SOURCE_DOWN, "x"),
                    health(AlertKind.SOURCE_RECOVERED, "y"),
                )
            ),
            "No changes, 1 source down — lexwatch digest 22 Nov",
        ),
        # 23:30 UTC is already the next day in Brussels: the date is the reader's.
        (
            digest(end=datetime(2025, 11, 22, 23, 30, tzinfo=UTC)),
            "No changes — lexwatch digest 23 Nov",
        ),
        (
            digest(end=datetime(2025, 11, 22, 23, 30, tzinfo=UTC), timezone="America/New_York"),
            "No changes — lexwatch digest 22 Nov",
        ),
    ],
    ids=[
        "empty",
        "one",
        "plural",
        "mixed",
        "all-medium",
        "deadlines-only",
        "source-down",
        "local-date",
        "other-zone",
    ],
)
def test_digest_subject_says_what_is_inside(value: Digest, expected: str) -> None:
    assert render_digest(value).subject == expected


def test_digest_subject_stays_short_when_everything_happens() -> None:
    categories = [c for c in Category if c.alertable]
    changes = tuple(change(i, c, Severity.HIGH, "t") for i, c in enumerate(categories * 3))
    value = digest(changes, (SOON,) * 12, health_events=(health(AlertKind.SOURCE_DOWN, "x"),) * 4)
    subject = render_digest(value).subject
    assert len(subject) <= SUBJECT_MAX
    assert subject.startswith("33 changes, 3 consultations opened, 3 consultations closed")
    assert subject.endswith(" — lexwatch digest 22 Nov")


def test_alert_subject_is_one_bounded_line_whatever_the_title() -> None:
    hostile = change(
        5,
        Category.LEGAL_ACT,
        Severity.HIGH,
        "Regulation\r\nBcc: victim@example.org\r\n\r\n" + "very long " * 40,
    )
    subject = render_alert_email(change_alert(hostile)).subject
    assert "\r" not in subject and "\n" not in subject
    assert len(subject) <= SUBJECT_MAX
    assert subject.startswith("Legal act: Regulation Bcc: victim@example.org very long")
    assert subject.endswith("… — lexwatch")


@pytest.mark.parametrize(
    ("kind", "subject", "text"),
    [
        (
            AlertKind.SOURCE_DOWN,
            "Source down: EUR-Lex: Official Journal L series — lexwatch",
            "3 failed checks in a row",
        ),
        (
            AlertKind.SOURCE_RECOVERED,
            "Source recovered: EUR-Lex: Official Journal L series — lexwatch",
            "back after 2 hours",
        ),
        (AlertKind.TEST, "Test message — lexwatch", "This is a test message from lexwatch"),
    ],
)
def test_health_and_test_alerts(kind: AlertKind, subject: str, text: str) -> None:
    detail = (
        "3 failed checks in a row: HTTP 503"
        if kind is AlertKind.SOURCE_DOWN
        else ("back after 2 hours" if kind is AlertKind.SOURCE_RECOVERED else "")
    )
    rendered = render_alert_email(
        Alert(
            delivery_id=3,
            kind=kind,
            subscription="ops",
            source=SOURCES["eurlex-oj"],
            created_at=END,
            detail=detail,
        )
    )
    assert rendered.subject == subject
    assert text in rendered.text
    assert text in _visible_text(rendered.html)


# ---- content: grouping, deadlines, escaping -----------------------------------------------


def test_changes_grouped_by_category_most_severe_first() -> None:
    changes = (
        change(1, Category.PUBLICATION_ADDED, Severity.MEDIUM, "Publication late", hours=9),
        change(2, Category.EVENT_ANNOUNCED, Severity.MEDIUM, "Event"),
        change(3, Category.PUBLICATION_ADDED, Severity.MEDIUM, "Publication early", hours=1),
        change(4, Category.LEGAL_ACT, Severity.HIGH, "Legal act"),
        change(5, Category.PUBLICATION_ADDED, Severity.HIGH, "Publication high", hours=12),
        change(6, Category.PAGE_REMOVED, Severity.LOW, "Removed"),
    )
    html = html_tree(render_digest(digest(changes)).html)
    headings = [h.text_content() for h in html.iter("h2")]
    titles = [h.text_content() for h in html.iter("h3")]
    # Both publications and the legal act have a high change; taxonomy order breaks the tie.
    assert headings == [
        "New publication (3)",
        "Legal act (1)",
        "Event announced (1)",
        "Page removed (1)",
    ]
    assert titles == [
        "Publication high",
        "Publication early",
        "Publication late",
        "Legal act",
        "Event",
        "Removed",
    ]
    text = render_digest(digest(changes)).text
    assert text.index("== New publication (3) ==") < text.index("== Legal act (1) ==")
    assert text.index("Publication early") < text.index("Publication late")


def test_change_shows_dates_excerpt_and_links() -> None:
    rendered = render_digest(digest((sample_changes()[1],)))
    assert "Date: 10 September 2025 → 18 September 2025" in rendered.text
    assert (
        "Changed text: Feedback period: 10 July 2025 - [-10 September 2025-]"
        "{+18 September 2025+} (midnight Brussels time)"
    ) in " ".join(rendered.text.split())
    html = html_tree(rendered.html)
    assert [d.text_content() for d in html.iter("del")] == ["10 September 2025"]
    assert [i.text_content() for i in html.iter("ins")] == ["18 September 2025"]
    links = {a.text_content(): a.get("href") for a in html.iter("a")}
    assert links["See the change on the dashboard"] == "https://lexwatch.example.org/changes/12"
    assert links["Open the document"] == "https://ec.europa.eu/item/12"
    assert links["Open the lexwatch dashboard"] == "https://lexwatch.example.org/"


def test_no_dashboard_links_without_dashboard_url() -> None:
    value = Digest(
        subscription="s",
        period_start=END - timedelta(days=1),
        period_end=END,
        timezone="UTC",
        changes=sample_changes(),
        sources=SOURCES,
        deadlines=(),
    )
    rendered = render_digest(value)
    assert "/changes/" not in rendered.html and "dashboard" not in rendered.text.lower()


def test_deadlines_in_the_digest_time_zone() -> None:
    value = digest(
        (),
        (
            deadline("Closes at midnight", datetime(2025, 11, 27, 23, 0, tzinfo=UTC)),
            deadline("Closes at noon", datetime(2025, 11, 24, 11, 0, tzinfo=UTC)),
            deadline("Hearing", datetime(2025, 11, 23, 8, 30, tzinfo=UTC), kind="event"),
        ),
    )
    text = " ".join(render_digest(value).text.split())
    assert "Fri 28 Nov 2025 (in 6 days): Closes at midnight" in text
    assert "Mon 24 Nov 2025, 12:00 CET (in 2 days): Closes at noon" in text
    assert "Sun 23 Nov 2025, 09:30 CET (tomorrow): Hearing" in text
    rows = [
        " ".join(" ".join(tr.itertext()).split())
        for tr in html_tree(render_digest(value).html).iter("tr")
    ]
    assert rows[1] == (
        "Mon 24 Nov 2025, 12:00 CET in 2 days Closes at noon"
        " Have Your Say: AI initiatives · consultation"
    )
    in_new_york = " ".join(
        render_digest(digest((), value.deadlines, timezone="America/New_York")).text.split()
    )
    assert "Mon 24 Nov 2025, 06:00 EST (in 2 days): Closes at noon" in in_new_york


def test_empty_digest_says_so() -> None:
    rendered = render_digest(digest())
    assert "No changes in this period." in rendered.text
    assert "No changes in this period." in _visible_text(rendered.html)
    assert "Deadlines due soon" not in rendered.text


HOSTILE = {
    "title": '<script>alert("title")</script>',
    "summary": "<img src=x onerror=alert(1)> summary",
    "excerpt": '"><a href=javascript:alert(2)>click</a>',
    "source": "<b onmouseover=alert(3)>Source</b>",
}


def test_hostile_scraped_text_is_inert_in_html() -> None:
    sources = {
        **SOURCES,
        "evil": AlertSource(key="evil", title=HOSTILE["source"], url="javascript:alert(4)"),
    }
    item = change(
        66,
        Category.CONSULTATION_OPENED,
        Severity.HIGH,
        HOSTILE["title"],
        source="evil",
        summary=HOSTILE["summary"],
        url="javascript:alert(5)",
        excerpt=(TextOp(op="insert", text=HOSTILE["excerpt"]),),
    )
    value = Digest(
        subscription="s",
        period_start=END - timedelta(days=1),
        period_end=END,
        timezone="UTC",
        changes=(item,),
        sources=sources,
        dashboard_url=DASHBOARD,
        deadlines=(
            DigestDeadline(
                source_key="evil",
                label=HOSTILE["title"],
                due=END,
                url='https://x.example/"onmouseover="a',
                kind="x",
            ),
        ),
    )
    for html in (
        render_digest(value).html,
        render_alert_email(
            Alert(
                delivery_id=1,
                kind=AlertKind.CHANGE,
                subscription="s",
                source=sources["evil"],
                created_at=END,
                change=item,
            )
        ).html,
    ):
        tree = html_tree(html)
        assert not list(tree.iter("script", "img", "b"))
        assert not [e for e in tree.iter() if any(a.startswith("on") for a in e.attrib)]
        hrefs = [a.get("href") for a in tree.iter("a")]
        assert all(h.startswith("https://") for h in hrefs), hrefs
        shown = _visible_text(html)
        for text in HOSTILE.values():
            assert text in shown  # shown as the literal text, not interpreted


def test_category_labels_are_human_readable() -> None:
    assert category_label(Category.CONSULTATION_OPENED) == "Consultation opened"
    assert category_label("legal_act") == "Legal act"


def html_tree(html: str) -> Any:
    """The parsed HTML document (typed Any: lxml-stubs lack HtmlElement's helpers)."""
    return lxml.html.fromstring(html)


def _visible_text(html: str) -> str:
    body = html_tree(html).find("body")
    assert body is not None
    return " ".join(body.text_content().split())


# ---- the MIME message -------------------------------------------------------------------

RENDERED = RenderedEmail(subject="Subject ✓", text="plain body\n", html="<p>html body</p>\n")


def test_message_is_multipart_alternative_text_then_html() -> None:
    message = build_message(
        RENDERED,
        sender="lexwatch <alerts@lexwatch.example.org>",
        recipients=["a@example.org", "b@example.org"],
        subscription="legal",
        now=END,
    )
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert message["Date"] == "Sat, 22 Nov 2025 07:00:00 +0000"
    assert message["Message-ID"].endswith("@lexwatch.example.org>")
    assert message["To"] == "a@example.org, b@example.org"
    assert message["Auto-Submitted"] == "auto-generated"


def test_no_header_injection_through_subject_or_addresses() -> None:
    rendered = RenderedEmail(
        subject="Hi\r\nBcc: victim@example.org\nX-Evil: 1", text="t", html="<p>t</p>"
    )
    message = build_message(rendered, sender="lexwatch@example.org", recipients=["a@example.org"])
    wire = message.as_bytes()
    assert b"\nBcc:" not in wire and b"\nX-Evil:" not in wire
    assert message["Subject"] == "Hi Bcc: victim@example.org X-Evil: 1"
    with pytest.raises(NotifyError) as caught:
        build_message(
            RENDERED,
            sender="lexwatch@example.org",
            recipients=["a@example.org\r\nBcc: victim@example.org"],
        )
    assert caught.value.permanent


# ---- delivery through a real SMTP server ------------------------------------------------

RECIPIENTS = ("legal@example.org", "policy@example.org")
SUBSCRIPTION = Subscription(
    name="legal-daily", channel=Channel.EMAIL, recipients=RECIPIENTS, mode=DeliveryMode.DIGEST
)


def settings(
    server: SmtpServer,
    security: str = "none",
    *,
    login: tuple[str, str] | None = None,
    timeout: float = 10.0,
) -> SmtpSettings:
    return SmtpSettings(
        host=server.host,
        port=server.port,
        security=security,  # type: ignore[arg-type]
        username=login[0] if login else None,
        password=SecretStr(login[1]) if login else None,
        sender="lexwatch <lexwatch@lexwatch.example.org>",
        timeout=timeout,
    )


def send(
    sender: EmailSender,
    rendered: RenderedEmail = RENDERED,
    recipients: tuple[str, ...] = RECIPIENTS,
) -> str | None:
    return asyncio.run(sender.send_rendered(rendered, recipients)).remote_id


def failure(sender: EmailSender) -> NotifyError:
    with pytest.raises(NotifyError) as caught:
        send(sender)
    return caught.value


@pytest.mark.parametrize(
    ("mode", "security"),
    [
        ("plain", "none"),
        ("starttls", "starttls"),
        ("tls", "tls"),
    ],
)
def test_digest_delivered_with_login_in_every_security_mode(make_smtp_server, mode, security):
    server = make_smtp_server(mode=mode, auth=("digest-bot", "s3cret!"))
    sender = EmailSender(
        SUBSCRIPTION,
        settings(server, security, login=("digest-bot", "s3cret!")),
        ssl_context=server.client_context,
    )
    rendered = render_digest(sample_digest())
    message_id = send(sender, rendered)
    [captured] = server.messages
    assert captured.tls is (mode != "plain")
    assert captured.login == "digest-bot"
    assert captured.mail_from == "lexwatch@lexwatch.example.org"
    assert captured.rcpt_tos == RECIPIENTS
    message = captured.message
    assert message["Message-ID"] == message_id
    assert message["Subject"] == rendered.subject
    assert message["To"] == "legal@example.org, policy@example.org"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    assert html.get_content_type() == "text/html"
    # The wire format has CRLF line ends; the parts decode to exactly what was rendered.
    assert text.get_content().replace("\r\n", "\n") == rendered.text
    assert html.get_content().replace("\r\n", "\n") == rendered.html


def test_instant_alert_goes_to_the_subscription_recipients(smtp_server) -> None:
    sender = EmailSender(SUBSCRIPTION, settings(smtp_server))
    receipt = asyncio.run(sender.send(change_alert(sample_changes()[2])))
    [captured] = smtp_server.messages
    assert captured.rcpt_tos == RECIPIENTS
    assert receipt.remote_id == captured.message["Message-ID"]
    assert captured.message["Subject"] == (
        "Consultation opened: Serious incident reporting under the AI Act (19 Dec 2025) — lexwatch"
    )
    assert captured.message["X-Lexwatch-Subscription"] == "legal-daily"
    # Stable across retries, so a mail filter can drop a repeat.
    alert = change_alert(sample_changes()[2])
    assert captured.message["X-Lexwatch-Delivery"] == str(alert.delivery_id)


def test_hostile_subject_reaches_no_extra_recipient(smtp_server) -> None:
    hostile = change(
        5, Category.LEGAL_ACT, Severity.HIGH, "Act\r\nBcc: victim@example.org\r\nX-Evil: yes"
    )
    asyncio.run(EmailSender(SUBSCRIPTION, settings(smtp_server)).send(change_alert(hostile)))
    [captured] = smtp_server.messages
    assert captured.rcpt_tos == RECIPIENTS
    assert captured.message["Bcc"] is None and captured.message["X-Evil"] is None
    assert captured.message["Subject"] == (
        "Legal act: Act Bcc: victim@example.org X-Evil: yes — lexwatch"
    )


def test_certificate_is_verified_by_default(make_smtp_server) -> None:
    server = make_smtp_server(mode="starttls")  # its CA is not in the system store
    error = failure(EmailSender(SUBSCRIPTION, settings(server, "starttls")))
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert server.messages == []


def test_wrong_password_is_permanent_and_never_shown(make_smtp_server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server = make_smtp_server(mode="starttls", auth=("digest-bot", "right"))
    sender = EmailSender(
        SUBSCRIPTION,
        settings(server, "starttls", login=("digest-bot", "Wr0ng-Pa55")),
        ssl_context=server.client_context,
    )
    error = failure(sender)
    assert error.permanent
    assert "refused the login of 'digest-bot': 535" in str(error)
    assert "Wr0ng-Pa55" not in str(error) and "Wr0ng-Pa55" not in caplog.text
    assert server.logins and set(server.logins) == {("digest-bot", False)}  # PLAIN, LOGIN


def test_username_without_password_is_permanent(smtp_server) -> None:
    config = settings(smtp_server).model_copy(update={"username": "bot"})
    error = failure(EmailSender(SUBSCRIPTION, config))
    assert error.permanent and "LEXWATCH_SMTP__PASSWORD" in str(error)


def test_starttls_against_a_server_without_it_is_permanent(smtp_server) -> None:
    error = failure(EmailSender(SUBSCRIPTION, settings(smtp_server, "starttls")))
    assert error.permanent and "smtp.security" in str(error)


def test_451_is_transient_and_the_next_attempt_goes_through(smtp_server) -> None:
    smtp_server.fail_next(451, 1)
    sender = EmailSender(SUBSCRIPTION, settings(smtp_server))
    error = failure(sender)
    assert not error.permanent and "451" in str(error)
    assert smtp_server.messages == []
    send(sender)
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    ("code", "stage", "permanent"),
    [
        (550, "data", True),
        (554, "data", True),
        (550, "rcpt", True),
        (451, "rcpt", False),
    ],
)
def test_smtp_answers_map_to_transient_or_permanent(smtp_server, code, stage, permanent):
    smtp_server.fail_next(code, len(RECIPIENTS), stage=stage)
    error = failure(EmailSender(SUBSCRIPTION, settings(smtp_server)))
    assert error.permanent is permanent
    assert str(code) in str(error)


def test_one_refused_recipient_does_not_fail_the_others(smtp_server, caplog) -> None:
    smtp_server.fail_next(550, 1, stage="rcpt")
    send(EmailSender(SUBSCRIPTION, settings(smtp_server)))
    [captured] = smtp_server.messages
    assert captured.rcpt_tos == ("policy@example.org",)
    assert "legal@example.org (550)" in caplog.text


def test_outage_is_transient_and_recovery_delivers(smtp_server) -> None:
    sender = EmailSender(SUBSCRIPTION, settings(smtp_server))
    smtp_server.stop()
    error = failure(sender)
    assert not error.permanent and "ConnectionRefusedError" in str(error)
    smtp_server.start()
    send(sender)
    assert len(smtp_server.messages) == 1


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """Accepts connections and never says a word (an SMTP server that hangs)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[:2]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_timeout_is_transient(silent_server) -> None:
    host, port = silent_server
    config = SmtpSettings(host=host, port=port, security="none", timeout=0.5)
    error = failure(EmailSender(SUBSCRIPTION, config))
    assert not error.permanent and "timed out" in str(error)


def test_change_alert_without_its_change_still_renders() -> None:
    rendered = render_alert_email(
        Alert(
            delivery_id=4,
            kind=AlertKind.CHANGE,
            subscription="s",
            source=SOURCES["hys"],
            created_at=END,
            detail="change 12 was deleted",
        )
    )
    assert rendered.subject == "Alert — lexwatch"
    assert "change 12 was deleted" in rendered.text and "test message" not in rendered.text
