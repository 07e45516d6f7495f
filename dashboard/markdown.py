"""Notes as Markdown, rendered safely: no raw HTML, no images, links only to http(s) and mailto.

markdown-it-py escapes every character of text and refuses raw HTML with ``html=False``; the
link check below replaces its default (which still allows some data: URLs) with an allow-list,
so a ``javascript:`` link stays inert text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup

SAFE_SCHEMES = ("http", "https", "mailto")


def _safe_link(url: str) -> bool:
    # Control characters and spaces are how "java\tscript:" slips past naive checks.
    cleaned = "".join(ch for ch in url if ch > " ").strip()
    scheme = urlsplit(cleaned).scheme.lower()
    return scheme in SAFE_SCHEMES or (not scheme and not cleaned.startswith("//"))


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.disable("image")
    parser.validateLink = _safe_link  # type: ignore[method-assign]
    return parser


_PARSER = _parser()


def render_markdown(text: str) -> Markup:
    """HTML for a note (safe to insert into a page as is)."""
    return Markup(_PARSER.render(text))
