"""lexwatch: watches the publications that shape EU AI regulation."""

from __future__ import annotations

__version__ = "0.1.0"
