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

from monitor.types import Category, Severity


class Words:
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


_CONSULTATION = (
    r"(?:consultations?|call for (?:evidence|contributions?|input|comments|feedback|views"
    r"|expressions? of interest)|calls for (?:evidence|contributions|input)|surveys?"
    r"|questionnaires?|feedback (?:period|round)|have your say|consultation publique"
    r"|appel à (?:contributions|commentaires)|konsultation|befragung|consulta pública"
    r"|consultazione)"
)
CONSULTATION_WORD = Words(rf"\b{_CONSULTATION}\b")
CONSULTATION_TITLE = Words(
    rf"^(?:[\w’'-]+[:,]?\s+){{0,4}}{_CONSULTATION}\b"
    rf"|\b(?:launch\w*|open\w*|start\w*)\b.{{0,80}}\b{_CONSULTATION}\b"
    r"|\bfor (?:public )?consultation\b"
    r"|\binvites?\b.{0,80}\bto (?:submit|share|provide|give|send) (?:their |your )?"
    r"(?:views|feedback|comments|input|contributions)"
    r"|\b(?:seeks?|seeking|asks? for|welcomes?|invites?|inviting) (?:[\w’']+ ){0,3}"
    r"(?:feedback|views|input|comments|contributions)\b")
OUTCOME = Words(
    r"\b(?:report|results?|outcomes?|summary|synopsis|analysis|analyses|feedback statement"
    r"|contributions received|responses received|recordings?|presentations|minutes)\b")
EXTENDED = Words(
    r"\b(?:extended|extension|prolonged|prolongation|postponed|deferred|delayed|pushed back"
    r"|new deadline|re-?opened|verlängert|prolongée?s?|reportée?s?|prorrogad[oa]s?"
    r"|prorogat[oa])\b")
REPLACED = Words(r"\b(?:instead of|rather than|replacing|au lieu du?|statt|anstelle)"
                 r"(?: the| of)?\s*$")  # the date that follows is the old one
VERB_FROM = Words(r"^[\w-]+\s+(?:from|du|vom|von)\s*$")  # "postponed from <range>"
INSTEAD = Words(r"\b(?:instead of|rather than|replacing|au lieu du?|statt|anstelle)\b")
CLOSED = Words(
    r"\b(?:(?:is|are|was|has been|have been)\s+(?:now\s+)?closed|now closed|closed on"
    r"|has (?:now )?ended|is (?:now )?over|no longer (?:open|accept\w*|possible)"
    r"|(?:ran|was open|were open|took place|was held) (?:from|between)"
    r"|(?:submissions?|replies|responses)"
    r" (?:are|is) (?:now )?closed|closed for (?:feedback|comments|contributions|submissions)"
    r"|est (?:désormais |maintenant )?(?:close|clôturée?)|ist (?:nun |jetzt )?"
    r"(?:geschlossen|beendet))\b")
OPENED = Words(
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
PUBLISHED = Words(
    r"\b(?:publish(?:es|ed)|present(?:s|ed)|release[sd]|issue[sd]|adopt(?:s|ed)"
    r"|unveil(?:s|ed)|launch(?:es|ed)|a publié|hat veröffentlicht)\s+(?:[\w’'-]+\s+){0,6}?"
    rf"{_PUBLICATION_NOUN_TEXT}"
    rf"|\b{_PUBLICATION_NOUN_TEXT}\b[^.;]{{0,80}}?\b(?:is|are|was|were|has been|have been)"
    r"\s+(?:now\s+)?(?:published|released|made available|adopted|issued|available|online)\b"
    r"|\bnow available\b|\bcan (?:now )?be downloaded\b")
FUTURE = Words(
    r"\b(?:will|shall|would|to be|in due course|forthcoming|upcoming|planned|expected to"
    r"|aims? to|intends? to|plans? to|soon|later this)\b")
EVENT = Words(
    r"\b(?:webinars?|info(?:rmation)?[ -]sessions?|info[ -]days?|workshops?|conferences?"
    r"|seminars?|hearings?|plenary (?:sitting|session|meeting)s?(?: date)?|plenar(?:y|ies)"
    r"|stakeholder (?:event|meeting|dialogue)s?|round ?tables?|summits?|town halls?"
    r"|launch events?|livestreams?|kick-off|hackathons?|masterclass(?:es)?|vote in committee"
    r"|debate in plenary|webinaires?|ateliers?|veranstaltung(?:en)?|tagung)\b")
EVENT_WHEN = Words(r"\b(?:takes? place|will take place|(?:will be|is) held|join us|register"
                   r"\w*|registration)\b")
EVENT_PAST = Words(
    r"\b(?:took place|was held|were held|held on|met on|recordings?|replay|adopted|approved"
    r"|voted|endorsed|concluded|entered into)\b")
ACT_NAME = re.compile(
    r"\b(?:(?:Commission|Council) )?(?:Delegated |Implementing )?(?:Regulation|Directive"
    r"|Decision)\s*\((?:EU|EC|Euratom)\)\s*(?:No\s*)?\d{2,4}/\d+")
ACT_TITLE = Words(
    r"^(?:(?:Commission|Council) )?(?:Delegated |Implementing )?(?:Regulation|Directive"
    r"|Decision)\s*\((?:EU|EC|Euratom)\)\s*(?:No\s*)?\d{2,4}/\d+")
NOT_ACT = Words(r"\b(?:proposal|draft|initiative|roadmap|inception)\b")
ACT_PUBLISHED = Words(
    r"\b(?:published in the Official Journal|OJ L\b|enter(?:s|ed)? into force|entry into"
    r" force|(?:has been|was|were|is) adopted|final act (?:signed|published)|signed)\b")
ACT_EVENT = Words(
    r"\b(?:final act (?:signed|published)|published in (?:the )?Official Journal"
    r"|act adopted by council|signature of (?:the )?(?:final )?act)\b")
IN_FORCE = Words(r"\b(?:enters?|entered|comes?|came) into (?:force|application)\b")
# A title saying an act was adopted or signed (not a position, proposal or guidance).
ADOPTED_ACT = Words(
    r"\b(?:adopts?|adopted|signs?|signed|green light)\b.{0,60}\b(?:regulation|directive"
    r"|decision|delegated act|implementing act|law)\b")
NOT_ADOPTION = Words(r"\b(?:position|mandate|general approach|proposal|negotiating|opinion"
                     r"|statement|guidelines?|report|draft|recommendation)\b")
CONSOLIDATED = Words(r"^consolidated (?:text|version)\b")
# A title that reports what was adopted or published is a publication, not the event.
REPORTS = Words(r"\b(?:adopts?|publish(?:es)?|presents?|releases?|issues?|unveils?"
                r"|welcomes?)\b")
CORRIGENDUM = Words(
    r"\bcorrigend(?:um|a)\b|\bcorrected by\b|►C\d|\brectificatif\b|\bBerichtigung\b"
    r"|\b\d{5}[A-Z]{1,2}\d{4}R\(\d{2}\)")
CELEX = re.compile(r"(?<!\w)([0-9CE]\d{4}[A-Z]{1,2}\d{4}(?:R\(\d{2}\)|-\d{8})?)(?![\w(])")
OJ_REF = re.compile(r"\bOJ L\b[^|]{0,40}?(\d{1,2}\.\d{1,2}\.\d{4})")
DOWNLOAD = Words(
    r"\((?:PDF|DOCX?|XLSX?|ODT|ODS|PPTX?|ZIP|CSV|EPUB)\b[^)]{0,30}\)|\bdownload\b"
    r"|\.(?:pdf|docx?|xlsx?|odt|zip)\b|\b\d+(?:\.\d+)?\s?(?:KB|MB|kB)\b")
DOC_LINK = Words(r"\.(?:pdf|docx?|xlsx?|odt|ods|pptx?|zip|csv)(?:$|[?#])|/document/"
                       r"|/download|/library/|/files/")
CHROME = Words(
    r"\bsearch terms?\b|\bsearch tips?\b|\buse quotation marks\b|\b(?:we|this site|this"
    r" website) uses? cookies\b|\bcookie (?:settings|policy|consent|preferences|banner)\b"
    r"|\baccept (?:all )?cookies\b|\bprint this page\b|\bexport (?:to )?pdf\b|\bback to"
    r" (?:the )?(?:\S+ ){0,3}homepage\b|\bgo to top\b|\bback to top\b|\bshare this page\b"
    r"|\bskip to (?:main )?content\b|\bthis (?:document|page) is an excerpt\b|\bjavascript\b"
    r"|\bselect your language\b|\bfollow us on\b")
STAMP = Words(
    r"^(?:last (?:update[ds]?|modified|reviewed|changed)|page (?:last )?updated|updated(?: on)?"
    r"|date of last update|dernière mise à jour|mise à jour|zuletzt (?:aktualisiert|geändert)"
    r"|letzte aktualisierung|published on|publication date)\b")
CLOSING_CUE = Words(
    r"(?:\buntil\b|\btill\b|\bdeadline\b|\bclos(?:es|ing|e)\b|\bno later than\b|\bby\b"
    r"|\bbefore\b|\bextended to\b|\bup to\b|\bjusqu['’]\s?au\b|\bavant le\b|\bbis\b"
    r"|\bspätestens\b|\bfrist\b|\bdate limite\b|\bends?\b)[^.;|]{0,40}$")
APPLY_CUE = Words(
    r"(?:\bappl(?:y|ies|ied|icable)\b(?: \w+){0,3} (?:from|as of|as from|on)\b|\bshall apply"
    r"\b|\b(?:date of|entry into|entered into|enters? into) application\b|\bbecomes?"
    r" applicable\b|\bapplication date\b)[^.;|]{0,40}$")
# A date something is planned for: when it moves, the schedule moved ("the guidelines will be
# published on 10 June" → "on 18 July" is a postponement).
PLANNED_CUE = Words(
    r"(?:\bwill be (?:published|adopted|presented|released|launched|available|issued"
    r"|finali[sz]ed|submitted)\b|\b(?:is|are) (?:planned|scheduled|expected|foreseen|due)"
    r"\b|\bplanned for\b|\bscheduled for\b|\bforeseen for\b|\bexpected (?:on|in|by)\b"
    r"|\bdue (?:on|in|by)\b|\bsera publié|\bwird veröffentlicht)[^.;|]{0,40}$")
PERIOD = Words(r"\b(?:open|consultation|feedback|survey|submissions?|contributions?"
                     r"|call|registration|questionnaire)\b")
# A sentence ends at . ! ? before a capital, but not after a day number ("31. Oktober").
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)\s+(?=[A-Z“\"‘(\[])")
WORD = re.compile(r"[^\W_]+", re.UNICODE)
FAQ_HINT = Words(r"\bfaqs?\b|q&a|questions?[ -]and[ -]answers|frequently asked")
# A listing is the page at the section's own path (/en/news), not an article under it.
LISTING_PATH = Words(
    r"/(?:news|events?|library|consultations|publications?|press(?:corner)?|latest|calls"
    r"|documents|newsroom|calendar|whats-new|all-news)/?$")
# Sections that list other pages, not this page's content: their teasers come and go.
ELSEWHERE = Words(
    r"(?:^|> )(?:related (?:content|news|links|pages|topics|events|articles|projects)"
    r"|see also|more news|you may also (?:like|be interested)|discover more|read more"
    r"|in focus|top stories|other (?:news|topics))$")
TYPE_LINE = re.compile(r"^([A-Za-z][A-Za-z /&-]{2,40}?)\s*\|", re.MULTILINE)

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
    r"|name|url|link|href)$")
LEGAL_KINDS = frozenset({"article", "recital", "annex", "citation", "chapter", "section",
                         "title_part", "preamble", "final_part"})
DEADLINE_FIELDS = ("feedback_end", "deadline")
# Fields that make an added item an entry in its own right (an initiative, an act, a key
# event, a listed teaser), to be classified by what it is.
ENTRY_FIELDS = frozenset({"event", "event_date", "status", "celex", "act_type",
                          "initiative_id", "publication_id", "oj_date"})
OPEN, CLOSED_STATES = "OPEN", frozenset({"CLOSED", "DISABLED"})

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
