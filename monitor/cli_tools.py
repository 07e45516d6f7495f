"""CLI commands for recording, trying and demonstrating sources (registered by monitor.cli)."""

from __future__ import annotations

import click


def register(main: click.Group, sources: click.Group) -> None:
    """Add this module's commands to the `lexwatch` group and its `sources` subgroup."""
