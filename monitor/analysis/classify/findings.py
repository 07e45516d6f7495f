"""The values one classify call passes between its rules.

A ``Finding`` is one event a diff shows (category, summary, evidence, dates, event key) before
it becomes a ``Change``; a ``Delta`` holds the sentences a diff adds and removes, a
``Sentence`` one of them with the paragraph it sits in, whose dates explain it; a ``Call`` is
what every rule of one call may read (the context, the language for dates, the sentences that
merely moved). They live apart so that every rule module can import them without importing
another rule module. ``MAX_EVIDENCE`` caps the evidence lines a finding and a Change carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from monitor.analysis.classify.sentences import WordIndex
from monitor.types import Category, ClassifyContext, Source

MAX_EVIDENCE = 3
REMOVED_SECTION = "removed-section"  # the rule of a section gone from a page


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One event a diff shows, before it becomes a Change."""

    category: Category
    summary: str
    evidence: tuple[str, ...] = ()
    new_date: date | None = None
    old_date: date | None = None
    event_key: str | None = None
    name: str | None = None  # what the event is about, when more precise than the item
    rule: str = ""  # which rule found it, for `lexwatch eval --explain`


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    block: str  # the paragraph it sits in: nearby dates explain it


@dataclass(slots=True)
class Delta:
    """The sentences a diff adds and removes (moved ones taken out by the caller)."""

    added: list[Sentence] = field(default_factory=list)
    removed: list[Sentence] = field(default_factory=list)
    twins: dict[str, str | None] = field(default_factory=dict)  # memo of twin_of
    index: WordIndex | None = None  # the removed sentences by word, built when first needed


@dataclass(frozen=True, slots=True)
class Call:
    """What every rule of one classify call may read."""

    context: ClassifyContext
    language: str
    moved: frozenset[str]
    # The day a date without a year is read near: the fetch, else the item's latest date.
    reference: date | None = None

    @property
    def source(self) -> Source:
        return self.context.source
