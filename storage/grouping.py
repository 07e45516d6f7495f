"""Which event a change reports: the grouping rules, as pure functions of plain values.

A change joins an event when it is about the same thing AND reports the same happening:

- the same thing: one of its identities is one of a member's (``identities``): the same
  Have Your Say initiative (``hys:<id>``), CELEX number, ELI, act number (2024/1689, which
  the OJ L series, ELI and CELEX share since October 2023), consultation page
  (``consultation:<path>``) or document URL (without its #fragment); or, failing that, a
  closely matching title (``similar``) within ``TITLE_WINDOW`` of the event's last change;
- the same happening (``_same_happening``): the same category and the same dates (for a
  named initiative, act or consultation page, a source that states no date at all reports
  the same happening as one that does; a shared link alone needs the same dates), or a
  date moved again: a deadline change whose old date is the event's current date.

Two different items of one source (two sections of a page, two entries of a feed) are never
one event, whatever their identity, and an item an editor split out of an event never
rejoins it. Identity matches look back ``IDENTITY_WINDOW``.

Titles are compared by ``similar``: the share of the shorter title's distinctive words
(casefolded; not digits, month names, and not the words every title in this domain shares,
``_COMMON``: "consultation", "opens", "artificial intelligence", ...) that the other title
also has, with at least two shared; ``TITLE_SIMILARITY`` or more is the same title. Word
order, punctuation and a source's own wording around the name ("Consultation opens: X" and
"Artificial intelligence – X") do not count. Only changes of the same category with the same
dates, on different sources, within ``TITLE_WINDOW``, are compared at all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

IDENTITY_WINDOW = timedelta(days=90)
TITLE_WINDOW = timedelta(days=3)
TITLE_SIMILARITY = 0.8
# A deadline moved: changes of these categories can continue each other ("moved again").
DATE_MOVES = frozenset({"deadline_extended", "deadline_changed"})
SEVERITY_ORDER = {"low": 0, "medium": 1, "high": 2}

_ELI = re.compile(r"/eli/([a-z_]+)/(\d{4})/(\d+)", re.IGNORECASE)
_OJ = re.compile(r"OJ:L_(\d{4})(\d{5})\b", re.IGNORECASE)
_CELEX_ACT = re.compile(r"^3(\d{4})[RLD](\d{4})$")
_WORD = re.compile(r"[^\W_]+")
_MIN_SHARED = 2
# Words that titles in this domain share whatever they are about: they tell nothing apart.
_COMMON = frozenset(
    """
    a an and the of on in to by from at with for is are be will its this that as or new
    consultation consultations targeted public call calls feedback open opens opened close
    closes closed closing deadline extended until now launched launches published
    artificial intelligence ai eu european commission
    january february march april may june july august september october november december
    """.split()
)

RULES = {
    "hys": "same Have Your Say initiative",
    "celex": "same CELEX number",
    "eli": "same ELI",
    "act": "same act number",
    "consultation": "same consultation page",
    "url": "same document URL",
    "title": "same category, dates and a closely matching title",
    "moved": "the same deadline moved again",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Member:
    """A change as the rules see it (a stored member of an event, or the one to place)."""

    source_key: str
    item_key: str
    category: str
    title: str
    url: str | None
    event_key: str | None
    old_date: date | None
    new_date: date | None
    detected_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Candidate:
    """An event the change might join: its current dates, its members, and the items split
    out of it by an editor (never to rejoin it)."""

    event_id: int
    new_date: date | None
    last_detected_at: datetime
    members: tuple[Member, ...]
    split_out: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True, kw_only=True, slots=True)
class Match:
    """The event a change joins, the rule that matched (a key of ``RULES``) and why."""

    event_id: int
    rule: str
    detail: str
    moved: bool = False  # the change moves the event's date


def identities(event_key: str | None, url: str | None) -> dict[str, str]:
    """Every identity of a change, each with the rule it stands for (a key of ``RULES``)."""
    found: dict[str, str] = {}
    if event_key:
        kind = event_key.split(":", 1)[0]
        found[event_key] = kind if kind in RULES else "url"
        if kind == "celex":
            act = _CELEX_ACT.match(event_key.split(":", 1)[1])
            if act:
                found[f"act:{act.group(1)}/{int(act.group(2))}"] = "act"
    if url:
        found.update(_url_identities(url))
    return found


def _url_identities(url: str) -> dict[str, str]:
    found: dict[str, str] = {}
    eli = _ELI.search(url)
    if eli:
        found[f"eli:{eli.group(1).lower()}/{eli.group(2)}/{eli.group(3)}"] = "eli"
        found[f"act:{eli.group(2)}/{int(eli.group(3))}"] = "act"
    oj = _OJ.search(url)
    if oj:
        found[f"act:{oj.group(1)}/{int(oj.group(2))}"] = "act"
    found[f"url:{document_url(url)}"] = "url"
    return found


def document_url(url: str) -> str:
    """The URL of the document itself: no #fragment, scheme and host in lower case, no
    trailing slash (http and https are the same document)."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit(("https", parts.netloc.lower(), path, parts.query, ""))


def lock_keys(change: Member) -> set[str]:
    """The names under which changes that may join each other meet (PostgreSQL locks them):
    every identity, and the category with the dates (the title rule)."""
    keys = set(identities(change.event_key, change.url))
    keys.add(f"title:{change.category}:{change.old_date}:{change.new_date}")
    return keys


def place(change: Member, candidates: Sequence[Candidate]) -> Match | None:
    """The event ``change`` joins (of several, the first reported); None: a new event."""
    for candidate in sorted(candidates, key=lambda c: c.event_id):
        if _kept_apart(change, candidate):
            continue
        found = _by_identity(change, candidate) or _by_title(change, candidate)
        if found is not None:
            return found
    return None


def _kept_apart(change: Member, candidate: Candidate) -> bool:
    """Another item of the change's own source is in it, or an editor split the item out."""
    if (change.source_key, change.item_key) in candidate.split_out:
        return True
    return any(
        m.source_key == change.source_key and m.item_key != change.item_key
        for m in candidate.members
    )


def _by_identity(change: Member, candidate: Candidate) -> Match | None:
    if change.detected_at - candidate.last_detected_at > IDENTITY_WINDOW:
        return None
    mine = identities(change.event_key, change.url)
    for member in candidate.members:
        shared = [key for key in identities(member.event_key, member.url) if key in mine]
        if not shared:
            continue
        key = min(shared, key=lambda k: list(RULES).index(mine[k]))
        if _same_happening(change, member, loose=mine[key] != "url"):
            return Match(event_id=candidate.event_id, rule=mine[key], detail=key)
        if _moved_again(change, candidate):
            return Match(event_id=candidate.event_id, rule="moved", detail=key, moved=True)
    return None


def _same_happening(change: Member, member: Member, *, loose: bool) -> bool:
    """The same category (or both a moved deadline) and the same dates; ``loose``: or one
    of them states no date at all (a named initiative or act, not a mere link)."""
    if not _same_kind(change.category, member.category):
        return False
    dates, theirs = (change.old_date, change.new_date), (member.old_date, member.new_date)
    if dates == theirs:
        return True
    return loose and (dates == (None, None) or theirs == (None, None))


def _same_kind(one: str, other: str) -> bool:
    return one == other or (one in DATE_MOVES and other in DATE_MOVES)


def _moved_again(change: Member, candidate: Candidate) -> bool:
    return (
        change.category in DATE_MOVES
        and any(m.category in DATE_MOVES for m in candidate.members)
        and change.old_date is not None
        and change.old_date == candidate.new_date
    )


def _by_title(change: Member, candidate: Candidate) -> Match | None:
    if change.detected_at - candidate.last_detected_at > TITLE_WINDOW:
        return None
    if _conflicting_identity(change, candidate):
        return None
    for member in candidate.members:
        score = title_score(change, member)
        if score >= TITLE_SIMILARITY:
            return Match(
                event_id=candidate.event_id,
                rule="title",
                detail=f"title similarity {score:.2f} with {member.source_key}",
            )
    return None


def title_score(change: Member, member: Member) -> float:
    """How alike the titles are, for a member the title rule compares ``change`` with: of
    the same category and dates, on another source; 0 for any other."""
    same = member.category == change.category and (member.old_date, member.new_date) == (
        change.old_date,
        change.new_date,
    )
    if not same or member.source_key == change.source_key:
        return 0.0
    return similar(change.title, member.title)


def titled_alike(change: Member, members: Iterable[Member]) -> bool:
    """Whether the title rule could put ``change`` in an event of these members (if the
    event's last change is recent enough and no identity conflicts: see ``_by_title``)."""
    return any(title_score(change, member) >= TITLE_SIMILARITY for member in members)


def _conflicting_identity(change: Member, candidate: Candidate) -> bool:
    """Both name a Have Your Say initiative or a CELEX number, and not the same one."""
    strong = ("hys:", "celex:")
    if not change.event_key or not change.event_key.startswith(strong):
        return False
    return any(
        m.event_key and m.event_key.startswith(strong) and m.event_key != change.event_key
        for m in candidate.members
    )


def similar(one: str, other: str) -> float:
    """How alike two titles are, from 0 to 1 (see the module's docstring)."""
    words, others = _distinctive(one), _distinctive(other)
    shared = len(words & others)
    if shared < _MIN_SHARED:
        return 0.0
    return shared / min(len(words), len(others))


@functools.lru_cache(maxsize=4096)  # a title is compared with many (every candidate's)
def _distinctive(title: str) -> frozenset[str]:
    found = (word.casefold() for word in _WORD.findall(title))
    return frozenset(word for word in found if word not in _COMMON and not word.isdigit())


def higher(one: str, other: str) -> str:
    """The higher of two severities."""
    return one if SEVERITY_ORDER.get(one, 0) >= SEVERITY_ORDER.get(other, 0) else other
