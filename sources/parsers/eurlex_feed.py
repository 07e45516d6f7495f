"""EUR-Lex / Official Journal RSS: the feed parser, plus what each entry's act is.

EUR-Lex feeds (``display-feed.rss?rssId=…`` and saved searches ``?myRssId=…``) title an
entry with the act's full title ("Commission Implementing Regulation (EU) 2025/454 of 7 March
2025 …", "Corrigendum to Regulation (EU) 2024/1689 …"), give its OJ reference as the
description ("OJ L, 2025/454, 10.3.2025") and its CELEX number in the guid or link. Each item
gets, when found:

* ``act_type``: "Commission Implementing Regulation", "Regulation", "Council Decision", …, or
  "Corrigendum" for a correction (then ``act_number`` is the corrected act's number, which
  is also the number the corrigendum is published under);
* ``act_number``: "2025/454" ("No 300/2008" for the old numbering);
* ``celex``: "32025R0454", "32024R1689R(01)";
* ``oj_date``: the OJ publication date, YYYY-MM-DD, from the OJ reference. (``published`` is
  the feed's pubDate in UTC, which for a Brussels-midnight date is the day before.)
"""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import date
from urllib.parse import unquote

from monitor.errors import ParseError
from monitor.types import Document, Item, ParseContext
from sources.parsers.feed import parse_feed

__all__ = ["parse_eurlex_feed"]

logger = logging.getLogger(__name__)

_CELEX = re.compile(r"CELEX[:=]\s*([0-9CE]\d{4}[A-Z]{1,2}\d{4,5}(?:[A-Z]?\(\d{2}\))?(?:-\d{8})?)")
_ACT = re.compile(
    r"^(?P<corrigendum>Corrigendum to\s+)?"
    r"(?P<type>(?:[A-Z][\w’'-]*\s+){0,4}?"
    r"(?:Regulation|Directive|Decision|Recommendation|Opinion|Notice|Communication|Guidelines"
    r"|Resolution|Agreement|Protocol|Position|Information))\b"
    r"(?:\s+(?:\([A-Z][\w, ]*\)\s+)?(?P<number>(?:No\s+)?\d{1,4}/\d{1,4}(?:/[A-Z]+)?))?"
)
# An ELI names the act without its CELEX number, which follows from it for the OJ L acts
# that matter here: reg/2025/454 -> 32025R0454. A corrigendum's ELI does not give its suffix.
_ELI = re.compile(r"/eli/(reg|dir|dec)(?:_impl|_del)?/(\d{4})/(\d{1,5})/oj\b")
_ELI_SECTOR = {"reg": "R", "dir": "L", "dec": "D"}
# "OJ L, 2025/454, 10.3.2025" (since October 2023) and "OJ L 123, 12.5.2023, p. 1" (before).
_OJ_DATE = re.compile(r"\bOJ\s+[LC]\b[^()]*?\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_LANGUAGE = re.compile(rb"<(?:\w+:)?language>\s*([A-Za-z]{2})")


def parse_eurlex_feed(content: bytes, context: ParseContext) -> Document:
    """Return one item per feed entry (as ``parse_feed``) with the act fields above.

    Raises ``ParseError`` as ``parse_feed`` does, and when the channel declares another
    language than ``options.language``.
    """
    document = parse_feed(content, context)
    declared = _LANGUAGE.search(content[:8192])
    wanted = (context.options.language or "").lower()
    if declared and wanted and declared.group(1).decode().lower() != wanted:
        raise ParseError(
            f"the feed at {context.url} is in {declared.group(1).decode()!r}, expected {wanted!r}"
        )
    items = tuple(_with_act_fields(item) for item in document.items)
    logger.debug("parsed EUR-Lex feed %s: %d entries", context.url, len(items))
    return dataclasses.replace(document, items=items)


def _with_act_fields(item: Item) -> Item:
    fields = dict(item.fields)
    act = _ACT.match(item.title)
    if act:
        fields["act_type"] = "Corrigendum" if act["corrigendum"] else act["type"]
        if act["number"]:
            fields["act_number"] = act["number"]
    _put(fields, "celex", _celex(f"{item.key} {item.url or ''}"))
    _put(fields, "oj_date", _oj_date(item.text) or _oj_date(item.title))
    return dataclasses.replace(item, fields=fields)


def _celex(text: str) -> str:
    """The CELEX number of a guid or link ("CELEX:32025R0454", or derived from an ELI)."""
    text = unquote(text)
    found = _CELEX.search(text)
    if found:
        return found.group(1)
    eli = _ELI.search(text)
    if eli:
        return f"3{eli[2]}{_ELI_SECTOR[eli[1]]}{int(eli[3]):04d}"
    return ""


def _put(fields: dict[str, str], name: str, value: str) -> None:
    if value:
        fields[name] = value


def _oj_date(text: str) -> str:
    match = _OJ_DATE.search(text)
    if match is None:
        return ""
    try:
        return date(int(match[3]), int(match[2]), int(match[1])).isoformat()
    except ValueError:
        return ""
