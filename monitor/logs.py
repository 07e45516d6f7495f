"""Logging for the CLI and the service: plain text for people, JSON lines for log collectors.

Every line logged while a source is being checked carries that source's key, also from code
that never names it (the fetcher, a parser, a worker thread): ``checking(key)`` puts the key
in a context variable, which asyncio tasks and ``asyncio.to_thread`` carry along, and a filter
copies it onto each record. An explicit ``extra={"source": ...}`` wins.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

LogFormat = Literal["text", "json"]

_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lexwatch_source", default=None
)
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Per-request and per-migration lines drown the ones that matter.
CHATTY = ("httpx", "alembic", "apscheduler", "uvicorn.access")


@contextlib.contextmanager
def checking(source_key: str) -> Iterator[None]:
    """Tag every log record made inside the block (and in tasks/threads it starts)."""
    token = _SOURCE.set(source_key)
    try:
        yield
    finally:
        _SOURCE.reset(token)


class SourceFilter(logging.Filter):
    """Puts the key of the source being checked on the record as ``source``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "source", None) is None:
            record.source = _SOURCE.get()
        return True


class TextFormatter(logging.Formatter):
    """The classic one-line format, with ``[source]`` when a source is known."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        source = getattr(record, "source", None)
        if source and f"[{source}]" not in line:
            head, sep, tail = line.partition(": ")
            line = f"{head} [{source}]{sep}{tail}" if sep else f"{line} [{source}]"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, source and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and value is not None and key not in entry:
                entry[key] = value if _plain(value) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | list | dict)


def configure_logging(
    level: str | int = "INFO", fmt: LogFormat = "text", *, stream: TextIO | None = None
) -> None:
    """Replace the root logger's handlers with one stderr handler in ``fmt``."""
    if fmt not in ("text", "json"):
        raise ValueError(f"log format {fmt!r}: use 'text' or 'json'")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(SourceFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
