"""Learning from "this was noise": the narrowest ignore rule that silences such a change.

A change is a diff of text blocks and fields. For fields the rule names them
(``ignore_fields``); for text it is a regular expression that matches the changed words
wherever they vary, anchored by up to three unchanged words on each side (numbers in the
anchor generalised), so the same kind of churn in the same place is ignored and nothing
else is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from monitor.errors import ConfigError

_CONTEXT_WORDS = 3
_CHANGING = r"\S+(?: \S+)*?"


@dataclass(frozen=True, kw_only=True, slots=True)
class IgnoreRule:
    """What to add to ``[sources.<source_key>]``: ``ignore`` patterns, ``ignore_fields``."""

    source_key: str
    patterns: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    def as_toml(self) -> str:
        lines = [f"[sources.{self.source_key}]"]
        if self.patterns:
            lines.append(f"ignore = [{', '.join(_literal(p) for p in self.patterns)}]")
        if self.fields:
            lines.append(f"ignore_fields = [{', '.join(_literal(f) for f in self.fields)}]")
        return "\n".join(lines)


def propose_rule(source_key: str, diff: dict[str, Any]) -> IgnoreRule:
    """The narrowest rule that would have hidden this diff (a stored change's ``diff``)."""
    fields = tuple(sorted({f["name"] for f in diff.get("fields", []) if f["name"] != "url"}))
    patterns = tuple(
        dict.fromkeys(
            pattern for block in diff.get("blocks", []) if (pattern := block_pattern(block["ops"]))
        )
    )
    return IgnoreRule(source_key=source_key, patterns=patterns, fields=fields)


def block_pattern(ops: list[list[str]]) -> str | None:
    """A pattern for one block: the changed run as a wildcard between literal context."""
    changed = [i for i, (op, _) in enumerate(ops) if op != "equal"]
    if not changed:
        return None
    before = _words(ops[: changed[0]])[-_CONTEXT_WORDS:]
    after = _words(ops[changed[-1] + 1 :])[:_CONTEXT_WORDS]
    if not (before or after):
        return None  # a whole paragraph appeared or went: no safe pattern, say so
    # With nothing after it, the changing run goes to the end of the paragraph.
    changing = _CHANGING if after else _CHANGING.rstrip("?")
    return " ".join([*map(_anchor, before), changing, *map(_anchor, after)])


def _words(ops: list[list[str]]) -> list[str]:
    return " ".join(text for op, text in ops if op == "equal").split()


def _anchor(word: str) -> str:
    """A literal word, with its numbers generalised (dates and counters move)."""
    return re.sub(r"\d+", lambda _: r"\d+", re.escape(word))


def _literal(value: str) -> str:
    return tomlkit.string(value, literal="'" not in value and "\n" not in value).as_string()


def accept_rule(config_path: Path, rule: IgnoreRule) -> None:
    """Add the rule to the config file (created if missing), keeping its formatting."""
    document = _load(config_path)
    sources = document.setdefault("sources", tomlkit.table(is_super_table=True))
    table = sources.setdefault(rule.source_key, tomlkit.table())
    if not isinstance(table, Table):
        raise ConfigError(f"{config_path}: sources.{rule.source_key} is not a table")
    _extend(table, "ignore", rule.patterns)
    _extend(table, "ignore_fields", rule.fields)
    config_path.write_text(tomlkit.dumps(document), encoding="utf-8")


def _load(path: Path) -> tomlkit.TOMLDocument:
    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def _extend(table: Table, key: str, values: tuple[str, ...]) -> None:
    if not values:
        return
    current = table.setdefault(key, tomlkit.array())
    for value in values:
        if value not in current:
            current.append(tomlkit.string(value, literal="'" not in value))
