"""The `lexwatch` command: one module per command group, ``main`` is the entry point.

``main`` (the click group, with check, changes, sources, deadlines, mark-noise, eval, run,
db upgrade) registers the other groups: ``alerts`` (alerts, digest, deliveries, mute),
``config`` (init, config check/show), ``service`` (status, db prune/stats), ``cluster``
(scheduler, worker), ``serve`` (the dashboard alone, hash-password), ``triage`` (triage,
users) and ``tools`` (record, parse, fetch, demo). ``common`` holds what they share (the
global options, opening the app, clean failures). Commands import what they use when they
run: `lexwatch --help` loads click and little else (tests/test_startup.py).
"""

from __future__ import annotations

from monitor.cli.main import main

__all__ = ["main"]
