"""How much work one check may do on one document, counted, not timed.

A page under the size cap (``http.max_body_mb``) can still hold millions of elements or
sections, and a parse tree, item list, diff and classification of that many grow far past the
body itself (a 19 MB page of 2.4 million elements took 851 MB). Each stage counts its work
against a limit and stops at the first one exceeded, before doing that work: the elements of
a markup body before it is parsed (a byte count, at the speed of ``bytes.count``), the items
of the parsed document before it is compared, and the items that differ before they are
diffed word by word and classified. Counting, unlike a deadline, gives the same answer on
every machine and every run, so a check that fails here fails the same way next time, at the
same low cost, and stores nothing of a partial analysis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.errors import LimitError
from monitor.types import Document, Fetched


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkLimits:
    """``[analysis]``: the most elements, items and changed items one check handles."""

    max_elements: int = 200_000
    max_items: int = 20_000
    max_changed_items: int = 1_000

    def check_elements(self, pages: Sequence[Fetched]) -> None:
        """Raise LimitError when the markup pages hold more elements than allowed."""
        # Every element needs a "<": the exact count (four passes over the bytes, as long as
        # the first cycle's compression) is needed only past the limit.
        if sum(page.content.count(b"<") for page in pages) <= self.max_elements:
            return
        count = sum(element_count(page.content) for page in pages)
        if count > self.max_elements:
            raise LimitError(
                _exceeded(f"about {count:,} elements", "max_elements", self.max_elements)
            )

    def check_items(self, document: Document) -> None:
        if len(document.items) > self.max_items:
            raise LimitError(
                _exceeded(f"{len(document.items):,} items", "max_items", self.max_items)
            )

    def check_changed(self, changed: int) -> None:
        """Raise LimitError once more than ``max_changed_items`` items differ."""
        if changed > self.max_changed_items:
            raise LimitError(
                _exceeded(
                    f"more than {self.max_changed_items:,} changed items",
                    "max_changed_items",
                    self.max_changed_items,
                )
            )


_MARKUP = re.compile(rb"\s*<")  # matched in place: no copy of a 20 MB body


def element_count(content: bytes) -> int:
    """The start tags in a markup body: every "<" except end tags, comments, doctypes and
    processing instructions (0 for a body that is not markup, such as JSON). A "<" in text
    is counted too, so this errs high, by at most one per such character."""
    if _MARKUP.match(content) is None:
        return 0
    return content.count(b"<") - content.count(b"</") - content.count(b"<!") - content.count(b"<?")


def _exceeded(found: str, key: str, limit: int) -> str:
    env = f"LEXWATCH_ANALYSIS__{key.upper()}"
    return (
        f"the document is too big to analyse: {found}, over the limit of {limit:,}"
        f" (analysis.{key}); nothing was stored. If the document is genuine, raise"
        f" [analysis] {key} in lexwatch.toml (or {env})"
    )
