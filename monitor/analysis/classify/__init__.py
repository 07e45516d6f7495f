"""Say what item diffs mean: explainable rules over structure, language and source context.

``RuleClassifier`` reads one check's diffs in three tiers, as DESIGN.md prescribes:

1. Structured fields first. A later ``feedback_end``/``deadline`` is a ``deadline_extended``
   with both dates, an earlier one a ``deadline_changed``; ``status`` turning OPEN opens a
   consultation, turning CLOSED closes it; a new ``corrected_by`` entry is a ``corrigendum``;
   new ``attachments`` are a ``publication_added``; a new OEIL key event an
   ``event_announced`` (or a ``legal_act`` when the act was signed or published). A JSON
   answer read as one flattened item is first cut back into its records, matched by id.
2. Then the language of the changed text: only sentences that are new (not in the old
   version, not merely moved elsewhere on the page) can announce something, and a fact the
   old text already stated is no news. Deadlines are compared as dates, never as strings.
3. Then the source's tags, as the default meaning of a new entry.

A new entry of a feed or listing, or a page that appeared (``context.new_document``), is
classified by what it *is* (a corrigendum, an act, a consultation, an event, else a
publication). A page that disappeared is one ``page_removed``. What explains nothing (moved
or reordered text, counters, "last update" stamps, site chrome, typo fixes, a feed entry
scrolling off) is ``noise`` or ``editorial``: stored, never alerted.

``StructuralClassifier`` (shape only) is kept as the fallback that cannot fail.

The package is cut along those lines: ``classifier`` (``RuleClassifier``) asks the rules in
``fields`` (tier 1), ``language`` (tier 2), ``entries`` (new entries and sections) and ``quiet``
(amendment, editorial, noise), and builds Changes in ``changes``; ``structural`` holds
``StructuralClassifier``. Each module imports only modules before it in this order, so there
are no cycles: vocabulary, sentences, findings, naming, stated_dates, records, quiet, delta,
fields, language, changes, entries, structural, classifier.
"""

from __future__ import annotations

from monitor.analysis.classify.classifier import RuleClassifier
from monitor.analysis.classify.structural import StructuralClassifier, evidence, summarise
from monitor.analysis.classify.vocabulary import severity_of

__all__ = ["RuleClassifier", "StructuralClassifier", "evidence", "severity_of", "summarise"]
