"""What ``lexwatch eval`` prints: the per-category table, the confusion between categories,
the cases it got wrong, ``--explain`` (which rule named each change, on which sentences) and
the JSON shape of the evaluation README. Pure functions of an ``EvalReport``."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from monitor.tools.evaluate import DATED, CaseResult, Counts, EvalReport
from monitor.types import Category, Change

NONE = "(nothing)"
WRONG_DATE = "(wrong date)"


def report_json(report: EvalReport) -> dict[str, Any]:
    """The report in the JSON shape the evaluation README specifies."""
    total = report.total
    return {
        "cases": [_case_json(result) for result in report.results],
        "summary": {
            "precision": round(total.precision, 4),
            "recall": round(total.recall, 4),
            "per_category": {
                category.value: {"tp": c.tp, "fp": c.fp, "fn": c.fn}
                for category, c in report.per_category.items()
            },
        },
    }


def _case_json(result: CaseResult) -> dict[str, Any]:
    return {
        "id": result.case.id,
        "predicted": [
            {"category": p.category.value, "date": _iso(p.date), "severity": p.severity.value}
            for p in result.predicted
        ],
        "expected": [
            {"category": e.category.value, "date": _iso(e.date)} for e in result.case.expected
        ],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def render_table(report: EvalReport) -> str:
    """A plain-text table per category and overall, then the cases it got wrong."""
    lines = [f"{'category':<22}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}{'f1':>7}"]
    for category, counts in report.per_category.items():
        lines.append(_row(category.value, counts))
    lines.append(_row("overall (micro)", report.total))
    lines.append(f"noise-only cases with no alert: {report.noise_clean}/{report.noise_cases}")
    lines.append(f"cases: {len(report.results)}, wrong: {len(report.wrong)}")
    for result in report.wrong:
        lines.extend(_wrong(result))
    return "\n".join(lines) + "\n"


def _row(name: str, c: Counts) -> str:
    return f"{name:<22}{c.tp:>5}{c.fp:>5}{c.fn:>5}{c.precision:>11.2f}{c.recall:>8.2f}{c.f1:>7.2f}"


def _wrong(result: CaseResult) -> list[str]:
    expected = ", ".join(_label(e.category, e.date) for e in result.case.expected) or "nothing"
    predicted = ", ".join(_label(p.category, p.date) for p in result.predicted) or "nothing"
    lines = [
        "",
        f"WRONG {result.case.id} (parser {result.parser})",
        f"  expected:  {expected}",
        f"  predicted: {predicted}",
    ]
    if result.error:
        lines.append(f"  error: {result.error}")
    lines.extend(f"  - {p.category.value}: {p.summary}" for p in result.predicted)
    return lines


def _label(category: Category, day: date | None) -> str:
    return f"{category.value} ({day.isoformat()})" if day else category.value


def render_confusion(report: EvalReport) -> str:
    """Expected categories (rows) against what was predicted instead (columns): a category
    found right counts on the diagonal, a missed one against each category predicted in its
    place (or ``(nothing)``), a deadline found with another date under ``(wrong date)``, and
    an alert on a case that expected nothing in the ``(nothing)`` row."""
    cells = confusion(report)
    if not cells:
        return "confusion: no categories expected or predicted\n"
    rows = sorted({row for row, _ in cells}, key=_order)
    columns = sorted({column for _, column in cells}, key=_order)
    width = max(len(name) for name in (*rows, *columns)) + 2
    lines = [
        "confusion (rows expected, columns predicted):",
        " " * width + "".join(f"{_short(c):>6}" for c in columns),
    ]
    for row in rows:
        counts = "".join(f"{cells.get((row, column), 0) or '.':>6}" for column in columns)
        lines.append(f"{row:<{width}}{counts}")
    lines.append("columns: " + ", ".join(f"{_short(c)}={c}" for c in columns))
    return "\n".join(lines) + "\n"


def confusion(report: EvalReport) -> Counter[tuple[str, str]]:
    """(expected, predicted) pair counts over the cases; see ``render_confusion``."""
    cells: Counter[tuple[str, str]] = Counter()
    for result in report.results:
        cells.update(_case_cells(result))
    return cells


def _case_cells(result: CaseResult) -> list[tuple[str, str]]:
    expected = {e.category for e in result.case.expected}
    predicted = {p.category for p in result.predicted}
    wrong_date = {
        c for c, counts in result.scores.items() if c in DATED and counts.fp and counts.fn
    }
    hit = (expected & predicted) - wrong_date
    missed = sorted(expected - hit, key=_order)
    extra = sorted(predicted - expected, key=_order)
    cells = [(c.value, c.value) for c in hit]
    cells += [(c.value, WRONG_DATE) for c in wrong_date]
    for category in (c for c in missed if c not in wrong_date):
        cells += [(category.value, p.value) for p in extra] or [(category.value, NONE)]
    if not [c for c in missed if c not in wrong_date]:
        cells += [(NONE, p.value) for p in extra]
    return cells


def _order(name: str) -> int:
    names = [c.value for c in Category]
    return names.index(name) if name in names else len(names) + (name == WRONG_DATE)


def _short(name: str) -> str:
    if name.startswith("("):
        return "none" if name == NONE else "date"
    return "".join(part[:2] for part in name.split("_"))[:5]


def render_explain(report: EvalReport, *, only_wrong: bool = False) -> str:
    """Per case, every change the classifier made (alerts, updates, editorial and noise):
    its category, the rule that named it, its item and the sentences that fired it."""
    lines: list[str] = []
    for result in report.results:
        if only_wrong and result.correct:
            continue
        lines.extend(_explained(result))
    return "\n".join(lines) + "\n"


def _explained(result: CaseResult) -> list[str]:
    mark = "ok   " if result.correct else "WRONG"
    expected = ", ".join(_label(e.category, e.date) for e in result.case.expected) or "nothing"
    lines = ["", f"{mark} {result.case.id} (parser {result.parser})", f"  expected: {expected}"]
    if result.error:
        lines.append(f"  error: {result.error}")
    if not result.changes:
        lines.append("  (no change: the two versions read the same)")
    lines.extend(line for change in result.changes for line in _change_lines(change))
    return lines


def _change_lines(change: Change) -> list[str]:
    rule = change.rule or "structural"
    lines = [
        f"  - {_label(change.category, change.new_date)} [{rule}] item {change.item_key!r}",
        f"      {change.summary}",
    ]
    lines.extend(f"      « {sentence} »" for sentence in change.evidence)
    return lines
