"""The parsers a source can name, written out by hand: ``Source.parser`` is a key of PARSERS.

Every parser is a pure function ``(content: bytes, context: ParseContext) -> Document``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from monitor.errors import ConfigError
from monitor.types import Parser
from sources.parsers.eurlex_act import parse_eurlex_act
from sources.parsers.feed import parse_feed
from sources.parsers.html_page import parse_html_page
from sources.parsers.json_api import parse_json

__all__ = ["PARSERS", "get_parser"]

PARSERS: Mapping[str, Parser] = MappingProxyType(
    {
        "html": parse_html_page,
        "feed": parse_feed,
        "json": parse_json,
        "eurlex_act": parse_eurlex_act,
    }
)


def get_parser(name: str) -> Parser:
    """Return the parser registered as ``name``; raise ``ConfigError`` listing the valid names."""
    try:
        return PARSERS[name]
    except KeyError:
        valid = ", ".join(sorted(PARSERS))
        raise ConfigError(f"unknown parser {name!r}; valid parsers: {valid}") from None
