"""Tier 1: what the structured fields of an item say changed.

Fields are read before any text because they are unambiguous: a later ``feedback_end`` or
``deadline`` is a ``deadline_extended`` with both dates, an earlier one a
``deadline_changed``; ``status`` turning OPEN opens a consultation, turning CLOSED closes it; a
new ``corrected_by`` entry is a corrigendum, a new ``amended_by`` entry or consolidated
version an amendment, new ``attachments`` a ``publication_added``; a new OEIL key event an
``event_announced`` (or a ``legal_act`` when the act was signed or published).
``deadline_move`` and ``oeil_event`` are shared with the text rules and the new entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from urllib.parse import urlsplit

from monitor.analysis.classify.findings import MAX_EVIDENCE, Call, Finding
from monitor.analysis.classify.naming import celex_key, event_key, item_key, name_of, page_name
from monitor.analysis.classify.sentences import norm
from monitor.analysis.classify.stated_dates import as_day, field_date, oj_date
from monitor.analysis.classify.vocabulary import (
    ACT_EVENT,
    CLOSED_STATES,
    DEADLINE_FIELDS,
    DOC_LINK,
    OPEN,
    STATUS_CLOSED_LINE,
    STATUS_OPEN_LINE,
    STATUS_UPCOMING_LINE,
)
from monitor.analysis.dates import format_day, format_span
from monitor.types import Category, DiffKind, FieldChange, Item, ItemDiff


def field_findings(diff: ItemDiff, call: Call) -> list[Finding]:
    if diff.kind is not DiffKind.MODIFIED:
        return []
    changed = {change.name: change for change in diff.fields}
    if "status" not in changed and diff.old is not None and diff.new is not None:
        shown = FieldChange(
            name="status", old=text_status(diff.old.text), new=text_status(diff.new.text)
        )
        if shown.old != shown.new and shown.new:
            changed["status"] = shown
    if not changed:
        return []
    found: list[Finding] = []
    found += _status_findings(diff, changed, call)
    if not found:  # a period that opens or closes has new dates; they move no deadline
        found += _deadline_field_findings(diff, changed, call)
    found += _list_field_findings(diff, changed, call)
    found += _event_field_findings(diff, changed, call)
    return found


def text_status(text: str) -> str:
    """The status a page shows in a label of its own ("Status: Closed", a badge "Open",
    "Clôturée", "Abgeschlossen"): OPEN, CLOSED, UPCOMING, or "" when it shows none."""
    for line in text.split("\n"):
        if len(line) > 60:
            continue
        for state, label in (
            ("CLOSED", STATUS_CLOSED_LINE),
            ("OPEN", STATUS_OPEN_LINE),
            ("UPCOMING", STATUS_UPCOMING_LINE),
        ):
            if label.match(line.strip()):
                return state
    return ""


def _status_findings(
    diff: ItemDiff, changed: Mapping[str, FieldChange], call: Call
) -> list[Finding]:
    status = changed.get("status")
    if status is None:
        return []
    old, new = (status.old or "").upper(), (status.new or "").upper()
    name = name_of(diff, call)
    if new == OPEN and old != OPEN:
        closing = field_date(diff.item, *DEADLINE_FIELDS)
        until = f", open until {format_day(closing)}" if closing else ""
        return [
            Finding(
                rule="status-findings",
                category=Category.CONSULTATION_OPENED,
                new_date=closing,
                summary=f"{name}: feedback period opened{until}",
                evidence=(f"status: {status.old} → {status.new}",),
                event_key=event_key(diff, call, consultation=True),
            )
        ]
    if new in CLOSED_STATES and old in (OPEN, "UPCOMING"):
        return [
            Finding(
                rule="status-findings",
                category=Category.CONSULTATION_CLOSED,
                summary=f"{name}: feedback period closed",
                evidence=(f"status: {status.old} → {status.new}",),
                event_key=event_key(diff, call, consultation=True),
            )
        ]
    return []


def _deadline_field_findings(
    diff: ItemDiff, changed: Mapping[str, FieldChange], call: Call
) -> list[Finding]:
    for name in DEADLINE_FIELDS:
        change = changed.get(name)
        if change is None or not change.old or not change.new:
            continue
        old, new = as_day(change.old), as_day(change.new)
        if old is None or new is None or old == new:
            continue
        return [deadline_move(diff, call, old, new, (f"{name}: {change.old} → {change.new}",))]
    return []


def deadline_move(
    diff: ItemDiff,
    call: Call,
    old: date | None,
    new: date,
    proof: tuple[str, ...],
    *,
    name: str | None = None,
    rule: str = "deadline-field",
) -> Finding:
    """A deadline that moved: later (or later by the text's word) is an extension."""
    label = name or name_of(diff, call)
    if old is not None and new < old:
        return Finding(
            rule=rule,
            category=Category.DEADLINE_CHANGED,
            new_date=new,
            old_date=old,
            summary=f"{label}: deadline brought forward {format_span(old, new)}",
            evidence=proof,
            event_key=event_key(diff, call, consultation=True),
        )
    moved = format_span(old, new) if old else f"to {format_day(new)}"
    return Finding(
        rule=rule,
        category=Category.DEADLINE_EXTENDED,
        new_date=new,
        old_date=old,
        summary=f"{label}: deadline extended {moved}",
        evidence=proof,
        event_key=event_key(diff, call, consultation=True),
    )


def _list_field_findings(
    diff: ItemDiff, changed: Mapping[str, FieldChange], call: Call
) -> list[Finding]:
    found: list[Finding] = []
    name = name_of(diff, call)
    corrections = _new_entries(changed.get("corrected_by"))
    act_type = changed.get("act_type")
    if corrections or (act_type and "corrigend" in (act_type.new or "").lower()):
        celex = celex_key(corrections[0]) if corrections else None
        day = oj_date(corrections[0], call) if corrections else None
        found.append(
            Finding(
                rule="list-field-findings",
                category=Category.CORRIGENDUM,
                new_date=day,
                evidence=tuple(f"Corrected by {c}" for c in corrections),
                summary=f"{name}: corrected by {'; '.join(corrections) or 'a corrigendum'}",
                event_key=celex or event_key(diff, call),
            )
        )
    for field_name, what in (
        ("amended_by", "amended by"),
        ("consolidated_versions", "new consolidated version"),
    ):
        entries = _new_entries(changed.get(field_name))
        if entries:
            found.append(
                Finding(
                    rule="list-field-findings",
                    category=Category.AMENDMENT,
                    evidence=tuple(entries[:MAX_EVIDENCE]),
                    summary=f"{name}: {what} {', '.join(entries)}",
                    event_key=event_key(diff, call),
                )
            )
    found += _attachment_findings(diff, changed, call)
    return found


def _attachment_findings(
    diff: ItemDiff, changed: Mapping[str, FieldChange], call: Call
) -> list[Finding]:
    titles = _new_entries(changed.get("attachment_titles"))
    files = _new_entries(changed.get("attachments"))
    links = [link for link in _new_entries(changed.get("links")) if DOC_LINK.search(link)]
    new = titles or files or links
    if not new:
        return []
    shown = "; ".join(_file_name(entry) for entry in new[:3])
    more = f" and {len(new) - 3} more" if len(new) > 3 else ""
    return [
        Finding(
            rule="attachment-findings",
            category=Category.PUBLICATION_ADDED,
            evidence=tuple(new[:MAX_EVIDENCE]),
            summary=f"{name_of(diff, call)}: new document {shown}{more}",
            event_key=event_key(diff, call),
        )
    ]


def _event_field_findings(
    diff: ItemDiff, changed: Mapping[str, FieldChange], call: Call
) -> list[Finding]:
    event = changed.get("event")
    if event is not None and event.new:
        return [oeil_event(diff.item, event.new, call)]
    moved = changed.get("event_date")
    label = diff.item.fields.get("event") or diff.item.title
    if moved is None or not moved.new or not label:
        return []
    old, new = as_day(moved.old or ""), as_day(moved.new)
    finding = oeil_event(diff.item, label, call)
    if old is None or new is None or finding.category is not Category.EVENT_ANNOUNCED:
        return [finding]
    return [
        replace(
            finding,
            old_date=old,
            summary=f"{page_name(call.context)}: {label} moved {format_span(old, new)}",
        )
    ]


def oeil_event(item: Item, event: str, call: Call) -> Finding:
    """A key event of a procedure: the act signed or published is a legal act, the rest
    (plenary sittings, votes, debates, forecasts) events."""
    day = field_date(item, "event_date", "date")
    on = f" on {format_day(day)}" if day else ""
    subject = page_name(call.context)
    label = event if norm(event) != norm(subject) else item.title
    category = Category.LEGAL_ACT if ACT_EVENT.search(event) else Category.EVENT_ANNOUNCED
    return Finding(
        rule="oeil-event",
        category=category,
        new_date=day,
        evidence=(f"{label}{on}",),
        summary=f"{subject}: {label}{on}",
        name=subject,
        event_key=item_key(item, call),
    )


def _new_entries(change: FieldChange | None) -> list[str]:
    """Entries of a list field (newline-, comma- or semicolon-separated) that are new."""
    if change is None or not change.new:
        return []
    old = set(_entries(change.old or ""))
    return [entry for entry in _entries(change.new) if entry not in old]


def _entries(value: str) -> list[str]:
    """The entries of a list field: the parsers join them one a line."""
    return [part.strip() for part in value.split("\n") if part.strip()]


def _file_name(entry: str) -> str:
    if "://" not in entry:
        return entry
    path = urlsplit(entry).path
    return path.rstrip("/").rsplit("/", 1)[-1] or entry
