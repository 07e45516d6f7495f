"""A short word-diff excerpt of a change, for alerts: the edits with a little context."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.types import ItemDiff, TextOp

CONTEXT_WORDS = 8
MAX_WORDS = 60


def excerpt(
    diff: ItemDiff, *, context: int = CONTEXT_WORDS, max_words: int = MAX_WORDS
) -> tuple[TextOp, ...]:
    """The first edits of a diff, with the unchanged runs around them trimmed."""
    ops: list[TextOp] = []
    budget = max_words
    for block in diff.blocks:
        for op in _trimmed(block.ops, context):
            words = op.text.split()
            if budget <= 0:
                return tuple(ops)
            if len(words) > budget:
                op = TextOp(op=op.op, text=" ".join(words[:budget]) + " …")
            budget -= len(words)
            ops.append(op)
    return tuple(ops)


def _trimmed(ops: Sequence[TextOp], context: int) -> list[TextOp]:
    """Equal runs cut to ``context`` words next to an edit; a block with no edit is dropped."""
    if all(op.op == "equal" for op in ops):
        return []
    out: list[TextOp] = []
    for index, op in enumerate(ops):
        if op.op != "equal":
            out.append(op)
            continue
        out.append(
            TextOp(
                op="equal",
                text=_cut(op.text, context, first=index == 0, last=index == len(ops) - 1),
            )
        )
    return [op for op in out if op.text]


def _cut(text: str, context: int, *, first: bool, last: bool) -> str:
    words = text.split()
    if len(words) <= context * (1 if first or last else 2):
        return text
    if first:
        return "… " + " ".join(words[-context:])
    if last:
        return " ".join(words[:context]) + " …"
    return " ".join(words[:context]) + " … " + " ".join(words[-context:])
