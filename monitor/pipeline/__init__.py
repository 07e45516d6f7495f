"""One check of one source, end to end: fetch → guard → parse → diff → classify → store.

``Checker.check`` is the function the CLI, the scheduler, the workers and the tests all call.
Fetching is async (a ``render = true`` page's 2xx answer is then run in the browser seam,
``sources.fetch.render``); the CPU stage runs in a worker thread so a huge page never stalls
the other fetches; everything one check writes is stored in one transaction. Source states are
read, and quiet checks (304 or an unchanged body: a check row and the source's fetch state)
written, in batches shared by the checks under way (``coalesce``): a batch is one
transaction holding whole checks, committed before any of its checks returns. A check reads
its state before it takes one of the places in flight, and a batch of rows waits (a quarter
of a second at most) for the checks still fetching or analysing, so that a cycle writes in
a few dozen transactions, not one or two checks at a time. The documents a page links to
are checked right after it (``follow``).

A check is stored only against the state it read: when another check of the same source
(another process: `lexwatch check` from cron next to `lexwatch run`, another worker) was
stored meanwhile, this one is stored as SKIPPED, "checked elsewhere", without its changes
(``storage.checks.claim``). So a change is found and alerted once, however checks overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.analysis.analyse import (
    DEFAULT_LIMITS,
    Analysis,
    DeadlineFinder,
    analyse,
    fingerprint,
    parse,
)
from monitor.analysis.dates import BRUSSELS
from monitor.analysis.limits import WorkLimits
from monitor.analysis.template import SiteTemplates
from monitor.errors import ConfigError, FetchError, ParseError, RenderError, StorageError
from monitor.logs import checking
from monitor.pipeline.coalesce import Coalescer
from monitor.pipeline.follow import Arrival, AsDocument, announce, follow_documents
from monitor.types import (
    Change,
    CheckOutcome,
    CheckRecord,
    Classifier,
    Document,
    Fetched,
    Pager,
    Parser,
    Source,
    SourceState,
)
from storage.checks import CHECKED_ELSEWHERE, Packed, Pending, Stored, is_quiet, pack, pack_body
from storage.store import Store

if TYPE_CHECKING:  # the App builds the Fetcher; importing it here would load httpx for all
    from sources.fetch.fetcher import Fetcher
    from sources.fetch.render import Renderer

logger = logging.getLogger(__name__)
# A check to store that is not quiet: its record, the state it started from, and pack(record).
Found = tuple[CheckRecord, SourceState, Packed]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 2


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckResult:
    """What one check found, as the CLI and the scheduler report it."""

    source_key: str
    outcome: CheckOutcome
    changes: tuple[Change, ...] = ()
    error: str | None = None
    http_status: int | None = None
    duration_ms: int = 0
    check_id: int | None = None  # None for a dry run
    title: str = ""  # a document's link text (``documents``); "" for a configured source
    # The checks of the documents a page links to (``follow_documents``), after its own.
    documents: tuple[CheckResult, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class _Run:
    """A check fetched and analysed, not yet stored."""

    state: SourceState  # the state it started from
    analysis: Analysis
    record: CheckRecord
    packed: Packed | None  # pack(record), when it had a body to analyse
    read: Fetched | None  # the page it read; None after a 304 or a failure

    @property
    def quiet(self) -> bool:
        """Stored as a quiet row (``storage.checks.is_quiet``), with no failures to end."""
        return is_quiet(self.record) and self.state.failure_streak == 0


class Checker:
    """Checks sources with one shared fetcher, store and classifier."""

    def __init__(
        self,
        *,
        store: Store,
        fetcher: Fetcher,
        classifier: Classifier,
        renderer: Renderer | None = None,
        parsers: Mapping[str, Parser],
        pagers: Mapping[str, Pager] | None = None,
        find_deadlines: DeadlineFinder | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_in_flight: int = 32,
        limits: WorkLimits = DEFAULT_LIMITS,
        cpu_threads: int | None = None,
    ) -> None:
        self.find_deadlines = find_deadlines
        self.limits = limits
        self.store = store
        self.fetcher = fetcher
        self.renderer = renderer
        self.classifier = classifier
        self.parsers = parsers
        self.pagers = pagers or {}
        self.clock = clock
        # Fetched bodies wait for the CPU stage: bound them, or a cycle holds every page.
        self._in_flight = asyncio.Semaphore(max_in_flight)
        # One thread per core: the stage holds the GIL but while it hashes, compresses and
        # parses, and more threads only trade it back and forth (asyncio's six threads cost
        # the first check of 1,000 pages 0.2-0.4 s more CPU than two on two cores).
        self._cpu = ThreadPoolExecutor(cpu_threads or _cores(), thread_name_prefix="lexwatch-cpu")
        self._states: Coalescer[str, SourceState] = Coalescer(self._read_states)
        # One check written at a time on SQLite (see Store.one_writer); any number elsewhere.
        self._writing: contextlib.AbstractContextManager[object] = (
            threading.Lock() if store.one_writer() else contextlib.nullcontext()
        )
        # Quiet rows wait for the checks still fetching: a cycle of 304s ends in a few
        # batches of 64 rows, not a hundred of ten.
        self._running = 0
        self._quiet: Coalescer[tuple[CheckRecord, SourceState], Stored | Exception] = Coalescer(
            self._write_quiet, hold=lambda: self._running > 0
        )
        # The other checks (new, changed, failed) are batched too: one transaction and one
        # writer's turn for many, where each used to take its own.
        # While other checks are in their CPU stage, a batch waits for them (up to the
        # checks in flight): new pages come out of it one at a time, and each batch is a
        # transaction of its own.
        self._analysing = 0
        self._found: Coalescer[Found, Stored | Exception] = Coalescer(
            self._write_found, hold=lambda: self._analysing > 0
        )
        self._templates = SiteTemplates(store.site_pages, clock)

    async def check(
        self, source: Source, *, dry_run: bool = False, as_document: AsDocument | None = None
    ) -> CheckResult:
        """Check ``source`` once, then the documents it links to (``follow_documents``);
        with ``dry_run`` nothing is stored. ``as_document``: ``source`` is one of those."""
        with checking(source.key):
            result, state, page = await self._check(
                source, dry_run=dry_run, as_document=as_document
            )
        if as_document is not None:
            return replace(result, title=source.title)
        if source.documents is None:
            return result
        documents = await follow_documents(self, source, state, page, dry_run=dry_run)
        return replace(result, documents=documents)

    async def _check(
        self, source: Source, *, dry_run: bool, as_document: AsDocument | None
    ) -> tuple[CheckResult, SourceState, Fetched | None]:
        """The check's result, the state it started from, and the page it read (None after
        a 304 or a failure)."""
        stored: Stored | None = None
        # Read before taking a place: the states of the checks waiting for one are read
        # together, in a few batches, not one or two at a time as places free up.
        state = await self._states(source.key)
        async with self._in_flight:
            self._running += 1
            try:
                run = await self._run(source, state, as_document)
            finally:
                self._running -= 1
                self._quiet.notify()
            if not (dry_run or run.quiet):
                stored = await self._save(run)
        # A quiet check waits for its batch without its place: the next checks go on, and
        # the batches of quiet rows grow larger (each costs a transaction and a thread hop).
        if run.quiet and not dry_run:
            stored = await self._save(run)
        return self._result(source, run, stored), run.state, run.read

    async def _run(
        self, source: Source, state: SourceState, as_document: AsDocument | None
    ) -> _Run:
        """Fetch and analyse from ``state``: everything but storing."""
        started, timer = self.clock(), time.perf_counter()
        packed: Packed | None = None
        pages, fetch_error = await self._fetch(source, state, as_document)
        if not pages:
            analysis = Analysis(outcome=CheckOutcome.FAILED, error=fetch_error)
        elif pages[0].not_modified:  # nothing to analyse: no thread hop
            analysis = Analysis(outcome=CheckOutcome.NOT_MODIFIED)
        else:
            analysis, packed = await self._analysed(source, pages, state, as_document)
        duration_ms = int((time.perf_counter() - timer) * 1000)
        record = _record(source, started, duration_ms, pages, analysis, state)
        read = (
            pages[0]
            if pages and not pages[0].not_modified and (analysis.outcome is not CheckOutcome.FAILED)
            else None
        )
        return _Run(state=state, analysis=analysis, record=record, packed=packed, read=read)

    def _result(self, source: Source, run: _Run, stored: Stored | None) -> CheckResult:
        record = run.record
        if stored is not None and stored.skipped:
            logger.info("check %s: skipped, %s", source.key, CHECKED_ELSEWHERE)
            return CheckResult(
                source_key=source.key,
                outcome=CheckOutcome.SKIPPED,
                error=CHECKED_ELSEWHERE,
                http_status=record.http_status,
                duration_ms=record.duration_ms,
                check_id=stored.check_id,
            )
        _log(record)
        return CheckResult(
            source_key=source.key,
            outcome=run.analysis.outcome,
            changes=run.analysis.changes,
            error=run.analysis.error,
            http_status=record.http_status,
            duration_ms=record.duration_ms,
            check_id=stored.check_id if stored is not None else None,
        )

    async def _fetch(
        self, source: Source, state: SourceState, as_document: AsDocument | None
    ) -> tuple[list[Fetched], str]:
        """The source's pages: all of them, or none with the reason (never a partial set)."""
        # Validators only make sense when we hold the snapshot they describe.
        known = state.snapshot_id is not None
        fetcher = (
            self.fetcher.capped(as_document.max_bytes)
            if as_document is not None and as_document.max_bytes
            else self.fetcher
        )
        try:
            first = await fetcher.fetch(
                source.url,
                etag=state.etag if known else None,
                last_modified=state.last_modified if known else None,
            )
            if source.render:
                first = await self._rendered(source, first)
            return await self._more_pages(source, first), ""
        except FetchError as exc:
            return [], str(exc)

    async def _rendered(self, source: Source, first: Fetched) -> Fetched:
        """The page after its scripts ran; a 304 or an error status is left as it is."""
        if first.not_modified or not 200 <= first.status < 300:
            return first
        if self.renderer is None:  # a Checker built by hand, without a browser
            raise RenderError(f"{source.key}: render = true, and no renderer", url=source.url)
        return await self.renderer.render(first)

    async def _more_pages(self, source: Source, first: Fetched) -> list[Fetched]:
        """Follow a paginated API's next pages (the first page's 304 covers them all)."""
        pages, pager = [first], self.pagers.get(source.parser)
        while (
            pager is not None
            and not pages[-1].not_modified
            and 200 <= pages[-1].status < 300
            and len(pages) < source.options.max_pages
        ):
            next_url = pager(pages[-1].content, pages[-1].final_url, source.options)
            if next_url is None:
                break
            pages.append(await self.fetcher.fetch(next_url))
        return pages

    async def _analysed(
        self,
        source: Source,
        pages: list[Fetched],
        state: SourceState,
        as_document: AsDocument | None,
    ) -> tuple[Analysis, Packed]:
        """``_analyse_packed`` in a CPU-stage thread, in this task's context (its log
        fields), counted while it runs (the hold of the found rows)."""
        self._analysing += 1
        context = contextvars.copy_context()
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._cpu, context.run, self._analyse_packed, source, pages, state, as_document
            )
        finally:
            self._analysing -= 1
            self._found.notify()

    def _analyse_packed(
        self,
        source: Source,
        pages: list[Fetched],
        state: SourceState,
        as_document: AsDocument | None,
    ) -> tuple[Analysis, Packed]:
        """The analysis, and the body and snapshot it keeps hashed and compressed (in the
        same thread: see storage.checks.pack)."""
        analysis = self._analyse(source, pages, state, as_document)
        raw = pages[0].content if analysis.keep_raw else None
        return analysis, pack_body(raw, analysis.snapshot)

    def close(self) -> None:
        """Let the CPU stage's threads end once they are idle."""
        self._cpu.shutdown(wait=False)

    def _analyse(
        self,
        source: Source,
        pages: list[Fetched],
        state: SourceState,
        as_document: AsDocument | None = None,
    ) -> Analysis:
        parser = self._parser(source)
        # A document is no page of its site: its text is never the site's template.
        history = StoredHistory(
            self.store,
            state,
            source,
            parser,
            reparse=source.parser not in self.pagers,
            templates=None if as_document else self._templates,
        )
        try:
            analysis = analyse(
                source,
                pages,
                state,
                parser=parser,
                history=history,
                classifier=self.classifier,
                find_deadlines=self.find_deadlines,
                limits=self.limits,
            )
            arrival = as_document.arrival if as_document is not None else None
            if arrival is None:
                return analysis
            return announce(
                analysis,
                source,
                arrival,
                classifier=self.classifier,
                previous=self._version(arrival),
                limits=self.limits,
                fetched_on=pages[0].fetched_at.astimezone(BRUSSELS).date(),
            )
        except Exception as exc:  # a bug in one parser must not stop the other sources
            logger.exception("checking %s failed unexpectedly", source.key)
            return Analysis(
                outcome=CheckOutcome.FAILED, error=f"internal error: {type(exc).__name__}: {exc}"
            )

    def _version(self, arrival: Arrival) -> Document | None:
        """The last snapshot of the document version that ``arrival`` replaces, if any."""
        if arrival.replaces is None:
            return None
        snapshot = self.store.state(arrival.replaces[0]).snapshot_id
        return self.store.document(snapshot) if snapshot is not None else None

    def _parser(self, source: Source) -> Parser:
        try:
            return self.parsers[source.parser]
        except KeyError:
            valid = ", ".join(sorted(self.parsers))
            raise ConfigError(
                f"source {source.key!r}: unknown parser {source.parser!r}; valid parsers: {valid}"
            ) from None

    def _read_states(self, keys: list[str]) -> list[SourceState]:
        states = self.store.states(keys)
        return [states.get(key, SourceState()) for key in keys]

    async def _save(self, run: _Run) -> Stored:
        """Store the check (packed in the CPU stage, or here when it had no body to analyse:
        nothing to compress then)."""
        if run.quiet:
            stored = await self._quiet((run.record, run.state))
        else:
            packed = run.packed if run.packed is not None else pack(run.record)
            stored = await self._found((run.record, run.state, packed))
        if isinstance(stored, Exception):
            raise stored
        return stored

    def _write_found(self, batch: list[Found]) -> list[Stored | Exception]:
        """Checks of any outcome in one transaction (as ``_write_quiet``)."""
        checks = [
            Pending(record=record, previous_snapshot=state.snapshot_id, packed=packed)
            for record, state, packed in batch
        ]
        return self._write_batch(lambda: self.store.record_found(checks), batch)

    def _write_quiet(
        self, batch: list[tuple[CheckRecord, SourceState]]
    ) -> list[Stored | Exception]:
        """Quiet checks in one transaction."""
        records = [record for record, _ in batch]
        found = [(record, state, None) for record, state in batch]
        return self._write_batch(lambda: self.store.record_quiet(records), found)

    def _write_batch(
        self,
        write: Callable[[], list[Stored | None]],
        batch: Sequence[tuple[CheckRecord, SourceState, Packed | None]],
    ) -> list[Stored | Exception]:
        """``write()`` the batch in one transaction; those it cannot take are stored one by one.

        After a failed batch each check is stored (or fails) on its own, as it would have
        without batching: one check's problem never becomes another's.
        """
        ids: list[Stored | None]
        try:
            with self._writing:
                ids = write()
        except Exception:
            logger.warning(
                "storing %d checks at once failed; storing them one by one",
                len(batch),
                exc_info=True,
            )
            ids = [None] * len(batch)
        return [
            stored if stored is not None else self._store_one(record, state, packed)
            for stored, (record, state, packed) in zip(ids, batch, strict=True)
        ]

    def _store_one(
        self, record: CheckRecord, state: SourceState, packed: Packed | None = None
    ) -> Stored | Exception:
        try:
            return self._store(record, state, packed)
        except Exception as exc:  # raised in the check's own task by ``_save``
            return exc

    def _store(
        self, record: CheckRecord, state: SourceState, packed: Packed | None = None
    ) -> Stored:
        """Store the check; if that fails, store at least that it failed, then re-raise.

        Without the failure row a source whose result cannot be stored would be retried
        forever with nothing to show why.
        """
        try:
            if packed is None:  # outside the writer's turn: see storage.checks.pack
                packed = pack(record)
            with self._writing:
                check = self.store.record(record, state.snapshot_id, packed)
        except StorageError as exc:
            logger.exception("storing the check of %s failed", record.source_key)
            failed = CheckRecord(
                source_key=record.source_key,
                started_at=record.started_at,
                duration_ms=record.duration_ms,
                outcome=CheckOutcome.FAILED,
                http_status=record.http_status,
                size=record.size,
                final_url=record.final_url,
                error=f"could not store this check: {exc}"[:2000],
                base_version=record.base_version,
            )
            with self._writing:
                self.store.record(failed, state.snapshot_id)
            raise
        assert check.id is not None
        return Stored(check.id, skipped=check.outcome == CheckOutcome.SKIPPED.value)


class StoredHistory:
    """The last snapshot, read lazily; re-read from its raw body when the parser changed.

    Re-parsing the old body with today's parser keeps an upgrade of lexwatch or an edit of a
    source's selectors from showing up as a change of the page.
    """

    def __init__(
        self,
        store: Store,
        state: SourceState,
        source: Source,
        parser: Parser,
        *,
        reparse: bool = True,
        templates: SiteTemplates | None = None,
    ) -> None:
        self.store, self.state, self.source, self.parser = store, state, source, parser
        self.reparse = reparse  # only single-page sources keep their whole raw body
        self.templates = templates
        self._document: Document | None = None

    def site_blocks(self) -> frozenset[str]:
        return self.templates.blocks(self.source) if self.templates else frozenset()

    def document(self) -> Document | None:
        if self._document is None and self.state.snapshot_id is not None:
            self._document = self._reparsed() or self.store.document(self.state.snapshot_id)
        return self._document

    def _reparsed(self) -> Document | None:
        if not self.reparse or self.state.parse_fingerprint == fingerprint(self.source):
            return None
        raw = self.store.blob(self.state.snapshot_blob) if self.state.snapshot_blob else None
        if raw is None:
            return None
        old = Fetched(
            url=self.source.url,
            final_url=self.source.url,
            status=200,
            headers={},
            content=raw,
            content_type="",
            etag=None,
            last_modified=None,
            fetched_at=utcnow(),
            elapsed=0.0,
        )
        try:
            return parse(self.parser, self.source, [old])
        except ParseError:
            return None


def _record(
    source: Source,
    started: datetime,
    duration_ms: int,
    pages: list[Fetched],
    analysis: Analysis,
    state: SourceState,
) -> CheckRecord:
    # The first page is kept as evidence (for a paginated API, the newest entries).
    fetched = pages[0] if pages else None
    keep_raw = fetched is not None and analysis.keep_raw
    return CheckRecord(
        source_key=source.key,
        started_at=started,
        duration_ms=duration_ms,
        outcome=analysis.outcome,
        http_status=fetched.status if fetched else None,
        size=sum(len(page.content) for page in pages),
        final_url=fetched.final_url if fetched else None,
        error=analysis.error,
        etag=fetched.etag if fetched else None,
        last_modified=fetched.last_modified if fetched else None,
        raw=fetched.content if fetched and keep_raw else None,
        content_type=fetched.content_type if fetched else "",
        content_hash=analysis.content_hash,
        parse_fingerprint=analysis.fingerprint,
        snapshot=analysis.snapshot,
        changes=analysis.changes,
        deadlines=analysis.deadlines,
        deadline_items=analysis.deadline_items,
        base_version=state.version,
    )


# Set on the log record of a failed check: `lexwatch check` prints the failure in its
# table and drops these lines, so each failure is said once.
CHECK_FAILED = "lexwatch_check_failed"


def _log(record: CheckRecord) -> None:
    if record.outcome is CheckOutcome.FAILED:
        logger.warning(
            "check %s failed: %s", record.source_key, record.error, extra={CHECK_FAILED: True}
        )
    else:
        logger.info(
            "check %s: %s, %d change(s), %d ms",
            record.source_key,
            record.outcome.value,
            len(record.changes),
            record.duration_ms,
        )
