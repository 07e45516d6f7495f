"""The words and patterns of EU publications that the rules read, and how much each
category matters.

Every regular expression the rules match against text lives here, so that a rule reads as a
sentence ("an added sentence that says CLOSED about a CONSULTATION_WORD") and a new language
or phrasing is one edit in one place. ``Words`` matches case-insensitively by lowercasing both
sides, several times faster than ``re.IGNORECASE`` on these long alternations. ``severity_of``
decides how loud each category is (DESIGN.md): high for consultations, deadlines, legal acts
and corrigenda, medium for publications, amendments and events, low for the rest. A leaf: it
imports nothing from the package."""

from __future__ import annotations

import re

from monitor.analysis.classify import (
    vocab_da,
    vocab_de,
    vocab_en,
    vocab_es,
    vocab_fr,
    vocab_it,
    vocab_nl,
    vocab_no,
    vocab_pl,
    vocab_pt,
)
from monitor.types import Category, Severity


class Words:
    """A case-insensitive pattern, matched as a lowercase pattern against lowercased text:
    several times faster than ``re.IGNORECASE`` on the long alternations below.

    Compiled on first use: compiling all of them costs about 0.12 s of CPU, which a
    ``lexwatch check`` that finds nothing changed would pay for nothing. (Every pattern is
    compiled by ``tests/test_classify.py``, so a typo still fails before a release.)"""

    __slots__ = ("_exact", "_folded", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._folded: re.Pattern[str] | None = None
        self._exact: re.Pattern[str] | None = None

    @property
    def folded(self) -> re.Pattern[str]:
        if self._folded is None:  # two threads may both compile it: the same pattern
            self._folded = re.compile(_lowercase_pattern(self.source))
        return self._folded

    @property
    def exact(self) -> re.Pattern[str]:
        """For text whose lowercase is longer ("İ"): rare, so compiled apart."""
        if self._exact is None:
            self._exact = re.compile(self.source, re.IGNORECASE)
        return self._exact

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        lowered = text.lower()
        if len(lowered) != len(text):  # "İ" lowercases to two characters: spans would shift
            return self.exact.search(text, pos)
        return self.folded.search(lowered, pos)

    def match(self, text: str) -> re.Match[str] | None:
        lowered = text.lower()
        if len(lowered) != len(text):
            return self.exact.match(text)
        return self.folded.match(lowered)


def _lowercase_pattern(source: str) -> str:
    """The pattern with its literals lowercased and its escapes (``\\S``, ``\\W``) kept."""
    out = []
    escaped = False
    for char in source:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return "".join(out)


# English, French and German define every pattern; the others the ones their pages need most.
LANGUAGES = (
    vocab_en,
    vocab_fr,
    vocab_de,
    vocab_it,
    vocab_nl,
    vocab_es,
    vocab_pt,
    vocab_pl,
    vocab_da,
    vocab_no,
)


def _any(name: str) -> str:
    """The alternation of one named pattern over every language that defines it."""
    return (
        "(?:"
        + "|".join(f"(?:{getattr(module, name)})" for module in LANGUAGES if hasattr(module, name))
        + ")"
    )


def _words(name: str) -> frozenset[str]:
    return frozenset(word for module in LANGUAGES for word in getattr(module, name, ()))


CONSULTATION_WORD = Words(rf"\b{_any('CONSULTATION')}\b")
CONSULTS = Words(rf"\b{_any('CONSULTS')}\b")
CONSULTATION_TITLE = Words(
    rf"^(?:[\w’'-]+[:,]?\s+){{0,4}}{_any('CONSULTATION')}\b"
    rf"|\b{_any('CONSULTATION_TITLE_LEAD')}\b.{{0,80}}\b{_any('CONSULTATION')}\b"
    r"|\bfor (?:public )?consultation\b|\bpour consultation\b|\bzur konsultation\b"
    rf"|\b{_any('CONSULTS')}"
)
OUTCOME = Words(rf"\b{_any('OUTCOME')}\b")
EXTENDED = Words(rf"\b{_any('EXTENDED')}\b")
MOVED = Words(rf"\b{_any('MOVED')}\b")
EARLIER = Words(rf"\b{_any('EARLIER')}\b")
FROM_BEFORE = Words(rf"\b{_any('FROM')}\s*$")  # "... and from <range>"
# A row of a timeline or a list entry that starts with its date ("2. August 2026 | ...",
# "ab 2. Dezember 2027: ...", "- from 2 August 2026: ...").
DATED_ROW = Words(
    rf"^[\W\d]{{0,6}}(?:{_any('ROW_FROM')}\s+)?(?:\w+\s+)?\d{{1,2}}"
    r"(?:[./]|\s|er\s|st\s|nd\s|rd\s|th\s)"
)
DATES_NOUN = Words(rf"\b{_any('DATES')}\b")
TO_BEFORE = Words(rf"\b{_any('TO')}\s*$")  # German "auf den <date> verschoben": the new one
INSTEAD = Words(rf"\b{_any('INSTEAD')}\b")
REPLACED = Words(rf"\b{_any('INSTEAD')}(?: the| of| le| la| dem| der)?\s*$")  # old date follows
VERB_FROM = Words(rf"^[\w-]+\s+{_any('FROM')}\s*$")  # "postponed from <range>"
NUMBERS: dict[str, int] = {word: n for m in LANGUAGES for word, n in getattr(m, "NUMBER_WORDS", ())}
UNITS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"^{pattern}$"), unit)
    for m in LANGUAGES
    for pattern, unit in getattr(m, "UNITS", ())
)
# "postponed by 18 months", "prolongée de deux semaines", "um ein Jahr verschoben".
SHIFT = Words(
    rf"\b{_any('SHIFT_BY')}\s*(\d{{1,3}}|"
    + "|".join(sorted((re.escape(w) for w in NUMBERS), key=len, reverse=True))
    + r")\s+("
    + "|".join(p for m in LANGUAGES for p, _ in getattr(m, "UNITS", ()))
    + r")\b"
)
CLOSED = Words(rf"\b{_any('CLOSED')}")
FEEDBACK = Words(rf"\b{_any('FEEDBACK')}\b")
NEGATION = Words(rf"\b{_any('NEGATION')}")
OPENED = Words(rf"\b{_any('OPENED')}\b")
_STATUS_HEAD = rf"^(?:{_any('STATUS_LABEL')}\s*[:|–-]?\s*)?(?:consultation\s+|feedback\s+)?"
STATUS_OPEN_LINE = Words(rf"{_STATUS_HEAD}{_any('STATUS_OPEN')}\.?$")
STATUS_CLOSED_LINE = Words(rf"{_STATUS_HEAD}{_any('STATUS_CLOSED')}\.?$")
STATUS_UPCOMING_LINE = Words(rf"{_STATUS_HEAD}{_any('STATUS_UPCOMING')}\.?$")
_PUBLICATION_NOUN = _any("PUBLICATION_NOUN")
DOCUMENT_LEAD = Words(rf"^{_any('DOCUMENT_LEAD')}")
NEW_DOCUMENT = Words(rf"\b{_any('NEW_DOCUMENT')}\s+(?:[\w-]+\s+)?{_any('PUBLICATION_NOUN')}\b")
# A publication is announced by a verb acting on it: "the Commission published a report",
# "the guidelines are now available"; not "the list published online will be updated".
PUBLISHED = Words(
    rf"\b{_any('PUBLISH_VERB')}\s+(?:[\w’'-]+\s+){{0,6}}?{_PUBLICATION_NOUN}\b"
    rf"|\b{_PUBLICATION_NOUN}\b[^.;]{{0,80}}?\b{_any('AVAILABLE')}\b"
    rf"|\b{_any('NOW_AVAILABLE')}\b|\b{_any('PUBLISHED_CLAUSE')}\b"
)
FUTURE = Words(rf"\b{_any('FUTURE')}\b")
HYPOTHETICAL = Words(rf"\b{_any('HYPOTHETICAL')}\b[^.]{{0,40}}$")  # before the verb
EVENT = Words(rf"\b{_any('EVENT')}\b")
EVENT_WHEN = Words(rf"\b{_any('EVENT_WHEN')}\b")
EVENT_PAST = Words(rf"\b{_any('EVENT_PAST')}\b")
_ACT = (
    rf"{_any('ACT_KIND')}\s*\((?:EU|UE|EC|CE|EG|EWG|CEE|EEC|Euratom)\)"
    r"\s*(?:No|n°|Nr\.?)?\s*\d{2,4}/\d+"
)
ACT_NAME = Words(rf"\b{_ACT}")
ACT_TITLE = Words(rf"^{_ACT}")
NOT_ACT = Words(rf"\b{_any('NOT_ACT')}\b")
ACT_PUBLISHED = Words(rf"\b{_any('ACT_PUBLISHED')}")
ACT_EVENT = Words(rf"\b{_any('ACT_EVENT')}\b")
IN_FORCE = Words(rf"\b{_any('IN_FORCE')}\b")
# A title saying an act was adopted or signed (not a position, proposal or guidance).
ADOPTED_ACT = Words(rf"\b{_any('ADOPTED_ACT')}\b")
NOT_ADOPTION = Words(rf"\b{_any('NOT_ADOPTION')}\b")
CONSOLIDATED = Words(rf"^{_any('CONSOLIDATED')}\b")
# A title that reports what was adopted or published is a publication, not the event.
REPORTS = Words(rf"\b{_any('REPORTS')}\b")
CORRIGENDUM = Words(rf"\b{_any('CORRIGENDUM')}\b|►C\d|\b\d{{5}}[A-Z]{{1,2}}\d{{4}}R\(\d{{2}}\)")
CELEX = re.compile(r"(?<!\w)([0-9CE]\d{4}[A-Z]{1,2}\d{4}(?:R\(\d{2}\)|-\d{8})?)(?![\w(])")
# An ELI of an act (legislation.gov style, as EUR-Lex serves it): /eli/reg/2024/1689/oj.
ELI = re.compile(
    r"/eli/(?:reg|dir|dec|reg_del|reg_impl|dir_del|dir_impl|dec_del|dec_impl)"
    r"/\d{4}/\d+(?:/(?:oj|corrigendum/[\w-]+))?"
)
OJ_REF = re.compile(r"\b(?:OJ|JO|ABl\.)\s?L\b[^|]{0,40}?(\d{1,2}\.\d{1,2}\.\d{4})")
DOWNLOAD = Words(
    r"\((?:PDF|DOCX?|XLSX?|ODT|ODS|PPTX?|ZIP|CSV|EPUB)\b[^)]{0,30}\)|\bdownload\b"
    r"|\btélécharger\b|\bherunterladen\b"
    r"|\.(?:pdf|docx?|xlsx?|odt|zip)\b|\b\d+(?:[.,]\d+)?\s?(?:KB|MB|kB|Ko|Mo)\b"
)
DOC_LINK = Words(
    r"\.(?:pdf|docx?|xlsx?|odt|ods|pptx?|zip|csv)(?:$|[?#])|/document/"
    r"|/download|/library/|/files/"
)
CHROME = Words(rf"\b{_any('CHROME')}\b")
IMAGE = Words(_any("IMAGE"))
STAMP = Words(rf"^{_any('STAMP')}")
CLOSING_CUE = Words(rf"{_any('CLOSING_CUE')}[^.;|]{{0,40}}$")
DEADLINE_NOUN = Words(rf"\b{_any('DEADLINE_NOUN')}\b")
APPLY_CUE = Words(rf"{_any('APPLY_CUE')}[^.;|]{{0,40}}$")
# A date something is planned for: when it moves, the schedule moved ("the guidelines will be
# published on 10 June" → "on 18 July" is a postponement).
PLANNED_CUE = Words(rf"{_any('PLANNED_CUE')}[^.;|]{{0,40}}$")
PERIOD = Words(rf"\b{_any('PERIOD')}\b")
NORMATIVE = _words("NORMATIVE")
FUNCTION_WORDS = frozenset(" ".join(getattr(m, "FUNCTION_WORDS", "") for m in LANGUAGES).split())
# A sentence ends at . ! ? before a capital, but not after a day number ("31. Oktober").
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)\s+(?=[A-ZÀ-Ý“\"‘(\[])")
WORD = re.compile(r"[^\W_]+", re.UNICODE)
FAQ_HINT = Words(rf"\b{_any('FAQ_HINT')}\b|q&a")
# A listing is the page at the section's own path (/en/news), not an article under it.
LISTING_PATH = Words(
    r"/(?:news|events?|library|consultations|publications?|press(?:corner)?|latest|calls"
    r"|documents|newsroom|calendar|whats-new|all-news|actualites|aktuelles|presse)/?$"
)
# Sections that list other pages, not this page's content: their teasers come and go.
ELSEWHERE = Words(rf"(?:^|> ){_any('ELSEWHERE')}(?: >|$)")
TYPE_LINE = re.compile(r"^([A-Za-z][A-Za-z /&-]{2,40}?)\s*\|", re.MULTILINE)
# A span of clock times ("09:30 - 17:30", "14h00 à 16h00", "10:00 bis 12:00"): what an
# event states and a publication does not. No "." between hours and minutes: "11.12 - 12.12"
# is more often a span of days.
TIME_SPAN = re.compile(
    r"\b(?:[01]?\d|2[0-3])[:h][0-5]\d\s*(?:-|–|—|to|until|bis|à|a|al|tot|till)\s*"
    r"(?:[01]?\d|2[0-3])[:h][0-5]\d\b",
    re.IGNORECASE,
)

# Field names as the EU-specific parsers emit them, and the JSON names they stand for.
ALIASES = {
    "receivingfeedbackstatus": "status", "feedbackstatus": "status", "status": "status",
    "feedbackenddate": "feedback_end", "enddate": "feedback_end", "feedback_end": "feedback_end",
    "closingdate": "feedback_end", "deadline": "deadline",
    "feedbackstartdate": "feedback_start", "startdate": "feedback_start",
    "feedback_start": "feedback_start", "frontendstage": "stage", "stage": "stage",
    "shorttitle": "title", "title": "title", "publisheddate": "published",
    "publicationdate": "published", "published": "published",
}  # fmt: skip
ID_FIELDS = ("id", "uid", "guid", "celex", "reference", "identifier", "key")
COUNTERS = frozenset({
    "totalfeedback", "pageviews", "views", "viewcount", "numberofelements", "totalelements",
    "totalpages", "size", "number", "pagenumber", "pagesize", "count", "hits", "downloads",
    "downloadcount", "feedbackcount", "score", "rank", "offset", "page", "lastbuilddate",
    "totalcount", "total", "visits",
})  # fmt: skip
ATTACHMENT_NAME = Words(
    r"(?:^|\.)(?:attachments|documents|files|downloads)\.\d+\.(?:ersfilename|filename|title"
    r"|name|url|link|href)$"
)
# "commitment" and "measure": the normative parts of a code of practice (documents parser).
LEGAL_KINDS = frozenset(
    {
        "article",
        "recital",
        "annex",
        "citation",
        "chapter",
        "section",
        "title_part",
        "preamble",
        "final_part",
        "commitment",
        "measure",
    }
)
DEADLINE_FIELDS = ("feedback_end", "deadline")
# Fields that make an added item an entry in its own right (an initiative, an act, a key
# event, a listed teaser), to be classified by what it is.
ENTRY_FIELDS = frozenset(
    {
        "event",
        "event_date",
        "status",
        "celex",
        "act_type",
        "initiative_id",
        "publication_id",
        "oj_date",
    }
)
OPEN, CLOSED_STATES = "OPEN", frozenset({"CLOSED", "DISABLED"})


def severity_of(category: Category) -> Severity:
    """The category's severity in the registry (``monitor.types.CATEGORIES``): high for
    consultations, deadlines, legal acts and corrigenda; medium for publications,
    amendments and events; low for the rest."""
    return category.severity
