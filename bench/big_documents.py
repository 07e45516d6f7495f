"""Benchmark: one check of an oversized document, in its own process: peak memory and time.

The documents of issue 14, all under the 20 MB size cap, served from loopback:
  elements       19 MB page of 2.4 million elements (<i>a</i> ...)
  sections       17.8 MB page of 600,000 heading sections
  sections-half  the same page with 300,000 sections changed (checked after `sections`)
and, to show what the default limits let through, pages just under them:
  near-elements  19.6 MB page of 195,000 elements in 3,900 sections (max_elements 200,000),
                 then 990 of its sections changed (max_changed_items 1,000)
  near-sections  19,000 sections of 1 KB (19 MB): a baseline, then every section changed
                 (over max_changed_items 1,000), then 990 sections changed (under it)
Each check is `lexwatch check big` in a fresh process (peak RSS from wait4); the outcome and
what was stored (snapshots, changes) are read from the database afterwards.

Run: python bench/big_documents.py   (writes bench/results/big_documents.txt; ~1 min)
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench/results/big_documents.txt"
HEAD = b"<!DOCTYPE html><html><head><title>Big</title></head><body><main>"
TAIL = b"</main></body></html>"


def elements_page(count: int) -> bytes:
    return HEAD + b"<div>" + b"<i>a</i>" * count + b"</div>" + TAIL


def sections_page(count: int, changed: Callable[[int], bool] = lambda n: False) -> bytes:
    parts = [
        b"<h2>S%06d</h2><p>%s%06d</p>" % (n, b"U" if changed(n) else b"T", n) for n in range(count)
    ]
    return HEAD + b"".join(parts) + TAIL


def near_elements_page(changed: int = 0) -> bytes:
    paragraph = b"<p>%s</p>" % (b"word " * 19)

    def section(n: int) -> bytes:
        edit = b"<p>Amended on %d June.</p>" % (n % 28 + 1) if n < changed else paragraph
        return b"<h2>Section %06d</h2>" % n + edit + paragraph * 48

    return HEAD + b"".join(section(n) for n in range(3_900)) + TAIL


_SENTENCE = b"The Commission publishes guidelines on the obligations of providers. "


def near_sections_page(changed: int = 0) -> bytes:
    def section(n: int) -> bytes:
        text = _SENTENCE * 14 + (b"Revised on %d June. " % (n % 28 + 1) if n < changed else b"")
        return b"<h2>Article %06d</h2><p>%s</p>" % (n, text)

    return HEAD + b"".join(section(n) for n in range(19_000)) + TAIL


class Server:
    """Serves ``self.body`` at /page.html on 127.0.0.1."""

    def __init__(self) -> None:
        self.body = b""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path == "/robots.txt":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/page.html"


def config(workdir: Path, url: str) -> Path:
    path = workdir / "lexwatch.toml"
    path.write_text(
        "\n".join(
            [
                'database_url = "sqlite:///lexwatch.db"',
                "builtin_catalog = false",
                "[http]",
                'contact = "mailto:bench@example.org"',
                "retries = 0",
                "allow_private_addresses = true",
                "per_host_spacing = 0",
                "max_body_mb = 20",
                "[sources.big]",
                f'url = "{url}"',
                'parser = "html"',
                'title = "Big page"',
                "",
            ]
        )
    )
    return path


def check(workdir: Path) -> tuple[float, float, str]:
    """One `lexwatch check big` in a new process: (peak RSS MB, seconds, last output line)."""
    command = [
        sys.executable,
        "-m",
        "monitor",
        "--config",
        str(workdir / "lexwatch.toml"),
        "check",
        "big",
        "--no-alerts",
    ]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = process.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in output.splitlines() if line.strip()]
    return usage.ru_maxrss / 1024, seconds, lines[-1] if lines else f"exit {status}"


def stored(workdir: Path) -> tuple[int, int, str]:
    with sqlite3.connect(workdir / "lexwatch.db") as db:
        snapshots = db.execute("SELECT count(*) FROM snapshots").fetchone()[0]
        changes = db.execute("SELECT count(*) FROM changes").fetchone()[0]
        error = db.execute(
            "SELECT coalesce(error, outcome) FROM checks ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
    return snapshots, changes, error


SCENARIOS: list[tuple[str, list[tuple[str, Callable[[], bytes]]]]] = [
    ("elements", [("elements", lambda: elements_page(2_400_000))]),
    (
        "sections",
        [
            ("sections", lambda: sections_page(600_000)),
            ("sections-half", lambda: sections_page(600_000, lambda n: n % 2 == 0)),
        ],
    ),
    (
        "near-elements",
        [
            ("near-elements", near_elements_page),
            ("near-elements-990", lambda: near_elements_page(990)),
        ],
    ),
    (
        "near-sections",
        [
            ("near-sections", near_sections_page),
            ("near-sections-all", lambda: near_sections_page(19_000)),
            ("near-sections-990", lambda: near_sections_page(990)),
        ],
    ),
]


def run(only: list[str]) -> list[str]:
    server = Server()
    rows = []
    for scenario, steps in SCENARIOS:
        if only and scenario not in only:
            continue
        with tempfile.TemporaryDirectory(prefix="lexwatch-big-") as tmp:
            workdir = Path(tmp)
            config(workdir, server.url)
            for name, make in steps:
                server.body = make()
                size = len(server.body) / 1e6
                peak, seconds, _ = check(workdir)
                snapshots, changes, outcome = stored(workdir)
                rows.append(
                    f"{name:20} {size:6.1f} MB  peak {peak:6.0f} MB  {seconds:6.1f} s"
                    f"  snapshots {snapshots}  changes {changes:5}  {outcome[:150]}"
                )
                print(rows[-1], flush=True)
    return rows


def arguments() -> argparse.Namespace:
    """``--help`` prints the docstring above and exits before anything runs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "scenario",
        nargs="*",
        choices=[name for name, _ in SCENARIOS],
        help="run only these scenarios and only print their rows (default: all, written)",
    )
    return parser.parse_args()


def main() -> None:
    """``python bench/big_documents.py [SCENARIO ...]``: a subset only prints its rows."""
    only = arguments().scenario
    rows = run(only)
    if only:
        return
    header = [
        f"# bench/big_documents.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" {platform.python_implementation()} {platform.python_version()},"
        f" {os.cpu_count()} cores (shared)",
        "# one `lexwatch check` per row in a fresh process; peak = max RSS of that process;"
        " snapshots/changes = stored in the database after the row",
    ]
    RESULTS.write_text("\n".join(header + rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
