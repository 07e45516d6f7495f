"""The text a diff adds and removes, as sentences, without what merely moved.

Only new sentences can announce something, so ``delta_of`` keeps the sentences a diff adds and
removes minus moved ones (``moved_sentences``: removed in one place and added in another), site
chrome, update stamps, and rewordings that differ only by typos, punctuation or case.
``twin_of`` pairs an added sentence with the removed one it rewrites, so that a rule can tell a
fact the old text already stated (no news) from a new one, and an old date from its
replacement."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.analysis.classify.findings import Call, Delta, Sentence
from monitor.analysis.classify.quiet import net_words, quiet_block
from monitor.analysis.classify.sentences import WordIndex, norm, split_sentences, words_of
from monitor.analysis.classify.vocabulary import STAMP
from monitor.types import ItemDiff


def delta_of(diff: ItemDiff, call: Call) -> Delta:
    """The sentences the diff adds and removes, without moved ones, chrome and stamps."""
    delta = Delta()
    for block in diff.blocks:
        old = _block_sentences(block.old, call)
        new = _block_sentences(block.new, call)
        old_keys, new_keys = {norm(s) for s in old}, {norm(s) for s in new}
        delta.added += [Sentence(s, block.new or "") for s in new if norm(s) not in old_keys]
        delta.removed += [Sentence(s, block.old or "") for s in old if norm(s) not in new_keys]
    if diff.title_changed and diff.old is not None and diff.new is not None:
        delta.added.append(Sentence(diff.new.title, diff.new.title))
        delta.removed.append(Sentence(diff.old.title, diff.old.title))
    return _without_rewordings(delta)


def _without_rewordings(delta: Delta) -> Delta:
    """Drop sentence pairs that differ only by typos, punctuation or case: such a sentence
    says nothing new, and neither is its old version gone."""
    if not delta.added or not delta.removed:
        return delta
    same: set[str] = set()
    kept = []
    for sentence in delta.added:
        twin = twin_of(sentence.text, delta)
        if (
            twin is not None
            and twin not in same
            and net_words(words_of(twin), words_of(sentence.text), numbers=True) == 0
        ):
            same.add(twin)
        else:
            kept.append(sentence)
    if not same:
        return delta
    return Delta(added=kept, removed=[s for s in delta.removed if s.text not in same])


def _block_sentences(block: str | None, call: Call) -> list[str]:
    if not block or quiet_block(block, call):
        return []
    return [s for s in split_sentences(block) if norm(s) not in call.moved and not STAMP.match(s)]


def moved_sentences(diffs: Sequence[ItemDiff]) -> frozenset[str]:
    """Sentences and blocks that one diff removes and another (or the same) adds: moved, so
    neither new nor gone."""
    added: set[str] = set()
    removed: set[str] = set()
    for diff in diffs:
        for block in diff.blocks:
            if block.new:
                added.add(norm(block.new))
                added.update(norm(s) for s in split_sentences(block.new))
            if block.old:
                removed.add(norm(block.old))
                removed.update(norm(s) for s in split_sentences(block.old))
    return frozenset(added & removed)


def added_text(diff: ItemDiff, call: Call) -> str:
    blocks = [b.new for b in diff.blocks if b.new and norm(b.new) not in call.moved]
    return "\n".join(blocks) if blocks else diff.item.text


def twin_of(text: str, delta: Delta) -> str | None:
    """The removed sentence this added one rewrites: the most alike, sharing at least half
    of their words (Dice coefficient over word sets), or None."""
    if text not in delta.twins:
        if delta.index is None:
            delta.index = WordIndex([s.text for s in delta.removed])
        delta.twins[text] = delta.index.most_alike(text)
    return delta.twins[text]
