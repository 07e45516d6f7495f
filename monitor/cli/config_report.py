"""The effective configuration as TOML, every secret masked (``lexwatch config check``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from monitor.cli.init_config import SECRET_WORDS, toml_value
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.types import Channel, Source

MASK = "********"


def check_database_url(url: str) -> None:
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise ConfigError(f"database_url: {mask_url(url)!r} is not a database URL") from exc
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(
            f"database_url: {mask_url(url)!r}: use sqlite:///FILE or postgresql://USER@HOST:5432/DB"
        )


# -- the effective settings, masked -----------------------------------------------------------


def effective_toml(settings: Settings, sources: Mapping[str, Source], path: str) -> str:
    """The settings as TOML (environment applied), every secret replaced by ``MASK``."""
    data = masked(settings)
    enabled = sum(1 for source in sources.values() if source.enabled)
    lines = [
        f"# configuration file: {path}",
        f"# {len(sources)} sources ({enabled} enabled), "
        f"{len(settings.subscriptions)} subscription(s): configuration OK",
        "",
    ]
    lines += _scalars(data, "")
    for name, value in data.items():
        if isinstance(value, dict) and name != "sources":
            lines += ["", f"[{name}]", *_scalars(value, name)]
            for inner, table in value.items():  # e.g. [dashboard.roles]
                if isinstance(table, dict):
                    lines += ["", f"[{name}.{inner}]", *_scalars(table, f"{name}.{inner}")]
    for key, override in data.get("sources", {}).items():
        lines += ["", f"[sources.{_toml_key(key)}]", *_scalars(override, "sources.*")]
    for subscription in data.get("subscriptions", []):
        lines += ["", "[[subscriptions]]", *_scalars(subscription, "subscriptions.*")]
    return "\n".join(lines)


def _scalars(table: Mapping[str, Any], section: str) -> list[str]:
    lines = []
    for name, value in table.items():
        if isinstance(value, dict) or (
            isinstance(value, list) and value and isinstance(value[0], dict)
        ):
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
    data["sources"] = {
        key: {k: v for k, v in value.items() if v is not None}
        for key, value in data["sources"].items()
    }
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
    """The target read from target_env is a secret; so is any URL target (webhooks, Apprise:
    of those only the scheme is shown, which names the service)."""
    target = str(sub.get("target", ""))
    if sub.get("target_env"):
        sub["target"] = MASK
    elif sub.get("channel") is Channel.APPRISE and target:
        scheme, sep, _ = target.partition("://")
        sub["target"] = f"{scheme}://{MASK}" if sep else MASK
    elif target.startswith(("http://", "https://")):
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
