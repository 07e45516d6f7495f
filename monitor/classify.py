"""Say what item diffs mean: explainable rules over structure, language and source context.

``RuleClassifier`` reads one check's diffs in three tiers, as DESIGN.md prescribes:

1. Structured fields first. A later ``feedback_end``/``deadline`` is a ``deadline_extended``
   with both dates, an earlier one a ``deadline_changed``; ``status`` turning OPEN opens a
   consultation, turning CLOSED closes it; a new ``corrected_by`` entry is a ``corrigendum``;
   new ``attachments`` are a ``publication_added``; a new OEIL key event an
   ``event_announced`` (or a ``legal_act`` when the act was signed or published). A JSON
   answer read as one flattened item is first cut back into its records, matched by id.
2. Then the language of the changed text: only sentences that are new (not in the old
   version, not merely moved elsewhere on the page) can announce something, and a fact the
   old text already stated is no news. Deadlines are compared as dates, never as strings.
3. Then the source's tags, as the default meaning of a new entry.

A new entry of a feed or listing, or a page that appeared (``context.new_document``), is
classified by what it *is* (a corrigendum, an act, a consultation, an event, else a
publication). A page that disappeared is one ``page_removed``. What explains nothing (moved
or reordered text, counters, "last update" stamps, site chrome, typo fixes, a feed entry
scrolling off) is ``noise`` or ``editorial``: stored, never alerted.

``StructuralClassifier`` (shape only) is kept as the fallback that cannot fail.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlsplit

from monitor.dates import BRUSSELS, FoundDate, find_dates, format_day, format_span, parse_datetime
from monitor.diff import diff_text
from monitor.types import (
    Category,
    Change,
    ClassifyContext,
    DiffKind,
    DocumentKind,
    FieldChange,
    Item,
    ItemDiff,
    Severity,
    Source,
)

__all__ = ["RuleClassifier", "StructuralClassifier", "evidence", "severity_of", "summarise"]

logger = logging.getLogger(__name__)

_EXCERPT_CHARS = 280
_MAX_EVIDENCE = 3
_I = re.IGNORECASE


class _Words:
    """A case-insensitive pattern, matched as a lowercase pattern against lowercased text:
    several times faster than ``re.IGNORECASE`` on the long alternations below."""

    __slots__ = ("exact", "folded")

    def __init__(self, source: str) -> None:
        self.folded = re.compile(_lowercase_pattern(source))
        self.exact = re.compile(source, re.IGNORECASE)

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


# --- vocabulary of EU publications ----------------------------------------------------------

_CONSULTATION = (
    r"(?:consultations?|call for (?:evidence|contributions?|input|comments|feedback|views"
    r"|expressions? of interest)|calls for (?:evidence|contributions|input)|surveys?"
    r"|questionnaires?|feedback (?:period|round)|have your say|consultation publique"
    r"|appel à (?:contributions|commentaires)|konsultation|befragung|consulta pública"
    r"|consultazione)"
)
_CONSULTATION_WORD = _Words(rf"\b{_CONSULTATION}\b")
_CONSULTATION_TITLE = _Words(
    rf"^(?:[\w’'-]+[:,]?\s+){{0,4}}{_CONSULTATION}\b"
    rf"|\b(?:launch\w*|open\w*|start\w*)\b.{{0,80}}\b{_CONSULTATION}\b"
    r"|\bfor (?:public )?consultation\b"
    r"|\binvites?\b.{0,80}\bto (?:submit|share|provide|give|send) (?:their |your )?"
    r"(?:views|feedback|comments|input|contributions)"
    r"|\b(?:seeks?|seeking|asks? for|welcomes?|invites?|inviting) (?:[\w’']+ ){0,3}"
    r"(?:feedback|views|input|comments|contributions)\b")
_OUTCOME = _Words(
    r"\b(?:report|results?|outcomes?|summary|synopsis|analysis|analyses|feedback statement"
    r"|contributions received|responses received|recordings?|presentations|minutes)\b")
_EXTENDED = _Words(
    r"\b(?:extended|extension|prolonged|prolongation|postponed|deferred|delayed|pushed back"
    r"|new deadline|re-?opened|verlängert|prolongée?s?|reportée?s?|prorrogad[oa]s?"
    r"|prorogat[oa])\b")
_REPLACED = _Words(r"\b(?:instead of|rather than|replacing|au lieu du?|statt|anstelle)"
                   r"(?: the| of)?\s*$")  # the date that follows is the old one
_VERB_FROM = _Words(r"^[\w-]+\s+(?:from|du|vom|von)\s*$")  # "postponed from <range>"
_INSTEAD = _Words(r"\b(?:instead of|rather than|replacing|au lieu du?|statt|anstelle)\b")
_CLOSED = _Words(
    r"\b(?:(?:is|are|was|has been|have been)\s+(?:now\s+)?closed|now closed|closed on"
    r"|has (?:now )?ended|is (?:now )?over|no longer (?:open|accept\w*|possible)"
    r"|(?:ran|was open|were open|took place|was held) (?:from|between)"
    r"|(?:submissions?|replies|responses)"
    r" (?:are|is) (?:now )?closed|closed for (?:feedback|comments|contributions|submissions)"
    r"|est (?:désormais |maintenant )?(?:close|clôturée?)|ist (?:nun |jetzt )?"
    r"(?:geschlossen|beendet))\b")
_OPENED = _Words(
    r"\b(?:launch(?:es|ed)?|opens?|opened|(?:is|are) (?:now )?open|now open"
    r"|open for (?:feedback|comments|contributions|input|submissions)"
    r"|invites?\b.{0,80}\bto (?:submit|share|provide|respond|contribute|participate|reply|give)"
    r"|(?:you|stakeholders|interested parties) can (?:now )?(?:submit|share|give|respond)"
    r"|have your say)\b")
_PUBLICATION_NOUN_TEXT = (
    r"(?:reports?|guidelines?|guidance|templates?|FAQs?|Q&As?|questions and answers"
    r"|codes? of (?:practice|conduct)|drafts?|opinions?|statements?|study|studies"
    r"|recommendations?|standards?|factsheets?|brochures?|toolkits?|handbooks?|methodology"
    r"|summary|summaries|analysis|analyses|white papers?|roadmaps?|evaluations?"
    r"|explanatory (?:notes?|memorandum)|documents?|publications?|papers?|checklists?"
    r"|glossary|list of signatories|lignes directrices|leitlinien|bericht)\b")
# A publication is announced by a verb acting on it: "the Commission published a report",
# "the guidelines are now available"; not "the list published online will be updated".
_PUBLISHED = _Words(
    r"\b(?:publish(?:es|ed)|present(?:s|ed)|release[sd]|issue[sd]|adopt(?:s|ed)"
    r"|unveil(?:s|ed)|launch(?:es|ed)|a publié|hat veröffentlicht)\s+(?:[\w’'-]+\s+){0,6}?"
    rf"{_PUBLICATION_NOUN_TEXT}"
    rf"|\b{_PUBLICATION_NOUN_TEXT}\b[^.;]{{0,80}}?\b(?:is|are|was|were|has been|have been)"
    r"\s+(?:now\s+)?(?:published|released|made available|adopted|issued|available|online)\b"
    r"|\bnow available\b|\bcan (?:now )?be downloaded\b")
_FUTURE = _Words(
    r"\b(?:will|shall|would|to be|in due course|forthcoming|upcoming|planned|expected to"
    r"|aims? to|intends? to|plans? to|soon|later this)\b")
_EVENT = _Words(
    r"\b(?:webinars?|info(?:rmation)?[ -]sessions?|info[ -]days?|workshops?|conferences?"
    r"|seminars?|hearings?|plenary (?:sitting|session|meeting)s?(?: date)?|plenar(?:y|ies)"
    r"|stakeholder (?:event|meeting|dialogue)s?|round ?tables?|summits?|town halls?"
    r"|launch events?|livestreams?|kick-off|hackathons?|masterclass(?:es)?|vote in committee"
    r"|debate in plenary|webinaires?|ateliers?|veranstaltung(?:en)?|tagung)\b")
_EVENT_WHEN = _Words(r"\b(?:takes? place|will take place|(?:will be|is) held|join us|register"
                     r"\w*|registration)\b")
_EVENT_PAST = _Words(
    r"\b(?:took place|was held|were held|held on|met on|recordings?|replay|adopted|approved"
    r"|voted|endorsed|concluded|entered into)\b")
_ACT_NAME = re.compile(
    r"\b(?:(?:Commission|Council) )?(?:Delegated |Implementing )?(?:Regulation|Directive"
    r"|Decision)\s*\((?:EU|EC|Euratom)\)\s*(?:No\s*)?\d{2,4}/\d+")
_ACT_TITLE = _Words(
    r"^(?:(?:Commission|Council) )?(?:Delegated |Implementing )?(?:Regulation|Directive"
    r"|Decision)\s*\((?:EU|EC|Euratom)\)\s*(?:No\s*)?\d{2,4}/\d+")
_NOT_ACT = _Words(r"\b(?:proposal|draft|initiative|roadmap|inception)\b")
_ACT_PUBLISHED = _Words(
    r"\b(?:published in the Official Journal|OJ L\b|enter(?:s|ed)? into force|entry into"
    r" force|(?:has been|was|were|is) adopted|final act (?:signed|published)|signed)\b")
_ACT_EVENT = _Words(
    r"\b(?:final act (?:signed|published)|published in (?:the )?Official Journal"
    r"|act adopted by council|signature of (?:the )?(?:final )?act)\b")
_IN_FORCE = _Words(r"\b(?:enters?|entered|comes?|came) into (?:force|application)\b")
# A title saying an act was adopted or signed (not a position, proposal or guidance).
_ADOPTED_ACT = _Words(
    r"\b(?:adopts?|adopted|signs?|signed|green light)\b.{0,60}\b(?:regulation|directive"
    r"|decision|delegated act|implementing act|law)\b")
_NOT_ADOPTION = _Words(r"\b(?:position|mandate|general approach|proposal|negotiating|opinion"
                       r"|statement|guidelines?|report|draft|recommendation)\b")
_CONSOLIDATED = _Words(r"^consolidated (?:text|version)\b")
# A title that reports what was adopted or published is a publication, not the event.
_REPORTS = _Words(r"\b(?:adopts?|publish(?:es)?|presents?|releases?|issues?|unveils?"
                  r"|welcomes?)\b")
_CORRIGENDUM = _Words(
    r"\bcorrigend(?:um|a)\b|\bcorrected by\b|►C\d|\brectificatif\b|\bBerichtigung\b"
    r"|\b\d{5}[A-Z]{1,2}\d{4}R\(\d{2}\)")
_CELEX = re.compile(r"(?<!\w)([0-9CE]\d{4}[A-Z]{1,2}\d{4}(?:R\(\d{2}\)|-\d{8})?)(?![\w(])")
_OJ_REF = re.compile(r"\bOJ L\b[^|]{0,40}?(\d{1,2}\.\d{1,2}\.\d{4})")
_DOWNLOAD = _Words(
    r"\((?:PDF|DOCX?|XLSX?|ODT|ODS|PPTX?|ZIP|CSV|EPUB)\b[^)]{0,30}\)|\bdownload\b"
    r"|\.(?:pdf|docx?|xlsx?|odt|zip)\b|\b\d+(?:\.\d+)?\s?(?:KB|MB|kB)\b")
_DOC_LINK = _Words(r"\.(?:pdf|docx?|xlsx?|odt|ods|pptx?|zip|csv)(?:$|[?#])|/document/"
                       r"|/download|/library/|/files/")
_CHROME = _Words(
    r"\bsearch terms?\b|\bsearch tips?\b|\buse quotation marks\b|\b(?:we|this site|this"
    r" website) uses? cookies\b|\bcookie (?:settings|policy|consent|preferences|banner)\b"
    r"|\baccept (?:all )?cookies\b|\bprint this page\b|\bexport (?:to )?pdf\b|\bback to"
    r" (?:the )?(?:\S+ ){0,3}homepage\b|\bgo to top\b|\bback to top\b|\bshare this page\b"
    r"|\bskip to (?:main )?content\b|\bthis (?:document|page) is an excerpt\b|\bjavascript\b"
    r"|\bselect your language\b|\bfollow us on\b")
_STAMP = _Words(
    r"^(?:last (?:update[ds]?|modified|reviewed|changed)|page (?:last )?updated|updated(?: on)?"
    r"|date of last update|dernière mise à jour|mise à jour|zuletzt (?:aktualisiert|geändert)"
    r"|letzte aktualisierung|published on|publication date)\b")
_CLOSING_CUE = _Words(
    r"(?:\buntil\b|\btill\b|\bdeadline\b|\bclos(?:es|ing|e)\b|\bno later than\b|\bby\b"
    r"|\bbefore\b|\bextended to\b|\bup to\b|\bjusqu['’]\s?au\b|\bavant le\b|\bbis\b"
    r"|\bspätestens\b|\bfrist\b|\bdate limite\b|\bends?\b)[^.;|]{0,40}$")
_APPLY_CUE = _Words(
    r"(?:\bappl(?:y|ies|ied|icable)\b(?: \w+){0,3} (?:from|as of|as from|on)\b|\bshall apply"
    r"\b|\b(?:date of|entry into|entered into|enters? into) application\b|\bbecomes?"
    r" applicable\b|\bapplication date\b)[^.;|]{0,40}$")
_PERIOD = _Words(r"\b(?:open|consultation|feedback|survey|submissions?|contributions?"
                     r"|call|registration|questionnaire)\b")
# A sentence ends at . ! ? before a capital, but not after a day number ("31. Oktober").
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)\s+(?=[A-Z“\"‘(\[])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FAQ_HINT = _Words(r"\bfaqs?\b|q&a|questions?[ -]and[ -]answers|frequently asked")
# A listing is the page at the section's own path (/en/news), not an article under it.
_LISTING_PATH = _Words(
    r"/(?:news|events?|library|consultations|publications?|press(?:corner)?|latest|calls"
    r"|documents|newsroom|calendar|whats-new|all-news)/?$")
# Sections that list other pages, not this page's content: their teasers come and go.
_ELSEWHERE = _Words(
    r"(?:^|> )(?:related (?:content|news|links|pages|topics|events|articles|projects)"
    r"|see also|more news|you may also (?:like|be interested)|discover more|read more"
    r"|in focus|top stories|other (?:news|topics))$")
_TYPE_LINE = re.compile(r"^([A-Za-z][A-Za-z /&-]{2,40}?)\s*\|", re.MULTILINE)

# Field names as the EU-specific parsers emit them, and the JSON names they stand for.
_ALIASES = {
    "receivingfeedbackstatus": "status", "feedbackstatus": "status", "status": "status",
    "feedbackenddate": "feedback_end", "enddate": "feedback_end", "feedback_end": "feedback_end",
    "closingdate": "feedback_end", "deadline": "deadline",
    "feedbackstartdate": "feedback_start", "startdate": "feedback_start",
    "feedback_start": "feedback_start", "frontendstage": "stage", "stage": "stage",
    "shorttitle": "title", "title": "title", "publisheddate": "published",
    "publicationdate": "published", "published": "published",
}  # fmt: skip
_ID_FIELDS = ("id", "uid", "guid", "celex", "reference", "identifier", "key")
_COUNTERS = frozenset({
    "totalfeedback", "pageviews", "views", "viewcount", "numberofelements", "totalelements",
    "totalpages", "size", "number", "pagenumber", "pagesize", "count", "hits", "downloads",
    "downloadcount", "feedbackcount", "score", "rank", "offset", "page", "lastbuilddate",
    "totalcount", "total", "visits",
})  # fmt: skip
_ATTACHMENT_NAME = _Words(
    r"(?:^|\.)(?:attachments|documents|files|downloads)\.\d+\.(?:ersfilename|filename|title"
    r"|name|url|link|href)$")
_LEGAL_KINDS = frozenset({"article", "recital", "annex", "citation", "chapter", "section",
                          "title_part", "preamble", "final_part"})
_DEADLINE_FIELDS = ("feedback_end", "deadline")
# Fields that make an added item an entry in its own right (an initiative, an act, a key
# event, a listed teaser), to be classified by what it is.
_ENTRY_FIELDS = frozenset({"event", "event_date", "status", "celex", "act_type",
                           "initiative_id", "publication_id", "oj_date"})
_OPEN, _CLOSED_STATES = "OPEN", frozenset({"CLOSED", "DISABLED"})

SEVERITY = {
    Category.CONSULTATION_OPENED: Severity.HIGH, Category.CONSULTATION_CLOSED: Severity.HIGH,
    Category.DEADLINE_EXTENDED: Severity.HIGH, Category.DEADLINE_CHANGED: Severity.HIGH,
    Category.LEGAL_ACT: Severity.HIGH, Category.CORRIGENDUM: Severity.HIGH,
    Category.PUBLICATION_ADDED: Severity.MEDIUM, Category.AMENDMENT: Severity.MEDIUM,
    Category.EVENT_ANNOUNCED: Severity.MEDIUM,
}  # fmt: skip


def severity_of(category: Category) -> Severity:
    """High for consultations, deadlines, legal acts and corrigenda; medium for
    publications, amendments and events; low for the rest (DESIGN.md)."""
    return SEVERITY.get(category, Severity.LOW)


# --- findings -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class _Finding:
    """One event a diff shows, before it becomes a Change."""

    category: Category
    summary: str
    evidence: tuple[str, ...] = ()
    new_date: date | None = None
    old_date: date | None = None
    event_key: str | None = None
    name: str | None = None  # what the event is about, when more precise than the item


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    block: str  # the paragraph it sits in: nearby dates explain it


@dataclass(slots=True)
class _Delta:
    """The sentences a diff adds and removes (moved ones taken out by the caller)."""

    added: list[_Sentence] = field(default_factory=list)
    removed: list[_Sentence] = field(default_factory=list)
    twins: dict[str, str | None] = field(default_factory=dict)  # memo of _twin_of
    index: _WordIndex | None = None  # the removed sentences by word, built when first needed


@dataclass(frozen=True, slots=True)
class _Call:
    """What every rule of one classify call may read."""

    context: ClassifyContext
    language: str
    moved: frozenset[str]

    @property
    def source(self) -> Source:
        return self.context.source


# --- the classifier -------------------------------------------------------------------------


class RuleClassifier:
    """The rule-based classifier (``monitor.types.Classifier``).

    ``language`` overrides the source's ``options.language`` for reading dates (month names
    that differ between languages). Pure and thread-safe: no state between calls.
    """

    def __init__(self, *, language: str | None = None) -> None:
        self.language = language

    def classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        """The Changes the diffs mean, editorial/noise included; never raises."""
        try:
            return self._classify(diffs, context)
        except Exception:  # a classifier bug must never lose a check: fall back to shape
            logger.exception("rule classifier failed on %s; using the structural one",
                             context.source.key)
            return StructuralClassifier().classify(diffs, context)

    def _classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        if context.gone:
            return [_page_removed(diffs, context)]
        expanded = [part for diff in diffs for part in _split_records(diff, context)]
        if context.document_kind is DocumentKind.PAGE and not context.new_document:
            expanded = _pair_renamed(expanded)
        language = self.language or context.source.options.language or "en"
        call = _Call(context=context, language=language, moved=_moved_sentences(expanded))
        if context.new_document and context.document_kind is DocumentKind.PAGE and expanded:
            return [_new_page(expanded, call)]
        changes: list[Change] = []
        for diff in expanded:
            changes.extend(_classify_diff(diff, call))
        return _merge(changes, context)


def _classify_diff(diff: ItemDiff, call: _Call) -> list[Change]:
    findings = _fold(_findings(diff, call))
    if not findings:
        findings = [_quiet_finding(diff, call)]
    return [_change(diff, finding, call) for finding in findings]


def _findings(diff: ItemDiff, call: _Call) -> list[_Finding]:
    if _ELSEWHERE.search(diff.key.strip()):
        return []
    entries = call.context.document_kind is not DocumentKind.PAGE or _is_listing_page(call)
    if diff.kind is DiffKind.REMOVED:
        return [] if entries else _removed_section(diff, call)
    if diff.kind is DiffKind.ADDED and (entries or call.context.new_document
                                        or _ENTRY_FIELDS & set(diff.item.fields)):
        return [_what_is_it(diff.item, call, _added_text(diff, call))]
    found = _field_findings(diff, call)
    delta = _delta(diff, call)
    found += _text_findings(diff, delta, call, have=found)
    if diff.kind is DiffKind.ADDED:
        found += _added_section(diff, delta, call, have=found)
    elif not entries:
        found += _amendment(diff, delta, call, have=found)
    return found


# --- tier 1: structured fields --------------------------------------------------------------


def _field_findings(diff: ItemDiff, call: _Call) -> list[_Finding]:
    if diff.kind is not DiffKind.MODIFIED or not diff.fields:
        return []
    changed = {change.name: change for change in diff.fields}
    found: list[_Finding] = []
    found += _status_findings(diff, changed, call)
    if not found:  # a period that opens or closes has new dates; they move no deadline
        found += _deadline_field_findings(diff, changed, call)
    found += _list_field_findings(diff, changed, call)
    found += _event_field_findings(diff, changed, call)
    return found


def _status_findings(diff: ItemDiff, changed: Mapping[str, FieldChange],
                     call: _Call) -> list[_Finding]:
    status = changed.get("status")
    if status is None:
        return []
    old, new = (status.old or "").upper(), (status.new or "").upper()
    name = _name(diff, call)
    if new == _OPEN and old != _OPEN:
        closing = _field_date(diff.item, *_DEADLINE_FIELDS)
        until = f", open until {format_day(closing)}" if closing else ""
        return [_Finding(category=Category.CONSULTATION_OPENED, new_date=closing,
                         summary=f"{name}: feedback period opened{until}",
                         evidence=(f"status: {status.old} → {status.new}",),
                         event_key=_event_key(diff, call, consultation=True))]
    if new in _CLOSED_STATES and old in (_OPEN, "UPCOMING"):
        return [_Finding(category=Category.CONSULTATION_CLOSED,
                         summary=f"{name}: feedback period closed",
                         evidence=(f"status: {status.old} → {status.new}",),
                         event_key=_event_key(diff, call, consultation=True))]
    return []


def _deadline_field_findings(diff: ItemDiff, changed: Mapping[str, FieldChange],
                             call: _Call) -> list[_Finding]:
    for name in _DEADLINE_FIELDS:
        change = changed.get(name)
        if change is None or not change.old or not change.new:
            continue
        old, new = _as_day(change.old), _as_day(change.new)
        if old is None or new is None or old == new:
            continue
        return [_deadline_move(diff, call, old, new, (f"{name}: {change.old} → {change.new}",))]
    return []


def _deadline_move(diff: ItemDiff, call: _Call, old: date | None, new: date,
                   proof: tuple[str, ...], *, name: str | None = None) -> _Finding:
    """A deadline that moved: later (or later by the text's word) is an extension."""
    label = name or _name(diff, call)
    if old is not None and new < old:
        return _Finding(category=Category.DEADLINE_CHANGED, new_date=new, old_date=old,
                        summary=f"{label}: deadline brought forward {format_span(old, new)}",
                        evidence=proof, event_key=_event_key(diff, call, consultation=True))
    moved = format_span(old, new) if old else f"to {format_day(new)}"
    return _Finding(category=Category.DEADLINE_EXTENDED, new_date=new, old_date=old,
                    summary=f"{label}: deadline extended {moved}", evidence=proof,
                    event_key=_event_key(diff, call, consultation=True))


def _list_field_findings(diff: ItemDiff, changed: Mapping[str, FieldChange],
                         call: _Call) -> list[_Finding]:
    found: list[_Finding] = []
    name = _name(diff, call)
    corrections = _new_entries(changed.get("corrected_by"))
    act_type = changed.get("act_type")
    if corrections or (act_type and "corrigend" in (act_type.new or "").lower()):
        celex = _celex_key(corrections[0]) if corrections else None
        day = _oj_date(corrections[0], call) if corrections else None
        found.append(_Finding(
            category=Category.CORRIGENDUM, new_date=day,
            evidence=tuple(f"Corrected by {c}" for c in corrections),
            summary=f"{name}: corrected by {'; '.join(corrections) or 'a corrigendum'}",
            event_key=celex or _event_key(diff, call)))
    for field_name, what in (("amended_by", "amended by"),
                             ("consolidated_versions", "new consolidated version")):
        entries = _new_entries(changed.get(field_name))
        if entries:
            found.append(_Finding(category=Category.AMENDMENT,
                                  evidence=tuple(entries[:_MAX_EVIDENCE]),
                                  summary=f"{name}: {what} {', '.join(entries)}",
                                  event_key=_event_key(diff, call)))
    found += _attachment_findings(diff, changed, call)
    return found


def _attachment_findings(diff: ItemDiff, changed: Mapping[str, FieldChange],
                         call: _Call) -> list[_Finding]:
    titles = _new_entries(changed.get("attachment_titles"))
    files = _new_entries(changed.get("attachments"))
    links = [link for link in _new_entries(changed.get("links")) if _DOC_LINK.search(link)]
    new = titles or files or links
    if not new:
        return []
    shown = "; ".join(_file_name(entry) for entry in new[:3])
    more = f" and {len(new) - 3} more" if len(new) > 3 else ""
    return [_Finding(category=Category.PUBLICATION_ADDED, evidence=tuple(new[:_MAX_EVIDENCE]),
                     summary=f"{_name(diff, call)}: new document {shown}{more}",
                     event_key=_event_key(diff, call))]


def _event_field_findings(diff: ItemDiff, changed: Mapping[str, FieldChange],
                          call: _Call) -> list[_Finding]:
    event = changed.get("event")
    if event is not None and event.new:
        return [_oeil_event(diff.item, event.new, call)]
    moved = changed.get("event_date")
    label = diff.item.fields.get("event") or diff.item.title
    if moved is None or not moved.new or not label:
        return []
    old, new = _as_day(moved.old or ""), _as_day(moved.new)
    finding = _oeil_event(diff.item, label, call)
    if old is None or new is None or finding.category is not Category.EVENT_ANNOUNCED:
        return [finding]
    return [replace(finding, old_date=old, summary=f"{_page_name(call.context)}: {label}"
                    f" moved {format_span(old, new)}")]


def _oeil_event(item: Item, event: str, call: _Call) -> _Finding:
    """A key event of a procedure: the act signed or published is a legal act, the rest
    (plenary sittings, votes, debates, forecasts) events."""
    day = _field_date(item, "event_date", "date")
    on = f" on {format_day(day)}" if day else ""
    subject = _page_name(call.context)
    label = event if _norm(event) != _norm(subject) else item.title
    category = Category.LEGAL_ACT if _ACT_EVENT.search(event) else Category.EVENT_ANNOUNCED
    return _Finding(category=category, new_date=day, evidence=(f"{label}{on}",),
                    summary=f"{subject}: {label}{on}", name=subject,
                    event_key=_item_key(item, call))


def _new_entries(change: FieldChange | None) -> list[str]:
    """Entries of a list field (newline-, comma- or semicolon-separated) that are new."""
    if change is None or not change.new:
        return []
    old = set(_entries(change.old or ""))
    return [entry for entry in _entries(change.new) if entry not in old]


def _entries(value: str) -> list[str]:
    """The entries of a list field: the parsers join them one a line."""
    return [part.strip() for part in value.split("\n") if part.strip()]


def _file_name(entry: str) -> str:
    if "://" not in entry:
        return entry
    path = urlsplit(entry).path
    return path.rstrip("/").rsplit("/", 1)[-1] or entry


# --- tier 2: the language of the changed text -----------------------------------------------


def _text_findings(diff: ItemDiff, delta: _Delta, call: _Call,
                   have: Sequence[_Finding]) -> list[_Finding]:
    if not delta.added and not delta.removed:
        return []
    found: list[_Finding] = []
    closed = _closed_finding(diff, delta, call)
    found += _deadline_text_findings(diff, delta, call, closed is not None)
    if closed is not None:
        found.append(closed)
    if not found and not _has(have, Category.CONSULTATION_OPENED):
        found += _opened_finding(diff, delta, call)
    found += _publication_findings(diff, delta, call, have)
    found += _act_findings(diff, delta, call, have)
    found += _event_findings(diff, delta, call, have)
    return found


def _fold(findings: list[_Finding]) -> list[_Finding]:
    """One finding per category for one diff: a field and a sentence saying the same keep
    the field's dates and the sentence's evidence first."""
    folded: dict[Category, _Finding] = {}
    for finding in findings:
        kept = folded.get(finding.category)
        if kept is None:
            folded[finding.category] = finding
            continue
        folded[finding.category] = replace(
            kept, new_date=kept.new_date or finding.new_date,
            old_date=kept.old_date or finding.old_date,
            evidence=tuple(dict.fromkeys(finding.evidence + kept.evidence)))
    return list(folded.values())


def _pair_renamed(diffs: list[ItemDiff]) -> list[ItemDiff]:
    """A section whose heading was reworded (or cut differently) is the same section: an
    added and a removed section with near-identical headings become one modification."""
    added = [d for d in diffs if d.kind is DiffKind.ADDED]
    removed = [d for d in diffs if d.kind is DiffKind.REMOVED]
    if not added or not removed or len(added) * len(removed) > 400:
        return diffs
    pairs: dict[int, ItemDiff] = {}
    used: set[int] = set()
    for new in added:
        old = next((r for r in removed if id(r) not in used and _renamed(r.item, new.item)),
                   None)
        if old is not None and old.old is not None and new.new is not None:
            used.add(id(old))
            pairs[id(new)] = _as_modified(old.old, new.new)
    return [pairs.get(id(d), d) for d in diffs if id(d) not in used]


def _renamed(old: Item, new: Item) -> bool:
    a, b = _norm(old.title or old.key), _norm(new.title or new.key)
    if min(len(a), len(b)) >= 20 and (a.startswith(b) or b.startswith(a)):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.85


def _as_modified(old: Item, new: Item) -> ItemDiff:
    blocks = diff_text(old.text, new.text)
    fields = tuple(FieldChange(name=n, old=old.fields.get(n), new=new.fields.get(n))
                   for n in sorted(set(old.fields) | set(new.fields))
                   if old.fields.get(n) != new.fields.get(n))
    return ItemDiff(kind=DiffKind.MODIFIED, key=new.key, old=old, new=new, fields=fields,
                    blocks=blocks, title_changed=old.title != new.title)


def _has(findings: Iterable[_Finding], category: Category) -> bool:
    return any(finding.category is category for finding in findings)


def _deadline_text_findings(diff: ItemDiff, delta: _Delta, call: _Call,
                            closed: bool) -> list[_Finding]:
    for finder in (_paired_move, _announced_extension):
        found = finder(diff, delta, call)
        if found is not None:
            return [found]
    if closed:  # "ran from ... to ..., now closed" restates the old deadline, moves nothing
        return []
    found = _unpaired_move(diff, delta, call)
    return [found] if found is not None else []


def _paired_move(diff: ItemDiff, delta: _Delta, call: _Call) -> _Finding | None:
    """A sentence rewritten with another closing or application date in it."""
    for sentence in delta.added:
        if not _has_digit(sentence.text):
            continue
        twin = _twin_of(sentence.text, delta)
        if twin is None:
            continue
        for cue in (_CLOSING_CUE, _APPLY_CUE):
            new = _cued_dates(sentence.text, cue, call)
            old = _cued_dates(twin, cue, call) if new else []
            gained = [d for d in new if d not in old]
            lost = [d for d in old if d not in new]
            if gained and lost:
                return _deadline_move(diff, call, max(lost), max(gained), (sentence.text,))
    return None


def _announced_extension(diff: ItemDiff, delta: _Delta, call: _Call) -> _Finding | None:
    """ "The deadline has been extended. You can now submit until 18 September 2025."."""
    for sentence in delta.added:
        if not _EXTENDED.search(sentence.text) or _hypothetical(sentence.text):
            continue
        new, old = _extension_dates(sentence, delta, call)
        if new is None:
            continue
        if old is None:
            old = _latest_before(_old_deadlines(diff, delta, call), new)
        proof = tuple(dict.fromkeys((sentence.text, *_dated_neighbours(sentence, delta))))
        return _deadline_move(diff, call, old, new, proof[:_MAX_EVIDENCE])
    return None


def _hypothetical(text: str) -> bool:
    """ "may be extended", "could be postponed", "proposes to delay": not a decision."""
    return bool(re.search(r"\b(?:may|might|could|can|possibly|if|would|propos\w*|plan\w*)\b"
                          r"[^.]{0,40}\b(?:be )?(?:extend|postpon|prolong|delay|defer)\w*",
                          text, _I))


def _extension_dates(sentence: _Sentence, delta: _Delta,
                     call: _Call) -> tuple[date | None, date | None]:
    """The new (and, when the sentence says it, the old) date of an announced extension.

    Dates after the verb are new ("extended until 15 October"), a date before it is old
    ("the 30 September deadline is extended"); "from X to Y" right after the verb is both;
    "Y instead of X" names the new date first."""
    text = sentence.text
    found = _dates(text, call)
    instead = _INSTEAD.search(text)
    if instead is not None and found:
        new = [f.date for f in found if f.start < instead.start()]
        old = [f.date for f in found if f.start >= instead.start()]
        if new and old:
            return max(new), max(old)
    verb = _EXTENDED.search(text)
    at = verb.start() if verb else 0
    after = [f for f in found if f.start >= at]
    old_day = max((f.date for f in found if f.start < at), default=None)
    if len(after) == 1 and after[0].is_range and _VERB_FROM.search(text[at:after[0].start]):
        return after[0].date, after[0].first  # "postponed from 2 August 2026 to ..."
    if after:
        return max(f.date for f in after), old_day
    nearby = [d for s in _dated_neighbours(sentence, delta)
              for d in _cued_dates(s, _CLOSING_CUE, call) + _cued_dates(s, _APPLY_CUE, call)]
    return (max(nearby) if nearby else None), old_day


def _dated_neighbours(sentence: _Sentence, delta: _Delta) -> list[str]:
    return [s.text for s in delta.added if s.block == sentence.block and s is not sentence
            and _has_digit(s.text)]


def _unpaired_move(diff: ItemDiff, delta: _Delta, call: _Call) -> _Finding | None:
    """The old closing date gone, a new one stated elsewhere: on a consultation only."""
    new = [(d, s.text) for s in delta.added for d in _cued_dates(s.text, _CLOSING_CUE, call)]
    old = [d for s in delta.removed for d in _cued_dates(s.text, _CLOSING_CUE, call)]
    if not new or not old or not _is_consultation(diff, call, delta):
        return None
    gained = [(d, text) for d, text in new if d not in old]
    lost = [d for d in old if d not in {d for d, _ in new}]
    if not gained or not lost:
        return None
    day, text = max(gained)
    return _deadline_move(diff, call, max(lost), day, (text,))


def _old_deadlines(diff: ItemDiff, delta: _Delta, call: _Call) -> list[date]:
    removed = [d for s in delta.removed for d in _cued_dates(s.text, _CLOSING_CUE, call)]
    if removed or diff.old is None:
        return removed
    text = diff.old.text if len(diff.old.text) < 20_000 else ""
    return [d for s in _sentences(text) for d in _cued_dates(s, _CLOSING_CUE, call)]


def _latest_before(days: Iterable[date], limit: date) -> date | None:
    earlier = [day for day in days if day != limit]
    return max(earlier) if earlier else None


def _closed_finding(diff: ItemDiff, delta: _Delta, call: _Call) -> _Finding | None:
    for sentence in delta.added:
        if not _CLOSED.search(sentence.text):
            continue
        if not (_CONSULTATION_WORD.search(sentence.text) or _is_consultation(diff, call, delta)):
            continue
        twin = _twin_of(sentence.text, delta)
        if twin is not None and _CLOSED.search(twin):
            continue
        return _Finding(category=Category.CONSULTATION_CLOSED, evidence=(sentence.text,),
                        summary=f"{_name(diff, call)}: consultation closed",
                        event_key=_event_key(diff, call, consultation=True))
    return None


def _opened_finding(diff: ItemDiff, delta: _Delta, call: _Call) -> list[_Finding]:
    old_text = diff.old.text if diff.old is not None else ""
    if diff.kind is DiffKind.MODIFIED and (_OPENED.search(old_text) and (
            _CONSULTATION_WORD.search(old_text) or _is_consultation(diff, call, delta))):
        return []  # it was already open: the new wording is no opening
    for sentence in delta.added:
        text = sentence.text
        if not (_OPENED.search(text) and _CONSULTATION_WORD.search(text)) or _FUTURE.search(
                text) or _OUTCOME.search(text):
            continue
        closing = _closing_date(sentence, delta, call)
        until = f", open until {format_day(closing)}" if closing else ""
        return [_Finding(category=Category.CONSULTATION_OPENED, new_date=closing,
                         evidence=(text,), summary=f"{_name(diff, call)}: consultation"
                         f" opened{until}", event_key=_event_key(diff, call, consultation=True))]
    return []


def _closing_date(sentence: _Sentence, delta: _Delta, call: _Call) -> date | None:
    own = _cued_dates(sentence.text, _CLOSING_CUE, call)
    if own:
        return max(own)
    nearby = [d for s in delta.added if s.block == sentence.block
              for d in _cued_dates(s.text, _CLOSING_CUE, call)]
    return max(nearby) if nearby else None


def _publication_findings(diff: ItemDiff, delta: _Delta, call: _Call,
                          have: Sequence[_Finding]) -> list[_Finding]:
    if _has(have, Category.PUBLICATION_ADDED):
        return []
    for sentence in delta.added:
        text = sentence.text
        if _is_publication_sentence(text) and not _said_before(text, delta,
                                                               _is_publication_sentence):
            return [_Finding(category=Category.PUBLICATION_ADDED, evidence=(text,),
                             summary=f"{_name(diff, call)}: new publication —"
                             f" {_shorten(text, 160)}", event_key=_event_key(diff, call))]
    downloads = [s.text for s in delta.added if _DOWNLOAD.search(s.text) and len(s.text) < 300]
    if downloads:
        shown = "; ".join(_shorten(_strip_download(t), 100) for t in downloads[:3])
        return [_Finding(category=Category.PUBLICATION_ADDED, evidence=tuple(downloads[:3]),
                         summary=f"{_name(diff, call)}: new document {shown}",
                         name=_strip_download(downloads[0]), event_key=_event_key(diff, call))]
    return _faq_findings(diff, delta, call)


def _is_publication_sentence(text: str) -> bool:
    found = _PUBLISHED.search(text)
    return found is not None and not _FUTURE.search(text[:found.end()])


def _strip_download(text: str) -> str:
    return re.sub(r"\s*\bdownload\b\s*$", "", text, flags=_I).strip() or text


def _faq_findings(diff: ItemDiff, delta: _Delta, call: _Call) -> list[_Finding]:
    """A new question with its answer on a FAQ page is a new FAQ entry."""
    if not _is_faq(diff, call):
        return []
    removed = {_norm(s.text) for s in delta.removed}
    questions = [s.text for s in delta.added if s.text.rstrip().endswith("?")
                 and len(s.text) < 300 and _norm(s.text) not in removed
                 and _twin_of(s.text, delta) is None]
    answers = [s for s in delta.added if not s.text.rstrip().endswith("?")]
    if not questions or not answers:
        return []
    return [_Finding(category=Category.PUBLICATION_ADDED, evidence=(questions[0],
                     answers[0].text), name=questions[0],
                     summary=f"{_name(diff, call)}: new FAQ entry “{_shorten(questions[0], 140)}”",
                     event_key=_event_key(diff, call))]


def _act_findings(diff: ItemDiff, delta: _Delta, call: _Call,
                  have: Sequence[_Finding]) -> list[_Finding]:
    found: list[_Finding] = []
    # In a rewrite of many sentences, an act's publication is background, not the news.
    targeted = diff.kind is DiffKind.ADDED or len(delta.added) <= 3
    for sentence in delta.added:
        text = sentence.text
        if not _has(have, Category.CORRIGENDUM) and not _has(found, Category.CORRIGENDUM) and (
                _CORRIGENDUM.search(text) and not _said_before(text, delta, _CORRIGENDUM.search)):
            found.append(_corrigendum_finding(diff, text, call))
        elif targeted and not _has(found, Category.LEGAL_ACT) and _is_act_sentence(
                text) and not _said_before(text, delta, _is_act_sentence):
            day = _oj_date(text, call) or _first_day(text, call)
            on = f", published {format_day(day)}" if day else ""
            found.append(_Finding(category=Category.LEGAL_ACT, new_date=day, evidence=(text,),
                                  summary=f"{_name(diff, call)}: new legal act{on} —"
                                  f" {_shorten(text, 160)}", event_key=_celex_key(text)))
    return found


def _is_act_sentence(text: str) -> bool:
    if _ACT_EVENT.search(text) and _has_digit(text):
        return not _FUTURE.search(text)
    named = _ACT_NAME.search(text)
    return bool(named and _ACT_PUBLISHED.search(text) and not _NOT_ACT.search(text)
                and not _FUTURE.search(text))


def _corrigendum_finding(diff: ItemDiff, text: str, call: _Call) -> _Finding:
    celex = _celex_key(text)
    return _Finding(category=Category.CORRIGENDUM, evidence=(text,), event_key=celex,
                    summary=f"{_name(diff, call)}: corrected — {_shorten(text, 160)}")


def _event_findings(diff: ItemDiff, delta: _Delta, call: _Call,
                    have: Sequence[_Finding]) -> list[_Finding]:
    if _has(have, Category.EVENT_ANNOUNCED):
        return []
    for sentence in delta.added:
        text = sentence.text
        if not _EVENT.search(text) or _EVENT_PAST.search(text) or _ACT_EVENT.search(text):
            continue
        dates = _dates(text, call)
        if not dates or _said_before(text, delta, _EVENT.search, same_dates=True, call=call):
            continue
        noun = _EVENT.search(text)
        day = _date_near(dates, noun.start() if noun else 0)
        what = noun.group(0).lower() if noun else "event"
        return [_Finding(category=Category.EVENT_ANNOUNCED, new_date=day, evidence=(text,),
                         summary=f"{_name(diff, call)}: {what} on {format_day(day)}",
                         event_key=_event_key(diff, call))]
    return []


def _said_before(text: str, delta: _Delta, rule: Callable[[str], object], *,
                 same_dates: bool = False, call: _Call | None = None) -> bool:
    """True when the old sentence this one rewrites already said the same (a fact the old
    text stated is no news)."""
    twin = _twin_of(text, delta)
    if twin is None or not rule(twin):
        return False
    if same_dates and call is not None:
        return {f.first for f in _dates(twin, call)} == {f.first for f in _dates(text, call)}
    return True


# --- new entries, new sections, removed sections --------------------------------------------


def _what_is_it(item: Item, call: _Call, text: str) -> _Finding:
    """What a new entry or page is: corrigendum, act, consultation, event or publication."""
    fields = item.fields
    title = _clean_title(item.title or item.key)
    if fields.get("event"):
        return _oeil_event(item, fields["event"], call)
    status = fields.get("status", "").upper()
    kind = _entry_kind(title, text, fields, status)
    if kind is None:
        kind = _tag_kind(call.source.tags) or Category.PUBLICATION_ADDED
    return _entry_finding(kind, item, title, text, call)


def _entry_kind(title: str, text: str, fields: Mapping[str, str],
                status: str) -> Category | None:
    celex = fields.get("celex", "")
    act_type = fields.get("act_type", "") + " " + fields.get("document_type", "")
    if (_CORRIGENDUM.search(title) or "corrigend" in act_type.lower()
            or re.search(r"R\(\d{2}\)$", celex)):
        return Category.CORRIGENDUM
    if status == _OPEN:
        return Category.CONSULTATION_OPENED
    if status:
        return Category.PUBLICATION_ADDED
    if celex[:1] == "0" or _CONSOLIDATED.search(title):
        return Category.AMENDMENT  # a new consolidated version: the act as amended
    if _is_act_title(title, celex, act_type) or _IN_FORCE.search(title) or (
            _ADOPTED_ACT.search(title) and not _NOT_ADOPTION.search(title)):
        return Category.LEGAL_ACT
    type_word = f"{_type_line(text)} {act_type}"
    if _OUTCOME.search(title):
        return Category.PUBLICATION_ADDED
    if _CONSULTATION_TITLE.search(title) or _CONSULTATION_WORD.search(type_word):
        return Category.CONSULTATION_OPENED
    if _REPORTS.search(title) or _EVENT_PAST.search(title):
        return Category.PUBLICATION_ADDED
    if _EVENT.search(title) or re.search(r"\bevents?\b", type_word, _I) or _EVENT.search(
            type_word):
        return Category.EVENT_ANNOUNCED
    return None


def _is_act_title(title: str, celex: str, act_type: str) -> bool:
    if _NOT_ACT.search(title) or _NOT_ACT.search(act_type):
        return False
    if celex[:1] == "3" and celex[5:6] in ("R", "L", "D"):
        return True  # CELEX sector 3: legislation (R regulation, L directive, D decision)
    return bool(_ACT_TITLE.search(title))


def _tag_kind(tags: Iterable[str]) -> Category | None:
    """Tier 3: what a source's entries are by default ("consultations", "events", ...)."""
    for tag in tags:
        low = tag.lower()
        if "consultation" in low:
            return Category.CONSULTATION_OPENED
        if "event" in low:
            return Category.EVENT_ANNOUNCED
        if low in ("legal-act", "legal-acts", "oj", "official-journal"):
            return Category.LEGAL_ACT
    return None


def _entry_finding(kind: Category, item: Item, title: str, text: str,
                   call: _Call) -> _Finding:
    lead = _lead(text)
    if kind is Category.CONSULTATION_OPENED:
        closing = _field_date(item, *_DEADLINE_FIELDS) or _text_closing(text, call)
        until = f", open until {format_day(closing)}" if closing else ""
        return _Finding(category=kind, new_date=closing, evidence=lead or _facts(item),
                        summary=f"Consultation opened: {title}{until}",
                        event_key=_item_key(item, call, consultation=True))
    if kind is Category.EVENT_ANNOUNCED:
        day = _field_date(item, "event_date") or _event_date(title, text, call)
        on = f" on {format_day(day)}" if day else ""
        dated = tuple(s for s in _sentences(text[:5_000]) if day and _EVENT.search(s)
                      and day in {f.first for f in _dates(s, call)})
        return _Finding(category=kind, new_date=day, evidence=(*dated[:1], *lead),
                        summary=f"Event announced: {title}{on}", event_key=_item_key(item, call))
    if kind in (Category.LEGAL_ACT, Category.CORRIGENDUM):
        day = _field_date(item, "oj_date") or _oj_date(text, call) or _published(item)
        on = f" (OJ {format_day(day)})" if day else ""
        what = "New legal act" if kind is Category.LEGAL_ACT else "Corrigendum published"
        return _Finding(category=kind, new_date=day, evidence=(title, *lead)[:_MAX_EVIDENCE],
                        summary=f"{what}: {title}{on}", event_key=_item_key(item, call))
    what = "New consolidated version" if kind is Category.AMENDMENT else "New publication"
    return _Finding(category=kind, evidence=lead or _facts(item), summary=f"{what}: {title}",
                    event_key=_item_key(item, call))


def _facts(item: Item) -> tuple[str, ...]:
    """Evidence for an entry without text: its structured facts."""
    names = ("status", "stage", "feedback_start", "feedback_end", "deadline", "document_type",
             "act_type", "published")
    facts = [f"{name}: {item.fields[name]}" for name in names if item.fields.get(name)]
    return ("; ".join(facts),) if facts else ()


def _added_section(diff: ItemDiff, delta: _Delta, call: _Call,
                   have: Sequence[_Finding]) -> list[_Finding]:
    """A section that appeared on a known page: by its heading, else as new content."""
    title = diff.item.title
    if title.rstrip().endswith("?") and _is_faq(diff, call):
        answer = delta.added[0].text if delta.added else ""
        return [_Finding(category=Category.PUBLICATION_ADDED, name=title,
                         evidence=tuple(t for t in (title, answer) if t),
                         summary=f"{_name(diff, call)}: new FAQ entry “{_shorten(title, 140)}”",
                         event_key=_event_key(diff, call))]
    kind = _entry_kind(title, "", {}, "")
    if kind is not None and not _has(have, kind):
        return [_entry_finding(kind, diff.item, _clean_title(title), _added_text(diff, call),
                               call)]
    if have:
        return []
    return _amendment(diff, delta, call, have=have)


def _removed_section(diff: ItemDiff, call: _Call) -> list[_Finding]:
    text = diff.item.text
    if _substantive_words(text) < 8 or _is_chrome(text):
        return []
    return [_Finding(category=Category.AMENDMENT, evidence=_lead(text),
                     summary=f"{_name(diff, call)}: section removed from the page",
                     event_key=_event_key(diff, call))]


def _new_page(diffs: Sequence[ItemDiff], call: _Call) -> Change:
    """A page that appeared: one Change saying what the page is."""
    items = [diff.item for diff in diffs]
    text = "\n".join(item.text for item in items if item.text)[:20_000]
    fields = {name: value for item in items for name, value in item.fields.items()}
    title = _page_title(call.context, items)
    page = Item(key=call.source.url, title=title, url=call.source.url, text=text,
                fields=fields)
    finding = _what_is_it(page, call, text)
    return _change(diffs[0], replace(finding, name=title), call)


def _page_title(context: ClassifyContext, items: Sequence[Item]) -> str:
    """The page's own title: the document title without the site name, else its first
    heading."""
    heading = next((item.title for item in items if item.key != "(top)" and item.title), "")
    own = re.split(r"\s+[|–—-]\s+", context.document_title)[0].strip()
    return _clean_title(heading or own or context.source.title)


# --- amendment, editorial, noise ------------------------------------------------------------


def _amendment(diff: ItemDiff, delta: _Delta, call: _Call,
               have: Sequence[_Finding]) -> list[_Finding]:
    """A substantive rewrite that no event explains is an amendment."""
    explained = {s.block for s in delta.added if any(s.text in f.evidence for f in have)}
    residual = [s for s in delta.added if s.block not in explained]
    words = sum(_substantive_words(s.text) for s in residual)
    if have and words < 25:
        return []
    changed = _changed_words(diff, call)
    legal = _is_legal(diff, call)
    if (changed < (1 if legal else 3) and not (have and words >= 25)
            and (have or not _changes_substance(diff, call))):
        return []
    count = len([b for b in diff.blocks if not _quiet_block(b.new or b.old or "", call)])
    return [_Finding(category=Category.AMENDMENT,
                     evidence=tuple(s.text for s in residual[:_MAX_EVIDENCE])
                     or _lead(diff.item.text),
                     summary=f"{_name(diff, call)}: text amended ({count} paragraph"
                     f"{'s' if count != 1 else ''} changed)", event_key=_event_key(diff, call))]


def _quiet_finding(diff: ItemDiff, call: _Call) -> _Finding:
    """Why a diff means nothing: noise (moved, counters, stamps, chrome, a feed entry gone)
    or editorial (small wording, punctuation, a title tweak)."""
    name = _name(diff, call)
    if diff.kind is DiffKind.REMOVED:
        return _Finding(category=Category.NOISE, summary=f"{name}: entry no longer listed")
    if diff.kind is DiffKind.MODIFIED and not diff.blocks and not diff.title_changed:
        if all(_is_counter(change.name) for change in diff.fields):
            return _Finding(category=Category.NOISE, summary=f"{name}: counters changed")
        names = ", ".join(change.name for change in diff.fields[:5])
        return _Finding(category=Category.EDITORIAL, summary=f"{name}: fields changed ({names})")
    worded = diff.title_changed or any(
        not (_quiet_block(b.new or "", call) or _quiet_block(b.old or "", call))
        and any(_WORD.search(op.text) for op in b.ops if op.op != "equal") for b in diff.blocks)
    if not worded:
        return _Finding(category=Category.NOISE,
                        summary=f"{name}: moved, boilerplate or stamp changes only")
    return _Finding(category=Category.EDITORIAL, summary=f"{name}: editorial change",
                    evidence=tuple(_shorten(t) for t in _changed_texts(diff)[:_MAX_EVIDENCE]))


def _changed_words(diff: ItemDiff, call: _Call) -> int:
    """Words a diff really changed: not moved, not chrome or stamps, not typo fixes,
    punctuation or case; numbers only in legal texts (elsewhere they are counters).

    Short label lines (a menu entry, a site header, a button) weigh a quarter: a renamed
    label is editorial, a rewritten list of them is not."""
    prose: tuple[list[str], list[str]] = ([], [])
    labels: tuple[list[str], list[str]] = ([], [])
    for block in diff.blocks:
        if _quiet_block(block.new or "", call) or _quiet_block(block.old or "", call):
            continue
        target = labels if _is_label(block.new or block.old or "") else prose
        target[0].extend(w for op in block.ops if op.op == "delete" for w in _words(op.text))
        target[1].extend(w for op in block.ops if op.op == "insert" for w in _words(op.text))
    if diff.title_changed and diff.old is not None and diff.new is not None:
        prose[0].extend(_words(diff.old.title))
        prose[1].extend(_words(diff.new.title))
    numbers = _is_legal(diff, call)
    return (_net_words(*prose, numbers=numbers)
            + _net_words(*labels, numbers=numbers) // 4)


# One word can change what a text obliges: "shall" → "may", "shall" → "shall not".
_NORMATIVE = frozenset({
    "shall", "must", "should", "not", "no", "never", "cannot", "prohibited", "prohibits",
    "required", "requires", "mandatory", "optional", "voluntary", "exempt", "exempted",
    "obliged", "doit", "peut", "interdit", "obligatoire", "muss", "darf", "kann", "nicht",
    "verboten",
})  # fmt: skip
# A quantity a reader acts on (money, shares, periods, thresholds, cross-references), as
# opposed to a counter of views or staff: changing one is never editorial.
_QUANTITY = re.compile(
    r"(?:€|EUR|USD)\s?\d[\d.,\s]*(?:million|billion|thousand)?"
    r"|\b\d[\d.,]*\s?(?:%|per ?cent\b|million\b|billion\b|months?\b|years?\b|weeks?\b"
    r"|working days?\b|days?\b|hours?\b|FLOPs?\b|parameters\b)"
    r"|\b(?:Article|Art\.|Annex|paragraph|point|Section)\s+[\dIVXLC]+(?:\(\w+\))*",
    re.IGNORECASE)


def _changes_substance(diff: ItemDiff, call: _Call) -> bool:
    """A small change that still matters: a normative word, or a quantity, changed."""
    for block in diff.blocks:
        if _quiet_block(block.new or "", call) or _quiet_block(block.old or "", call):
            continue
        deleted = [w for op in block.ops if op.op == "delete" for w in op.text.split()]
        inserted = [w for op in block.ops if op.op == "insert" for w in op.text.split()]
        if _normative_change(deleted, inserted) or _normative_change(inserted, deleted):
            return True
        if set(_QUANTITY.findall(block.old or "")) != set(_QUANTITY.findall(block.new or "")):
            return True
    return False


def _normative_change(words: list[str], others: list[str]) -> bool:
    """A normative word in ``words`` that is not a typo fix of one in ``others``."""
    return any(
        _normative(word) and not any(
            difflib.SequenceMatcher(None, word.lower(), other.lower()).ratio() >= 0.8
            for other in others)
        for word in words)


def _normative(word: str) -> bool:
    bare = word.strip(".,;:!?()'\"")
    # "May" capitalised mid-sentence is the month; "may" is permission.
    return bare == "may" or bare.lower() in _NORMATIVE


def _is_label(line: str) -> bool:
    """A short line without a sentence in it: a heading, menu entry, button or list item."""
    return len(line.split()) <= 6 and not line.rstrip().endswith((".", "!", "?", ":"))


def _net_words(deleted: list[str], inserted: list[str], *, numbers: bool) -> int:
    """Words changed, net of moves and typo fixes. Outside legal texts (``numbers`` False)
    numbers and function words do not count: "ran between X and Y" → "ran from X to Y"
    says the same."""
    remaining_old = _multiset_minus(deleted, inserted)
    remaining_new = _multiset_minus(inserted, deleted)
    counted = [w for w in remaining_old + remaining_new
               if numbers or not (w.isdigit() or w in _FUNCTION_WORDS)]
    if len(counted) > 40:  # dozens of words: a rewrite, whatever typos it also fixes
        return len(counted)
    typos = 0
    for word in remaining_old:
        if any(abs(len(word) - len(other)) <= 2 and difflib.SequenceMatcher(
                None, word, other).ratio() >= 0.8 for other in remaining_new):
            typos += 2
    return max(0, len(counted) - typos)


_FUNCTION_WORDS = frozenset(
    "a an the and or but nor of to in on at by for from with without between into onto upon"
    " as than then so that this these those it its is are was were be been being has have had"
    " do does did not no yes there here which who whom whose what when where while until till"
    " through during before after above below over under again also only just very more most"
    " such same other each any all both either neither own our your their his her we you they"
    " he she i me my us them via per le la les de des du et en un une der die das und von zu"
    " im mit für auf".split())


def _multiset_minus(words: list[str], other: list[str]) -> list[str]:
    pool: dict[str, int] = {}
    for word in other:
        pool[word] = pool.get(word, 0) + 1
    left = []
    for word in words:
        if pool.get(word, 0):
            pool[word] -= 1
        else:
            left.append(word)
    return left


def _quiet_block(text: str, call: _Call) -> bool:
    """A block that never carries news: moved elsewhere, site chrome, an update stamp."""
    if not text:
        return False
    return _norm(text) in call.moved or _is_chrome(text) or bool(_STAMP.match(text))


def _is_chrome(text: str) -> bool:
    return len(text) < 600 and bool(_CHROME.search(text))


def _is_counter(name: str) -> bool:
    last = name.rsplit(".", 1)[-1].lower()
    return last in _COUNTERS or name.lower().startswith("pageable.") or last in (
        "published", "updated", "modified")


def _changed_texts(diff: ItemDiff) -> list[str]:
    return [block.new or block.old or "" for block in diff.blocks]


# --- the text a diff adds and removes -------------------------------------------------------


def _delta(diff: ItemDiff, call: _Call) -> _Delta:
    """The sentences the diff adds and removes, without moved ones, chrome and stamps."""
    delta = _Delta()
    for block in diff.blocks:
        old = _block_sentences(block.old, call)
        new = _block_sentences(block.new, call)
        old_keys, new_keys = {_norm(s) for s in old}, {_norm(s) for s in new}
        delta.added += [_Sentence(s, block.new or "") for s in new if _norm(s) not in old_keys]
        delta.removed += [_Sentence(s, block.old or "") for s in old
                          if _norm(s) not in new_keys]
    if diff.title_changed and diff.old is not None and diff.new is not None:
        delta.added.append(_Sentence(diff.new.title, diff.new.title))
        delta.removed.append(_Sentence(diff.old.title, diff.old.title))
    return _without_rewordings(delta)


def _without_rewordings(delta: _Delta) -> _Delta:
    """Drop sentence pairs that differ only by typos, punctuation or case: such a sentence
    says nothing new, and neither is its old version gone."""
    if not delta.added or not delta.removed:
        return delta
    same: set[str] = set()
    kept = []
    for sentence in delta.added:
        twin = _twin_of(sentence.text, delta)
        if twin is not None and twin not in same and _net_words(
                _words(twin), _words(sentence.text), numbers=True) == 0:
            same.add(twin)
        else:
            kept.append(sentence)
    if not same:
        return delta
    return _Delta(added=kept, removed=[s for s in delta.removed if s.text not in same])


def _block_sentences(block: str | None, call: _Call) -> list[str]:
    if not block or _quiet_block(block, call):
        return []
    return [s for s in _sentences(block) if _norm(s) not in call.moved and not _STAMP.match(s)]


def _moved_sentences(diffs: Sequence[ItemDiff]) -> frozenset[str]:
    """Sentences and blocks that one diff removes and another (or the same) adds: moved, so
    neither new nor gone."""
    added: set[str] = set()
    removed: set[str] = set()
    for diff in diffs:
        for block in diff.blocks:
            if block.new:
                added.add(_norm(block.new))
                added.update(_norm(s) for s in _sentences(block.new))
            if block.old:
                removed.add(_norm(block.old))
                removed.update(_norm(s) for s in _sentences(block.old))
    return frozenset(added & removed)


def _added_text(diff: ItemDiff, call: _Call) -> str:
    blocks = [b.new for b in diff.blocks if b.new and _norm(b.new) not in call.moved]
    return "\n".join(blocks) if blocks else diff.item.text


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        out += [part.strip() for part in _SENTENCE_SPLIT.split(line) if part.strip()]
    return out


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".;: ")


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def _substantive_words(text: str) -> int:
    return sum(1 for word in _WORD.findall(text) if not word.isdigit())


def _twin_of(text: str, delta: _Delta) -> str | None:
    """The removed sentence this added one rewrites: the most alike, sharing at least half
    of their words (Dice coefficient over word sets), or None."""
    if text not in delta.twins:
        if delta.index is None:
            delta.index = _WordIndex([s.text for s in delta.removed])
        delta.twins[text] = delta.index.most_alike(text)
    return delta.twins[text]


class _WordIndex:
    """Sentences by the words they hold, to find the one most like another in time
    proportional to the words shared, not to every pair of sentences."""

    def __init__(self, sentences: Sequence[str]) -> None:
        self.sentences = list(sentences)
        self.words = [frozenset(_words(text)) for text in self.sentences]
        self.postings: dict[str, list[int]] = {}
        for number, words in enumerate(self.words):
            for word in words:
                self.postings.setdefault(word, []).append(number)

    def most_alike(self, text: str, threshold: float = 0.5) -> str | None:
        words = frozenset(_words(text))
        if not words or not self.sentences:
            return None
        best, best_score = None, threshold
        for number in self._candidates(words):
            other = self.words[number]
            score = 2 * len(words & other) / (len(words) + len(other))
            if score >= best_score:
                best, best_score = number, score
        return self.sentences[best] if best is not None else None

    def _candidates(self, words: frozenset[str]) -> list[int]:
        """The sentences sharing the most of the words that few sentences hold (words in
        most sentences, "the", "of", say nothing about which one this is)."""
        common = max(8, len(self.sentences) // 4)
        shared: dict[int, int] = {}
        for word in words:
            postings = self.postings.get(word, ())
            if len(postings) <= common:
                for number in postings:
                    shared[number] = shared.get(number, 0) + 1
        if not shared:
            return list(range(min(len(self.sentences), 50)))
        return sorted(shared, key=shared.__getitem__, reverse=True)[:20]


_DIGIT = re.compile(r"\d")


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


# --- dates ----------------------------------------------------------------------------------


def _dates(text: str, call: _Call) -> list[FoundDate]:
    return find_dates(text, call.language) if _has_digit(text) else []


def _cued_dates(text: str, cue: _Words, call: _Call) -> list[date]:
    """Dates the text says something closes (or applies) on."""
    days = []
    for found in _dates(text, call):
        before = text[max(0, found.start - 60):found.start]
        if _REPLACED.search(before):
            continue
        inside = found.text if found.is_range else ""
        if cue.search(before) or (cue is _CLOSING_CUE and found.is_range and (
                _PERIOD.search(text) or _CLOSING_CUE.search(inside + " "))):
            days.append(found.date)
    return days


def _text_closing(text: str, call: _Call) -> date | None:
    days = [d for s in _sentences(text[:20_000]) for d in _cued_dates(s, _CLOSING_CUE, call)]
    return max(days) if days else None


def _event_date(title: str, text: str, call: _Call) -> date | None:
    """The event's (first) day: in the title, or beside an event word or "takes place"."""
    for sentence in (title, *_sentences(text[:20_000])):
        cue = _EVENT.search(sentence) or _EVENT_WHEN.search(sentence)
        if sentence is title or cue:
            found = _dates(sentence, call)
            if found:
                return _date_near(found, cue.start() if cue else 0)
    return None


def _date_near(found: Sequence[FoundDate], position: int) -> date:
    """The (first) day of the date that follows ``position`` most closely, else the last
    one before it: "published on 14 November and will hold a plenary on 22 November"."""
    after = [f for f in found if f.start >= position]
    return (after[0] if after else found[-1]).first


def _first_day(text: str, call: _Call) -> date | None:
    found = _dates(text, call)
    return found[0].date if found else None


def _oj_date(text: str, call: _Call) -> date | None:
    """The Official Journal date of "OJ L, 2025/454, 10.3.2025"."""
    match = _OJ_REF.search(text)
    if match is None:
        return None
    found = _dates(match.group(1), call)
    return found[0].date if found else None


def _field_date(item: Item, *names: str) -> date | None:
    for name in names:
        value = item.fields.get(name)
        day = _as_day(value) if value else None
        if day is not None:
            return day
    return None


def _as_day(value: str) -> date | None:
    """The Brussels day a field value means (an ISO instant in UTC is converted first)."""
    moment = parse_datetime(value)
    return moment.astimezone(BRUSSELS).date() if moment is not None else None


def _published(item: Item) -> date | None:
    return _field_date(item, "published")


# --- names, keys, evidence ------------------------------------------------------------------


def _name(diff: ItemDiff, call: _Call) -> str:
    """What a human calls the changed thing: the item's title, the page's for the top."""
    item = diff.item
    page = _page_name(call.context)
    if item.key in ("(top)", "") or not item.title or item.title == item.key and "://" in (
            item.key):
        return page
    title = _clean_title(item.title)
    if " > " in item.key and len(title.split()) <= 3:
        return f"{_clean_title(item.key.split(' > ')[0])} — {title}"
    return title


def _page_name(context: ClassifyContext) -> str:
    own = re.split(r"\s+[|–—]\s+", context.document_title)[0].strip()
    return _clean_title(own or context.source.title or context.source.key)


def _clean_title(title: str) -> str:
    return _shorten(" ".join(title.split()), 160)


def _type_line(text: str) -> str:
    """The content type a page states above its title ("Consultation | Publication ...")."""
    match = _TYPE_LINE.search(text[:400])
    return match.group(1) if match else ""


def _lead(text: str) -> tuple[str, ...]:
    sentences = [s for s in _sentences(text[:5_000]) if len(s) > 20 and not _TYPE_LINE.match(s)]
    return tuple(_shorten(s) for s in sentences[:2])


def _is_consultation(diff: ItemDiff, call: _Call, delta: _Delta | None = None) -> bool:
    """The item is about a consultation: by its title, url, page or old text."""
    item = diff.item
    names = " ".join((item.title, item.key, item.url or "", call.context.document_title,
                      call.source.url, call.source.title))
    if _CONSULTATION_WORD.search(names.replace("-", " ")):
        return True
    old = diff.old.text[:5_000] if diff.old is not None else ""
    return bool(_CONSULTATION_WORD.search(old))


def _is_faq(diff: ItemDiff, call: _Call) -> bool:
    names = " ".join((diff.item.key, call.context.document_title, call.source.url,
                      call.source.title, diff.item.url or ""))
    if _FAQ_HINT.search(names.replace("-", " ")) or _FAQ_HINT.search(names):
        return True
    old = diff.old.text if diff.old is not None else ""
    return sum(1 for line in old.split("\n") if line.rstrip().endswith("?")) >= 2


def _is_listing_page(call: _Call) -> bool:
    return bool(_LISTING_PATH.search(urlsplit(call.source.url).path))


def _is_legal(diff: ItemDiff, call: _Call) -> bool:
    return (diff.item.fields.get("kind") in _LEGAL_KINDS
            or call.source.parser in ("eurlex_act", "formex")
            or any(tag in ("legal-act", "legal-text") for tag in call.source.tags))


def _event_key(diff: ItemDiff | None, call: _Call, *, consultation: bool = False) -> str | None:
    return _item_key(diff.item, call, consultation=consultation) if diff is not None else None


def _item_key(item: Item, call: _Call, *, consultation: bool = False) -> str | None:
    """A stable identity for the real-world event: hys:<id>, celex:<celex>,
    consultation:<path>, else None."""
    fields = item.fields
    if fields.get("initiative_id"):
        return f"hys:{fields['initiative_id']}"
    celex = fields.get("celex") or _celex_key(item.key, bare=True)
    if celex:
        return f"celex:{celex}"
    if consultation:
        url = item.url or (item.key if "://" in item.key else None)
        if url is None and call.context.document_kind is DocumentKind.PAGE and not (
                _is_listing_page(call)):
            url = call.source.url  # a consultation's own page: the page is the consultation
        path = urlsplit(url).path.rstrip("/") if url else ""
        return f"consultation:{path}" if path else None
    return None


def _celex_key(text: str, *, bare: bool = False) -> str | None:
    match = _CELEX.search(text)
    if match is None:
        return None
    return match.group(1) if bare else f"celex:{match.group(1)}"


# --- records of a flattened JSON answer -----------------------------------------------------


def _split_records(diff: ItemDiff, context: ClassifyContext) -> list[ItemDiff]:
    """A JSON answer read as one item of dotted fields, cut back into its records and
    matched by id: a record added at the top shifts every index, which is no change."""
    old = diff.old.fields if diff.old is not None else {}
    new = diff.new.fields if diff.new is not None else {}
    if diff.kind is not DiffKind.MODIFIED or not any("." in name for name in new):
        return [diff]
    before, after = _records(old), _records(new)
    hys = _is_hys(context.source.url)
    parts = []
    for key, fields in after.items():
        parts.append(_record_diff(key, before.get(key), fields, after, hys))
    parts += [_record_diff(key, fields, None, before, hys) for key, fields in before.items()
              if key not in after]
    return [part for part in parts if part is not None]


def _records(fields: Mapping[str, str]) -> dict[str, dict[str, str]]:
    records: dict[str, dict[str, str]] = {}
    for name, value in fields.items():
        key, rest = _record_of(name, fields)
        records.setdefault(key, {})[rest] = value
    return records


def _record_of(name: str, fields: Mapping[str, str]) -> tuple[str, str]:
    """(record key, field name inside it) for a dotted field name; "" is the root record."""
    parts = name.split(".")
    for cut, part in enumerate(parts):
        if part.isdigit():
            prefix = ".".join(parts[:cut + 1])
            ident = next((fields[f"{prefix}.{k}"] for k in _ID_FIELDS
                          if f"{prefix}.{k}" in fields), None)
            if ident:
                return f"{'.'.join(parts[:cut])}[{ident}]", ".".join(parts[cut + 1:])
            return "", name
    return "", name


def _record_diff(key: str, old: Mapping[str, str] | None, new: Mapping[str, str] | None,
                 records: Mapping[str, Mapping[str, str]], hys: bool) -> ItemDiff | None:
    before = _record_item(key, old, records, hys) if old is not None else None
    after = _record_item(key, new, records, hys) if new is not None else None
    if after is None and before is not None:
        return ItemDiff(kind=DiffKind.REMOVED, key=before.key, old=before, new=None)
    if after is None:
        return None
    if before is None:
        return ItemDiff(kind=DiffKind.ADDED, key=after.key, old=None, new=after)
    changes = tuple(FieldChange(name=n, old=before.fields.get(n), new=after.fields.get(n))
                    for n in sorted(set(before.fields) | set(after.fields))
                    if before.fields.get(n) != after.fields.get(n))
    if not changes:
        return None
    return ItemDiff(kind=DiffKind.MODIFIED, key=after.key, old=before, new=after, fields=changes)


def _record_item(key: str, fields: Mapping[str, str], records: Mapping[str, Mapping[str, str]],
                 hys: bool) -> Item:
    canonical = dict(fields)
    for name, value in fields.items():
        alias = _ALIASES.get(name.rsplit(".", 1)[-1].lower())
        if alias is not None and alias not in canonical:
            canonical[alias] = value
    files = [value for name, value in fields.items() if _ATTACHMENT_NAME.search(name)]
    if files:
        canonical["attachments"] = "\n".join(files)
    ident = next((fields[k] for k in _ID_FIELDS if k in fields), key or "record")
    root_id = records.get("", {}).get("id")
    if hys:
        canonical["initiative_id"] = root_id if key and root_id else ident
    return Item(key=ident, title=canonical.get("title", ident), fields=canonical)


def _is_hys(url: str) -> bool:
    low = url.lower()
    return "better-regulation" in low or "have-your-say" in low or "brpapi" in low


# --- building Changes -----------------------------------------------------------------------


def _change(diff: ItemDiff, finding: _Finding, call: _Call) -> Change:
    item = diff.item
    source = call.source
    name = finding.name or _name(diff, call)
    return Change(
        source_key=source.key, item_key=diff.key, category=finding.category,
        severity=severity_of(finding.category), title=f"{_shorten(name, 120)} — {source.title}",
        summary=_shorten(finding.summary, 300), url=item.url or source.url, diff=diff,
        evidence=tuple(_shorten(text) for text in finding.evidence[:_MAX_EVIDENCE] if text),
        old_date=finding.old_date, new_date=finding.new_date, event_key=finding.event_key)


def _page_removed(diffs: Sequence[ItemDiff], context: ClassifyContext) -> Change:
    source = context.source
    name = _page_name(context)
    first = diffs[0] if diffs else ItemDiff(
        kind=DiffKind.REMOVED, key=source.url, new=None,
        old=Item(key=source.url, title=name, url=source.url))
    text = "\n".join(diff.item.text for diff in diffs if diff.item.text)
    return Change(source_key=source.key, item_key=first.key, category=Category.PAGE_REMOVED,
                  severity=severity_of(Category.PAGE_REMOVED),
                  title=f"{_shorten(name, 120)} — {source.title}",
                  summary=f"Page removed: {name} ({source.url})", url=source.url, diff=first,
                  evidence=_lead(text))


def _merge(changes: list[Change], context: ClassifyContext) -> list[Change]:
    """One Change per real event: the same event seen in two diffs (an events page whose
    teaser and date sit under different headings) is merged, keeping the dates found."""
    merged: list[Change] = []
    for change in changes:
        twin = next((m for m in merged if _same_event(m, change, context)), None)
        if twin is None:
            merged.append(change)
            continue
        merged[merged.index(twin)] = _combine(twin, change)
    return merged


def _same_event(a: Change, b: Change, context: ClassifyContext) -> bool:
    if a.category is not b.category or not a.category.alertable:
        return False
    if a.event_key is not None and a.event_key == b.event_key and a.new_date == b.new_date:
        return True
    if context.document_kind is not DocumentKind.PAGE or a.category is Category.AMENDMENT:
        return False
    if a.diff.kind is DiffKind.ADDED and b.diff.kind is DiffKind.ADDED:
        return False  # two new entries are two events, dated or not
    return a.new_date is None or b.new_date is None or a.new_date == b.new_date


def _combine(kept: Change, other: Change) -> Change:
    """Prefer the added item's title (the teaser) and whichever date was found."""
    first, second = (other, kept) if (other.diff.kind is DiffKind.ADDED
                                      and kept.diff.kind is not DiffKind.ADDED) else (kept, other)
    day = first.new_date or second.new_date
    summary = first.summary
    if first.new_date is None and day is not None:
        summary = f"{summary} on {format_day(day)}"
    evidence = tuple(dict.fromkeys(first.evidence + second.evidence))[:_MAX_EVIDENCE]
    return replace(first, new_date=day, old_date=first.old_date or second.old_date,
                   summary=summary, evidence=evidence)


def _shorten(text: str, limit: int = _EXCERPT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- the structural classifier (fallback) ---------------------------------------------------


class StructuralClassifier:
    """Classifies by diff kind and document kind only; cannot fail on any text."""

    def classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        """One Change per diff."""
        return [self._classify_one(diff, context.source, context.document_kind)
                for diff in diffs]

    def _classify_one(self, diff: ItemDiff, source: Source, kind: DocumentKind) -> Change:
        category = _structural_category(diff, kind)
        item = diff.item
        return Change(
            source_key=source.key, item_key=diff.key, category=category,
            severity=severity_of(category), title=f"{item.title or diff.key} — {source.title}",
            summary=summarise(diff), url=item.url or source.url, diff=diff,
            evidence=evidence(diff))


def _structural_category(diff: ItemDiff, kind: DocumentKind) -> Category:
    if diff.kind is DiffKind.ADDED:
        return Category.PUBLICATION_ADDED
    if diff.kind is DiffKind.MODIFIED:
        return Category.AMENDMENT
    return Category.NOISE if kind is DocumentKind.FEED else Category.PAGE_REMOVED


def summarise(diff: ItemDiff) -> str:
    """A one-line, human summary of what the diff did."""
    name = diff.item.title or diff.key
    if diff.kind is DiffKind.ADDED:
        return f"New: {name}"
    if diff.kind is DiffKind.REMOVED:
        return f"Removed: {name}"
    parts = []
    if diff.blocks:
        parts.append(f"{len(diff.blocks)} paragraph(s) changed")
    if diff.fields:
        parts.append("fields changed: " + ", ".join(f.name for f in diff.fields))
    if diff.title_changed and diff.old is not None:
        parts.append(f"renamed from {diff.old.title!r}")
    return f"Changed: {name} ({'; '.join(parts)})"


def evidence(diff: ItemDiff) -> tuple[str, ...]:
    """The new (or, for a removal, the old) text of the changed blocks, shortened."""
    texts = [(block.new if block.new is not None else block.old) or "" for block in diff.blocks]
    texts += [f"{f.name}: {f.old} → {f.new}" for f in diff.fields]
    return tuple(_shorten(text) for text in texts[:5] if text)
