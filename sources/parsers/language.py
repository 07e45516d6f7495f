"""The language a document declares, read from its bytes without parsing them (a check
reads it from every new body; lxml need not be loaded for it)."""

from __future__ import annotations

import re

# <html lang="fr">, <feed xml:lang="de">, <language>fr-be</language>, Formex <LG.DOC>FR</LG.DOC>.
_DECLARED = re.compile(
    rb"<html\b[^>]*?\blang=[\"']?([A-Za-z]{2})\b|\bxml:lang=[\"']([A-Za-z]{2})\b"
    rb"|<(?:\w+:)?language>\s*([A-Za-z]{2})\b|<LG\.DOC>\s*([A-Za-z]{2})\b",
    re.IGNORECASE,
)


def declared_language(content: bytes) -> str:
    """The language a document declares near its start (ISO 639-1, lower case), or ""."""
    found = _DECLARED.search(content[:16384])
    if found is None:
        return ""
    return next(group for group in found.groups() if group).decode("ascii").lower()
