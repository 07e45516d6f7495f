"""Marks for severities in the chat renderers (category labels are in the registry,
``monitor.types.CATEGORIES``)."""

from __future__ import annotations

from monitor.types import Severity

SEVERITY_MARKS: dict[Severity, str] = {
    Severity.HIGH: "\U0001f534",
    Severity.MEDIUM: "\U0001f7e0",
    Severity.LOW: "\u26aa",
}
