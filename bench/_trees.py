"""Checkouts of lexwatch measured as a user runs an installed copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGES = ("monitor", "sources", "storage", "notifiers", "dashboard")


def byte_compiled(tree: Path) -> Path:
    """``tree`` with its modules byte-compiled, as ``pip install`` leaves them: where
    PYTHONDONTWRITEBYTECODE is set (this machine, the Docker image) a process started from
    a checkout would otherwise compile every module it imports, every time."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=tree, check=True)
    return tree
