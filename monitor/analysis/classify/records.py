"""A JSON answer read as one item of dotted fields, cut back into its records.

Have Your Say and similar APIs answer with a list of records that the JSON parser flattens into
``content.0.id``, ``content.0.status``, ...; a record added at the top shifts every index, which
would look like every record changing. ``split_records`` matches the records by their id
instead, and gives their fields the names the rules read (``status``, ``feedback_end``,
``attachments``, ``initiative_id``), so that tier 1 reads a record like any structured item."""

from __future__ import annotations

from collections.abc import Mapping

from monitor.analysis.classify.vocabulary import ALIASES, ATTACHMENT_NAME, ID_FIELDS
from monitor.types import ClassifyContext, DiffKind, FieldChange, Item, ItemDiff


def split_records(diff: ItemDiff, context: ClassifyContext) -> list[ItemDiff]:
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
    parts += [
        _record_diff(key, fields, None, before, hys)
        for key, fields in before.items()
        if key not in after
    ]
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
            prefix = ".".join(parts[: cut + 1])
            ident = next(
                (fields[f"{prefix}.{k}"] for k in ID_FIELDS if f"{prefix}.{k}" in fields), None
            )
            if ident:
                return f"{'.'.join(parts[:cut])}[{ident}]", ".".join(parts[cut + 1 :])
            return "", name
    return "", name


def _record_diff(
    key: str,
    old: Mapping[str, str] | None,
    new: Mapping[str, str] | None,
    records: Mapping[str, Mapping[str, str]],
    hys: bool,
) -> ItemDiff | None:
    before = _record_item(key, old, records, hys) if old is not None else None
    after = _record_item(key, new, records, hys) if new is not None else None
    if after is None and before is not None:
        return ItemDiff(kind=DiffKind.REMOVED, key=before.key, old=before, new=None)
    if after is None:
        return None
    if before is None:
        return ItemDiff(kind=DiffKind.ADDED, key=after.key, old=None, new=after)
    changes = tuple(
        FieldChange(name=n, old=before.fields.get(n), new=after.fields.get(n))
        for n in sorted(set(before.fields) | set(after.fields))
        if before.fields.get(n) != after.fields.get(n)
    )
    if not changes:
        return None
    return ItemDiff(kind=DiffKind.MODIFIED, key=after.key, old=before, new=after, fields=changes)


def _record_item(
    key: str, fields: Mapping[str, str], records: Mapping[str, Mapping[str, str]], hys: bool
) -> Item:
    canonical = dict(fields)
    for name, value in fields.items():
        alias = ALIASES.get(name.rsplit(".", 1)[-1].lower())
        if alias is not None and alias not in canonical:
            canonical[alias] = value
    files = [value for name, value in fields.items() if ATTACHMENT_NAME.search(name)]
    if files:
        canonical["attachments"] = "\n".join(files)
    ident = next((fields[k] for k in ID_FIELDS if k in fields), key or "record")
    root_id = records.get("", {}).get("id")
    if hys:
        canonical["initiative_id"] = root_id if key and root_id else ident
    return Item(key=ident, title=canonical.get("title", ident), fields=canonical)


def _is_hys(url: str) -> bool:
    low = url.lower()
    return "better-regulation" in low or "have-your-say" in low or "brpapi" in low
