"""Settings: one TOML file (``lexwatch.toml``) plus ``LEXWATCH_*`` environment variables.

The environment wins over the file; secrets only ever come from the environment. With no
file at all lexwatch watches the built-in catalog into ``./lexwatch.db``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from monitor import __version__
from monitor.errors import ConfigError
from monitor.types import (
    Category,
    Channel,
    DeliveryMode,
    DocumentFollowing,
    Severity,
    Source,
    SourceOptions,
    Subscription,
)

DEFAULT_CONFIG = Path("lexwatch.toml")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: str | int | float) -> int:
    """Seconds in "90", "30m", "6h", "1d" or a number of seconds."""
    if isinstance(value, int | float):
        seconds = int(value)
    else:
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"{value!r} is not a duration; use e.g. 90, '30m', '6h', '1d'")
        seconds = int(float(match.group(1)) * _UNITS[match.group(2)])
    if seconds < 1:
        raise ValueError(f"{value!r} is too short: a duration must be at least 1 second")
    return seconds


class HttpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact: str | None = Field(default=None, description="e-mail or URL put in the User-Agent")
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    # Seconds for one whole request, body included: ends answers that trickle forever.
    total_timeout: float = Field(default=120.0, gt=0)
    max_redirects: int = Field(default=10, ge=0, le=30)
    max_body_mb: float = Field(default=20.0, gt=0)
    # SSRF guard: loopback, private, link-local and metadata addresses are refused unless
    # allowed here (host names, "*.example.org", addresses or CIDRs such as "10.0.0.0/8").
    allow_private_addresses: bool = False
    allowed_hosts: list[str] = []
    retries: int = Field(default=3, ge=0, le=10)
    backoff_base: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=60.0, ge=0)
    max_retry_after: float = Field(default=300.0, ge=0)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_spacing: float = Field(default=1.0, ge=0)
    global_concurrency: int = Field(default=16, ge=1)
    respect_robots: bool = True

    def user_agent(self) -> str:
        ua = f"lexwatch/{__version__} (EU regulatory change monitor"
        return f"{ua}; +{self.contact})" if self.contact else f"{ua})"


class SourceSettings(BaseModel):
    """One ``[sources.KEY]`` table: a new source, or overrides for a built-in one."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    title: str | None = None
    parser: str | None = None
    interval: int | None = None
    tags: list[str] | None = None
    official: bool | None = None
    enabled: bool | None = None
    keep: list[str] | None = None
    drop: list[str] | None = None
    ignore: list[str] | None = None
    sections: str | None = None
    items_path: str | None = None
    key_field: str | None = None
    title_field: str | None = None
    url_field: str | None = None
    language: str | None = None
    keywords: list[str] | None = None
    ignore_fields: list[str] | None = None
    max_pages: int | None = Field(default=None, ge=1, le=100)
    expected_change: int | None = None
    # A page's documents (PDF, Word, ODT) watched as sources of their own
    # (monitor.pipeline.follow).
    follow_documents: bool | None = None
    max_documents: int | None = Field(default=None, ge=1, le=100)
    max_document_mb: float | None = Field(default=None, gt=0)
    document_filter: list[str] | None = None
    # Render the page in headless Chromium before parsing ([render]; sources.fetch.render).
    render: bool | None = None

    @field_validator("interval", "expected_change", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    @field_validator("ignore", "document_filter")
    @classmethod
    def _patterns(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a regular expression: {exc}") from exc
        return value


class RenderSettings(BaseModel):
    """``[render]``: headless Chromium for the sources with ``render = true``."""

    model_config = ConfigDict(extra="forbid")

    # A path or a command; unset: $LEXWATCH_CHROMIUM, then `chromium` on PATH, then the
    # browser Playwright installs itself.
    chromium: str | None = None
    # Seconds for one page: loading, its scripts and requests, until the network is quiet.
    page_timeout: float = Field(default=30.0, gt=0, le=600)
    max_mb: float = Field(default=20.0, gt=0)  # the page and everything it loads
    max_pages: int = Field(default=1, ge=1, le=2)  # pages rendered at a time


class ReplaySettings(BaseModel):
    """``[replay]``: serve recorded documents (``lexwatch record``) instead of the network."""

    model_config = ConfigDict(extra="forbid")

    dir: Path | None = None


def check_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. 'Europe/Brussels')") from exc
    return value


def check_networks(values: list[str]) -> list[str]:
    """IP addresses or networks ("10.0.0.0/8"), each written out as Python reads it."""
    networks = []
    for value in (value.strip() for value in values):
        try:
            networks.append(
                str(ipaddress.ip_network(value, strict=False))
                if "/" in value
                else str(ipaddress.ip_address(value))
            )
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not an IP address or network (e.g. '127.0.0.1', '10.0.0.0/8')"
            ) from exc
    return networks


class SubscriptionSettings(BaseModel):
    """One ``[[subscriptions]]`` table: who gets which alerts, on which channel, when."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    channel: Channel
    target: str = ""
    target_env: str | None = None
    recipients: list[str] = []
    sources: list[str] = []
    tags: list[str] = []
    categories: list[Category] = []
    min_severity: Severity = Severity.LOW
    mode: DeliveryMode = DeliveryMode.INSTANT
    digest_time: time = time(8, 0)
    timezone: str = "Europe/Brussels"
    health: bool = False
    send_empty: bool = False
    secret_env: str | None = None

    _zone = field_validator("timezone")(lambda value: check_zone(value))

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return value

    def resolve(self, environ: Mapping[str, str]) -> Subscription:
        """The Subscription, with secrets read from the environment variables named here."""
        where = f"subscriptions.{self.name}"
        target = self.target
        if self.target_env:
            target = environ.get(self.target_env, "")
            if not target:
                raise ConfigError(
                    f"{where}.target_env: environment variable {self.target_env} is not set"
                )
        _check_target(where, self.channel, target, self.recipients)
        if self.mode is DeliveryMode.DIGEST and self.channel is not Channel.EMAIL:
            raise ConfigError(
                f"{where}.mode: 'digest' is for channel 'email'; use mode"
                f" 'instant' for channel {self.channel.value!r}"
            )
        secret = None
        if self.secret_env:
            secret = environ.get(self.secret_env) or None
            if secret is None:
                raise ConfigError(
                    f"{where}.secret_env: environment variable {self.secret_env} is not set"
                )
        return Subscription(
            name=self.name,
            channel=self.channel,
            target=target,
            recipients=tuple(self.recipients),
            sources=tuple(self.sources),
            tags=tuple(self.tags),
            categories=tuple(self.categories),
            min_severity=self.min_severity,
            mode=self.mode,
            digest_time=self.digest_time,
            timezone=self.timezone,
            health=self.health,
            send_empty=self.send_empty,
            secret=secret,
        )


def _check_target(where: str, channel: Channel, target: str, recipients: list[str]) -> None:
    if channel is Channel.EMAIL:
        if not recipients:
            raise ConfigError(f"{where}.recipients: an e-mail subscription needs recipients")
        return
    if not target:
        raise ConfigError(
            f"{where}.target: channel {channel.value!r} needs a target"
            " (or target_env naming an environment variable that holds it)"
        )
    if channel in (Channel.SLACK_WEBHOOK, Channel.WEBHOOK) and not target.startswith(
        ("https://", "http://")
    ):
        raise ConfigError(f"{where}.target: {channel.value} needs an http(s) URL")


class SmtpSettings(BaseModel):
    """``[smtp]``: the mail server for digests; the password only from LEXWATCH_SMTP__PASSWORD."""

    model_config = ConfigDict(extra="forbid")

    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "lexwatch <lexwatch@localhost>"
    timeout: float = Field(default=30.0, gt=0)


class AnalysisSettings(BaseModel):
    """``[analysis]``: how much one check may parse, compare and classify (analysis.limits)."""

    model_config = ConfigDict(extra="forbid")

    max_elements: int = Field(default=200_000, ge=1)
    max_items: int = Field(default=20_000, ge=1)
    max_changed_items: int = Field(default=1_000, ge=1)


class AlertSettings(BaseModel):
    """``[alerts]``: delivery behaviour shared by every subscription."""

    model_config = ConfigDict(extra="forbid")

    # Base URL of the dashboard as users reach it, for links in alerts.
    dashboard_url: str | None = None
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_base: float = Field(default=30.0, ge=0)  # seconds; doubled per attempt, jittered
    backoff_max: float = Field(default=3600.0, ge=0)
    failure_threshold: int = Field(default=3, ge=1)  # failed checks in a row = source down
    dispatch_interval: int = Field(default=30, ge=1)  # seconds between dispatcher runs
    # Seconds one send may take before it counts as failed (and is retried): a receiver
    # that hangs holds only its own subscription, and only this long.
    send_timeout: float = Field(default=30.0, gt=0, le=600)
    digest_deadline_days: int = Field(default=14, ge=0)
    # The Slack bot token comes only from LEXWATCH_ALERTS__SLACK_TOKEN.
    slack_token: SecretStr | None = None
    slack_base_url: str = "https://slack.com/api/"


Role = Literal["viewer", "editor", "admin"]


class DashboardSettings(BaseModel):
    """``[dashboard]``: the web app served by `lexwatch run` and `lexwatch serve`."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=1, le=65535)
    timezone: str = "Europe/Brussels"
    login_required: bool = False  # True: anonymous users cannot read either
    # "name:password" pairs come only from LEXWATCH_DASHBOARD__USERS, comma-separated;
    # the password may be given as a "pbkdf2_sha256$..." hash (`lexwatch dashboard hash`).
    users: SecretStr | None = None
    api_tokens: SecretStr | None = None  # comma-separated, from LEXWATCH_DASHBOARD__API_TOKENS
    session_secret: SecretStr | None = None  # from LEXWATCH_DASHBOARD__SESSION_SECRET
    secure_cookies: bool = False  # True behind HTTPS
    # Reverse proxies (addresses or networks) whose X-Forwarded-For/-Proto are believed; none
    # by default, so no client can pick the address that login throttling counts.
    trusted_proxies: list[str] = []
    # Who may do what (README "Users and roles"): user name -> viewer | editor | admin.
    # Without this table every user is an admin, as before roles existed; with it, users not
    # named here get ``default_role`` (viewer unless set).
    roles: dict[str, Role] = {}
    default_role: Role | None = None
    # When the users' own digests (set on /account) are sent, in ``timezone``.
    user_digest_time: time = time(8, 0)

    _zone = field_validator("timezone")(lambda value: check_zone(value))
    _proxies = field_validator("trusted_proxies")(lambda value: check_networks(value))


class RetentionSettings(BaseModel):
    """``[retention]``: how long raw responses and superseded snapshots are kept."""

    model_config = ConfigDict(extra="forbid")

    raw_days: int = Field(default=90, ge=1)
    snapshot_days: int = Field(default=365, ge=1)
    check_days: int = Field(default=180, ge=1)
    run_at: time = time(3, 30)  # daily, UTC


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LEXWATCH_", env_nested_delimiter="__", extra="forbid"
    )

    database_url: str = "sqlite:///lexwatch.db"
    default_interval: int = 6 * 3600
    builtin_catalog: bool = True
    log_level: str = "INFO"
    http: HttpSettings = HttpSettings()
    analysis: AnalysisSettings = AnalysisSettings()
    replay: ReplaySettings = ReplaySettings()
    render: RenderSettings = RenderSettings()
    sources: dict[str, SourceSettings] = {}
    subscriptions: list[SubscriptionSettings] = []
    smtp: SmtpSettings = SmtpSettings()
    alerts: AlertSettings = AlertSettings()
    dashboard: DashboardSettings = DashboardSettings()
    retention: RetentionSettings = RetentionSettings()
    log_format: Literal["text", "json"] = "text"

    @field_validator("subscriptions")
    @classmethod
    def _unique_names(cls, value: list[SubscriptionSettings]) -> list[SubscriptionSettings]:
        names = [sub.name for sub in value]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"subscription names must be unique: {', '.join(doubled)}")
        return value

    def resolved_subscriptions(
        self, environ: Mapping[str, str] | None = None
    ) -> list[Subscription]:
        """Every subscription with its secrets read from the environment."""
        env = os.environ if environ is None else environ
        return [sub.resolve(env) for sub in self.subscriptions]

    @field_validator("default_interval", mode="before")
    @classmethod
    def _default_interval(cls, value: Any) -> Any:
        return parse_duration(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the TOML file (passed in as init values).
        return env_settings, init_settings


def load_settings(path: Path | None = None) -> Settings:
    """Settings from ``path`` (or LEXWATCH_CONFIG, or ./lexwatch.toml if it exists) + env."""
    path = path or _default_path()
    data = _read_toml(path) if path else {}
    _refuse_secrets(data, path)
    _refuse_secret_targets(data, path)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path, data)) from exc


# Settings that are secrets: accepted from the environment only, never from the file.
SECRETS = {
    "smtp": ("password",),
    "alerts": ("slack_token",),
    "dashboard": ("users", "api_tokens", "session_secret"),
}


def _refuse_secrets(data: dict[str, Any], path: Path | None) -> None:
    for section, keys in SECRETS.items():
        for key in keys:
            if key in (data.get(section) or {}):
                env = f"LEXWATCH_{section.upper()}__{key.upper()}"
                raise ConfigError(
                    f"{section}.{key} in {path} is a secret: remove it from the"
                    f" file and set the environment variable {env} instead"
                )


def _refuse_secret_targets(data: dict[str, Any], path: Path | None) -> None:
    """Subscription targets that are credentials come from the environment (``target_env``)."""
    for index, sub in enumerate(data.get("subscriptions") or []):
        if not isinstance(sub, dict):
            continue
        what = _secret_target(str(sub.get("channel", "")), str(sub.get("target", "")))
        if what:
            name = str(sub.get("name", index))
            env = "LEXWATCH_" + re.sub(r"\W", "_", name).upper() + "_URL"
            raise ConfigError(
                f"subscriptions.{name}.target in {path} is {what}, a secret: remove it from"
                f" the file, put it in an environment variable and name that variable here,"
                f' e.g. target_env = "{env}"'
            )


def _secret_target(channel: str, target: str) -> str | None:
    """What makes ``target`` a secret: a Slack webhook is one; an Apprise URL with anything
    past its host (tokens live in the user, path or query: tgram://TOKEN/CHAT) is one."""
    if not target:
        return None
    if channel == Channel.SLACK_WEBHOOK.value:
        return "a Slack incoming-webhook URL"
    if channel == Channel.APPRISE.value:
        parts = urlsplit(target)
        if "@" in parts.netloc or parts.path.strip("/") or parts.query:
            return "an Apprise URL with credentials"
    return None


def _default_path() -> Path | None:
    named = os.environ.get("LEXWATCH_CONFIG")
    if named:
        return Path(named)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def _describe(exc: ValidationError, path: Path | None, data: dict[str, Any]) -> str:
    where = f" in {path}" if path else ""
    lines = [f"invalid configuration{where}:"]
    for error in exc.errors():
        key = ".".join(_named(error["loc"], data))
        lines.append(f"  {key}: {error['msg']}{_allowed(error)}")
    return "\n".join(lines)


def _named(loc: tuple[Any, ...], data: dict[str, Any]) -> list[str]:
    """The error's location, with a subscription's name in place of its list index."""
    parts = [str(part) for part in loc]
    if len(loc) > 1 and loc[0] == "subscriptions" and isinstance(loc[1], int):
        subs = data.get("subscriptions") or []
        if loc[1] < len(subs) and isinstance(subs[loc[1]], dict) and subs[loc[1]].get("name"):
            parts[1] = str(subs[loc[1]]["name"])
    return parts


def _allowed(error: Any) -> str:
    if error["type"] != "extra_forbidden":
        return ""
    model = _model_for(error["loc"])
    return f" (allowed keys: {', '.join(sorted(model.model_fields))})"


_SECTIONS: dict[str, type[BaseModel]] = {
    "http": HttpSettings,
    "replay": ReplaySettings,
    "smtp": SmtpSettings,
    "alerts": AlertSettings,
    "dashboard": DashboardSettings,
    "retention": RetentionSettings,
    "render": RenderSettings,
}


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel]:
    if loc and loc[0] in _SECTIONS:
        return _SECTIONS[loc[0]]
    if loc and loc[0] == "sources" and len(loc) > 2:
        return SourceSettings
    if loc and loc[0] == "subscriptions" and len(loc) > 2:
        return SubscriptionSettings
    return Settings


def build_source(
    key: str, base: Source | None, override: SourceSettings, default_interval: int
) -> Source:
    """A Source from a built-in entry (or none) with the user's overrides applied."""
    if base is None and (override.url is None or override.parser is None):
        raise ConfigError(
            f"sources.{key}: a new source needs at least 'url' and 'parser'"
            " (or use the key of a built-in source to override it; see `lexwatch sources`)"
        )
    if "/" in key:
        raise ConfigError(
            f"sources.{key}: a source key cannot contain '/' (it separates a page"
            " from its documents, KEY/doc/...); use letters, digits, '-' or '_'"
        )
    given = override.model_dump(exclude_none=True)
    options = _options(base.options if base else SourceOptions(), given)
    return Source(
        key=key,
        title=given.get("title", base.title if base else key),
        url=given.get("url", base.url if base else ""),
        parser=given.get("parser", base.parser if base else ""),
        interval=given.get("interval", base.interval if base else default_interval),
        tags=tuple(given.get("tags", base.tags if base else ())),
        options=options,
        official=given.get("official", base.official if base else True),
        enabled=given.get("enabled", base.enabled if base else True),
        expected_change=given.get("expected_change", base.expected_change if base else None),
        documents=_documents(key, base.documents if base else None, given),
        render=given.get("render", base.render if base else False),
    )


_FOLLOWING = ("max_documents", "max_document_mb", "document_filter")


def _documents(
    key: str, base: DocumentFollowing | None, given: dict[str, Any]
) -> DocumentFollowing | None:
    """``follow_documents`` and its limits, over a built-in source's own."""
    follow = given.get("follow_documents", base is not None)
    if not follow:
        stray = [name for name in _FOLLOWING if name in given]
        if stray:
            raise ConfigError(
                f"sources.{key}.{stray[0]}: only used with follow_documents ="
                " true (watch the documents the page links to)"
            )
        return None
    base = base or DocumentFollowing()
    size = given.get("max_document_mb")
    return DocumentFollowing(
        max_documents=given.get("max_documents", base.max_documents),
        max_bytes=int(size * 1_000_000) if size is not None else base.max_bytes,
        patterns=tuple(given.get("document_filter", base.patterns)),
    )


def _options(base: SourceOptions, given: dict[str, Any]) -> SourceOptions:
    values: dict[str, Any] = {}
    for name in SourceOptions.__dataclass_fields__:
        if name in given:
            value = given[name]
            values[name] = tuple(value) if isinstance(value, list) else value
        else:
            values[name] = getattr(base, name)
    return SourceOptions(**values)
