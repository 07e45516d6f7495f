"""``lexwatch init`` and ``lexwatch config check|reference`` (registered by monitor.cli).

``init`` writes the commented template of every setting; ``config check`` validates a
configuration the way ``lexwatch run`` would (settings, sources, subscriptions and the
environment variables they name) without opening the database, and prints the effective
settings as TOML with every secret masked.

monitor.cli registers these commands with ``register(main)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from monitor.app import resolve_sources
from monitor.cli_common import Context, fails_cleanly
from monitor.config import DEFAULT_CONFIG, Settings, load_settings
from monitor.errors import ConfigError
from monitor.init_config import (
    SECRET_WORDS,
    reference_markdown,
    toml_value,
    write_template,
)
from monitor.types import Source

MASK = "********"


def register(main: click.Group) -> None:
    """Add ``init`` and the ``config`` group to the ``lexwatch`` command."""
    main.add_command(init)
    main.add_command(config)


def _config_path(ctx: click.Context, given: Path | None) -> Path | None:
    if given is not None:
        return given
    found = ctx.find_object(Context)
    return found.config if found else None


# -- lexwatch init ------------------------------------------------------------------------


@click.command()
@click.argument("path", required=False, default=DEFAULT_CONFIG,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@fails_cleanly
def init(path: Path, force: bool) -> None:
    """Write a commented lexwatch.toml listing every setting with its default."""
    write_template(path, force=force)
    click.echo(f"wrote {path}: every setting is commented out with its default.")
    click.echo(f"Edit it, then run `lexwatch --config {path} config check`.")


# -- lexwatch config ----------------------------------------------------------------------


@click.group()
def config() -> None:
    """Check the configuration, or print the reference of every setting."""


@config.command("check")
@click.option("--config", "-c", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML config file (default: lexwatch's --config, $LEXWATCH_CONFIG or"
                   " ./lexwatch.toml).")
@click.pass_context
@fails_cleanly
def config_check(ctx: click.Context, path: Path | None) -> None:
    """Validate a configuration and print the effective settings, secrets masked."""
    path = _config_path(ctx, path)
    settings = load_settings(path)
    _check_database_url(settings.database_url)
    sources = resolve_sources(settings)
    settings.resolved_subscriptions(os.environ)
    click.echo(effective_toml(settings, sources, _described_path(path)))


@config.command("reference")
def config_reference() -> None:
    """Print the Markdown reference of every setting (the README's section)."""
    click.echo(reference_markdown(), nl=False)


def _described_path(path: Path | None) -> str:
    if path is not None:
        return str(path)
    named = os.environ.get("LEXWATCH_CONFIG")
    if named:
        return named
    return str(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else "none (defaults + environment)"


def _check_database_url(url: str) -> None:
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise ConfigError(f"database_url: {mask_url(url)!r} is not a database URL") from exc
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(f"database_url: {mask_url(url)!r}: use sqlite:///FILE or"
                          " postgresql://USER@HOST:5432/DB")


# -- the effective settings, masked -----------------------------------------------------------


def effective_toml(settings: Settings, sources: Mapping[str, Source], path: str) -> str:
    """The settings as TOML (environment applied), every secret replaced by ``MASK``."""
    data = masked(settings)
    enabled = sum(1 for source in sources.values() if source.enabled)
    lines = [f"# configuration file: {path}",
             f"# {len(sources)} sources ({enabled} enabled), "
             f"{len(settings.subscriptions)} subscription(s): configuration OK", ""]
    lines += _scalars(data, "")
    for name, value in data.items():
        if isinstance(value, dict) and name != "sources":
            lines += ["", f"[{name}]", *_scalars(value, name)]
    for key, override in data.get("sources", {}).items():
        lines += ["", f"[sources.{_toml_key(key)}]", *_scalars(override, "sources.*")]
    for subscription in data.get("subscriptions", []):
        lines += ["", "[[subscriptions]]", *_scalars(subscription, "subscriptions.*")]
    return "\n".join(lines)


def _scalars(table: Mapping[str, Any], section: str) -> list[str]:
    lines = []
    for name, value in table.items():
        if isinstance(value, dict) or (isinstance(value, list) and value
                                       and isinstance(value[0], dict)):
            continue  # a table of its own
        path = f"{section}.{name}" if section else name
        if value is None:
            lines.append(f"# {name} is not set")
        else:
            lines.append(f"{name} = {toml_value(value, path)}")
    return lines


def _toml_key(key: str) -> str:
    bare = key.replace("-", "").replace("_", "").isalnum() and key.isascii()
    return key if bare else toml_value(key)


def masked(settings: Settings) -> dict[str, Any]:
    """``settings`` as plain data with secrets, URL passwords and secret targets masked."""
    data = settings.model_dump(mode="python")
    data["database_url"] = mask_url(settings.database_url)
    data["sources"] = {key: {k: v for k, v in value.items() if v is not None}
                       for key, value in data["sources"].items()}
    data["subscriptions"] = [_masked_subscription(sub) for sub in data["subscriptions"]]
    return _mask_secrets(data)


def _mask_secrets(table: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            result[name] = _mask_secrets(value)
        elif isinstance(value, list):
            result[name] = [_mask_secrets(v) if isinstance(v, dict) else v for v in value]
        elif value is not None and _is_secret_name(name, value):
            result[name] = MASK if _has_value(value) else value
        else:
            result[name] = value
    return result


def _is_secret_name(name: str, value: Any) -> bool:
    if isinstance(value, SecretStr):
        return True
    return not name.endswith("_env") and any(word in name for word in SECRET_WORDS)


def _has_value(value: Any) -> bool:
    return bool(value.get_secret_value() if isinstance(value, SecretStr) else value)


def _masked_subscription(sub: dict[str, Any]) -> dict[str, Any]:
    """The target read from target_env is a secret; so is any URL target (webhooks)."""
    if sub.get("target_env"):
        sub["target"] = MASK
    elif str(sub.get("target", "")).startswith(("http://", "https://")):
        sub["target"] = mask_url(sub["target"])
    return sub


def mask_url(url: str) -> str:
    """A URL without its secrets: the password of a database URL, the path of a webhook."""
    if url.startswith(("http://", "https://")):
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname or ''}/{MASK}"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return MASK if "@" in url else url

