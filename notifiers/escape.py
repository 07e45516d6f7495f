"""Make scraped text safe for Slack mrkdwn (and Markdown), and build our own links.

Everything a source publishes is untrusted: a page title such as ``<!channel> *URGENT*`` must
reach Slack as those literal characters, never as an @channel ping, a bold word or a link.

The approach, and why:

1. ``&``, ``<`` and ``>`` become ``&amp;``, ``&lt;`` and ``&gt;``. Slack only recognises
   mentions (``<!here>``, ``<@U123>``, ``<#C1>``), links (``<https://x|label>``) and dates
   (``<!date^...>``) inside real angle brackets, so after this no scraped text can ping anyone
   or smuggle a link. Slack shows the entities as the original characters.
2. Slack mrkdwn has no backslash escape for ``*bold*``, ``_italic_``, ``~strike~``, `` `code` ``
   and ``>`` quotes. A marker only counts at a word boundary (start of text, whitespace or
   punctuation before an opening marker), so every marker character in scraped text gets a
   ZERO WIDTH SPACE (U+200B) on both sides: the marker is then glued to an invisible
   non-boundary character and can neither open nor close a span, while the text reads and
   copies the same. A line that starts with a quote (``&gt;`` once escaped) gets one in front.
3. ``@channel``, ``@here`` and ``@everyone`` written out get a ZERO WIDTH SPACE after the
   ``@`` as well, in case a workspace or a client still links bare names.
4. Text objects carrying scraped text are sent with ``"verbatim": true`` (see notifiers/slack.py)
   so Slack does not turn bare URLs or ``#channel`` names into links either.

Plain-text objects (header blocks) are never parsed by Slack and need only truncation.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from monitor.types import web_url

ZWSP = "\u200b"
ELLIPSIS = "…"

_MARKERS = re.compile(r"([*_~`])")
_QUOTE_LINE = re.compile(r"^(\s*)(&gt;)", re.MULTILINE)
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# Characters that start or end Markdown constructs; escaping more (a "." as "\.") shows
# backslashes on renderers that are not CommonMark (Discord).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#!|<>~])")


def one_line(text: str) -> str:
    """Whitespace runs (newlines too) collapsed to one space: scraped text cannot start lines."""
    return _SPACE.sub(" ", text).strip()


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when it was cut."""
    if limit < 1:
        raise ValueError(f"clip limit must be >= 1, not {limit}")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def mrkdwn(text: str) -> str:
    """Scraped ``text`` as Slack mrkdwn that renders literally (see the module docstring)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKERS.sub(ZWSP + r"\1" + ZWSP, escaped)
    escaped = _QUOTE_LINE.sub(r"\1" + ZWSP + r"\2", escaped)
    return _BROADCAST.sub("@" + ZWSP, escaped)


def clip_mrkdwn(text: str, limit: int) -> str:
    """Escaped mrkdwn cut to ``limit`` characters without splitting an ``&...;`` entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + ELLIPSIS


def link(url: str, label: str) -> str:
    """A Slack link ``<url|label>`` we build ourselves; plain escaped label for unsafe URLs.

    Only http(s) URLs become links. In the URL, ``|`` would end it early and ``<>`` would end
    the link, so they are percent-encoded; the label is escaped like any scraped text and its
    ``|`` replaced, since the first ``|`` separates URL and label.
    """
    shown = mrkdwn(clip(one_line(label), 200).replace("|", "\uff5c")) or mrkdwn(url)
    if not is_web_url(url):
        return shown
    safe = quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~-._")
    safe = safe.replace("&", "&amp;")
    return f"<{safe}|{shown}>"


def is_web_url(url: str | None) -> bool:
    """Whether ``url`` is a link a reader may follow (monitor.types.web_url)."""
    return web_url(url) is not None


def plain(text: str, limit: int) -> str:
    """Text for a plain_text object (never parsed by Slack): one line, clipped."""
    return clip(one_line(text), limit) or "-"


def markdown(text: str) -> str:
    """Scraped ``text`` for a CommonMark target (Discord, Teams ...): every special escaped."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return unping(escaped)


def unping(text: str) -> str:
    """``@everyone``/``@here``/``@channel`` and ``<@123>`` made inert for chat services."""
    return _BROADCAST.sub("@" + ZWSP, text).replace("<@", "<" + ZWSP + "@")
