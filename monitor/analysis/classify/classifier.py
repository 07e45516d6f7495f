"""``RuleClassifier``: one check's diffs in, the Changes they mean out.

It cuts flattened JSON answers back into records and pairs renamed sections, then asks for each
diff the tier-1 field rules, the tier-2 language rules and the new-entry and section rules, in
that order; what nothing explains gets a noise or editorial finding, and findings that are one
event are merged. It never raises: a bug in a rule is logged and the structural classifier
answers instead, so that a check is never lost."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from monitor.analysis.classify.changes import (
    build_change,
    closing_takes_removals,
    merge,
    page_removed,
)
from monitor.analysis.classify.delta import added_text, delta_of, moved_sentences
from monitor.analysis.classify.entries import added_section, new_page, removed_section, what_is_it
from monitor.analysis.classify.fields import field_findings
from monitor.analysis.classify.findings import Call, Finding
from monitor.analysis.classify.language import fold, pair_renamed, text_findings
from monitor.analysis.classify.naming import is_listing_page
from monitor.analysis.classify.quiet import amendment, quiet_finding
from monitor.analysis.classify.records import split_records
from monitor.analysis.classify.stated_dates import reference_day
from monitor.analysis.classify.structural import StructuralClassifier
from monitor.analysis.classify.vocabulary import ELSEWHERE, ENTRY_FIELDS
from monitor.types import Change, ClassifyContext, DiffKind, DocumentKind, ItemDiff

logger = logging.getLogger(__name__)


class RuleClassifier:
    """The rule-based classifier (``monitor.types.Classifier``).

    ``language`` overrides the source's ``options.language`` for reading dates (month names
    that differ between languages). Pure and thread-safe: no state between calls.
    """

    def __init__(self, *, language: str | None = None) -> None:
        self.language = language

    def classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        """The Changes the diffs mean, editorial/noise included; never raises."""
        try:
            return self._classify(diffs, context)
        except Exception:  # a classifier bug must never lose a check: fall back to shape
            logger.exception(
                "rule classifier failed on %s; using the structural one", context.source.key
            )
            return StructuralClassifier().classify(diffs, context)

    def _classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        if context.gone:
            return [page_removed(diffs, context)]
        expanded = [part for diff in diffs for part in split_records(diff, context)]
        if context.document_kind is DocumentKind.PAGE and not context.new_document:
            expanded = pair_renamed(expanded)
        language = self.language or context.source.options.language or context.language or "en"
        call = Call(
            context=context,
            language=language,
            moved=moved_sentences(expanded),
            reference=context.fetched_on,
        )
        if context.new_document and context.document_kind is DocumentKind.PAGE and expanded:
            return new_page(expanded, call)
        changes: list[Change] = []
        for diff in expanded:
            changes.extend(_classify_diff(diff, call))
        return merge(closing_takes_removals(changes), context)


def _classify_diff(diff: ItemDiff, call: Call) -> list[Change]:
    findings = fold(_findings(diff, call))
    if not findings:
        findings = [quiet_finding(diff, call)]
    return [build_change(diff, finding, call) for finding in findings]


def _findings(diff: ItemDiff, call: Call) -> list[Finding]:
    if ELSEWHERE.search(diff.key.strip()):
        return []
    if call.reference is None:
        call = replace(call, reference=reference_day(diff, call))
    entries = call.context.document_kind is not DocumentKind.PAGE or is_listing_page(call)
    if diff.kind is DiffKind.REMOVED:
        return [] if entries else removed_section(diff, call)
    if diff.kind is DiffKind.ADDED and (
        entries or call.context.new_document or ENTRY_FIELDS & set(diff.item.fields)
    ):
        return what_is_it(diff, call, added_text(diff, call))
    found = field_findings(diff, call)
    delta = delta_of(diff, call)
    found += text_findings(diff, delta, call, have=found)
    if diff.kind is DiffKind.ADDED:
        found += added_section(diff, delta, call, have=found)
    elif not entries:
        found += amendment(diff, delta, call, have=found)
    return found
