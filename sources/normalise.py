"""Text and URL normalisation shared by every parser.

Two fetches of an unchanged page must give identical items, so everything that only changes
the *rendering* of text (non-breaking or thin spaces, soft hyphens, zero-width characters,
NFC vs NFD, CRLF, tabs, indentation) is removed here, and so are the query parameters that
only bust caches or track clicks.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import unquote_plus, urlsplit, urlunsplit

__all__ = [
    "join_blocks",
    "link_origin",
    "normalise_line",
    "normalise_text",
    "plain_link",
    "strip_tracking",
]

# Invisible characters that editors and CMSs insert and remove at will: soft hyphen, zero-width
# space / non-joiner / joiner, word joiner, and the BOM used as a zero-width no-break space.
_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")

# Query parameters that never select content: click trackers and cache busters.
_TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
        "v", "ver", "version", "_", "itok", "cb", "cachebuster", "cache_buster", "nocache",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
# Parameters whose name *may* be a cache buster: dropped only when the value looks like a
# Unix timestamp (seconds or milliseconds), so that e.g. ``?t=summary`` survives.
_TIMESTAMP_NAMES = frozenset({"t", "ts", "_t", "time", "timestamp", "r", "rnd", "rand", "random"})
_TIMESTAMP_VALUE = re.compile(r"\d{9,}")
# Drupal appends a bare 6-character token (``webtools.js?t6pz2c``) to assets on cache rebuilds.
_DRUPAL_ASSET_TOKEN = re.compile(r"[a-z0-9]{6}")
_ASSET_SUFFIXES = (".js", ".css")
# Links that ``strip_tracking(urljoin(base, link))`` gives back unchanged (a root-relative one
# after an http(s) or ftp base's origin): http(s), no params, fragment, IPv6 or non-ASCII
# host, dot segment (plain_link checks for "/."), nor a character urlsplit strips or removes.
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[-\w.:@]+(?:/[-\w.~!$%&'()*+,=:@/]*)?(?:\?[-\w.~!$%&'()*+,=:@/?]*)?", re.ASCII
)
_PLAIN_ROOTED = re.compile(r"/(?!/)[-\w.~!$%&'()*+,=:@/]*", re.ASCII)
_ORIGIN_SCHEMES = frozenset({"http", "https", "ftp"})


def normalise_text(text: str) -> str:
    """Return ``text`` as NFC blocks (paragraphs) separated by single newlines.

    Soft hyphens and zero-width characters are removed, every kind of Unicode space and tab
    becomes one space, runs of spaces collapse, lines are stripped and empty lines dropped.
    Idempotent: ``normalise_text(normalise_text(t)) == normalise_text(t)``.
    """
    text = unicodedata.normalize("NFC", _visible(text))
    # str.split() without arguments splits on every Unicode whitespace character (NBSP, thin,
    # narrow NBSP, ideographic space, tab...), which is exactly the set we want to collapse.
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def normalise_line(text: str) -> str:
    """Return ``text`` normalised like :func:`normalise_text`, with line breaks as spaces."""
    return " ".join(unicodedata.normalize("NFC", _visible(text)).split())


def join_blocks(blocks: Iterable[str]) -> str:
    """Normalise each block to one line and join the non-empty ones with newlines.

    Equal to ``normalise_line`` on each block, but with one NFC pass for all of them: a page
    or an act has thousands of blocks.
    """
    blocks = list(blocks)
    # NUL is a Unicode starter (it composes with nothing) and HTML text never holds one, so
    # it can separate the blocks while they are normalised together.
    text = "\x00".join(blocks)
    if text.count("\x00") != len(blocks) - 1:  # a block holds a NUL itself: no shortcut
        return "\n".join(line for line in map(normalise_line, blocks) if line)
    text = unicodedata.normalize("NFC", _visible(text))
    lines = (" ".join(block.split()) for block in text.split("\x00"))
    return "\n".join(line for line in lines if line)


def _visible(text: str) -> str:
    """``text`` without invisible characters.

    Most text holds none, and ``isascii`` or ``in`` tell that many times faster than the
    regular expression's scan of a long text.
    """
    if text.isascii():
        return text
    for char in _INVISIBLE_CHARS:
        if char in text:
            return _INVISIBLE.sub("", text)
    return text


def strip_tracking(url: str) -> str:
    """Return ``url`` without tracking/cache-busting query parameters and empty fragments.

    The remaining parameters keep their order and their original encoding.
    """
    parts = urlsplit(url)
    asset = parts.path.lower().endswith(_ASSET_SUFFIXES)
    kept = [pair for pair in parts.query.split("&") if pair and not _is_tracking(pair, asset)]
    return urlunsplit(parts._replace(query="&".join(kept)))


def _is_tracking(pair: str, asset: bool) -> bool:
    """True when the raw ``name=value`` pair only tracks a click or busts a cache."""
    raw_name, has_value, raw_value = pair.partition("=")
    name = unquote_plus(raw_name).lower()
    if name in _TRACKING_NAMES or name.startswith(_TRACKING_PREFIXES):
        return True
    if name in _TIMESTAMP_NAMES and _TIMESTAMP_VALUE.fullmatch(unquote_plus(raw_value)):
        return True
    return asset and not has_value and _DRUPAL_ASSET_TOKEN.fullmatch(name) is not None


@functools.lru_cache(maxsize=64)
def link_origin(base_url: str) -> str | None:
    """What :func:`plain_link` needs to know of a base URL.

    "scheme://host" of an http(s) or ftp base; "" for any other base; None when urljoin
    cannot read the base, so that every link raises as it does.
    """
    try:
        parts = urlsplit(base_url)
    except ValueError:
        return None
    if parts.scheme in _ORIGIN_SCHEMES and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return ""


def plain_link(origin: str, link: str) -> str | None:
    """``strip_tracking(urljoin(base, link))`` for a plain link, else None.

    ``origin`` is ``link_origin(base)``. Most links on a page or in a feed are plain: an
    absolute one or a root-relative one, with nothing urljoin or urlsplit would change, and
    they skip urllib's parses. A None says: call urljoin.
    """
    if _PLAIN_ABSOLUTE.fullmatch(link):
        return strip_tracking(link) if "?" in link else link
    if origin and "/." not in link and _PLAIN_ROOTED.fullmatch(link):
        return origin + link
    return None
