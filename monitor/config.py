"""Settings: one TOML file (``lexwatch.toml``) plus ``LEXWATCH_*`` environment variables.

The environment wins over the file; secrets only ever come from the environment. With no
file at all lexwatch watches the built-in catalog into ``./lexwatch.db``.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from monitor import __version__
from monitor.errors import ConfigError
from monitor.types import Source, SourceOptions

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
    max_body_mb: float = Field(default=20.0, gt=0)
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

    @field_validator("interval", "expected_change", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    @field_validator("ignore")
    @classmethod
    def _patterns(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"ignore pattern {pattern!r} is not a regular expression: {exc}") from exc
        return value


class ReplaySettings(BaseModel):
    """``[replay]``: serve recorded documents (``lexwatch record``) instead of the network."""

    model_config = ConfigDict(extra="forbid")

    dir: Path | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEXWATCH_", env_nested_delimiter="__",
                                      extra="forbid")

    database_url: str = "sqlite:///lexwatch.db"
    default_interval: int = 6 * 3600
    builtin_catalog: bool = True
    log_level: str = "INFO"
    http: HttpSettings = HttpSettings()
    replay: ReplaySettings = ReplaySettings()
    sources: dict[str, SourceSettings] = {}

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
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from exc


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


def _describe(exc: ValidationError, path: Path | None) -> str:
    where = f" in {path}" if path else ""
    lines = [f"invalid configuration{where}:"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        lines.append(f"  {key}: {error['msg']}{_allowed(error)}")
    return "\n".join(lines)


def _allowed(error: Any) -> str:
    if error["type"] != "extra_forbidden":
        return ""
    model = _model_for(error["loc"])
    return f" (allowed keys: {', '.join(sorted(model.model_fields))})"


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel]:
    if loc and loc[0] == "http":
        return HttpSettings
    if loc and loc[0] == "replay":
        return ReplaySettings
    if loc and loc[0] == "sources" and len(loc) > 2:
        return SourceSettings
    return Settings


def build_source(key: str, base: Source | None, override: SourceSettings,
                 default_interval: int) -> Source:
    """A Source from a built-in entry (or none) with the user's overrides applied."""
    if base is None and (override.url is None or override.parser is None):
        raise ConfigError(
            f"sources.{key}: a new source needs at least 'url' and 'parser'"
            " (or use the key of a built-in source to override it; see `lexwatch sources`)"
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
        expected_change=given.get("expected_change",
                                  base.expected_change if base else None),
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
