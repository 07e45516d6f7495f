"""The parsers' decoding step: which encoding a document's bytes are in.

HTML follows the HTML5 encoding-sniffing algorithm (WHATWG HTML, "determining the character
encoding") where it applies: a byte-order mark wins; then the charset of the Content-Type
header; then a ``<meta charset>`` or ``<meta http-equiv=Content-Type>`` in the first 1024
bytes (where UTF-16 means UTF-8 and x-user-defined means windows-1252); labels map as the
WHATWG Encoding Standard says (``iso-8859-1``, ``latin1`` and ``ascii`` are windows-1252).
Without any of these, UTF-8: nearly every EU site serves it (browsers would guess from the
locale).

One correction on top, because servers and CMS templates get it wrong: bytes declared
Latin-1 (windows-1252, ISO-8859-1, ASCII) that are valid UTF-8 and hold multi-byte
sequences are UTF-8. Read as declared they would be stored as mojibake ("fÃ¼r", "Ã©tÃ©"),
item keys included, and the day the declaration is fixed every item would look changed.
Real Latin-1 text is almost never valid UTF-8: an accented letter followed by the byte of
another accented letter in 0x80-0xBF ("Ã©" written on purpose) is what it would take.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Sniffed", "latin1_label", "looks_utf8", "sniff_html", "text_encoding"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';]+)""", re.IGNORECASE)
# The prescan, simplified: <meta ... charset=X> or <meta ... content="...; charset=X">.
_META = re.compile(rb"<meta\s[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_PRESCAN_BYTES = 1024
# WHATWG labels of windows-1252 (Python has no single name for all of them).
_WINDOWS_1252 = frozenset(
    {
        "ansi_x3.4-1968",
        "ascii",
        "cp1252",
        "cp819",
        "csisolatin1",
        "ibm819",
        "iso-8859-1",
        "iso-ir-100",
        "iso8859-1",
        "iso88591",
        "iso_8859-1",
        "iso_8859-1:1987",
        "l1",
        "latin1",
        "us-ascii",
        "windows-1252",
        "x-cp1252",
    }
)
_UTF16 = frozenset(
    {
        "utf-16",
        "utf-16le",
        "utf-16be",
        "unicode",
        "ucs-2",
        "csunicode",
        "iso-10646-ucs-2",
        "unicodefeff",
        "unicodefffe",
    }
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Sniffed:
    """The encoding to read a document with, and where that came from (for logs, tests)."""

    encoding: str  # a Python codec name
    source: str  # "bom", "header", "meta", "default", or "utf-8 despite <declared>"


def sniff_html(content: bytes, content_type: str = "") -> Sniffed:
    """The encoding of an HTML document's ``content`` (see the module docstring)."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return Sniffed(encoding=name, source="bom")
    declared = _from_header(content_type)
    source = "header"
    if declared is None:
        declared, source = _from_meta(content[:_PRESCAN_BYTES]), "meta"
    if declared is None:
        return Sniffed(encoding="utf-8", source="default")
    if latin1_label(declared) and looks_utf8(content):
        return Sniffed(encoding="utf-8", source=f"utf-8 despite {source} {declared!r}")
    return Sniffed(encoding=_codec(declared), source=source)


def text_encoding(content: bytes, declared: str | None) -> str:
    """The encoding of a plain-text or XML document declared ``declared`` (None: UTF-8)."""
    if declared is None or codecs_name(declared) is None:
        return "utf-8-sig"
    if latin1_label(declared) and looks_utf8(content):
        return "utf-8"
    return _codec(declared)


def latin1_label(label: str) -> bool:
    """Whether ``label`` names windows-1252 or one of the encodings WHATWG reads as it."""
    return label.strip().lower() in _WINDOWS_1252


def looks_utf8(content: bytes) -> bool:
    """Valid UTF-8 with at least one multi-byte sequence (pure ASCII proves nothing)."""
    if content.isascii():
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def codecs_name(label: str) -> str | None:
    """Python's codec for ``label``, or None when Python does not know it."""
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return None


def _from_header(content_type: str) -> str | None:
    found = _CHARSET.search(content_type)
    if found is None or codecs_name(found.group(1)) is None:
        return None
    return found.group(1)


def _from_meta(head: bytes) -> str | None:
    found = _META.search(head)
    if found is None:
        return None
    label = found.group(1).decode("ascii").lower()
    if label in _UTF16:  # a document that can be prescanned as ASCII is not UTF-16
        return "utf-8"
    if label == "x-user-defined":
        return "windows-1252"
    return label if codecs_name(label) is not None else None


def _codec(label: str) -> str:
    if latin1_label(label):
        return "cp1252"
    return codecs_name(label) or "utf-8"
