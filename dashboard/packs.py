"""An event's evidence pack: one zip with what an auditor asks for, and the hashes to check it.

    lexwatch-event-42/
      README.txt                 what is where, and how to verify it
      event.json                 the event, its grouping, its audit log, every change with
                                 its evidence, metadata and where its files are, the alerts
                                 sent of them (whom, how, when) and the event's deadlines
      changes/<id>/diff.txt      a readable unified diff of the change
      changes/<id>/diff.json     the change's diff as stored
      raw/<sha256>.<ext>         each stored raw response (old and new body of each change),
                                 named by its blob hash: the SHA-256 of the body as served
                                 (text types as .html.txt, .xml.txt: no browser runs them)
      manifest.json              every file above with its SHA-256 and size
      SHA256SUMS                 the same, for `sha256sum -c SHA256SUMS` (and manifest.json)

The same event gives the same bytes: files in a fixed order, every entry dated at the event's
last detection (UTC), fixed permissions, and no time of export inside. A raw response no
longer kept (older than the retention period) is named in event.json with ``kept: false``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any

from dashboard.exports import Links
from dashboard.pages_changes import download_type
from storage.exports import EventPack, PackedChange, StoredBody
from storage.models import DeadlineRow, DeliveryRow, EventLogRow, EventRow

logger = logging.getLogger(__name__)

FORMAT = "lexwatch-evidence-pack/1"
MEDIA_TYPE = "application/zip"
_EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)  # zip's dates start in 1980

BodyLoader = Callable[[str], bytes | None]


def pack_name(event_id: int) -> str:
    return f"lexwatch-event-{event_id}"


@dataclass
class _Writer:
    """Adds files to the zip in the order given, each dated ``stamp``; keeps their hashes."""

    archive: zipfile.ZipFile
    folder: str
    stamp: tuple[int, int, int, int, int, int]
    files: list[dict[str, Any]] = field(default_factory=list)

    def add(self, path: str, data: bytes, **about: Any) -> str:
        info = zipfile.ZipInfo(f"{self.folder}/{path}", date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # Unix, so the permissions below are read as such
        info.external_attr = 0o644 << 16
        self.archive.writestr(info, data, compresslevel=6)
        digest = hashlib.sha256(data).hexdigest()
        self.files.append({"path": path, "sha256": digest, "size": len(data), **about})
        return digest


def write_pack(pack: EventPack, load: BodyLoader, links: Links, out: IO[bytes]) -> list[str]:
    """Write ``pack`` as a zip to ``out``; returns the paths it holds, in order."""
    event = pack.event
    assert event.id is not None
    moment = max(event.last_detected_at.astimezone(UTC), _EARLIEST)
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    with zipfile.ZipFile(out, "w") as archive:
        writer = _Writer(archive=archive, folder=pack_name(event.id), stamp=stamp)
        writer.add("README.txt", _readme(event).encode(), kind="readme")
        kept = _raw_paths(pack, load)
        writer.add("event.json", _json(_event_document(pack, kept, links)), kind="event")
        for packed in pack.changes:
            _add_diffs(writer, packed)
        _add_bodies(writer, pack, load, kept)
        manifest = {"format": FORMAT, "event_id": event.id, "files": writer.files}
        writer.add("manifest.json", _json(manifest), kind="manifest")
        sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in writer.files)
        writer.add("SHA256SUMS", sums.encode(), kind="checksums")
        return [f["path"] for f in writer.files]


def _raw_paths(pack: EventPack, load: BodyLoader) -> dict[str, str]:
    """The path in the pack of each kept body, by blob hash (one file per body)."""
    paths: dict[str, str] = {}
    for packed in pack.changes:
        for body in (packed.old_body, packed.new_body):
            if body is not None and body.hash not in paths:
                paths[body.hash] = f"raw/{body.hash}.{download_type(body.content_type)[1]}"
    return paths


def _add_diffs(writer: _Writer, packed: PackedChange) -> None:
    change_id = packed.change.id
    about = {"kind": "diff", "change_id": change_id}
    writer.add(f"changes/{change_id}/diff.txt", unified_diff(packed).encode(), **about)
    writer.add(f"changes/{change_id}/diff.json", _json(packed.change.diff), **about)


def _add_bodies(writer: _Writer, pack: EventPack, load: BodyLoader, kept: dict[str, str]) -> None:
    """Each body loaded and written one at a time (a PDF can be large)."""
    types = {b.hash: b.content_type for p in pack.changes for b in (p.old_body, p.new_body) if b}
    for digest in sorted(kept):
        body = load(digest)
        if body is None:  # pruned since the pack was read: event.json still names it
            logger.warning("raw response %s left the database while packing", digest)
            continue
        written = writer.add(
            kept[digest], body, kind="raw_response", blob_hash=digest, content_type=types[digest]
        )
        if written != digest:
            logger.warning("stored raw response %s does not hash to its name", digest)


# -- event.json ---------------------------------------------------------------------------------


def _event_document(pack: EventPack, kept: dict[str, str], links: Links) -> dict[str, Any]:
    event = pack.event
    return {
        "format": FORMAT,
        "event": _event_json(event, links),
        "grouping": event.grouping,
        "log": [_log_json(row) for row in pack.log],
        "changes": [_change_json(packed, kept, links) for packed in pack.changes],
        "alerts": [_delivery_json(row) for row in pack.deliveries],
        "deadlines": [_deadline_json(row) for row in pack.deadlines],
    }


def _event_json(event: EventRow, links: Links) -> dict[str, Any]:
    names = (
        "id identity category severity title summary url old_date new_date first_detected_at"
        " last_detected_at change_count source_count state assignee action_due split_from version"
    )
    values = {name: _plain(getattr(event, name)) for name in names.split()}
    return {**values, "html_url": links.url(f"/events/{event.id}")}


def _log_json(row: EventLogRow) -> dict[str, Any]:
    return {"at": _plain(row.at), "actor": row.actor, "action": row.action, "detail": row.detail}


def _change_json(packed: PackedChange, kept: dict[str, str], links: Links) -> dict[str, Any]:
    change, check = packed.change, packed.check
    names = (
        "id source_key item_key category severity title summary url old_date new_date"
        " evidence detected_at marked_noise_at event_key related_to happening"
        " old_snapshot_id new_snapshot_id"
    )
    values = {name: _plain(getattr(change, name)) for name in names.split()}
    base = f"/changes/{change.id}"
    old_url, new_url = links.url(f"{base}/raw/previous"), links.url(f"{base}/raw")
    return {
        **values,
        "source_title": packed.source_title,
        "html_url": links.url(base),
        "check": None if check is None else _check_json(check),
        "diff": {"text": f"changes/{change.id}/diff.txt", "json": f"changes/{change.id}/diff.json"},
        "raw": {
            "old": _raw_json(packed.old_hash, packed.old_body, kept, old_url),
            "new": _raw_json(packed.new_hash, packed.new_body, kept, new_url),
        },
    }


def _delivery_json(row: DeliveryRow) -> dict[str, Any]:
    """Who was alerted of which change, how and when (no error text: it may name a target)."""
    names = "id change_id subscription channel mode kind detail status attempts created_at sent_at"
    return {name: _plain(getattr(row, name)) for name in names.split()}


def _deadline_json(row: DeadlineRow) -> dict[str, Any]:
    names = "id source_key item_key kind label url due status first_seen last_seen history"
    return {name: _plain(getattr(row, name)) for name in names.split()}


def _check_json(check: Any) -> dict[str, Any]:
    names = "id started_at outcome http_status final_url bytes duration_ms"
    return {name: _plain(getattr(check, name)) for name in names.split()}


def _raw_json(
    digest: str | None, body: StoredBody | None, kept: dict[str, str], url: str
) -> dict[str, Any] | None:
    """Where a body is in the pack; ``kept: false`` when only its hash is left."""
    if digest is None:
        return None
    if body is None:
        return {"sha256": digest, "kept": False}
    return {
        "sha256": digest,
        "kept": True,
        "path": kept[digest],
        "content_type": body.content_type,
        "size": body.size,
        "download_url": url,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# -- the readable diff ----------------------------------------------------------------------------


def unified_diff(packed: PackedChange) -> str:
    """The change's item before and after as a unified diff (title, URL, fields, text)."""
    change = packed.change
    diff = change.diff
    header = [
        f"# change {change.id}: {change.title}",
        f"# {change.category}, {change.severity}, detected {_plain(change.detected_at)}",
        f"# source {change.source_key}, item {change.item_key}",
    ]
    old, new = _item_lines(diff.get("old")), _item_lines(diff.get("new"))
    where = f"{change.source_key} {change.item_key}"
    lines = list(
        difflib.unified_diff(
            old,
            new,
            fromfile=f"{where} (snapshot {change.old_snapshot_id or 'none'})",
            tofile=f"{where} (snapshot {change.new_snapshot_id or 'none'})",
            lineterm="",
        )
    )
    return "\n".join([*header, *(lines or ["# (no line differs)"])]) + "\n"


def _item_lines(item: Any) -> list[str]:
    if not isinstance(item, dict):
        return []
    fields = item.get("fields") or {}
    return [
        f"title: {item.get('title') or ''}",
        f"url: {item.get('url') or ''}",
        *(f"{name}: {_field(fields[name])}" for name in sorted(fields)),
        "",
        *str(item.get("text") or "").split("\n"),
    ]


def _field(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _readme(event: EventRow) -> str:
    return "\n".join(
        [
            f"lexwatch evidence pack of event {event.id}: {event.title}",
            "",
            "event.json       the event, why its changes were grouped, its audit log, and every",
            "                 change with its evidence, check and raw responses; the alerts",
            "                 of its changes (subscription, channel, status, when sent) and",
            "                 its deadlines with every date they have had",
            "changes/ID/      each change's diff: diff.txt (unified diff), diff.json (as stored)",
            "raw/SHA256.EXT   the raw responses as served, named by their SHA-256; text (HTML,",
            "                 XML, JSON) ends in .txt, so that no browser runs a scraped page",
            "manifest.json    every file with its SHA-256 and size",
            "",
            "To verify, in this folder: sha256sum -c SHA256SUMS",
            "",
        ]
    )
