"""JSON API parser: one item per record of a list, every scalar of it as a field.

Where the list is and which member keys a record come from the source's options
(``items_path``, ``key_field``, ``title_field``, ``url_field``). Nested values are
flattened with dotted names (``currentStatuses.0.feedbackEndDate``), so a diff by field
sees exactly which fact changed.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urljoin

from monitor.errors import ConfigError, ParseError
from monitor.types import Document, DocumentKind, Item, ParseContext, SourceOptions
from sources.normalise import normalise_line, normalise_text, strip_tracking
from sources.parsers.html_page import unique_keys

__all__ = ["flatten", "parse_json"]

logger = logging.getLogger(__name__)


def parse_json(content: bytes, context: ParseContext) -> Document:
    """Return one item per record found at ``options.items_path``, in the API's order.

    Raises ``ParseError`` for invalid JSON, a missing or non-list ``items_path``, or a
    record without its key; ``ConfigError`` when the source sets no ``key_field``.
    """
    options = context.options
    if not options.key_field:
        raise ConfigError(f"source {context.url!r}: the json parser needs options.key_field")
    records = _records(_load(content, context.url), options.items_path or "")
    rows = [_row(index, record, options) for index, record in enumerate(records)]
    keys = unique_keys(key for key, _ in rows)
    items = tuple(
        _item(key, flat, options, context.url) for key, (_, flat) in zip(keys, rows, strict=True)
    )
    logger.debug("parsed json %s: %d records", context.url, len(items))
    return Document(kind=DocumentKind.LISTING, items=items)


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Every scalar under ``value`` as a string, keyed by its dotted path.

    Lists of scalars are joined with ", "; lists holding objects are indexed
    (``links.0.href``). ``null`` and empty lists are left out.
    """
    out: dict[str, str] = {}
    _flatten(value, prefix, out)
    return out


def _load(content: bytes, url: str) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise ParseError(f"invalid JSON at {url}: {exc}") from exc


def _records(data: Any, path: str) -> list[dict[str, Any]]:
    """The list at the dotted ``path`` (the root when empty); each entry must be an object."""
    current = data
    segments = path.split(".") if path else []
    for depth, segment in enumerate(segments):
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            where = ".".join(segments[:depth]) or "the root"
            raise ParseError(
                f"items_path {path!r}: no {segment!r} at {where}, which has {_describe(current)}"
            )
    if not isinstance(current, list):
        raise ParseError(f"items_path {path or '(root)'!r} is not a list but {_describe(current)}")
    for index, record in enumerate(current):
        if not isinstance(record, dict):
            raise ParseError(f"items_path {path or '(root)'!r}: item {index} is not an object")
    return current


def _describe(value: Any) -> str:
    """What a JSON value holds, for error messages: its keys, or its type."""
    if isinstance(value, dict):
        return f"keys {', '.join(map(repr, value))}" if value else "no keys"
    if isinstance(value, list):
        return f"a list of {len(value)} entries"
    return f"a {type(value).__name__} value"


def _row(index: int, record: dict[str, Any], options: SourceOptions) -> tuple[str, dict[str, str]]:
    flat = flatten(record)
    key_field = options.key_field or ""
    key = normalise_line(flat.get(key_field, ""))
    if not key:
        raise ParseError(
            f"item {index} has no value for key_field {key_field!r}; its fields: {', '.join(flat)}"
        )
    return key, flat


def _item(key: str, flat: dict[str, str], options: SourceOptions, base_url: str) -> Item:
    title = normalise_line(flat.get(options.title_field or "", "")) or key
    link = flat.get(options.url_field, "") if options.url_field else ""
    url = strip_tracking(urljoin(base_url, link)) if link else None
    return Item(key=key, title=title, url=url, fields=flat)


def _flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for name, member in value.items():
            _flatten(member, f"{prefix}.{name}" if prefix else str(name), out)
    elif isinstance(value, list):
        if all(not isinstance(member, dict | list) for member in value):
            joined = ", ".join(s for s in map(_scalar, value) if s is not None)
            if joined:
                out[prefix] = joined
        else:
            for index, member in enumerate(value):
                _flatten(member, f"{prefix}.{index}" if prefix else str(index), out)
    else:
        scalar = _scalar(value)
        if scalar is not None:
            out[prefix] = scalar


def _scalar(value: Any) -> str | None:
    """A JSON scalar as text; integral floats (``14765.0``) as integers; None for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, str):
        return normalise_text(value)
    return str(value)
