"""The parsers a source can name, written out by hand: ``Source.parser`` is a key of PARSERS.

Every parser is a pure function ``(content: bytes, context: ParseContext) -> Document``.
PAGERS names, for the parsers of paginated APIs, the function that finds the next page.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from monitor.errors import ConfigError
from monitor.types import Pager, Parser
from sources.parsers.digital_strategy import parse_ds_page
from sources.parsers.documents import parse_document
from sources.parsers.eurlex_act import parse_eurlex_act
from sources.parsers.eurlex_docinfo import parse_eurlex_docinfo
from sources.parsers.eurlex_feed import parse_eurlex_feed
from sources.parsers.feed import parse_feed
from sources.parsers.formex import parse_formex
from sources.parsers.haveyoursay import next_hys_page, parse_hys_initiative, parse_hys_search
from sources.parsers.html_page import parse_html_page
from sources.parsers.json_api import parse_json
from sources.parsers.oeil import parse_oeil_procedure
from sources.parsers.text import parse_text

__all__ = ["HTML_PARSERS", "LINK_PARSERS", "PAGERS", "PARSERS", "get_parser"]

PARSERS: Mapping[str, Parser] = MappingProxyType(
    {
        "html": parse_html_page,
        "feed": parse_feed,
        "json": parse_json,
        "eurlex_act": parse_eurlex_act,
        "hys_search": parse_hys_search,
        "hys_initiative": parse_hys_initiative,
        "ds_page": parse_ds_page,
        "eurlex_docinfo": parse_eurlex_docinfo,
        "eurlex_feed": parse_eurlex_feed,
        "formex": parse_formex,
        "oeil_procedure": parse_oeil_procedure,
        "text": parse_text,
        "document": parse_document,
    }
)

PAGERS: Mapping[str, Pager] = MappingProxyType({"hys_search": next_hys_page})
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
