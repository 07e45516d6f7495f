"""Compare two documents: by item key, then fields, then text blocks, then words.

Reordering items is not a change (items are matched by key), and identical normalised
content is never a change. Text is compared block by block (a block is one line of the
normalised text, i.e. one paragraph); only blocks that differ are diffed word by word.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Literal

from monitor.types import (
    BlockChange,
    DiffKind,
    Document,
    FieldChange,
    Item,
    ItemDiff,
    TextOp,
)

# Fields that say where an item is, not what it says: a document's page numbers move when
# text above them grows, and that is no change of the item. Kept, shown, never compared.
LOCATION_FIELDS = frozenset({"pages"})


def diff_documents(old: Document, new: Document) -> list[ItemDiff]:
    """Item diffs from ``old`` to ``new``, in the new document's order, removals last."""
    old_items = {item.key: item for item in old.items}
    new_keys = {item.key for item in new.items}
    diffs: list[ItemDiff] = []
    for item in new.items:
        before = old_items.get(item.key)
        if before is None:
            diffs.append(
                ItemDiff(
                    kind=DiffKind.ADDED,
                    key=item.key,
                    old=None,
                    new=item,
                    blocks=_whole_text(item.text, inserted=True),
                )
            )
        elif before != item:
            modified = diff_items(before, item)
            if modified is not None:
                diffs.append(modified)
    for item in old.items:
        if item.key not in new_keys:
            diffs.append(
                ItemDiff(
                    kind=DiffKind.REMOVED,
                    key=item.key,
                    old=item,
                    new=None,
                    blocks=_whole_text(item.text, inserted=False),
                )
            )
    return diffs


def changed_items(old: Document, new: Document) -> int:
    """How many items ``diff_documents`` would report, counted without diffing any text (a
    modified item is one whose values differ: at most one too many when only its field order
    did)."""
    old_items = {item.key: item for item in old.items}
    new_keys = {item.key for item in new.items}
    count = sum(1 for item in new.items if _differs(old_items.get(item.key, None), item))
    return count + sum(1 for key in old_items if key not in new_keys)


def _differs(old: Item | None, new: Item) -> bool:
    if old is None or old == new:
        return old is None
    return (
        old.text != new.text
        or old.title != new.title
        or old.url != new.url
        or bool(diff_fields(old.fields, new.fields))
    )


def diff_items(old: Item, new: Item) -> ItemDiff | None:
    """The modification from ``old`` to ``new`` (same key), or None when nothing differs."""
    fields = diff_fields(old.fields, new.fields)
    if old.url != new.url:
        fields = (FieldChange(name="url", old=old.url, new=new.url), *fields)
    blocks = diff_text(old.text, new.text)
    title_changed = old.title != new.title
    if not (fields or blocks or title_changed):
        return None
    return ItemDiff(
        kind=DiffKind.MODIFIED,
        key=new.key,
        old=old,
        new=new,
        fields=fields,
        blocks=blocks,
        title_changed=title_changed,
    )


def diff_fields(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[FieldChange, ...]:
    """Changed, added and removed fields, sorted by name (``LOCATION_FIELDS`` never)."""
    names = sorted((set(old) | set(new)) - LOCATION_FIELDS)
    return tuple(
        FieldChange(name=name, old=old.get(name), new=new.get(name))
        for name in names
        if old.get(name) != new.get(name)
    )


def diff_text(old: str, new: str) -> tuple[BlockChange, ...]:
    """Changed blocks between two normalised texts, each with its word diff."""
    if old == new:
        return ()
    old_blocks, new_blocks = _blocks(old), _blocks(new)
    matcher = difflib.SequenceMatcher(None, old_blocks, new_blocks, autojunk=False)
    changes: list[BlockChange] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changes.extend(_changed_run(old_blocks[i1:i2], new_blocks[j1:j2]))
    return tuple(changes)


# difflib is quadratic on repetitive text: beyond this many word pairs a block is compared
# sentence by sentence first, so a huge paragraph can never stall a check.
_MAX_WORD_PAIRS = 250_000
_SENTENCE_END = re.compile(r"(?<=[.;:!?]) ")


def diff_words(old: str, new: str) -> tuple[TextOp, ...]:
    """Word-level operations turning ``old`` into ``new``; equal runs are kept for context."""
    old_words, new_words = old.split(" "), new.split(" ")
    if len(old_words) * len(new_words) > _MAX_WORD_PAIRS:
        return _diff_sentences(old, new)
    return _word_ops(old_words, new_words)


def _diff_sentences(old: str, new: str) -> tuple[TextOp, ...]:
    """A long block: sentences first, then words inside changed sentences (if small)."""
    old_parts, new_parts = _SENTENCE_END.split(old), _SENTENCE_END.split(new)
    matcher = difflib.SequenceMatcher(None, old_parts, new_parts, autojunk=True)
    ops: list[TextOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = " ".join(old_parts[i1:i2]), " ".join(new_parts[j1:j2])
        if tag == "equal":
            ops.append(TextOp(op="equal", text=before))
        elif before and after and len(before) * len(after) < _MAX_WORD_PAIRS * 16:
            ops.extend(_word_ops(before.split(" "), after.split(" ")))
        else:
            ops.extend(
                TextOp(op=op, text=text)  # type: ignore[arg-type]
                for op, text in (("delete", before), ("insert", after))
                if text
            )
    return tuple(ops)


def _word_ops(old_words: list[str], new_words: list[str]) -> tuple[TextOp, ...]:
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    ops: list[TextOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(TextOp(op="equal", text=" ".join(old_words[i1:i2])))
            continue
        if i2 > i1:
            ops.append(TextOp(op="delete", text=" ".join(old_words[i1:i2])))
        if j2 > j1:
            ops.append(TextOp(op="insert", text=" ".join(new_words[j1:j2])))
    return tuple(ops)


def _changed_run(old_blocks: list[str], new_blocks: list[str]) -> Iterable[BlockChange]:
    """Pair replaced blocks one to one (word diff); the surplus is inserted or deleted whole."""
    paired = min(len(old_blocks), len(new_blocks))
    for before, after in zip(old_blocks[:paired], new_blocks[:paired], strict=True):
        yield BlockChange(old=before, new=after, ops=diff_words(before, after))
    for before in old_blocks[paired:]:
        yield BlockChange(old=before, new=None, ops=(TextOp(op="delete", text=before),))
    for after in new_blocks[paired:]:
        yield BlockChange(old=None, new=after, ops=(TextOp(op="insert", text=after),))


def _whole_text(text: str, *, inserted: bool) -> tuple[BlockChange, ...]:
    op: Literal["insert", "delete"] = "insert" if inserted else "delete"
    return tuple(
        BlockChange(
            old=None if inserted else block,
            new=block if inserted else None,
            ops=(TextOp(op=op, text=block),),
        )
        for block in _blocks(text)
    )


def _blocks(text: str) -> list[str]:
    return text.split("\n") if text else []
