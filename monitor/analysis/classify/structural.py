"""The structural classifier: the fallback that cannot fail.

It classifies by diff kind and document kind only (added is a publication, modified an
amendment, removed a removed page or, in a feed, noise) and never reads the text, so
``RuleClassifier`` falls back to it when a rule raises, and tests use it where meaning is beside
the point. ``summarise`` and ``evidence`` describe a diff in one line and a few excerpts."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.analysis.classify.sentences import shorten
from monitor.analysis.classify.vocabulary import severity_of
from monitor.types import (
    Category,
    Change,
    ClassifyContext,
    DiffKind,
    DocumentKind,
    ItemDiff,
    Source,
)


class StructuralClassifier:
    """Classifies by diff kind and document kind only; cannot fail on any text."""

    def classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        """One Change per diff."""
        return [self._classify_one(diff, context.source, context.document_kind) for diff in diffs]

    def _classify_one(self, diff: ItemDiff, source: Source, kind: DocumentKind) -> Change:
        category = _structural_category(diff, kind)
        item = diff.item
        return Change(
            source_key=source.key,
            item_key=diff.key,
            category=category,
            severity=severity_of(category),
            title=f"{item.title or diff.key} — {source.title}",
            summary=summarise(diff),
            url=item.url or source.url,
            diff=diff,
            evidence=evidence(diff),
        )


def _structural_category(diff: ItemDiff, kind: DocumentKind) -> Category:
    if diff.kind is DiffKind.ADDED:
        return Category.PUBLICATION_ADDED
    if diff.kind is DiffKind.MODIFIED:
        return Category.AMENDMENT
    return Category.NOISE if kind is DocumentKind.FEED else Category.PAGE_REMOVED


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
    return tuple(shorten(text) for text in texts[:5] if text)
