"""Say what item diffs mean.

``StructuralClassifier`` maps the shape of a diff to a category: a new item is a
``publication_added``, a modified one an ``amendment``, a removed one ``page_removed``
(except entries that scroll off the end of a feed, which is just how feeds work: ``noise``).
The full rule-based classifier (language, dates, source tags) implements the same
``monitor.types.Classifier`` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.types import (
    Category,
    Change,
    ClassifyContext,
    DiffKind,
    DocumentKind,
    ItemDiff,
    Severity,
    Source,
)

_EXCERPT_CHARS = 280


class StructuralClassifier:
    """Classifies by diff kind and document kind only."""

    def classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        """One Change per diff."""
        return [self._classify_one(diff, context.source, context.document_kind)
                for diff in diffs]

    def _classify_one(self, diff: ItemDiff, source: Source, kind: DocumentKind) -> Change:
        category, severity = _category(diff, kind)
        item = diff.item
        return Change(
            source_key=source.key,
            item_key=diff.key,
            category=category,
            severity=severity,
            title=f"{item.title or diff.key} — {source.title}",
            summary=summarise(diff),
            url=item.url or source.url,
            diff=diff,
            evidence=evidence(diff),
        )


def _category(diff: ItemDiff, kind: DocumentKind) -> tuple[Category, Severity]:
    if diff.kind is DiffKind.ADDED:
        return Category.PUBLICATION_ADDED, Severity.MEDIUM
    if diff.kind is DiffKind.MODIFIED:
        return Category.AMENDMENT, Severity.MEDIUM
    if kind is DocumentKind.FEED:
        return Category.NOISE, Severity.LOW
    return Category.PAGE_REMOVED, Severity.MEDIUM


def summarise(diff: ItemDiff) -> str:
    """A one-line, human summary of what the diff did."""
    name = diff.item.title or diff.key
    if diff.kind is DiffKind.ADDED:
        return f"New: {name}"
    if diff.kind is DiffKind.REMOVED:
        return f"Removed: {name}"
    parts = []
    if diff.blocks:
        parts.append(f"{len(diff.blocks)} paragraph(s) changed")
    if diff.fields:
        parts.append("fields changed: " + ", ".join(f.name for f in diff.fields))
    if diff.title_changed and diff.old is not None:
        parts.append(f"renamed from {diff.old.title!r}")
    return f"Changed: {name} ({'; '.join(parts)})"


def evidence(diff: ItemDiff) -> tuple[str, ...]:
    """The new (or, for a removal, the old) text of the changed blocks, shortened."""
    texts = [(block.new if block.new is not None else block.old) or "" for block in diff.blocks]
    texts += [f"{f.name}: {f.old} → {f.new}" for f in diff.fields]
    return tuple(_shorten(text) for text in texts[:5] if text)


def _shorten(text: str) -> str:
    if len(text) <= _EXCERPT_CHARS:
        return text
    return text[: _EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"
