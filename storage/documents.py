"""The documents a page links to, stored as sources of their own: ``<page>/doc/<hash of url>``.

A page source with ``follow_documents`` has one child source per document it links to (a PDF,
a Word file). A child is a source row like any other (its checks, snapshots, raw bodies and
changes are stored as for a page), found by the key prefix; one whose link left the page is
disabled, its history kept, and enabled again when the link comes back.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from monitor.types import Source
from storage.models import ChangeRow, SnapshotRow, SourceRow
from storage.queries import sync_sources

DOCUMENT_PREFIX = "/doc/"


def document_prefix(parent: str) -> str:
    return f"{parent}{DOCUMENT_PREFIX}"


def parent_of(key: str) -> str | None:
    """The page a document source belongs to (None for a page)."""
    parent, found, _ = key.partition(DOCUMENT_PREFIX)
    return parent if found else None


def document_sources(session: Session, parent: str) -> list[SourceRow]:
    """Every document source of ``parent``, linked now (enabled) or not, by key."""
    prefix = document_prefix(parent)
    rows = session.exec(
        select(SourceRow)
        .where(col(SourceRow.key).startswith(prefix, autoescape=True))
        .order_by(col(SourceRow.key))
    ).all()
    return list(rows)


def previous_blob(session: Session, change: ChangeRow) -> str | None:
    """The raw body of the version a change compares against (its old snapshot's), if kept."""
    if change.old_snapshot_id is None:
        return None
    snapshot = session.get(SnapshotRow, change.old_snapshot_id)
    return snapshot.blob_hash if snapshot is not None else None


def pages_of(diff: dict[str, object]) -> tuple[str | None, str | None]:
    """The pages a stored change's item was on before and after (documents only)."""

    def pages(side: object) -> str | None:
        fields = side.get("fields") if isinstance(side, dict) else None
        value = fields.get("pages") if isinstance(fields, dict) else None
        return str(value) if value else None

    return pages(diff.get("old")), pages(diff.get("new"))


def sync_document_sources(session: Session, parent: str, linked: Sequence[Source]) -> None:
    """Store the documents ``parent`` links to now; disable those it no longer links to."""
    sync_sources(session, linked)
    keys = {source.key for source in linked}
    for row in document_sources(session, parent):
        if row.key not in keys and row.enabled:
            row.enabled = False
            session.add(row)
