"""The categories' colours as a style sheet, generated from the registry.

``/categories.css`` has one class per category, ``cat-<name>``, used by the badges, the
trend chart's bars and its legend; the colours are those of ``monitor.types.CATEGORIES``, so
a new category has its colour wherever it appears without touching the static CSS.
"""

from __future__ import annotations

import functools

from fastapi import APIRouter
from starlette.responses import Response

from monitor.types import Category

router = APIRouter()

DARK_TEXT = "#1b1f24"  # on a light badge; white on the others


@functools.cache
def category_css() -> str:
    rules = ["/* generated from monitor.types.CATEGORIES (dashboard/categories.py) */"]
    rules += [css_rule(category.value, category.info.colour) for category in Category]
    return "\n".join(rules) + "\n"


def css_rule(name: str, colour: str) -> str:
    """One category's class: its colour as background (badges) and fill (the chart)."""
    text = f" color: {DARK_TEXT};" if luminance(colour) > 0.4 else ""
    return f".cat-{name} {{ background: {colour}; fill: {colour};{text} }}"


def luminance(colour: str) -> float:
    """The relative luminance of a #rrggbb colour (WCAG 2), 0 for black to 1 for white."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@router.get("/categories.css", include_in_schema=False)
def categories_css() -> Response:
    return Response(
        category_css(), media_type="text/css", headers={"cache-control": "public, max-age=3600"}
    )
