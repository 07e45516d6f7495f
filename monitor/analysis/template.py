"""A site's template: the text blocks its pages share, where a change is never news.

Navigation, footers, share widgets, newsletter boxes and "related content" lists repeat on
every page of a site, in wording no fixed list foresees. lexwatch already stores several pages
of most hosts, so a block that at least two other pages of the same host also show is
template (``site_blocks``), and the classifier treats a change there as noise. Blocks that
state a date or a status ("Open", "Closed") are never template: two consultation pages of one
site may share "Status: Open" and still close on different days. ``SiteTemplates`` computes the
blocks of a host at most once an hour from the stored snapshots (the loader is injected)."""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from monitor.types import Document, Source

logger = logging.getLogger(__name__)

MIN_PAGES = 2  # other pages of the host that must show a block for it to be template
_REFRESH = timedelta(hours=1)
_DATED = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")
_STATUS = re.compile(
    r"^(?:status\s*[:|-]?\s*)?(?:open|closed|ongoing|upcoming|ouverte?|close|clôturée?|offen"
    r"|geschlossen|abgeschlossen)\.?$",
    re.IGNORECASE,
)

Loader = Callable[[str], list[tuple[str, Document]]]  # host -> (source key, its last page)


def block_key(text: str) -> str:
    """A block as the template compares it: case, spacing and end punctuation ignored."""
    return " ".join(text.lower().split()).rstrip(".;: ")


def site_blocks(documents: Iterable[Document], *, min_pages: int = MIN_PAGES) -> frozenset[str]:
    """The blocks (lines and headings) that at least ``min_pages`` of the documents show."""
    counts: Counter[str] = Counter()
    for document in documents:
        counts.update(_blocks(document))
    return frozenset(block for block, seen in counts.items() if seen >= min_pages)


def _blocks(document: Document) -> set[str]:
    blocks: set[str] = set()
    for item in document.items:
        for line in (item.title, *item.text.split("\n")):
            key = block_key(line)
            if key and not _DATED.search(key) and not _STATUS.match(key):
                blocks.add(key)
    return blocks


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class SiteTemplates:
    """The template of each host, read at most once an hour; thread-safe."""

    def __init__(self, load: Loader, clock: Callable[[], datetime]) -> None:
        self._load, self._clock = load, clock
        self._cache: dict[str, tuple[datetime, _Site]] = {}
        self._lock = threading.Lock()

    def blocks(self, source: Source) -> frozenset[str]:
        """The blocks that at least two other stored pages of the source's host show."""
        site = self._site(host_of(source.url))
        own = site.pages.get(source.key, frozenset())
        return frozenset(
            block for block, seen in site.counts.items() if seen - (block in own) >= MIN_PAGES
        )

    def _site(self, host: str) -> _Site:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(host)
            if cached is None or now - cached[0] >= _REFRESH:
                cached = (now, self._read(host))
                self._cache[host] = cached
            return cached[1]

    def _read(self, host: str) -> _Site:
        try:
            pages = {key: frozenset(_blocks(document)) for key, document in self._load(host)}
        except Exception:  # a template is a refinement: never fail a check for it
            logger.warning("cannot read the other pages of %s", host, exc_info=True)
            pages = {}
        counts: Counter[str] = Counter()
        for blocks in pages.values():
            counts.update(blocks)
        return _Site(pages=pages, counts=counts)


@dataclass(frozen=True, slots=True)
class _Site:
    pages: dict[str, frozenset[str]]
    counts: Counter[str]
