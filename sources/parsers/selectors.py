"""CSS selectors of a source's options (``keep``, ``drop``, ``sections``) as XPath.

Apart from the HTML parser so that checking a configuration's selectors loads cssselect
alone, not lxml and the parser.
"""

from __future__ import annotations

import functools

import cssselect

from monitor.errors import ConfigError
from monitor.types import SourceOptions

__all__ = ["check_selectors", "css_xpath"]

_CSS = cssselect.HTMLTranslator()


def check_selectors(options: SourceOptions) -> None:
    """Raise ``ConfigError`` for a CSS selector in the options that cannot be compiled."""
    for css in (*options.keep, *options.drop, *((options.sections,) if options.sections else ())):
        css_xpath(css)


@functools.lru_cache(maxsize=256)
def css_xpath(css: str) -> str:
    """The XPath of a CSS selector (a string, so that threads never share compiled objects)."""
    try:
        return _CSS.css_to_xpath(css)
    except cssselect.SelectorError as exc:
        raise ConfigError(f"invalid CSS selector {css!r} in source options: {exc}") from exc
