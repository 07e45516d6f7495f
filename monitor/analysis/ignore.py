"""A source's ignore rules, applied to every parser's output before diffing.

``ignore`` regular expressions are removed from item text and titles; ``ignore_fields``
are dropped from item fields. Parsers may apply ``ignore`` already (it is idempotent).
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from monitor.types import Document, Item, SourceOptions


def filter_document(document: Document, options: SourceOptions) -> Document:
    """The document without what the source's options say to ignore."""
    if not (options.ignore or options.ignore_fields):
        return document
    patterns = _compiled(options.ignore)
    dropped = frozenset(options.ignore_fields)
    return replace(
        document, items=tuple(_filtered(item, patterns, dropped) for item in document.items)
    )


def _filtered(item: Item, patterns: tuple[re.Pattern[str], ...], dropped: frozenset[str]) -> Item:
    fields = {name: value for name, value in item.fields.items() if name not in dropped}
    return replace(
        item,
        text=_strip(item.text, patterns),
        title=_strip(item.title, patterns) or item.title,
        fields=fields,
    )


def _strip(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    if not patterns or not text:
        return text
    lines = []
    for line in text.split("\n"):
        for pattern in patterns:
            line = pattern.sub("", line)
        line = " ".join(line.split())
        if line:
            lines.append(line)
    return "\n".join(lines)


@functools.lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)
