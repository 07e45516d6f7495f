"""The values that flow between lexwatch's stages, and the interfaces between them.

fetch ──► Fetched ──► parse ──► Document(items) ──► diff ──► ItemDiff ──► classify ──► Change

Everything here is a frozen, keyword-only dataclass or a Protocol; stored rows live in
``storage.models`` and never cross a stage boundary. Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal, Protocol
from urllib.parse import urlsplit


class Category(enum.StrEnum):
    """The fixed taxonomy of changes (shared with the evaluation set).

    Everything about a category (its label, description, default severity, whether and how
    it is alerted, its colour) is in ``CATEGORIES``, the one registry every consumer reads:
    the classifier, the notifiers, the dashboard, the API and webhook schemas, the
    evaluation and the README (tests/test_categories.py checks each covers every category).
    """

    CONSULTATION_OPENED = "consultation_opened"
    CONSULTATION_CLOSED = "consultation_closed"
    DEADLINE_EXTENDED = "deadline_extended"
    DEADLINE_CHANGED = "deadline_changed"
    PUBLICATION_ADDED = "publication_added"
    LEGAL_ACT = "legal_act"
    CORRIGENDUM = "corrigendum"
    AMENDMENT = "amendment"
    EVENT_ANNOUNCED = "event_announced"
    PAGE_REMOVED = "page_removed"
    UPDATE = "update"
    EDITORIAL = "editorial"
    NOISE = "noise"

    @property
    def info(self) -> CategoryInfo:
        return CATEGORIES[self]

    @property
    def label(self) -> str:
        """How people read it: in chat, e-mail and the dashboard alike."""
        return CATEGORIES[self].label

    @property
    def severity(self) -> Severity:
        """The severity the classifier gives a change of this category."""
        return CATEGORIES[self].severity

    @property
    def alertable(self) -> bool:
        """False for the categories that are stored for the record but never alerted."""
        return CATEGORIES[self].alertable

    @property
    def instant(self) -> bool:
        """Whether an instant subscription sends it: an unnamed update waits for a digest."""
        return CATEGORIES[self].instant

    @property
    def named(self) -> bool:
        """One of the ten categories of the shared taxonomy, the ones the evaluation scores."""
        return CATEGORIES[self].named


class Severity(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """3 for high, 2 for medium, 1 for low: compare severities with this."""
        return {"high": 3, "medium": 2, "low": 1}[self.value]


@dataclass(frozen=True, kw_only=True, slots=True)
class CategoryInfo:
    """One category in the registry (``CATEGORIES``)."""

    label: str  # the one wording, in chat, e-mail and the dashboard
    description: str  # what such a change is (the README's table)
    severity: Severity  # the default severity the classifier gives it
    colour: str  # the dashboard's badge and chart colour, #rrggbb
    alertable: bool = True  # False: stored for the record, never alerted
    instant: bool = True  # False: digests only, never an instant alert
    named: bool = True  # one of the ten categories the evaluation scores


_HIGH, _MEDIUM, _LOW = Severity.HIGH, Severity.MEDIUM, Severity.LOW
# To add a category: a member of Category, its entry here (in the order the README lists
# them), rules that find it (monitor.analysis.classify), and the README's table row.
CATEGORIES: Mapping[Category, CategoryInfo] = {
    Category.CONSULTATION_OPENED: CategoryInfo(
        label="Consultation opened",
        severity=_HIGH,
        colour="#1a7f37",
        description="a call for evidence or targeted consultation starts; a Have Your Say"
        " status turns OPEN",
    ),
    Category.CONSULTATION_CLOSED: CategoryInfo(
        label="Consultation closed",
        severity=_HIGH,
        colour="#6e7781",
        description="a feedback period ends; the page says the consultation is closed",
    ),
    Category.DEADLINE_EXTENDED: CategoryInfo(
        label="Deadline extended",
        severity=_HIGH,
        colour="#bf5700",
        description="a closing or application date moves later (old → new date)",
    ),
    Category.DEADLINE_CHANGED: CategoryInfo(
        label="Deadline changed",
        severity=_HIGH,
        colour="#9a3412",
        description="a date moves earlier or otherwise changes",
    ),
    Category.PUBLICATION_ADDED: CategoryInfo(
        label="New publication",
        severity=_MEDIUM,
        colour="#0b57d0",
        description="new guidelines, FAQ entry, report, template, code-of-practice draft, download",
    ),
    Category.LEGAL_ACT: CategoryInfo(
        label="Legal act",
        severity=_HIGH,
        colour="#6639ba",
        description="a regulation, delegated or implementing act reaches the Official Journal",
    ),
    Category.CORRIGENDUM: CategoryInfo(
        label="Corrigendum",
        severity=_HIGH,
        colour="#b42318",
        description='"Corrigendum to …", EUR-Lex "Corrected by"',
    ),
    Category.AMENDMENT: CategoryInfo(
        label="Amendment",
        severity=_MEDIUM,
        colour="#0e7490",
        description="the text of a document or an article changes in substance",
    ),
    Category.EVENT_ANNOUNCED: CategoryInfo(
        label="Event announced",
        severity=_MEDIUM,
        colour="#a21caf",
        description="a webinar, workshop, info session or plenary sitting is announced",
    ),
    Category.PAGE_REMOVED: CategoryInfo(
        label="Page removed",
        severity=_LOW,
        colour="#3f3f46",
        description="the document is gone (404/410 twice in a row)",
    ),
    # A substantive edit that no rule can name (not an amendment of normative text, not an
    # event): shown in the timeline and digests, never sent as an instant alert.
    Category.UPDATE: CategoryInfo(
        label="Other update",
        severity=_LOW,
        colour="#57606a",
        instant=False,
        named=False,
        description="a substantive edit no rule can name (a list of links or labels rewritten)",
    ),
    Category.EDITORIAL: CategoryInfo(
        label="Editorial change",
        severity=_LOW,
        colour="#8c959f",
        alertable=False,
        instant=False,
        named=False,
        description="small wording, typos, punctuation, a title tweak",
    ),
    Category.NOISE: CategoryInfo(
        label="Noise",
        severity=_LOW,
        colour="#afb8c1",
        alertable=False,
        instant=False,
        named=False,
        description='"last updated" stamps, counters, reordered menus, tracking code, a feed'
        " entry no longer listed",
    ),
}


class DocumentKind(enum.StrEnum):
    """What a document's items are: sections of one page, or entries of a feed or listing."""

    PAGE = "page"
    FEED = "feed"
    LISTING = "listing"


class DiffKind(enum.StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    REMOVED = "removed"


class CheckOutcome(enum.StrEnum):
    """How one check of one source ended. Only FAILED is a problem; the rest are normal."""

    BASELINE = "baseline"  # first successful check: stored, nothing alerted
    NOT_MODIFIED = "not_modified"  # HTTP 304
    UNCHANGED = "unchanged"  # fetched, same normalised content
    CHANGED = "changed"
    FAILED = "failed"
    # Another check of the source (another process) was stored first, from the same state:
    # this one stored nothing but its own row, so nothing is stored or alerted twice.
    SKIPPED = "skipped"


@dataclass(frozen=True, kw_only=True, slots=True)
class Fetched:
    """One HTTP answer. A 304 is ``not_modified=True`` with empty content, never an error."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    elapsed: float
    not_modified: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Item:
    """One thing inside a source, with a key that stays stable across fetches.

    ``text`` is already normalised; ``fields`` holds structured facts (status, stage,
    published, feedback_end, ...) as strings, dates in ISO 8601.
    """

    key: str
    title: str
    url: str | None = None
    text: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Document:
    """What a parser makes of one fetch: its items, in the publisher's order."""

    kind: DocumentKind
    items: tuple[Item, ...]
    title: str = ""
    language: str = ""  # the ISO 639-1 code the document declares, "" when it declares none


@dataclass(frozen=True, kw_only=True, slots=True)
class TextOp:
    """A run of words that is the same in both versions, or only in the old or the new one."""

    op: Literal["equal", "insert", "delete"]
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BlockChange:
    """One changed text block (paragraph): old and new text, and their word-level diff."""

    old: str | None
    new: str | None
    ops: tuple[TextOp, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldChange:
    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemDiff:
    """How one item differs between two documents."""

    kind: DiffKind
    key: str
    old: Item | None
    new: Item | None
    fields: tuple[FieldChange, ...] = ()
    blocks: tuple[BlockChange, ...] = ()
    title_changed: bool = False

    @property
    def item(self) -> Item:
        """The newest version of the item (the old one when it was removed)."""
        found = self.new or self.old
        assert found is not None, "an ItemDiff always has at least one side"
        return found

    def inserted_text(self) -> str:
        """All words that the new version adds, joined by spaces."""
        return " ".join(op.text for b in self.blocks for op in b.ops if op.op == "insert")

    def deleted_text(self) -> str:
        """All words that the new version removes, joined by spaces."""
        return " ".join(op.text for b in self.blocks for op in b.ops if op.op == "delete")


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    """The classified, user-facing event that one ItemDiff (or part of it) means."""

    source_key: str
    item_key: str
    category: Category
    severity: Severity
    title: str
    summary: str
    url: str | None
    diff: ItemDiff
    evidence: tuple[str, ...] = ()
    old_date: date | None = None
    new_date: date | None = None
    # Identifies the real-world event across sources (e.g. "hys:14284", "celex:32024R1689R(01)",
    # "consultation:<slug>"), so the same event seen twice can be linked, not repeated.
    event_key: str | None = None
    rule: str = ""  # the classifier rule that named it (shown by `lexwatch eval --explain`)


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceOptions:
    """Per-source parsing options; every field is optional.

    ``keep``/``drop`` are CSS selectors; ``ignore`` are regular expressions whose matches
    are removed from the text before diffing; ``items_path``/``key_field``/``title_field``/
    ``url_field`` tell the JSON parser where the items are; ``sections`` is a CSS selector
    whose elements become items of a page (instead of sections by heading); ``keywords``
    keeps only the feed entries whose title, summary or categories contain one of them
    (case-insensitive); ``max_pages`` bounds how many pages of a paginated API are followed;
    ``ignore_fields`` are item fields never compared (counters, view numbers).
    """

    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    sections: str | None = None
    items_path: str | None = None
    key_field: str | None = None
    title_field: str | None = None
    url_field: str | None = None
    language: str | None = None  # None: the language the document declares
    keywords: tuple[str, ...] = ()
    max_pages: int = 5
    ignore_fields: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentFollowing:
    """``follow_documents``: the PDF and Word files a page links to, each watched as a source
    of its own (``<page key>/doc/<hash of its URL>``, parser ``document``).

    At most ``max_documents`` links, in the page's order, of at most ``max_bytes`` each (None:
    ``http.max_body_mb``); with ``patterns``, only links whose text or URL one of these
    regular expressions finds (case-insensitive).
    """

    max_documents: int = 10
    max_bytes: int | None = None
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Source:
    """A watched URL and how to read it."""

    key: str
    title: str
    url: str
    parser: str
    interval: int  # seconds between checks
    tags: tuple[str, ...] = ()
    options: SourceOptions = field(default_factory=SourceOptions)
    official: bool = True
    enabled: bool = True
    # How long the source may stay without any change before lexwatch flags it as silent
    # (seconds; None: never). A feed that stops updating is as broken as one that errors.
    expected_change: int | None = None
    documents: DocumentFollowing | None = None  # follow the documents the page links to
    # Fetched, then rendered in headless Chromium: the parsers read the DOM after its
    # scripts ran (sources.fetch.render).
    render: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class ParseContext:
    """What a parser may know besides the bytes: where they came from and the options."""

    url: str
    content_type: str = ""
    options: SourceOptions = field(default_factory=SourceOptions)


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceState:
    """What the last checks of a source left behind: validators, hashes, the snapshot."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None  # SHA-256 of the last good raw body
    parse_fingerprint: str | None = None  # parser + options the snapshot was made with
    snapshot_id: int | None = None
    snapshot_hash: str | None = None  # content hash of that snapshot's document
    snapshot_blob: str | None = None  # the raw body that snapshot was parsed from
    failure_streak: int = 0
    last_error: str | None = None
    # Bumped by every stored check: a check is stored only if it is still what it read.
    version: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class NewSnapshot:
    """A document to store, already encoded (canonical JSON) and hashed."""

    encoded: bytes
    content_hash: str
    item_count: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Deadline:
    """A date someone can act on, found in a document: a consultation's closing time, the
    date a provision applies from. ``due`` is timezone-aware (Brussels midnight when the
    text gives a day only)."""

    source_key: str
    item_key: str
    label: str
    due: datetime
    kind: Literal["consultation", "application", "event", "other"] = "other"
    url: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckRecord:
    """Everything one check writes, in one transaction."""

    source_key: str
    started_at: datetime
    duration_ms: int
    outcome: CheckOutcome
    http_status: int | None = None
    size: int = 0
    final_url: str | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    raw: bytes | None = None
    content_type: str = ""
    content_hash: str | None = None
    parse_fingerprint: str | None = None
    snapshot: NewSnapshot | None = None
    changes: tuple[Change, ...] = ()
    # The deadlines the document states now; None when it was not read (304, fast path).
    deadlines: tuple[Deadline, ...] | None = None
    # The items those deadlines were read from; None: the whole document. Deadlines of the
    # other items stay as stored (they did not change).
    deadline_items: frozenset[str] | None = None
    # The source's version (``SourceState.version``) this check started from. It is stored
    # only if that is still the source's version; else it is recorded as SKIPPED. None:
    # store it whatever was stored meanwhile (seed data, imports; never a check).
    base_version: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ClassifyContext:
    """What a classifier may know besides the diffs.

    ``new_document``: the whole document is new (it appeared since the last look), so its
    items are the publication itself, not sections added to a known page. ``gone``: the
    document disappeared (404/410 confirmed); ``diffs`` then lists its items as removed.
    """

    source: Source
    document_kind: DocumentKind
    document_title: str = ""
    new_document: bool = False
    gone: bool = False
    language: str = ""  # what the document declares; the source's option wins
    fetched_on: date | None = None  # gives a year to "closes on 12 March"
    # Text blocks that other pages of the same site also show: its template (navigation,
    # footers, share widgets), where a change is never news.
    site_blocks: frozenset[str] = frozenset()
    # A document that appeared on a page as the new version of another one the page links
    # to: that one's title and URL ("Second draft ...", its link), said with the new one.
    replaces: tuple[str, str] | None = None


class Pager(Protocol):
    """For paginated APIs: the URL of the page after this one, or None on the last page."""

    def __call__(self, content: bytes, url: str, options: SourceOptions) -> str | None: ...


class Parser(Protocol):
    """Turns the bytes of one fetch into a Document. Pure: no I/O, no clock, no state."""

    def __call__(self, content: bytes, context: ParseContext) -> Document:
        """Return the document's items; raise ``ParseError`` when the bytes cannot be read."""
        ...


class Classifier(Protocol):
    """Says what item diffs mean for a user."""

    def classify(self, diffs: Sequence[ItemDiff], context: ClassifyContext) -> list[Change]:
        """Return the Changes the diffs mean (``editorial``/``noise`` ones included).

        One diff may give several Changes (a consultation closed and its report published);
        it never raises on any text.
        """
        ...


# ---- Alerts: what the outbox hands to a notifier ------------------------------------------


class Channel(enum.StrEnum):
    """Where a subscription's alerts go."""

    SLACK = "slack"  # chat.postMessage with a bot token (LEXWATCH_SLACK_TOKEN)
    SLACK_WEBHOOK = "slack_webhook"  # a Slack incoming webhook URL
    EMAIL = "email"  # SMTP to the subscription's recipients
    WEBHOOK = "webhook"  # JSON POST, signed with HMAC-SHA256
    APPRISE = "apprise"  # any Apprise URL: Teams, Discord, Telegram, ntfy, ...


class DeliveryMode(enum.StrEnum):
    INSTANT = "instant"  # sent by the dispatcher as soon as the change is stored
    DIGEST = "digest"  # collected and sent once per period by the digest job


class AlertKind(enum.StrEnum):
    CHANGE = "change"
    SOURCE_DOWN = "source_down"  # N failed checks in a row
    SOURCE_RECOVERED = "source_recovered"  # the first success after a SOURCE_DOWN
    TEST = "test"  # `lexwatch notify test`


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at (instant) or at the next digest (digest)
    SENT = "sent"
    DEAD = "dead"  # gave up after the configured attempts; `lexwatch deliveries retry`
    SKIPPED = "skipped"  # the change was marked noise or its item muted before it was sent


@dataclass(frozen=True, kw_only=True, slots=True)
class Subscription:
    """Who gets which alerts, how and when (one ``[[subscriptions]]`` table).

    ``target`` is the Slack channel (id or #name) for SLACK, the URL for SLACK_WEBHOOK, WEBHOOK
    and APPRISE (read from the environment variable ``target_env`` when that is set, since such
    URLs are secrets), unused for EMAIL (``recipients``). Empty filters match everything.
    """

    name: str
    channel: Channel
    target: str = ""
    recipients: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    min_severity: Severity = Severity.LOW
    severities: tuple[Severity, ...] = ()  # a user's own digest picks severities one by one
    mode: DeliveryMode = DeliveryMode.INSTANT
    digest_time: time = time(8, 0)
    timezone: str = "Europe/Brussels"
    health: bool = False  # also send source-down / source-recovered alerts
    send_empty: bool = False  # send a digest even when there is nothing to say
    secret: str | None = None  # webhook HMAC key, resolved from the environment (secret_env)

    def wants(self, change: Change, source_tags: Sequence[str]) -> bool:
        """Whether a change passes this subscription's filters (noise/editorial never do)."""
        return (
            change.category.alertable
            and (self.mode is DeliveryMode.DIGEST or change.category.instant)
            and (not self.sources or change.source_key in self.sources)
            and (not self.tags or bool(set(self.tags) & set(source_tags)))
            and (not self.categories or change.category in self.categories)
            and change.severity.rank >= self.min_severity.rank
            and (not self.severities or change.severity in self.severities)
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertSource:
    key: str
    title: str
    url: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertChange:
    """A stored Change as a notifier sees it (all text is scraped, hence untrusted)."""

    id: int
    source_key: str
    item_key: str
    category: Category
    severity: Severity
    title: str
    summary: str
    url: str | None
    evidence: tuple[str, ...]
    excerpt: tuple[TextOp, ...]  # a short word-diff excerpt, context trimmed
    detected_at: datetime
    old_date: date | None = None
    new_date: date | None = None
    related_to: int | None = None
    event_id: int | None = None  # the event it reports


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertEvent:
    """The event a change alert reports: one happening, however many sources told it."""

    id: int
    title: str
    category: Category
    severity: Severity
    summary: str
    sources: tuple[str, ...]  # the titles of the sources that reported it, first first
    change_count: int
    old_date: date | None = None
    new_date: date | None = None
    # Slack: the ts and channel id of the event's first message, which a later change of the
    # event replies to (in its thread) and updates (chat.update).
    parent_ts: str | None = None
    parent_channel: str | None = None


# The ``detail`` of a change alert that only updates its event's first Slack message
# (chat.update: "seen on 3 sources"), instead of posting: another source told the same.
EVENT_UPDATE = "event update"


@dataclass(frozen=True, kw_only=True, slots=True)
class Alert:
    """One delivery to send: a change, a source health event, or a test."""

    delivery_id: int
    kind: AlertKind
    subscription: str
    source: AlertSource
    created_at: datetime
    change: AlertChange | None = None
    detail: str = ""  # health alerts: the last error and the failure streak
    dashboard_url: str | None = None  # base URL of the dashboard, for links
    thread_ts: str | None = None  # Slack: the first alert about the same item, to reply to
    event: AlertEvent | None = None  # the event of a change alert


@dataclass(frozen=True, kw_only=True, slots=True)
class Receipt:
    """What a channel answered: its id for the message (Slack ts, SMTP Message-ID, ...)."""

    remote_id: str | None = None
    # Slack: the id of the channel it was posted to (chat.update takes an id, not a #name).
    remote_channel: str | None = None


class Sender(Protocol):
    """Sends one alert; raises monitor.errors.NotifyError (with retry_after) on failure."""

    async def send(self, alert: Alert) -> Receipt: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class DigestDeadline:
    source_key: str
    label: str
    due: datetime
    url: str | None
    kind: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Digest:
    """One digest e-mail's content: the changes of a period and the deadlines due soon."""

    subscription: str
    period_start: datetime
    period_end: datetime
    timezone: str
    changes: tuple[AlertChange, ...]
    sources: Mapping[str, AlertSource]
    deadlines: tuple[DigestDeadline, ...]
    dashboard_url: str | None = None
    health: tuple[Alert, ...] = ()  # source-down/recovered events of the period
    # The events of ``changes`` (each change is the latest of its event), by id.
    events: Mapping[int, AlertEvent] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceProcess:
    """A running service process, as its heartbeat names it (see monitor.service.heartbeat)."""

    id: str
    role: str  # "run" or "scheduler"
    checks: bool  # whether it schedules source checks (not `lexwatch run --no-checks`)
    host: str
    pid: int
    started_at: datetime


# -- links to scraped documents ---------------------------------------------------------------

# Whitespace, C0/C1 controls, line separators and bidi overrides: none belongs in a link.
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def web_url(url: str | None) -> str | None:
    """``url`` (without surrounding whitespace) when it is an absolute http(s) URL with a host;
    None for anything else: ``javascript:``, ``data:``, relative, or with control characters.

    The one rule for a scraped link that reaches a reader: storage applies it to every stored
    document URL (``storage.types.WebUrl``), and the dashboard and the notifiers use it before
    they make a link, so no surface can turn a scraped ``javascript:`` URL into something to
    click.
    """
    text = (url or "").strip()
    if not text or _NOT_IN_URL.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. "http://[bad"
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.hostname else None
