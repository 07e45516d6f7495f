"""Have Your Say (the Commission's better-regulation portal) JSON API.

Two endpoints of ``https://ec.europa.eu/info/law/better-regulation/brpapi``:

* ``searchInitiatives?text=…&page=N&size=M``: a page of initiatives. The current response is
  ``{"initiativeResultDtoPage": {"content": [...], "totalPages": …}}``; an older one, still
  handled by scrapers, is Spring HATEOAS ``{"_embedded": {"initiativeResultDtoes": [...]},
  "page": {...}}``. One item per initiative, keyed ``hys:<id>``.
* ``groupInitiatives/{id}``: one initiative with its ``publications`` (call for evidence,
  public consultation, draft act, …). One item for the initiative and one per publication,
  keyed ``hys:<id>:pub:<publicationId>``.

Dates come as ``YYYY/MM/DD HH:MM:SS`` in Brussels time and leave as ISO 8601 with the
Europe/Brussels offset. Counters (``totalFeedback``, ``pageViews``, ``score``) are left out:
they grow every hour and mean nothing to a reader.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from monitor.errors import ParseError
from monitor.types import Document, DocumentKind, Item, ParseContext, SourceOptions
from sources.normalise import normalise_line, normalise_text

__all__ = ["next_hys_page", "parse_hys_initiative", "parse_hys_search"]

logger = logging.getLogger(__name__)

BRUSSELS = ZoneInfo("Europe/Brussels")
INITIATIVE_URL = "https://ec.europa.eu/info/law/better-regulation/have-your-say/initiatives/{}_en"
# "2024/11/15 23:59:59", "2024/11/15", "2024-11-15T23:59:59", "2024-11-15T23:59:59.000+01:00".
_DATE = re.compile(
    r"(?P<y>\d{4})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_MAX_ERROR_BODY = 120


def parse_hys_search(content: bytes, context: ParseContext) -> Document:
    """Return one item per initiative of a ``searchInitiatives`` page, in the API's order.

    Raises ``ParseError`` for invalid JSON, an HTML page, a JSON without the initiatives list
    of either known shape, or an initiative without a numeric id.
    """
    data = _load(content, context.url)
    records, total = _search_records(data, context.url)
    if not records and total != 0:
        raise ParseError(
            f"Have Your Say search at {context.url}: no initiatives on this page although the "
            f"response does not say the search is empty (totalElements={total!r})"
        )
    items = _first_of_each_key(
        _search_item(index, record, context.url) for index, record in enumerate(records)
    )
    logger.debug("parsed Have Your Say search %s: %d initiatives", context.url, len(items))
    return Document(kind=DocumentKind.LISTING, items=items)


def parse_hys_initiative(content: bytes, context: ParseContext) -> Document:
    """Return the initiative of a ``groupInitiatives/{id}`` record, then its publications.

    Raises ``ParseError`` for invalid JSON, an HTML page, or a record that is not an
    initiative (no numeric ``id``, or ``publications`` that is not a list).
    """
    data = _load(content, context.url)
    if not isinstance(data, dict) or "publications" not in data:
        raise ParseError(
            f"Have Your Say initiative at {context.url}: expected an object with 'id' and "
            f"'publications', got {_describe(data)}"
        )
    initiative_id = _record_id(data, "the initiative", context.url)
    publications = data["publications"]
    if not isinstance(publications, list) or not all(isinstance(p, dict) for p in publications):
        raise ParseError(
            f"Have Your Say initiative at {context.url}: 'publications' is not a list of objects"
        )
    head = _initiative_item(initiative_id, data)
    items = _first_of_each_key(
        [head, *_publication_items(initiative_id, head.title, publications, context.url)]
    )
    logger.debug("parsed Have Your Say initiative %s: %d items", context.url, len(items))
    return Document(kind=DocumentKind.LISTING, items=items, title=head.title)


def next_hys_page(content: bytes, url: str, options: SourceOptions) -> str | None:
    """The URL of the next ``searchInitiatives`` page, or None on the last one.

    Follows ``page=`` (0-based) while page+1 < totalPages and page+1 < ``options.max_pages``;
    every other query parameter is kept as it was. Raises ``ParseError`` for invalid JSON.
    """
    data = _load(content, url)
    total_pages = _total_pages(data)
    parts = urlsplit(url)
    pairs = [pair for pair in parts.query.split("&") if pair]
    current = next((p.partition("=")[2] for p in pairs if p.partition("=")[0] == "page"), None)
    page = int(current) if current is not None and current.isdigit() else _page_number(data)
    following = page + 1
    if total_pages is None or following >= total_pages or following >= options.max_pages:
        return None
    # The other parameters keep their order and their encoding, byte for byte.
    if current is None:
        pairs.append(f"page={following}")
    else:
        pairs = [f"page={following}" if p.partition("=")[0] == "page" else p for p in pairs]
    return urlunsplit(parts._replace(query="&".join(pairs)))


def _first_of_each_key(items: Iterable[Item]) -> tuple[Item, ...]:
    """The items without repeats: an initiative or publication listed twice is still one
    thing, and two items with one key would confuse the diff; the first copy is kept."""
    kept: dict[str, Item] = {}
    for item in items:
        if item.key in kept:
            logger.warning("Have Your Say: %s listed twice; the first copy is kept", item.key)
        kept.setdefault(item.key, item)
    return tuple(kept.values())


# --- reading the JSON -----------------------------------------------------------------------


def _load(content: bytes, url: str) -> Any:
    """The decoded JSON; ``ParseError`` naming what came instead (an HTML page, garbage)."""
    if not content.strip():
        raise ParseError(f"empty response from Have Your Say at {url}; expected JSON")
    try:
        return json.loads(content)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        start = content.lstrip()[:_MAX_ERROR_BODY].decode("utf-8", "replace")
        what = "an HTML page" if start.startswith("<") else "invalid JSON"
        raise ParseError(
            f"Have Your Say at {url} sent {what}, expected JSON ({exc}); it starts {start!r}"
        ) from exc


def _search_records(data: Any, url: str) -> tuple[list[dict[str, Any]], Any]:
    """The initiatives of either response shape, and the total the response announces."""
    page = data.get("initiativeResultDtoPage") if isinstance(data, dict) else None
    if isinstance(page, dict) and isinstance(page.get("content"), list):
        records, total = page["content"], page.get("totalElements")
    elif isinstance(data, dict) and isinstance(data.get("_embedded"), dict):
        records = data["_embedded"].get("initiativeResultDtoes")
        total = (data.get("page") or {}).get("totalElements")
    elif isinstance(data, dict) and "page" in data and "_embedded" not in data:
        # Spring HATEOAS leaves out "_embedded" altogether when the search finds nothing.
        records, total = [], (data.get("page") or {}).get("totalElements")
    else:
        raise ParseError(
            f"Have Your Say search at {url}: expected 'initiativeResultDtoPage.content' or "
            f"'_embedded.initiativeResultDtoes', got {_describe(data)}"
        )
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ParseError(
            f"Have Your Say search at {url}: the initiatives are not a list of objects"
        )
    return records, total


def _total_pages(data: Any) -> int | None:
    page = _page_info(data)
    total = page.get("totalPages")
    return int(total) if isinstance(total, int | float) and not isinstance(total, bool) else None


def _page_number(data: Any) -> int:
    page = _page_info(data)
    number = page.get("number", (page.get("pageable") or {}).get("pageNumber", 0))
    return int(number) if isinstance(number, int | float) and not isinstance(number, bool) else 0


def _page_info(data: Any) -> Mapping[str, Any]:
    """The object holding totalPages/number in either response shape ({} when absent)."""
    if not isinstance(data, dict):
        return {}
    for name in ("initiativeResultDtoPage", "page"):
        if isinstance(data.get(name), dict):
            return data[name]  # type: ignore[no-any-return]
    return {}


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"an object with keys {', '.join(map(repr, list(value)[:8]))}" if value else "{}"
    if isinstance(value, list):
        return f"a list of {len(value)} entries"
    return f"a JSON {type(value).__name__}"


def _record_id(record: Mapping[str, Any], what: str, url: str) -> str:
    """The integer id as text ("14284" for 14284.0); ``ParseError`` when there is none."""
    value = record.get("id")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ParseError(f"Have Your Say at {url}: {what} has no numeric 'id' (got {value!r})")
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number.is_integer():
        raise ParseError(f"Have Your Say at {url}: {what} has no numeric 'id' (got {value!r})")
    return str(int(number))


# --- items ----------------------------------------------------------------------------------


def _search_item(index: int, record: Mapping[str, Any], url: str) -> Item:
    initiative_id = _record_id(record, f"initiative {index}", url)
    fields = _initiative_fields(initiative_id, record)
    fields.update(_status_fields(_current_status(record.get("currentStatuses"))))
    return Item(
        key=f"hys:{initiative_id}",
        title=_text(record.get("shortTitle")) or f"Initiative {initiative_id}",
        url=INITIATIVE_URL.format(initiative_id),
        text=normalise_text(_text(record.get("dossierSummary"))),
        fields=fields,
    )


def _initiative_item(initiative_id: str, record: Mapping[str, Any]) -> Item:
    fields = _initiative_fields(initiative_id, record)
    # The detail record may carry the initiative's own stage and status; its publications
    # always carry theirs.
    fields.update(_status_fields(record))
    if "stage" in record and "stage" not in fields:
        _put(fields, "stage", _text(record.get("stage")))
    return Item(
        key=f"hys:{initiative_id}",
        title=_text(record.get("shortTitle")) or f"Initiative {initiative_id}",
        url=INITIATIVE_URL.format(initiative_id),
        text=normalise_text(_text(record.get("dossierSummary"))),
        fields=fields,
    )


def _publication_items(
    initiative_id: str, initiative_title: str, publications: list[dict[str, Any]], url: str
) -> Iterator[Item]:
    for index, publication in enumerate(publications):
        publication_id = _record_id(publication, f"publication {index}", url)
        stage = _text(publication.get("frontEndStage") or publication.get("stage"))
        fields: dict[str, str] = {"initiative_id": initiative_id, "publication_id": publication_id}
        fields.update(_status_fields(publication))
        _put(fields, "stage", stage)
        _put(fields, "published", _brussels(publication.get("publishedDate"), end=False))
        _put(fields, "reference", _text(publication.get("reference")))
        _put(fields, "publication_type", _text(publication.get("type")))
        _put(fields, "attachment_titles", _attachment_titles(publication.get("attachments")))
        title = _text(publication.get("title")) or " — ".join(
            filter(None, (initiative_title, stage))
        )
        yield Item(
            key=f"hys:{initiative_id}:pub:{publication_id}",
            title=title or f"Publication {publication_id}",
            url=INITIATIVE_URL.format(initiative_id),
            fields=fields,
        )


def _initiative_fields(initiative_id: str, record: Mapping[str, Any]) -> dict[str, str]:
    fields = {"initiative_id": initiative_id}
    _put(fields, "reference", _text(record.get("reference")))
    _put(fields, "act_type", _text(record.get("foreseenActType")))
    _put(fields, "initiative_status", _text(record.get("initiativeStatus")))
    _put(fields, "topics", _topics(record.get("topics")))
    return fields


def _current_status(statuses: Any) -> Mapping[str, Any]:
    """The entry flagged ``isCurrent``, else the last one ({} when there is none)."""
    entries = [s for s in statuses if isinstance(s, dict)] if isinstance(statuses, list) else []
    current = [s for s in entries if s.get("isCurrent") is True]
    return (current or entries or [{}])[-1]


def _status_fields(record: Mapping[str, Any]) -> dict[str, str]:
    """stage, status, feedback_start and feedback_end of a status entry or a publication."""
    fields: dict[str, str] = {}
    _put(fields, "stage", _text(record.get("frontEndStage")))
    _put(fields, "status", _text(record.get("receivingFeedbackStatus")).upper())
    start = record.get("feedbackStartDate", record.get("startDate"))
    _put(fields, "feedback_start", _brussels(start, end=False))
    _put(
        fields,
        "feedback_end",
        _brussels(record.get("feedbackEndDate", record.get("endDate")), end=True),
    )
    return fields


def _topics(topics: Any) -> str:
    """The topic labels (codes when a topic has no label), in the API's order."""
    if not isinstance(topics, list):
        return ""
    names = [
        _text(t.get("label") or t.get("code")) if isinstance(t, dict) else _text(t) for t in topics
    ]
    return ", ".join(name for name in names if name)


def _attachment_titles(attachments: Any) -> str:
    """One line per attached document, "title (language, file name)": a new line is a new
    document. Download URLs are left out: their form is not documented."""
    if not isinstance(attachments, list):
        return ""
    lines = []
    for attachment in attachments:
        if not isinstance(attachment, dict):
            continue
        details = ", ".join(
            filter(None, (_text(attachment.get("language")), _text(attachment.get("ersFileName"))))
        )
        title = _text(attachment.get("title")) or _text(attachment.get("ersFileName"))
        lines.append(f"{title} ({details})" if details and title else title or details)
    return "\n".join(line for line in lines if line)


def _brussels(value: Any, *, end: bool) -> str:
    """An API date as ISO 8601 in Brussels time; a bare day ends at 23:59:59 when ``end``.

    Returns "" for a missing date and the normalised text itself for a form not understood
    (logged), so that a change of it is still seen.
    """
    text = _text(value)
    match = _DATE.fullmatch(text)
    if not text:
        return ""
    if match is None:
        logger.warning("Have Your Say: unrecognised date %r kept as it is", text)
        return text
    try:
        return _to_iso(match, end)
    except ValueError:
        logger.warning("Have Your Say: impossible date %r kept as it is", text)
        return text


def _to_iso(match: re.Match[str], end: bool) -> str:
    day = datetime(int(match["y"]), int(match["m"]), int(match["d"]))
    if match["H"] is None:
        clock = time(23, 59, 59) if end else time(0, 0)
    else:
        clock = time(int(match["H"]), int(match["M"]), int(match["S"] or 0))
    stamp = datetime.combine(day.date(), clock)
    if match["tz"]:
        offset = match["tz"].replace("Z", "+00:00")
        offset = offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
        stamp = datetime.fromisoformat(f"{stamp.isoformat()}{offset}")
        return stamp.astimezone(BRUSSELS).isoformat()
    return stamp.replace(tzinfo=BRUSSELS).isoformat()


def _text(value: Any) -> str:
    """A JSON scalar as one normalised line ("" for null, objects and lists)."""
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return normalise_line(str(value))


def _put(fields: dict[str, str], name: str, value: str) -> None:
    if value:
        fields[name] = value
