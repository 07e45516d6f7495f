"""Every setting, described once: the commented ``lexwatch.toml`` and the README's reference.

``settings_fields()`` walks the Settings models (so a field added to any section shows up
without touching this module); ``MEANINGS`` says what each one does. ``render_template()`` is
what ``lexwatch init`` writes; ``reference_markdown()`` is the README's "Configuration
reference" (``lexwatch config reference`` prints it).
"""

from __future__ import annotations

import enum
import json
import textwrap
import types
import typing
from dataclasses import dataclass
from datetime import time
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from monitor import __version__
from monitor.config import Settings
from monitor.errors import ConfigError

ENV_PREFIX = str(Settings.model_config.get("env_prefix", ""))
ENV_DELIMITER = str(Settings.model_config.get("env_nested_delimiter", "__"))
# Words that mark a setting as holding a secret, besides a SecretStr type.
SECRET_WORDS = ("token", "password", "secret", "users")
# Settings given in seconds that also accept "30m", "6h", "1d" ...
DURATIONS = frozenset({"default_interval", "sources.*.interval", "sources.*.expected_change"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Setting:
    """One configurable value. ``path`` uses ``*`` for a source key or subscription."""

    path: str  # "http.contact", "sources.*.url", "subscriptions.*.name"
    section: str  # "", "http", "sources.*", "subscriptions.*"
    name: str
    default: Any  # PydanticUndefined when the setting is required
    secret: bool
    env: str | None  # the environment variable, None when there is no single one
    meaning: str

    @property
    def key(self) -> str:
        """The key as users write it: ``sources.<key>.url``, ``subscriptions[].name``."""
        return self.path.replace("sources.*", "sources.<key>").replace(
            "subscriptions.*", "subscriptions[]"
        )

    @property
    def required(self) -> bool:
        return self.default is PydanticUndefined


def settings_fields() -> list[Setting]:
    """Every setting of every section, top-level ones first, in declaration order."""
    top: list[Setting] = []
    nested: list[Setting] = []
    for name, info in Settings.model_fields.items():
        model, section = _nested(name, info.annotation)
        if model is None:
            top.append(_setting("", name, info))
        else:
            nested.extend(
                _setting(section, field, sub) for field, sub in model.model_fields.items()
            )
    return top + nested


def _nested(name: str, annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model of a section (``[http]``, ``[sources.KEY]``, ``[[subscriptions]]``)."""
    if _is_model(annotation):
        return annotation, name
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is dict and len(args) == 2 and _is_model(args[1]):
        return args[1], f"{name}.*"
    if origin is list and args and _is_model(args[0]):
        return args[0], f"{name}.*"
    return None, ""


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _setting(section: str, name: str, info: FieldInfo) -> Setting:
    path = f"{section}.{name}" if section else name
    return Setting(
        path=path,
        section=section,
        name=name,
        default=_default(info),
        secret=_is_secret(name, info.annotation),
        env=_env(section, name),
        meaning=MEANINGS.get(path) or info.description or "",
    )


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return info.default


def _is_secret(name: str, annotation: Any) -> bool:
    if name.endswith("_env"):  # the name of a variable, not its value
        return False
    return SecretStr in _flatten(annotation) or any(word in name for word in SECRET_WORDS)


def _flatten(annotation: Any) -> set[Any]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return set(typing.get_args(annotation))
    return {annotation}


def _env(section: str, name: str) -> str | None:
    if section.startswith("subscriptions"):
        return None  # a list: only as a whole, LEXWATCH_SUBSCRIPTIONS='[{...}]'
    parts = [part if part != "*" else "<KEY>" for part in section.split(".") if part] + [name]
    return ENV_PREFIX + ENV_DELIMITER.join(part.upper() for part in parts)


# -- values as TOML ---------------------------------------------------------------------------


def toml_value(value: Any, path: str = "") -> str:
    """``value`` as a TOML literal (durations as "6h" where the setting accepts one)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if path in DURATIONS and isinstance(value, int):
        return json.dumps(duration_text(value))
    if isinstance(value, enum.Enum):
        return json.dumps(str(value.value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, str | PurePath):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"no TOML form for {value!r}")


def duration_text(seconds: int) -> str:
    """21600 -> "6h": the largest unit that divides the value."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# -- lexwatch init --------------------------------------------------------------------------

_HEADER = f"""\
# lexwatch configuration, written by `lexwatch init` (lexwatch {__version__}).
#
# Every setting is listed below, commented out, with its default: nothing here changes
# lexwatch's behaviour until you remove the "# " in front of a line and edit the value.
# Environment variables override this file: {ENV_PREFIX}<KEY>, with "{ENV_DELIMITER}" between a
# section and its key ({ENV_PREFIX}HTTP{ENV_DELIMITER}CONTACT=mailto:you@example.org).
# Secrets (tokens, passwords, webhook URLs) never go in this file: the lines marked
# "secret" name the environment variable to set instead.
# Durations accept seconds or "90s", "30m", "6h", "1d", "2w".
# Check the result with `lexwatch config check`.
"""

_SECTION_INTRO = {
    "sources.*": (
        "Sources. The built-in catalog of EU sources is watched unless builtin_catalog =\n"
        "false; `lexwatch sources` lists their keys. A [sources.KEY] table with the key of a\n"
        "built-in source changes it (e.g. enabled = false, or a shorter interval); any other\n"
        "key adds your own source, which needs at least url and parser."
    ),
    "subscriptions.*": (
        "Subscriptions: who is alerted, on which channel, about what, and when. One\n"
        "[[subscriptions]] table each; without any, changes are only stored and shown on the\n"
        "dashboard."
    ),
}


def render_template() -> str:
    """The commented ``lexwatch.toml`` that ``lexwatch init`` writes."""
    settings = settings_fields()
    blocks = [_HEADER.rstrip("\n")]
    blocks += [_entry(s) for s in settings if not s.section]
    for section in dict.fromkeys(s.section for s in settings if s.section):
        members = [s for s in settings if s.section == section]
        blocks.append(_section(section, members))
    return "\n".join(blocks) + "\n"


def _section(section: str, members: list[Setting]) -> str:
    if section in _SECTION_INTRO or "*" in section:
        return _example_section(section, members)
    lines = ["", f"[{section}]"] + [_entry(s) for s in members]
    return "\n".join(lines)


def _example_section(section: str, members: list[Setting]) -> str:
    """Sources and subscriptions: a commented example table (a real one needs real values)."""
    intro = _SECTION_INTRO.get(section, f"[{section}] tables.")
    header = (
        f"# [[{section.removesuffix('.*')}]]"
        if section.startswith("subscriptions")
        else f"# [{section.replace('*', EXAMPLE_KEY)}]"
    )
    lines = ["", _comment(intro), "", header] + [_entry(s, example=True) for s in members]
    if section == "sources.*":
        lines += [
            "",
            "# Switch a built-in source off:",
            "# [sources.edpb-news]",
            "# enabled = false",
        ]
    return "\n".join(lines)


def _entry(setting: Setting, *, example: bool = False) -> str:
    meaning = setting.meaning or "(undocumented)"
    if setting.secret:
        where = (
            f"set {setting.env} in the environment"
            if setting.env
            else ("set it in the environment")
        )
        return "\n" + _comment(f"{meaning} Secret: {where}, never in this file.")
    value = _shown_value(setting, example=example)
    return (
        "\n" + _comment(meaning + _default_note(setting, value)) + (f"\n# {setting.name} = {value}")
    )


def _default_note(setting: Setting, shown: str) -> str:
    if setting.required:
        return " Required."
    if setting.default is None:
        said = setting.meaning.lower()
        return "" if "default" in said or "not set" in said else " Not set by default."
    default = toml_value(setting.default, setting.path)
    return "" if default == shown else f" Default: {default}."


def _shown_value(setting: Setting, *, example: bool) -> str:
    if setting.path in EXAMPLES and (example or setting.default is None or setting.required):
        return EXAMPLES[setting.path]
    return toml_value(setting.default, setting.path)


def _comment(text: str, width: int = 96) -> str:
    return "\n".join(
        textwrap.wrap(
            text,
            width,
            initial_indent="# ",
            subsequent_indent="# ",
            break_on_hyphens=False,
            break_long_words=False,
        )
        if "\n" not in text
        else [f"# {line}" for line in text.splitlines()]
    )


def write_template(path: Path, *, force: bool = False) -> None:
    """Write the commented template to ``path``; an existing file only with ``force``."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; use --force to overwrite it")
    if path.is_dir():
        raise ConfigError(f"{path} is a directory; name the file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_template(), encoding="utf-8")


# -- the README's configuration reference -----------------------------------------------------

_REFERENCE_INTRO = f"""\
## Configuration reference

lexwatch reads one TOML file (`--config FILE`, else `$LEXWATCH_CONFIG`, else `./lexwatch.toml`
when it exists) and then the environment, which wins: every key below can be set as
`{ENV_PREFIX}<SECTION>{ENV_DELIMITER}<KEY>`. Secrets (marked *secret*) are only ever read from
the environment. Durations accept seconds or `"90s"`, `"30m"`, `"6h"`, `"1d"`, `"2w"`.
`lexwatch init` writes all of this as a commented `lexwatch.toml`; `lexwatch config check`
validates a configuration and prints the effective settings with secrets masked.
"""


def reference_markdown() -> str:
    """The "Configuration reference" section of the README: one table per section."""
    settings = settings_fields()
    parts = [_REFERENCE_INTRO]
    for section in dict.fromkeys(s.section for s in settings):
        parts.append(_reference_table(section, [s for s in settings if s.section == section]))
    return "\n".join(parts)


def _reference_table(section: str, members: list[Setting]) -> str:
    title = {
        "": "Top level",
        "sources.*": "`[sources.<key>]`",
        "subscriptions.*": "`[[subscriptions]]`",
    }.get(section, f"`[{section}]`")
    rows = [f"### {title}", ""]
    if section in _SECTION_INTRO:
        rows += [_SECTION_INTRO[section].replace("\n", " "), ""]
    rows += ["| Key | Default | Environment variable | Meaning |", "|---|---|---|---|"]
    rows += [_reference_row(s) for s in members]
    return "\n".join(rows) + "\n"


def _reference_row(setting: Setting) -> str:
    if setting.secret:
        default = "*secret*: environment only"
    elif setting.required:
        default = "required"
    elif setting.default is None:
        default = "not set"
    else:
        default = f"`{toml_value(setting.default, setting.path)}`"
    env = f"`{setting.env}`" if setting.env else "`LEXWATCH_SUBSCRIPTIONS` (JSON list)"
    meaning = setting.meaning.replace("|", "\\|")
    return f"| `{setting.key}` | {default} | {env} | {meaning} |"


# -- what each setting means ------------------------------------------------------------------

EXAMPLE_KEY = "my-ai-guidance"

EXAMPLES: dict[str, str] = {
    "http.contact": '"mailto:compliance-team@example.org"',
    "replay.dir": '"recordings"',
    "render.chromium": '"/usr/bin/chromium"',
    "smtp.username": '"lexwatch@example.org"',
    "alerts.dashboard_url": '"https://lexwatch.example.org"',
    "dashboard.trusted_proxies": '["127.0.0.1"]',
    "dashboard.roles": '{ "alice" = "admin", "bob" = "editor" }',
    "dashboard.default_role": '"viewer"',
    "sources.*.url": '"https://example.org/ai/guidance"',
    "sources.*.title": '"Our national AI authority: guidance"',
    "sources.*.parser": '"html"',
    "sources.*.interval": '"12h"',
    "sources.*.tags": '["ai-act", "national"]',
    "sources.*.official": "true",
    "sources.*.enabled": "true",
    "sources.*.keep": '["main"]',
    "sources.*.drop": '[".sidebar", ".share-links"]',
    "sources.*.ignore": "['Page last reviewed: .*', '\\d+ views']",
    "sources.*.sections": '"article.guidance"',
    "sources.*.items_path": '"result.items"',
    "sources.*.key_field": '"id"',
    "sources.*.title_field": '"title"',
    "sources.*.url_field": '"url"',
    "sources.*.language": '"en"',
    "sources.*.keywords": '["artificial intelligence", "AI Act"]',
    "sources.*.ignore_fields": '["pageViews", "totalFeedback"]',
    "sources.*.max_pages": "5",
    "sources.*.expected_change": '"90d"',
    "sources.*.follow_documents": "true",
    "sources.*.max_documents": "10",
    "sources.*.max_document_mb": "10",
    "sources.*.document_filter": '["draft", "guidelines", "[.]pdf$"]',
    "sources.*.render": "false",
    "subscriptions.*.name": '"ai-team-slack"',
    "subscriptions.*.channel": '"slack"',
    "subscriptions.*.target": '"#ai-regulation"',
    "subscriptions.*.target_env": '"LEXWATCH_TEAM_WEBHOOK_URL"',
    "subscriptions.*.recipients": '["policy@example.org"]',
    "subscriptions.*.sources": '["ds-rss", "hys-ai"]',
    "subscriptions.*.tags": '["ai-act"]',
    "subscriptions.*.categories": '["consultation_opened", "deadline_extended", "legal_act"]',
    "subscriptions.*.min_severity": '"medium"',
    "subscriptions.*.mode": '"instant"',
    "subscriptions.*.digest_time": "08:00:00",
    "subscriptions.*.timezone": '"Europe/Brussels"',
    "subscriptions.*.health": "false",
    "subscriptions.*.send_empty": "false",
    "subscriptions.*.secret_env": '"LEXWATCH_WEBHOOK_SECRET"',
}

MEANINGS: dict[str, str] = {
    # top level
    "database_url": "Where lexwatch stores everything: a SQLite file (relative to the working"
    " directory) or postgresql://user@host:5432/db for production. Put a password"
    " only in the environment variable, not in this file.",
    "default_interval": "How often your own sources that set no interval are checked.",
    "builtin_catalog": "Watch the built-in catalog of EU AI-regulation sources; false watches"
    " only the [sources.KEY] tables you define.",
    "log_level": "Logging threshold of the service: DEBUG, INFO, WARNING or ERROR.",
    "log_format": 'Log lines as human-readable "text" or one JSON object per line ("json").',
    # [http]
    "http.contact": "An e-mail address or URL put in the User-Agent, so that the EU webmasters"
    " can reach you if lexwatch misbehaves. Please set it.",
    "http.connect_timeout": "Seconds to wait for a connection to a source's server.",
    "http.read_timeout": "Seconds to wait for data from a source's server (some EU portals are"
    " slow).",
    "http.total_timeout": "Seconds for one whole request, body included: ends answers that"
    " trickle forever.",
    "http.max_redirects": "Most redirects followed for one request (0-30); a longer chain or a"
    " loop is a failed check.",
    "http.allow_private_addresses": "Allow sources on loopback, private, link-local and cloud"
    " metadata addresses (refused by default, also after"
    " redirects and DNS resolution, against request forgery).",
    "http.allowed_hosts": "Hosts allowed despite resolving to such addresses: names,"
    ' "*.example.org", addresses or CIDRs such as "10.0.0.0/8".',
    "http.max_body_mb": "Largest answer accepted, in MB; a larger one is a failed check, never a"
    " truncated snapshot.",
    "http.retries": "Retries after a timeout, a connection error or a 5xx answer.",
    "http.backoff_base": "Seconds before the first retry; doubled for each further one, with"
    " jitter.",
    "http.backoff_max": "Longest wait between two retries, in seconds.",
    "http.max_retry_after": "Longest Retry-After (429/503) honoured, in seconds; a server asking"
    " for more is a failed check, tried again next interval.",
    "http.per_host_concurrency": "Requests in flight to one host at a time, in each process.",
    "http.per_host_spacing": "Seconds between the starts of two requests to one host (on"
    " PostgreSQL, across all processes).",
    "http.global_concurrency": "Requests in flight in total, in each process.",
    "http.respect_robots": "Honour robots.txt for lexwatch's User-Agent.",
    # [replay]
    "replay.dir": "Check against the documents recorded by `lexwatch record` in this directory"
    " instead of the network (same as --replay DIR).",
    # [sources.KEY]
    "sources.*.url": "The URL to watch (required for a new source).",
    "sources.*.title": "Name shown in alerts and on the dashboard (default: the key).",
    "sources.*.parser": "How to read the answer (required for a new source): html, feed, json,"
    " text, document (PDF, DOCX, ODT), or a site parser (ds_page,"
    " eurlex_act, eurlex_docinfo, eurlex_feed, formex, hys_initiative,"
    " hys_search, oeil_procedure).",
    "sources.*.interval": "Time between two checks of this source (default: default_interval,"
    " or the catalog's value for a built-in source).",
    "sources.*.tags": "Labels that subscriptions can filter on.",
    "sources.*.official": "Whether the publisher is an official EU body (shown with each change).",
    "sources.*.enabled": "false stops checking the source but keeps its history.",
    "sources.*.keep": "CSS selectors of the parts of a page to watch (e.g. main); the rest is"
    " ignored.",
    "sources.*.drop": "CSS selectors of parts removed before comparing (sidebars, share links).",
    "sources.*.ignore": "Regular expressions whose matches are removed from the text before"
    " comparing (dates of last review, view counters).",
    "sources.*.sections": "CSS selector whose elements become the page's items, instead of"
    " sections by heading.",
    "sources.*.items_path": "json parser: dotted path to the list of items in the answer.",
    "sources.*.key_field": "json parser: the item field that identifies an item.",
    "sources.*.title_field": "json parser: the item field holding its title.",
    "sources.*.url_field": "json parser: the item field holding its link.",
    "sources.*.language": "Language of the source (en, fr, de, ...): a fetch that declares"
    " another is a failed check. Not set: the language the document"
    " declares (built-in sources: en).",
    "sources.*.keywords": "Keep only feed entries whose title, summary or categories contain one"
    " of these words (case-insensitive).",
    "sources.*.ignore_fields": "Item fields never compared (counters such as view numbers).",
    "sources.*.max_pages": "Most pages of a paginated API followed in one check (1-100;"
    " default 5).",
    "sources.*.expected_change": "Flag the source as silent when it has not changed for this"
    " long (default: never).",
    "sources.*.follow_documents": "Also watch the PDF, Word (DOCX) and ODT files the page links"
    " to, each as a source of its own (KEY/doc/...), item by"
    " item (html and ds_page sources).",
    "sources.*.max_documents": "With follow_documents: most document links followed, in the"
    " page's order (1-100; default 10).",
    "sources.*.max_document_mb": "With follow_documents: largest document downloaded, in MB"
    " (default and most: http.max_body_mb).",
    "sources.*.document_filter": "With follow_documents: regular expressions; only links whose"
    " text or URL one of them finds are followed (default: every"
    " document link).",
    "sources.*.render": "Render the page in headless Chromium before parsing, for pages whose"
    " content only their scripts build (html and the EU page parsers; see [render]).",
    # [render]
    "render.chromium": "Chromium to render pages with, a path or a command (not set:"
    " $LEXWATCH_CHROMIUM, then chromium on PATH, then Playwright's own browser).",
    "render.page_timeout": "Seconds one rendered page may take, its scripts and requests"
    " included, until its network is quiet; a page that takes longer is a failed check.",
    "render.max_mb": "Most MB one rendered page may load, itself and all its resources"
    " together; more is a failed check.",
    "render.max_pages": "Pages rendered at a time (1 or 2), in each process.",
    # [[subscriptions]]
    "subscriptions.*.name": "Unique name of the subscription (letters, digits, . _ -).",
    "subscriptions.*.channel": "slack (bot token), slack_webhook, email, webhook (signed JSON"
    " POST) or apprise (any Apprise URL).",
    "subscriptions.*.target": "slack: the channel (#name or id); slack_webhook, webhook,"
    " apprise: the URL. Such URLs are secrets: prefer target_env.",
    "subscriptions.*.target_env": "Name of the environment variable holding the target (for"
    " webhook and Apprise URLs, which are secrets).",
    "subscriptions.*.recipients": "email: the addresses the alerts or digest go to.",
    "subscriptions.*.sources": "Only changes of these source keys (empty: all sources).",
    "subscriptions.*.tags": "Only changes of sources with one of these tags (empty: all).",
    "subscriptions.*.categories": "Only these categories, e.g. consultation_opened,"
    " deadline_extended, legal_act (empty: all but noise and"
    " editorial; update reaches digests only).",
    "subscriptions.*.min_severity": "Lowest severity alerted: low, medium or high.",
    "subscriptions.*.mode": "instant (each change as it is found) or digest (one message per"
    " day at digest_time). Changes of the category update go to"
    " digests only.",
    "subscriptions.*.digest_time": "Local time of day the digest is sent.",
    "subscriptions.*.timezone": "IANA time zone of digest_time and of the dates in messages.",
    "subscriptions.*.health": "Also alert when a source goes down and when it recovers.",
    "subscriptions.*.send_empty": "Send the digest even on days with nothing to report.",
    "subscriptions.*.secret_env": "webhook: name of the environment variable holding the"
    " HMAC-SHA256 signing key.",
    # [smtp]
    "smtp.host": "Mail server for e-mail alerts and digests.",
    "smtp.port": "Its port (587 for STARTTLS, 465 for TLS).",
    "smtp.security": "starttls, tls or none (none only for a relay on localhost).",
    "smtp.username": "Login name on the mail server (not set: no login).",
    "smtp.password": "Password for the mail server.",
    "smtp.sender": "The From: address of the messages.",
    "smtp.timeout": "Seconds to wait for the mail server.",
    # [alerts]
    "alerts.dashboard_url": "Base URL of the dashboard as your users reach it, for links in"
    " alerts.",
    "alerts.max_attempts": "Delivery attempts of one alert before it is given up (dead).",
    "alerts.backoff_base": "Seconds before the first redelivery; doubled per attempt, jittered.",
    "alerts.backoff_max": "Longest wait between two delivery attempts, in seconds.",
    "alerts.failure_threshold": "Failed checks in a row after which a source counts as down.",
    "analysis.max_elements": "Most elements (tags) one page may hold; a bigger one fails its check"
    " with a reason before it is parsed, and stores nothing.",
    "analysis.max_items": "Most items (sections, entries) one document may hold; a bigger one"
    " fails its check before it is compared, and stores nothing.",
    "analysis.max_changed_items": "Most items that may differ from the last snapshot in one"
    " check; past it the check fails before diffing and"
    " classifying, stores nothing, and tries again next time.",
    "alerts.dispatch_interval": "Seconds between two runs of the alert dispatcher.",
    "alerts.send_timeout": "Seconds one alert may take to send (Slack, webhook, e-mail,"
    " Apprise) before it counts as failed and is retried later.",
    "alerts.digest_deadline_days": "The digest lists the deadlines falling due within this many"
    " days.",
    "alerts.slack_token": "Slack bot token (xoxb-...) for channel slack.",
    "alerts.slack_base_url": "Slack Web API base URL (change it only for a proxy or a test"
    " server).",
    # [dashboard]
    "dashboard.enabled": "Serve the dashboard from `lexwatch run`.",
    "dashboard.host": "Address the dashboard listens on; 127.0.0.1 keeps it local (the"
    " container image sets 0.0.0.0 and relies on the port mapping).",
    "dashboard.port": "Port of the dashboard.",
    "dashboard.timezone": "IANA time zone in which the dashboard shows times.",
    "dashboard.login_required": "true: anonymous visitors cannot read either (actions always"
    " need a login).",
    "dashboard.users": "Comma-separated name:password pairs; the password may be a"
    " pbkdf2_sha256$... hash from `lexwatch dashboard hash`.",
    "dashboard.api_tokens": "Comma-separated tokens for the JSON API (Authorization: Bearer);"
    " user:token binds a token to a user, who is its actor with their role (a token without a"
    " user reads and acts as before roles, but may not triage).",
    "dashboard.roles": "Each user's role: viewer (reads), editor (triages, marks noise, mutes,"
    " splits, checks now) or admin (also deliveries, redelivery); empty: every user is an"
    " admin, as before roles.",
    "dashboard.default_role": "Role of users not in dashboard.roles when it is set; not set:"
    " viewer.",
    "dashboard.user_digest_time": "Time of day (in dashboard.timezone) users' own digests,"
    " chosen on /account, are sent.",
    "dashboard.session_secret": "Key that signs login cookies; set it so logins survive a restart.",
    "dashboard.secure_cookies": "Send cookies only over HTTPS (set true behind HTTPS).",
    "dashboard.trusted_proxies": "Reverse proxies (IP addresses or networks) whose"
    " X-Forwarded-For and X-Forwarded-Proto headers are believed;"
    " empty: none, each client is the address it connects from.",
    # [retention]
    "retention.raw_days": "Days raw responses are kept; those of a source's newest snapshot and"
    " of the snapshots a change compares are always kept.",
    "retention.snapshot_days": "Days superseded snapshots are kept; a source's newest snapshot"
    " and those a change compares are always kept.",
    "retention.check_days": "Days the per-check rows (outcome, timing, size) are kept; the"
    " checks that found a change are always kept. Changes are never"
    " deleted.",
    "retention.run_at": "Time of day (UTC) of the daily clean-up.",
}
