"""The ``lexwatch eval`` engine: loading cases, parsing as the pipeline would, scoring."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import MappingProxyType

import pytest

from monitor.errors import ConfigError
from monitor.evaluate import (
    Expected,
    Prediction,
    evaluate,
    load_cases,
    parser_for_case,
    render_table,
    report_json,
    score_case,
)
from monitor.types import Category, Change, ClassifyContext, ItemDiff, Severity
from sources.parsers import PARSERS
from tests.conftest import SHARED

OWN_CASES = Path(__file__).parent / "data" / "eval"
GENERIC = MappingProxyType({name: PARSERS[name] for name in ("html", "feed", "json",
                                                             "eurlex_act")})
A = Category


@pytest.fixture
def shared_cases() -> Path:
    """../shared/eval/cases (the DEV set), or a skip with the reason when it is absent."""
    path = SHARED / "eval" / "cases"
    if not path.is_dir():
        pytest.skip(f"evaluation cases not found at {path} (../shared is absent)")
    return path


PARSER_CASES = [
    ("json", "https://ec.europa.eu/info/law/better-regulation/brpapi/searchInitiatives?text=ai",
     "json", "hys_search", "json"),
    ("json", "https://ec.europa.eu/info/law/better-regulation/brpapi/groupInitiatives/14284",
     "json", "hys_initiative", "json"),
    ("json", "https://api.example.org/items", "json", "json", "json"),
    ("feed", "https://eur-lex.europa.eu/EN/display-feed.rss?myRssId=x", "xml", "eurlex_feed",
     "feed"),
    ("feed", "https://www.edpb.europa.eu/feed/news_en", "xml", "feed", "feed"),
    ("page", "https://digital-strategy.ec.europa.eu/en/policies/ai-office", "html", "ds_page",
     "html"),
    ("page", "https://eur-lex.europa.eu/legal-content/EN/ALL/?uri=CELEX:32024R1689", "html",
     "eurlex_docinfo", "html"),
    ("page", "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689", "html",
     "eurlex_act", "eurlex_act"),
    ("page", "https://oeil.europarl.europa.eu/oeil/en/procedure-file?reference=2025/0359(COD)",
     "html", "oeil_procedure", "html"),
    ("page", "https://eur-lex.europa.eu/content/help/faq/intro.html", "txt", "text", "text"),
    ("page", "https://www.edpb.europa.eu/edpb_en", "html", "html", "html"),
]


@pytest.mark.parametrize(("kind", "url", "ext", "specific", "generic"), PARSER_CASES,
                         ids=[case[3] + ":" + case[1][:40] for case in PARSER_CASES])
def test_parser_for_case(kind: str, url: str, ext: str, specific: str, generic: str) -> None:
    assert parser_for_case(kind, url, ext) == specific
    assert parser_for_case(kind, url, ext, GENERIC) == generic


def test_load_cases() -> None:
    cases = {case.id: case for case in load_cases(OWN_CASES)}
    assert len(cases) == 11
    new = cases["page-new-event-info-session"]
    assert new.before is None and new.after is not None and not new.gone
    gone = cases["page-gone-410"]
    assert gone.after_status == 410 and gone.gone
    extended = cases["page-consultation-deadline-extended"]
    assert extended.expected == (Expected(category=A.DEADLINE_EXTENDED, date=date(2025, 10, 29),
                                          old_date=date(2025, 10, 15)),)
    assert cases["page-news-typo-fix-noise"].noise


@pytest.mark.parametrize("parsers", [PARSERS, GENERIC], ids=["specific", "generic"])
def test_own_cases_all_right(parsers: MappingProxyType[str, object]) -> None:
    report = evaluate(OWN_CASES, parsers=parsers)  # type: ignore[arg-type]
    assert [r.case.id for r in report.wrong] == []
    assert (report.total.precision, report.total.recall) == (1.0, 1.0)
    assert (report.noise_clean, report.noise_cases) == (2, 2)
    by_id = {r.case.id: r for r in report.results}
    assert [(p.category, p.date) for p in by_id["page-consultation-deadline-extended"].predicted
            ] == [(A.DEADLINE_EXTENDED, date(2025, 10, 29))]
    assert [p.category for p in by_id["page-gone-410"].predicted] == [A.PAGE_REMOVED]
    assert [p.category for p in by_id["page-new-event-info-session"].predicted] == [
        A.EVENT_ANNOUNCED]


def expect(category: Category, day: date | None = None) -> Expected:
    return Expected(category=category, date=day)


def predict(category: Category, day: date | None = None) -> Prediction:
    return Prediction(category=category, date=day, severity=Severity.HIGH)


SCORES = [
    pytest.param([expect(A.DEADLINE_EXTENDED, date(2025, 9, 18))],
                 [predict(A.DEADLINE_EXTENDED, date(2025, 9, 18))],
                 {A.DEADLINE_EXTENDED: (1, 0, 0)}, id="date-right"),
    pytest.param([expect(A.DEADLINE_EXTENDED, date(2025, 9, 18))],
                 [predict(A.DEADLINE_EXTENDED, date(2025, 9, 10))],
                 {A.DEADLINE_EXTENDED: (0, 1, 1)}, id="date-wrong-is-fp-and-fn"),
    pytest.param([expect(A.DEADLINE_CHANGED)], [predict(A.DEADLINE_CHANGED, date(2025, 1, 1))],
                 {A.DEADLINE_CHANGED: (1, 0, 0)}, id="no-date-expected"),
    pytest.param([expect(A.EVENT_ANNOUNCED, date(2025, 2, 20))],
                 [predict(A.EVENT_ANNOUNCED, date(2025, 2, 2))],
                 {A.EVENT_ANNOUNCED: (1, 0, 0)}, id="date-not-scored-for-events"),
    pytest.param([expect(A.PUBLICATION_ADDED), expect(A.PUBLICATION_ADDED)],
                 [predict(A.PUBLICATION_ADDED), predict(A.PUBLICATION_ADDED)],
                 {A.PUBLICATION_ADDED: (1, 0, 0)}, id="duplicates-collapse"),
    pytest.param([], [predict(A.AMENDMENT)], {A.AMENDMENT: (0, 1, 0)}, id="noise-case-fp"),
    pytest.param([expect(A.CONSULTATION_CLOSED), expect(A.PUBLICATION_ADDED)],
                 [predict(A.CONSULTATION_CLOSED)],
                 {A.CONSULTATION_CLOSED: (1, 0, 0), A.PUBLICATION_ADDED: (0, 0, 1)},
                 id="missed-second-event"),
]


@pytest.mark.parametrize(("expected", "predicted", "counts"), SCORES)
def test_score_case(expected: list[Expected], predicted: list[Prediction],
                    counts: dict[Category, tuple[int, int, int]]) -> None:
    scores = score_case(expected, predicted)
    assert {c: (s.tp, s.fp, s.fn) for c, s in scores.items()} == counts


def test_report_json_has_exactly_the_readme_shape() -> None:
    report = evaluate(OWN_CASES)
    data = json.loads(json.dumps(report_json(report)))
    assert set(data) == {"cases", "summary"}
    assert set(data["summary"]) == {"precision", "recall", "per_category"}
    assert set(data["summary"]["per_category"]) == {c.value for c in Category if c.named}
    for counts in data["summary"]["per_category"].values():
        assert set(counts) == {"tp", "fp", "fn"}
    for case in data["cases"]:
        assert set(case) == {"id", "predicted", "expected"}
        assert all(set(p) == {"category", "date", "severity"} for p in case["predicted"])
        assert all(set(e) == {"category", "date"} for e in case["expected"])
    extended = next(c for c in data["cases"] if c["id"] == "page-consultation-deadline-extended")
    assert extended["predicted"] == [{"category": "deadline_extended", "date": "2025-10-29",
                                      "severity": "high"}]
    assert extended["expected"] == [{"category": "deadline_extended", "date": "2025-10-29"}]
    noise = next(c for c in data["cases"] if c["id"] == "page-news-typo-fix-noise")
    assert noise["predicted"] == [] and noise["expected"] == []


class SilentClassifier:
    """Predicts nothing: every alert-worthy case is then wrong."""

    def classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        return []


def test_render_table_lists_categories_overall_and_wrong_cases() -> None:
    report = evaluate(OWN_CASES, SilentClassifier())
    table = render_table(report)
    assert "deadline_extended" in table and "overall (micro)" in table
    assert "noise-only cases with no alert: 2/2" in table
    assert "WRONG page-gone-410" in table
    assert "expected:  page_removed" in table and "predicted: nothing" in table
    assert report.total.recall == 0.0


def test_any_directory_of_cases(tmp_path: Path) -> None:
    shutil.copytree(OWN_CASES / "page-gone-410", tmp_path / "nested" / "my-case")
    report = evaluate(tmp_path)
    assert [r.case.id for r in report.results] == ["my-case"]
    assert report.results[0].correct


def test_unreadable_document_is_a_wrong_case_not_a_crash(tmp_path: Path) -> None:
    case = tmp_path / "broken-feed"
    case.mkdir()
    (case / "case.toml").write_text('kind = "feed"\nurl = "https://example.org/feed.xml"\n'
                                    '[[expect]]\ncategory = "publication_added"\n')
    (case / "before.xml").write_text("<html><body>not a feed</body></html>")
    (case / "after.xml").write_text("<html><body>still not a feed</body></html>")
    [result] = evaluate(tmp_path).results
    assert result.error is not None and not result.correct


@pytest.mark.parametrize(("toml", "message"), [
    ('kind = "page"\n', "url is missing"),
    ('kind = "video"\nurl = "https://x.org"\n', "kind 'video'"),
    ('url = "https://x.org"\n[[expect]]\ncategory = "scandal"\n', "category 'scandal'"),
    ('url = "https://x.org"\n[[expect]]\ncategory = "legal_act"\ndate = "18/09/2025"\n',
     "not YYYY-MM-DD"),
    ("url = [unclosed\n", "cannot read case"),
])
def test_invalid_case_names_the_file(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "case.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message) as raised:
        load_cases(tmp_path)
    assert "case.toml" in str(raised.value)


def test_empty_or_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no case.toml"):
        load_cases(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_cases(tmp_path / "missing")


def test_shared_dev_set(shared_cases: Path) -> None:
    report = evaluate(shared_cases)
    total = report.total
    wrong = render_table(report)
    assert total.precision >= 0.95, wrong
    assert total.recall >= 0.95, wrong
    assert report.noise_clean == report.noise_cases, wrong
    for result in report.results:
        for wanted in result.case.expected:
            if wanted.date is None:
                continue
            dates = {p.date for p in result.predicted if p.category is wanted.category}
            if wanted.category in (A.DEADLINE_EXTENDED, A.DEADLINE_CHANGED):
                assert wanted.date in dates, f"{result.case.id}: {dates} != {wanted.date}"
            else:  # not scored, but a date we state must be the right one
                assert dates <= {wanted.date, None}, f"{result.case.id}: {dates}"
