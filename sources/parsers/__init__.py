"""The parsers a source can name, written out by hand: ``Source.parser`` is a key of PARSERS.

Every parser is a pure function ``(content: bytes, context: ParseContext) -> Document``.
PAGERS names, for the parsers of paginated APIs, the function that finds the next page.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TypeVar

from monitor.errors import ConfigError
from monitor.types import Pager, Parser

__all__ = ["HTML_PARSERS", "LINK_PARSERS", "PAGERS", "PARSERS", "get_parser"]

T = TypeVar("T")


class Registry(Mapping[str, T]):
    """Names to functions, each module imported when one of its functions is first asked
    for: a check answered 304 parses nothing, and importing every parser (lxml, feedparser,
    pypdfium2...) would cost a tenth of a second of every ``lexwatch check``. Naming,
    listing and ``in`` import nothing."""

    def __init__(self, where: Mapping[str, str]) -> None:
        self._where = dict(where)  # name: "module:function"
        self._loaded: dict[str, T] = {}

    def __getitem__(self, name: str) -> T:
        found = self._loaded.get(name)
        if found is None:  # an unknown name raises KeyError here, as a dict would
            module, _, function = self._where[name].partition(":")
            found = self._loaded[name] = getattr(importlib.import_module(module), function)
        return found

    def __contains__(self, name: object) -> bool:  # Mapping's would import the module
        return name in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


_HERE = "sources.parsers"
PARSERS: Mapping[str, Parser] = Registry(
    {
        "html": f"{_HERE}.html_page:parse_html_page",
        "feed": f"{_HERE}.feed:parse_feed",
        "json": f"{_HERE}.json_api:parse_json",
        "eurlex_act": f"{_HERE}.eurlex_act:parse_eurlex_act",
        "hys_search": f"{_HERE}.haveyoursay:parse_hys_search",
        "hys_initiative": f"{_HERE}.haveyoursay:parse_hys_initiative",
        "ds_page": f"{_HERE}.digital_strategy:parse_ds_page",
        "eurlex_docinfo": f"{_HERE}.eurlex_docinfo:parse_eurlex_docinfo",
        "eurlex_feed": f"{_HERE}.eurlex_feed:parse_eurlex_feed",
        "formex": f"{_HERE}.formex:parse_formex",
        "oeil_procedure": f"{_HERE}.oeil:parse_oeil_procedure",
        "text": f"{_HERE}.text:parse_text",
        "document": f"{_HERE}.documents:parse_document",
    }
)

PAGERS: Mapping[str, Pager] = Registry({"hys_search": f"{_HERE}.haveyoursay:next_hys_page"})
# The parsers that read an HTML page: a rendered DOM goes to them (``render = true``).
HTML_PARSERS = ("html", "ds_page", "eurlex_act", "eurlex_docinfo", "oeil_procedure")
# The parsers of a page whose document links can be followed (``follow_documents``).
LINK_PARSERS = ("html", "ds_page")


def get_parser(name: str) -> Parser:
    """Return the parser registered as ``name``; raise ``ConfigError`` listing the valid names."""
    try:
        return PARSERS[name]
    except KeyError:
        valid = ", ".join(sorted(PARSERS))
        raise ConfigError(f"unknown parser {name!r}; valid parsers: {valid}") from None
