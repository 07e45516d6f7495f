"""Small read queries the dashboard's pages need beside storage.browse."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import BlobRow, MuteRow, SourceRow


def is_muted(session: Session, source_key: str, item_key: str) -> bool:
    """Whether the item's changes are muted (kept, never alerted)."""
    return session.get(MuteRow, (source_key, item_key)) is not None


def blob_content_type(session: Session, digest: str) -> str | None:
    """The content type a stored raw response was served with (None: no such blob)."""
    row = session.get(BlobRow, digest)
    return row.content_type if row is not None else None


def source_choices(session: Session) -> tuple[list[tuple[str, str]], list[str]]:
    """The timeline's source menu ((key, title) by key) and tag menu, from the sources only
    (the categories are the fixed taxonomy: no scan of the changes is needed)."""
    rows = session.exec(select(SourceRow.key, SourceRow.title, SourceRow.tags)
                        .order_by(SourceRow.key)).all()
    tags = sorted({tag for _, _, row_tags in rows for tag in row_tags or []})
    return [(key, title) for key, title, _ in rows], tags
