"""lexwatch: watches the publications that shape EU AI regulation."""

from __future__ import annotations

import sys

__version__ = "0.1.0"

# httpx imports its own command-line tool (`httpx URL`) with the package whenever rich is
# installed, as it is here for lexwatch's tables: rich's console, progress bars and syntax
# highlighting (pygments), about 35 ms of CPU at every start of a process that fetches.
# lexwatch never runs that tool; a None entry makes its import fail, and httpx falls back to
# the stub it has for installs without rich.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
