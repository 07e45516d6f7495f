"""Guard against false changes: answers that must never be diffed.

A non-2xx answer, an error / maintenance / bot-check page served with 200, a login wall
served where the content was, or a parse that yields nothing where the last snapshot had
content is a failed check with a reason. It never produces a Change and never replaces the
snapshot.
"""

from __future__ import annotations

import html
import re

from monitor.types import Document, Fetched

_ERROR_PAGE = re.compile(
    r"under (?:scheduled )?maintenance|undergoing maintenance|down for maintenance"
    r"|maintenance in progress|temporarily unavailable|service unavailable"
    r"|request rejected|requested url was rejected|access denied|attention required"
    r"|just a moment\.\.\.|checking your browser|enable javascript and cookies to continue"
    r"|verify you are (?:a )?human|are you a robot|captcha|pardon our interruption"
    r"|incapsula incident|page not found|404 not found|internal server error|bad gateway"
    r"|gateway time-?out|too many requests",
    re.IGNORECASE,
)
# A sign-in form standing in for the page: a password field plus a title or a short page
# that says so. A real page with a small login box in its header is long, and not titled so.
_PASSWORD_FIELD = re.compile(rb"<input\b[^>]*\btype\s*=\s*[\"']?password", re.IGNORECASE)
_LOGIN = re.compile(
    r"\b(?:log ?in|sign ?in|sign on|eu login|ecas|authentication required|anmelden"
    r"|connexion|identifiez-vous|iniciar sesi[oó]n|accedi)\b",
    re.IGNORECASE,
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_BODY = re.compile(rb"<body[^>]*>(.*)", re.IGNORECASE | re.DOTALL)
_NOT_TEXT = re.compile(rb"<(script|style|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_NOT_TEXT_OPENER = re.compile(rb"<(?:script|style|noscript)\b", re.IGNORECASE)
_TAG = re.compile(rb"<[^>]+>")
# A real page can mention "access denied" in passing; an error page says little else, and
# is small (a bot-check page with its inline script is tens of kB, not megabytes).
_SHORT_PAGE_CHARS = 2_500
_SNIFF_BYTES = 200_000
_ERROR_PAGE_MAX_BYTES = 150_000
_FIRST_PREFIX = 16_384


def response_problem(fetched: Fetched) -> str | None:
    """Why this answer must not be diffed, or None when it may be."""
    if not 200 <= fetched.status < 300:
        return f"HTTP {fetched.status} from {fetched.final_url}"
    if not fetched.content or fetched.content.isspace():  # strip() would copy the body
        return f"empty body from {fetched.final_url}"
    if is_html(fetched):
        return error_page_reason(fetched.content)
    return None


def error_page_reason(content: bytes) -> str | None:
    """Describe the error, maintenance or bot-check page these bytes are, if they are one."""
    head = content[:_SNIFF_BYTES]
    title = _TITLE.search(head)
    if title is not None:
        found = _ERROR_PAGE.search(_text(title.group(1)))
        if found:
            return f"error page served with 200 (title says {found.group(0)!r})"
    if len(content) > _ERROR_PAGE_MAX_BYTES:
        return None
    body = _BODY.search(head)
    text = _short_text(body.group(1) if body else head)
    if text is not None:
        found = _ERROR_PAGE.search(text)
        if found:
            return f"error page served with 200 (page says {found.group(0)!r})"
    return _login_wall(head, title, text or "")


def _short_text(markup: bytes) -> str | None:
    """The text of ``markup`` if it is short (an error page's), else None.

    Read from ever longer prefixes, so that the text of a long page is not extracted
    whole only to be found long: the text of a prefix is never longer than the whole's.
    """
    size = _FIRST_PREFIX
    while size < len(markup):
        if len(_text(_prefix_text(markup, size))) > _SHORT_PAGE_CHARS:
            return None
        size *= 4
    text = _text(_NOT_TEXT.sub(b" ", markup))
    return text if len(text) <= _SHORT_PAGE_CHARS else None


def _prefix_text(markup: bytes, size: int) -> bytes:
    """``markup[:size]``, scripts and styles removed, up to what a longer prefix could read
    otherwise: cut before a script or style that does not end within it, then after the
    last ">" (so not inside a tag, an entity or a character)."""
    readable = _NOT_TEXT.sub(b" ", markup[:size])
    unclosed = _NOT_TEXT_OPENER.search(readable)
    end = unclosed.start() if unclosed else len(readable)
    return readable[: readable.rfind(b">", 0, end) + 1]


def _login_wall(head: bytes, title: re.Match[bytes] | None, short_text: str) -> str | None:
    if not _PASSWORD_FIELD.search(head):
        return None
    found = _LOGIN.search(_text(title.group(1))) if title is not None else None
    where = "title"
    if found is None:
        found, where = _LOGIN.search(short_text), "page"
    if found is None:
        return None
    return (
        f"login page served instead of the content ({where} says {found.group(0)!r},"
        " with a password field); the page may need an account now"
    )


def document_problem(document: Document, previous: Document | None) -> str | None:
    """A parse that found nothing where the last snapshot had content is a failure."""
    if document.items or previous is None or not previous.items:
        return None
    return (
        f"the page parsed to no items where the last snapshot had {len(previous.items)};"
        " the layout may have changed or a selector no longer matches"
    )


def is_html(fetched: Fetched) -> bool:
    """Served as HTML/XHTML, or looks like it."""
    if "html" in fetched.content_type:
        return True
    return fetched.content.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def _text(raw: bytes) -> str:
    decoded = _TAG.sub(b" ", raw).decode("utf-8", "replace")
    return " ".join(html.unescape(decoded).split())
