"""Record what a source answers now, for offline replay (layout: ``sources.fetch.replay``).

A recording is only worth keeping when the answer is one lexwatch would have diffed: a
non-2xx answer, an empty body or an error / maintenance / bot-check page served with 200 is
refused with the reason, and the previous recording of the source is left as it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from monitor.analysis.guard import response_problem
from monitor.errors import FetchError, ParseError
from monitor.types import Fetched, Pager, Source
from sources.fetch.fetcher import Fetcher
from sources.fetch.replay import Recording, source_folder
from sources.parsers import PAGERS

__all__ = ["fetch_pages", "record_source", "write_recording"]

logger = logging.getLogger(__name__)

# Never written to disk: recordings are meant to be shared, session cookies are not.
_PRIVATE_HEADERS = frozenset({"set-cookie", "set-cookie2"})


async def record_source(
    source: Source, fetcher: Fetcher, directory: Path, *, pagers: Mapping[str, Pager] | None = None
) -> list[Path]:
    """Fetch ``source`` (and its next pages, if its parser has a pager) and record it.

    Returns the ``<n>.json`` files written under ``directory/<source.key>/``, first page
    first. Raises ``FetchError`` when a page cannot be fetched or is not a good answer,
    ``ParseError`` when the pager cannot read a page; nothing is written then.
    """
    folder = source_folder(directory, source.key)
    pager = (PAGERS if pagers is None else pagers).get(source.parser)
    pages = await fetch_pages(source, fetcher, pager)
    paths = write_recording(folder, source.key, pages)
    logger.info("recorded %s: %d page(s) in %s", source.key, len(pages), folder)
    return paths


async def fetch_pages(source: Source, fetcher: Fetcher, pager: Pager | None) -> list[Fetched]:
    """The source's pages in order, up to ``options.max_pages``; each one a good answer."""
    limit = source.options.max_pages if pager is not None else 1
    pages: list[Fetched] = []
    url: str | None = source.url
    seen: set[str] = set()
    while url is not None and len(pages) < limit:
        seen.add(url)
        fetched = await fetcher.fetch(url)
        problem = response_problem(fetched)
        if problem:
            raise FetchError(f"not recording {source.key}: {problem}", url=url)
        pages.append(fetched)
        url = _next_page(source, fetched, pager)
        if url in seen:  # a pager that points back would loop until max_pages
            url = None
    return pages


def _next_page(source: Source, fetched: Fetched, pager: Pager | None) -> str | None:
    if pager is None:
        return None
    try:
        return pager(fetched.content, fetched.final_url, source.options)
    except ParseError as exc:
        raise ParseError(f"not recording {source.key}: page {fetched.final_url}: {exc}") from exc


def write_recording(folder: Path, source_key: str, pages: Sequence[Fetched]) -> list[Path]:
    """Replace the recording in ``folder`` with ``pages``; return the ``<n>.json`` files."""
    folder.mkdir(parents=True, exist_ok=True)
    # An older recording with more pages must not leave its extra pages behind.
    for old in [*folder.glob("*.json"), *folder.glob("*.body")]:
        old.unlink()
    written = []
    for n, fetched in enumerate(pages):
        (folder / f"{n}.body").write_bytes(fetched.content)
        meta = folder / f"{n}.json"
        recording = _recording(source_key, n, fetched)
        meta.write_text(
            json.dumps(recording.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written.append(meta)
    return written


def _recording(source_key: str, page: int, fetched: Fetched) -> Recording:
    headers = {
        k.lower(): v for k, v in fetched.headers.items() if k.lower() not in _PRIVATE_HEADERS
    }
    return Recording(
        source=source_key,
        page=page,
        url=fetched.url,
        final_url=fetched.final_url,
        status=fetched.status,
        content_type=fetched.content_type,
        headers=headers,
        fetched_at=fetched.fetched_at,
        body=f"{page}.body",
    )
