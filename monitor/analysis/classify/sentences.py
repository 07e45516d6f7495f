"""Plain-text helpers: the sentences, words, normal forms and excerpts of a text.

They decide what counts as "the same" sentence or word in two versions of a text (``norm``
ignores case, spacing and trailing punctuation; ``words_of`` keeps letters and digits only),
and cut excerpts to a readable length at a word boundary (``shorten``). ``WordIndex`` finds
the old sentence most like a new one in time proportional to the words they share, which keeps
rewording detection fast on long legal texts. Pure functions of strings: a leaf that knows
nothing of diffs or rules."""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.analysis.classify.vocabulary import SENTENCE_SPLIT, WORD

_EXCERPT_CHARS = 280


def split_sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        out += [part.strip() for part in SENTENCE_SPLIT.split(line) if part.strip()]
    return out


def norm(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".;: ")


def words_of(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def substantive_words(text: str) -> int:
    return sum(1 for word in WORD.findall(text) if not word.isdigit())


class WordIndex:
    """Sentences by the words they hold, to find the one most like another in time
    proportional to the words shared, not to every pair of sentences."""

    def __init__(self, sentences: Sequence[str]) -> None:
        self.sentences = list(sentences)
        self.words = [frozenset(words_of(text)) for text in self.sentences]
        self.postings: dict[str, list[int]] = {}
        for number, words in enumerate(self.words):
            for word in words:
                self.postings.setdefault(word, []).append(number)

    def most_alike(self, text: str, threshold: float = 0.5) -> str | None:
        words = frozenset(words_of(text))
        if not words or not self.sentences:
            return None
        best, best_score = None, threshold
        for number in self._candidates(words):
            other = self.words[number]
            score = 2 * len(words & other) / (len(words) + len(other))
            if score >= best_score:
                best, best_score = number, score
        return self.sentences[best] if best is not None else None

    def _candidates(self, words: frozenset[str]) -> list[int]:
        """The sentences sharing the most of the words that few sentences hold (words in
        most sentences, "the", "of", say nothing about which one this is)."""
        common = max(8, len(self.sentences) // 4)
        shared: dict[int, int] = {}
        for word in words:
            postings = self.postings.get(word, ())
            if len(postings) <= common:
                for number in postings:
                    shared[number] = shared.get(number, 0) + 1
        if not shared:
            return list(range(min(len(self.sentences), 50)))
        return sorted(shared, key=shared.__getitem__, reverse=True)[:20]


_DIGIT = re.compile(r"\d")


def has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def shorten(text: str, limit: int = _EXCERPT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
