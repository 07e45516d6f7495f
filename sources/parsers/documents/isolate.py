"""Read a document in a separate, capped process (the worker), never in lexwatch's own.

PDFium is C++ and python-docx and lxml parse untrusted XML: on a hostile or broken file a
reader can crash, loop or swallow memory. The worker caps its own address space and CPU time,
and is killed when it overruns its wall-clock time, so any such document becomes a failed
check with the reason, in bounded time and memory, and the other sources go on. Starting the
worker costs about a tenth of a second, paid only when a document's bytes changed.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from dataclasses import dataclass

from monitor.errors import ParseError
from sources.parsers.documents.model import Extracted, from_json

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkerLimits:
    """What one document may cost: memory (MB of address space), CPU and wall-clock seconds."""

    memory_mb: int = 1_536
    cpu_seconds: int = 60
    wall_seconds: int = 120


DEFAULT_WORKER_LIMITS = WorkerLimits()
_OUT_OF_MEMORY = (
    b"MemoryError",
    b"std::bad_alloc",
    b"Cannot allocate memory",
    b"failed to map segment",
    # zlib's Z_MEM_ERROR: a DOCX or ODT member inflated at the cap (where the worker's own
    # code was read from bytecode, as installed, rather than compiled at the cap first).
    b"zlib.error: Error -4 ",
)
_COMMAND = (sys.executable, "-m", "sources.parsers.documents.worker")


def extract_isolated(content: bytes, limits: WorkerLimits = DEFAULT_WORKER_LIMITS) -> Extracted:
    """The document's text as the worker read it; ParseError with the reason otherwise."""
    command = [*_COMMAND, str(limits.memory_mb), str(limits.cpu_seconds)]
    try:
        done = subprocess.run(
            command, input=content, capture_output=True, timeout=limits.wall_seconds, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ParseError(
            f"reading the document took longer than {limits.wall_seconds} s; nothing was stored"
        ) from exc
    except OSError as exc:
        raise ParseError(f"the document reader could not be started: {exc}") from exc
    if done.returncode != 0:
        raise ParseError(_died(done.returncode, done.stderr, limits))
    return _answer(done.stdout)


def _answer(stdout: bytes) -> Extracted:
    try:
        data = json.loads(stdout)
    except ValueError as exc:
        raise ParseError("the document reader answered something that is not JSON") from exc
    if not isinstance(data, dict):
        raise ParseError("the document reader answered something unexpected")
    if "error" in data:
        raise ParseError(str(data["error"]))
    return from_json(data)


def _died(code: int, stderr: bytes, limits: WorkerLimits) -> str:
    """Why the worker stopped without an answer, in a user's words."""
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return (
            f"reading the document took more than {limits.cpu_seconds} s of CPU time;"
            " nothing was stored"
        )
    tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    logger.warning("document worker exited with %s: %s", code, tail[0])
    if any(sign in stderr for sign in _OUT_OF_MEMORY):
        return (
            f"the document needs more than {limits.memory_mb:,} MB of memory to read;"
            " nothing was stored"
        )
    if code == -signal.SIGABRT:  # PDFium aborts when an allocation fails
        return (
            f"the document reader stopped (SIGABRT), most likely at its memory limit of"
            f" {limits.memory_mb:,} MB; nothing was stored"
        )
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return f"the document crashed the reader ({name}); nothing was stored"
    return f"the document reader failed (exit {code}): {tail[0][:300]}"
