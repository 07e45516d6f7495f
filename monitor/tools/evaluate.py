"""The engine of ``lexwatch eval DIR``: run the classifier over labelled before/after cases.

A case is a directory holding ``case.toml`` (title, kind, url, optional after_status, zero or
more ``[[expect]]`` tables) and ``before.<ext>``/``after.<ext>`` (ext html, xml, json or txt).
Each case is read exactly as the pipeline would read the two fetches: parsed with the parser
the source would use, diffed with ``monitor.analysis.diff.diff_documents`` and classified. A missing
before is a new document (compared with an empty one, ``new_document=True``); a missing after
or an ``after_status`` of 404/410 is a gone document (every old item removed, ``gone=True``).

Scoring follows the evaluation set's README: per case, the set of predicted alert-worthy
categories against the set of expected ones; per-category TP/FP/FN summed over the cases,
micro-averaged precision/recall/F1; for the deadline categories a prediction is right only
when its date is one of the expected dates; and the share of noise-only cases with an empty
prediction.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.analysis.analyse import with_language
from monitor.analysis.classify import RuleClassifier
from monitor.analysis.diff import diff_documents
from monitor.analysis.template import host_of, site_blocks
from monitor.errors import ConfigError, LexwatchError
from monitor.types import (
    Category,
    Change,
    Classifier,
    ClassifyContext,
    Document,
    DocumentKind,
    Item,
    ParseContext,
    Parser,
    Severity,
    Source,
)
from sources.normalise import join_blocks, normalise_line, normalise_text
from sources.parsers import PARSERS
from sources.parsers.json_api import flatten

__all__ = [
    "CaseResult",
    "Counts",
    "EvalCase",
    "EvalReport",
    "Expected",
    "Prediction",
    "evaluate",
    "load_cases",
    "parser_for_case",
    "run_case",
]

logger = logging.getLogger(__name__)

EXTENSIONS = ("html", "xml", "json", "txt")
KINDS = ("page", "feed", "json")
GONE_STATUSES = frozenset({404, 410})
DATED = frozenset({Category.DEADLINE_EXTENDED, Category.DEADLINE_CHANGED})
ALERTABLE = tuple(category for category in Category if category.named)
_CONTENT_TYPES = {
    "html": "text/html",
    "xml": "application/xml",
    "json": "application/json",
    "txt": "text/plain",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Expected:
    """One ``[[expect]]`` of a case."""

    category: Category
    date: _dt.date | None = None  # (the module: the field names shadow the type)
    old_date: _dt.date | None = None
    item: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EvalCase:
    """One case directory, read but not yet run."""

    id: str
    path: Path
    title: str
    kind: str
    url: str
    before: Path | None
    after: Path | None
    after_status: int = 200
    expected: tuple[Expected, ...] = ()
    tags: tuple[str, ...] = ()
    language: str = ""  # the case's own `language`, else what the document declares
    fetched: _dt.date | None = None  # the day the after version was fetched, when known

    @property
    def noise(self) -> bool:
        """A noise/editorial case: nothing should be alerted."""
        return not self.expected

    @property
    def gone(self) -> bool:
        return self.after is None or self.after_status in GONE_STATUSES


@dataclass(frozen=True, kw_only=True, slots=True)
class Prediction:
    """One alert-worthy Change, as scored."""

    category: Category
    date: _dt.date | None
    severity: Severity
    summary: str = ""


@dataclass(kw_only=True, slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseResult:
    case: EvalCase
    predicted: tuple[Prediction, ...]
    changes: tuple[Change, ...] = ()
    scores: Mapping[Category, Counts] = field(default_factory=dict)
    error: str | None = None
    parser: str = ""

    @property
    def correct(self) -> bool:
        return self.error is None and all(c.fp == 0 and c.fn == 0 for c in self.scores.values())


@dataclass(frozen=True, kw_only=True, slots=True)
class EvalReport:
    results: tuple[CaseResult, ...]
    per_category: Mapping[Category, Counts]

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.per_category.values():
            total.add(counts)
        return total

    @property
    def noise_cases(self) -> int:
        return sum(1 for result in self.results if result.case.noise)

    @property
    def noise_clean(self) -> int:
        """Noise-only cases for which nothing was predicted."""
        return sum(1 for r in self.results if r.case.noise and not r.predicted)

    @property
    def wrong(self) -> tuple[CaseResult, ...]:
        return tuple(result for result in self.results if not result.correct)


# --- loading --------------------------------------------------------------------------------


def load_cases(directory: Path) -> list[EvalCase]:
    """Every case under ``directory`` (any depth), sorted by id.

    Raises ``ConfigError`` naming the file when a case.toml is invalid or the directory holds
    no case.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ConfigError(f"eval directory {str(root)!r} does not exist or is not a directory")
    cases = [_load_case(toml) for toml in sorted(root.rglob("case.toml"))]
    if not cases:
        raise ConfigError(f"no case.toml found under {str(root)!r}")
    return sorted(cases, key=lambda case: case.id)


def _load_case(toml: Path) -> EvalCase:
    try:
        data = tomllib.loads(toml.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{toml}: cannot read case: {exc}") from exc
    folder = toml.parent
    kind = str(data.get("kind", "page"))
    if kind not in KINDS:
        raise ConfigError(f"{toml}: kind {kind!r} is not one of {', '.join(KINDS)}")
    if not isinstance(data.get("url"), str):
        raise ConfigError(f"{toml}: url is missing (the real URL of the monitored document)")
    return EvalCase(
        id=folder.name,
        path=folder,
        title=str(data.get("title", "")),
        kind=kind,
        url=data["url"],
        before=_side(folder, "before"),
        after=_side(folder, "after"),
        after_status=int(data.get("after_status", 200)),
        expected=tuple(_expected(toml, entry) for entry in data.get("expect", [])),
        tags=tuple(str(tag) for tag in data.get("tags", ())),
        language=str(data.get("language", "")),
        fetched=_day(toml, data.get("fetched")),
    )


def _side(folder: Path, stem: str) -> Path | None:
    for ext in EXTENSIONS:
        path = folder / f"{stem}.{ext}"
        if path.is_file():
            return path
    return None


def _expected(toml: Path, entry: Mapping[str, Any]) -> Expected:
    try:
        category = Category(str(entry.get("category")))
    except ValueError:
        valid = ", ".join(c.value for c in ALERTABLE)
        raise ConfigError(
            f"{toml}: expect category {entry.get('category')!r} is not one of {valid}"
        ) from None
    return Expected(
        category=category,
        date=_day(toml, entry.get("date")),
        old_date=_day(toml, entry.get("old_date")),
        item=str(entry["item"]) if "item" in entry else None,
    )


def _day(toml: Path, value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{toml}: date {value!r} is not YYYY-MM-DD") from None


# --- parsing as the pipeline would ----------------------------------------------------------


def parser_for_case(kind: str, url: str, ext: str, parsers: Mapping[str, Parser] = PARSERS) -> str:
    """The parser a source for this document would use: the EU-specific one when it is
    registered in ``parsers``, else the generic one for the kind.

    ``json`` without a specific parser means the whole JSON read as one item of flattened
    fields, and ``text`` without a registered text parser one item of the text's lines
    (``run_case`` provides both).
    """
    specific = _specific_parser(kind, url.lower(), ext)
    if specific is not None and specific in parsers:
        return specific
    if kind == "feed":
        return "feed"
    if kind == "json" or ext == "json":
        return "json"
    if ext == "txt":
        return "text"
    if _is_oj_act(url.lower()) and "eurlex_act" in parsers:
        return "eurlex_act"
    return "html"


def _specific_parser(kind: str, url: str, ext: str) -> str | None:
    host = urlsplit(url).netloc
    if kind == "json" or ext == "json":
        if "searchinitiatives" in url:
            return "hys_search"
        return "hys_initiative" if "better-regulation" in url or "have-your-say" in host else None
    if kind == "feed":
        return "eurlex_feed" if "eur-lex.europa.eu" in host else None
    if ext == "txt":
        return "text"
    return _specific_page_parser(host, url, ext)


def _specific_page_parser(host: str, url: str, ext: str) -> str | None:
    if ext == "xml" and ("eur-lex" in host or "publications.europa.eu" in host):
        return "formex"
    if "eur-lex.europa.eu" in host and "/all/" in url:
        return "eurlex_docinfo"
    if "oeil.europarl.europa.eu" in host:
        return "oeil_procedure"
    if "digital-strategy.ec.europa.eu" in host:
        return "ds_page"
    if "have-your-say" in host or "better-regulation/have-your-say" in url:
        return "hys_initiative"
    return None


def _is_oj_act(url: str) -> bool:
    """An act's own text on EUR-Lex (the OJ or CELEX rendition), not a page about it."""
    return (
        "eur-lex.europa.eu" in url and "/txt/" in url and ("uri=oj:" in url or "uri=celex:" in url)
    )


def _whole_json(content: bytes, context: ParseContext) -> Document:
    """The whole JSON answer as one item whose fields are its flattened scalars."""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise LexwatchError(f"invalid JSON at {context.url}: {exc}") from exc
    fields = flatten(data)
    title = next((fields[name] for name in ("shortTitle", "title", "name") if name in fields), "")
    return Document(
        kind=DocumentKind.LISTING,
        items=(Item(key=context.url, title=normalise_line(title), url=context.url, fields=fields),),
    )


def _plain_text(content: bytes, context: ParseContext) -> Document:
    """A text extraction as one item, one block per non-empty line."""
    text = normalise_text(content.decode("utf-8", errors="replace"))
    lines = join_blocks(normalise_line(line) for line in text.split("\n"))
    first = next((line for line in lines.split("\n") if line), "")
    return Document(
        kind=DocumentKind.PAGE,
        items=(Item(key="(top)", title=first[:200], url=context.url, text=lines),),
        title=first[:200],
    )


_FALLBACKS: Mapping[str, Parser] = {"json": _whole_json, "text": _plain_text}


def _parser(name: str, parsers: Mapping[str, Parser]) -> Parser:
    if name in _FALLBACKS and (name == "json" or name not in parsers):
        return _FALLBACKS[name]
    return parsers[name]


# --- running --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ReadCase:
    """A case's two documents, as its source's parser reads them."""

    case: EvalCase
    parser: str
    old: Document | None = None
    new: Document | None = None
    error: str | None = None


def read_case(case: EvalCase, parsers: Mapping[str, Parser] = PARSERS) -> ReadCase:
    """Parse both sides of a case; an unreadable side is the case's error, never a crash."""
    side = case.after or case.before
    ext = side.suffix.lstrip(".") if side is not None else "html"
    name = parser_for_case(case.kind, case.url, ext, parsers)
    context = ParseContext(url=case.url, content_type=_CONTENT_TYPES.get(ext, ""))
    try:
        parser = _parser(name, parsers)
        old = _read(case.before, parser, context)
        new = None if case.gone else _read(case.after, parser, context)
    except LexwatchError as exc:  # a case the parser cannot read is a wrong case, no crash
        logger.warning("eval case %s: %s", case.id, exc)
        return ReadCase(case=case, parser=name, error=f"{type(exc).__name__}: {exc}")
    return ReadCase(case=case, parser=name, old=old, new=new)


def run_case(
    case: EvalCase | ReadCase,
    classifier: Classifier,
    parsers: Mapping[str, Parser] = PARSERS,
    site_blocks: frozenset[str] = frozenset(),
) -> CaseResult:
    """Parse, diff and classify one case as the pipeline would, and score it."""
    read = case if isinstance(case, ReadCase) else read_case(case, parsers)
    if read.error is not None:
        return _scored(read.case, (), (), read.error, read.parser)
    changes = _classify_case(read, classifier, site_blocks)
    return _scored(read.case, _predictions(changes), tuple(changes), None, read.parser)


def _classify_case(
    read: ReadCase, classifier: Classifier, site_blocks: frozenset[str]
) -> list[Change]:
    case, old, new = read.case, read.old, read.new
    kind = (new or old or Document(kind=DocumentKind.PAGE, items=())).kind
    empty = Document(kind=kind, items=())
    diffs = diff_documents(old or empty, new or empty)
    source = Source(
        key=case.id,
        title=urlsplit(case.url).netloc or case.id,
        url=case.url,
        parser=read.parser,
        interval=86400,
        tags=case.tags,
    )
    shown = new or old or empty
    classify_context = ClassifyContext(
        source=source,
        document_kind=kind,
        document_title=shown.title,
        new_document=old is None and new is not None,
        gone=case.gone and old is not None,
        language=case.language or shown.language,
        fetched_on=case.fetched,
        site_blocks=site_blocks,
    )
    if not diffs and not classify_context.gone:
        return []
    return classifier.classify(diffs, classify_context)


def _read(path: Path | None, parser: Parser, context: ParseContext) -> Document | None:
    if path is None:
        return None
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise LexwatchError(f"cannot read {path}: {exc}") from exc
    return with_language(parser(content, context), content)


def site_pages(read: Sequence[ReadCase]) -> dict[str, dict[str, Document]]:
    """The cases' pages by host and URL, as the pipeline's store would hold the other pages
    of a site: one document per URL (the earliest version the cases show)."""
    hosts: dict[str, dict[str, Document]] = {}
    for one in read:
        document = one.old or one.new
        if document is not None and one.case.kind == "page":
            pages = hosts.setdefault(host_of(one.case.url), {})
            pages.setdefault(one.case.url, document)
    return hosts


def blocks_for(case: EvalCase, hosts: Mapping[str, Mapping[str, Document]]) -> frozenset[str]:
    """The template of the case's site: blocks that two of its other pages show."""
    pages = hosts.get(host_of(case.url), {})
    return site_blocks(doc for url, doc in pages.items() if url != case.url)


def _predictions(changes: Iterable[Change]) -> tuple[Prediction, ...]:
    """The alert-worthy changes, one per (category, date), in order of appearance."""
    seen: dict[tuple[Category, date | None], Prediction] = {}
    for change in changes:
        if change.category.named:
            key = (change.category, change.new_date)
            seen.setdefault(
                key,
                Prediction(
                    category=change.category,
                    date=change.new_date,
                    severity=change.severity,
                    summary=change.summary,
                ),
            )
    return tuple(seen.values())


def _scored(
    case: EvalCase,
    predicted: tuple[Prediction, ...],
    changes: tuple[Change, ...],
    error: str | None,
    parser: str,
) -> CaseResult:
    return CaseResult(
        case=case,
        predicted=predicted,
        changes=changes,
        scores=score_case(case.expected, predicted),
        error=error,
        parser=parser,
    )


def score_case(
    expected: Sequence[Expected], predicted: Sequence[Prediction]
) -> dict[Category, Counts]:
    """TP/FP/FN per category for one case (duplicates collapse; dates decide the deadline
    categories)."""
    scores: dict[Category, Counts] = {}
    wanted = {e.category for e in expected}
    for category in wanted | {p.category for p in predicted}:
        dates_wanted = {e.date for e in expected if e.category is category and e.date}
        dates_given = {p.date for p in predicted if p.category is category}
        counts = scores.setdefault(category, Counts())
        if category not in wanted:
            counts.fp += 1
        elif not dates_given:
            counts.fn += 1
        elif category in DATED and dates_wanted and not dates_wanted & dates_given:
            counts.fp += 1
            counts.fn += 1
        else:
            counts.tp += 1
    return scores


def evaluate(
    directory: Path,
    classifier: Classifier | None = None,
    parsers: Mapping[str, Parser] = PARSERS,
    progress: Callable[[CaseResult], None] | None = None,
) -> EvalReport:
    """Run every case under ``directory`` and return the scored report."""
    chosen = classifier if classifier is not None else RuleClassifier()
    read = [read_case(case, parsers) for case in load_cases(directory)]
    hosts = site_pages(read)
    results = []
    for one in read:
        result = run_case(one, chosen, parsers, blocks_for(one.case, hosts))
        results.append(result)
        if progress is not None:
            progress(result)
    return build_report(results)


def build_report(results: Iterable[CaseResult]) -> EvalReport:
    done = tuple(results)
    per_category = {category: Counts() for category in ALERTABLE}
    for result in done:
        for category, counts in result.scores.items():
            per_category.setdefault(category, Counts()).add(counts)
    return EvalReport(results=done, per_category=per_category)
