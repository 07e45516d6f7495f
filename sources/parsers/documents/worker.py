"""The document worker: ``python -m sources.parsers.documents.worker`` reads one document on
standard input and writes its text as JSON (or ``{"error": reason}``) on standard output.

It first caps its own memory and CPU time (``argv``: megabytes, seconds), so an enormous or
malicious document ends this process with a clear reason, never lexwatch. It writes no files.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

from monitor.errors import ParseError
from sources.parsers.documents.model import Extracted, to_json


def extract(content: bytes) -> Extracted:
    """The document's text, whatever its format (told by its bytes); ParseError if unreadable."""
    from sources.parsers.documents.sniff import sniff

    kind = sniff(content)
    if kind == "pdf":
        from sources.parsers.documents.pdf import read_pdf

        return read_pdf(content)
    from sources.parsers.documents.archive import open_package, package_kind

    archive = open_package(content)
    if package_kind(archive) == "docx":
        from sources.parsers.documents.word import read_docx

        return read_docx(content)
    from sources.parsers.documents.odt import read_odt

    return read_odt(archive)


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _answer(content: bytes, memory_mb: int) -> dict[str, Any]:
    try:
        return to_json(extract(content))
    except ParseError as exc:
        return {"error": str(exc)}
    except MemoryError:
        return {
            "error": f"the document needs more than {memory_mb:,} MB of memory to read;"
            " nothing was stored"
        }
    except RecursionError:
        return {"error": "the document is nested too deeply to read; nothing was stored"}


def _load_readers() -> None:
    """Import the readers before the limits: the caps are for the document, not the code."""
    import docx  # noqa: F401
    import lxml.etree  # noqa: F401
    import pypdfium2  # noqa: F401

    from sources.parsers.documents import archive, odt, pdf, word  # noqa: F401


def main() -> None:
    memory_mb, cpu_seconds = int(sys.argv[1]), int(sys.argv[2])
    content = sys.stdin.buffer.read()
    _load_readers()
    _limit(memory_mb, cpu_seconds)
    answer = _answer(content, memory_mb)
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
