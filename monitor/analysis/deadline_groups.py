"""The same deadline seen on several sources, shown once.

A consultation's closing date is stated by the consultation portal, the AI Office's page and
its news item, each with its own wording: "Consultation closes: Artificial intelligence –
transparency guidelines for general-purpose AI" and "Consultation closes: Targeted
consultation on transparency guidelines for general-purpose AI". Stored per source (each
source's deadline has its own history), they would be listed once per source.

Two deadlines of the same event (``deadlines.event_id``: set when a change of the event
states them, see storage.events) are one deadline. Otherwise two deadlines are the same
when they are of the same kind, fall at the same instant, and
either point to the same document or name the same thing: the distinctive words of the
shorter label (not "consultation", "closes", dates or "artificial intelligence") are nearly
all in the longer one. Deadlines at different instants are never merged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.models import DeadlineRow

# Words every deadline label in this domain shares, which say nothing about which one it is.
_COMMON = frozenset(
    """
    a an and the of on for in to by from at with is are be will its this that as or
    consultation consultations targeted public call calls feedback open opens opened close
    closes closed closing deadline until till apply applies application date event
    artificial intelligence eu european commission
    january february march april may june july august september october november december
""".split()
)
_WORD = re.compile(r"[^\W_]+")
_OVERLAP = 0.8  # share of the shorter label's distinctive words the longer one must have
_MIN_SHARED = 2


@dataclass(frozen=True, kw_only=True, slots=True)
class DeadlineGroup:
    """One deadline as a reader sees it, with every stored row that states it (the first is
    the one shown: its label, link and history)."""

    rows: tuple[DeadlineRow, ...]

    @property
    def first(self) -> DeadlineRow:
        return self.rows[0]

    @property
    def due(self) -> datetime:
        return self.first.due

    @property
    def sources(self) -> tuple[str, ...]:
        """The keys of the sources that state it, each once, in the order of the rows."""
        return tuple(dict.fromkeys(row.source_key for row in self.rows))


def group_deadlines(rows: Sequence[DeadlineRow]) -> list[DeadlineGroup]:
    """``rows`` with the same deadline gathered, in the order of each group's first row."""
    groups: list[list[DeadlineRow]] = []
    for row in rows:
        same = next((group for group in groups if _same(group[0], row)), None)
        if same is None:
            groups.append([row])
        else:
            same.append(row)
    return [DeadlineGroup(rows=tuple(group)) for group in groups]


def _same(one: DeadlineRow, other: DeadlineRow) -> bool:
    if one.event_id is not None and one.event_id == other.event_id:
        return True  # one event: its deadline once, whatever each source's wording or date
    if one.kind != other.kind or one.due != other.due:
        return False
    if one.url and one.url == other.url:
        return True
    return same_thing(one.label, other.label)


def same_thing(label: str, other: str) -> bool:
    """Whether two labels name the same thing (see the module docstring)."""
    words, others = _distinctive(label), _distinctive(other)
    if not words or not others:
        return label.casefold().split() == other.casefold().split()
    shared, smaller = len(words & others), min(len(words), len(others))
    return shared >= min(_MIN_SHARED, smaller) and shared >= _OVERLAP * smaller


def _distinctive(label: str) -> frozenset[str]:
    words = (word.casefold() for word in _WORD.findall(label))
    return frozenset(word for word in words if word not in _COMMON and not word.isdigit())
