"""Human names for categories and severities, shared by the chat renderers."""

from __future__ import annotations

from monitor.types import Category, Severity

CATEGORY_LABELS: dict[Category, str] = {
    Category.CONSULTATION_OPENED: "Consultation opened",
    Category.CONSULTATION_CLOSED: "Consultation closed",
    Category.DEADLINE_EXTENDED: "Deadline extended",
    Category.DEADLINE_CHANGED: "Deadline changed",
    Category.PUBLICATION_ADDED: "New publication",
    Category.LEGAL_ACT: "Legal act",
    Category.CORRIGENDUM: "Corrigendum",
    Category.AMENDMENT: "Amendment",
    Category.EVENT_ANNOUNCED: "Event announced",
    Category.PAGE_REMOVED: "Page removed",
    Category.UPDATE: "Other update",
    Category.EDITORIAL: "Editorial change",
    Category.NOISE: "Noise",
}
SEVERITY_MARKS: dict[Severity, str] = {
    Severity.HIGH: "\U0001f534", Severity.MEDIUM: "\U0001f7e0", Severity.LOW: "\u26aa",
}
