"""`python -m monitor` is the `lexwatch` command."""

from __future__ import annotations

from monitor.cli import main

main(prog_name="lexwatch")
