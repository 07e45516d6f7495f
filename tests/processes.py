"""The environment for a `lexwatch` subprocess: the test's own, without LEXWATCH_* settings.

The test servers are on 127.0.0.1, which the SSRF guard refuses by default; tests that point
lexwatch at them pass ``LOOPBACK`` (or say so in their config file).
"""

from __future__ import annotations

import os

LOOPBACK = {"LEXWATCH_HTTP__ALLOW_PRIVATE_ADDRESSES": "true"}


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ without any LEXWATCH_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEXWATCH_")}
    return env | (extra or {})
