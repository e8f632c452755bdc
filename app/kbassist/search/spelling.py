"""Fast "did you mean" over the KB's own words (a symmetric-delete index, as in SymSpell).

Whoosh's corrector compares the word with every term of a multi-segment index (about 70 ms a word on
the bundled KB, seconds on a large one). Here every KB word is stored under each of its one-letter
deletions, once per index segment (``WordIndex``, sorted arrays kept beside the index: ``word_index.py``), so
a lookup touches only the few words that share a deletion, and an edit's commit builds the index of its own
small segment only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from whoosh.analysis import SimpleAnalyzer

from kbassist.search.text import whole_matches
from kbassist.search.word_index import WordIndex, deletes, text_hashes

# The words a document is known by: Whoosh's SimpleAnalyzer tokens, lowercased (whoosh-reloaded's pattern
# keeps '*'). Counted per segment from the index's ``words`` column (records.py).
_TOKENS = whole_matches(SimpleAnalyzer().items[0].expression)


def spell_words(text: str) -> set[str]:
    """The distinct words of ``text`` that "did you mean" and completions know."""
    return set(map(str.lower, _TOKENS.findall(text)))


def distance(a: str, b: str) -> int:
    """Optimal-string-alignment edit distance (insert, delete, substitute, swap neighbours)."""
    if a == b:
        return 0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


MAX_KEPT_CORRECTIONS = 20_000  # words; a bound on memory (about 2 MiB)


class Speller:
    """The KB's words, in parts (one per index segment, built once each and kept across commits): a word's
    frequency is its frequency summed over the parts, as Whoosh counts it over segments."""

    def __init__(self, words: Iterable[tuple[str, int]] = (), parts: Sequence[WordIndex] = ()) -> None:
        """``words``: (word, document frequency) pairs; more frequent words win ties. ``parts``: word
        indexes built before."""
        self.parts = [*parts, WordIndex(words)]
        # A speller serves one commit, so a word's correction stays right until the next: the same unknown
        # words (names, shop names, typos) recur from case to case, and a long case asked for about 19, 4 ms
        # of its 25 at 10,000 articles.
        self._corrections: dict[tuple[str, int], str | None] = {}

    def __contains__(self, word: str) -> bool:
        return any(part.knows(word) for part in self.parts)

    def frequency(self, word: str) -> int:
        return sum(part.frequency(word) for part in self.parts)

    def completions(self, prefix: str, limit: int) -> list[str]:
        """The most common words (of any kind) that start with ``prefix``, the prefix itself excluded."""
        count: dict[str, int] = {}
        for part in self.parts:
            for word, n in part.starting_with(prefix):
                count[word] = count.get(word, 0) + n
        count.pop(prefix, None)
        return sorted(count, key=lambda w: (-count[w], w))[:limit]

    def correct(self, word: str, max_distance: int = 2) -> str | None:
        """The closest known word within ``max_distance`` edits (the most frequent among equals), or None."""
        key = (word, max_distance)
        if key in self._corrections:
            return self._corrections[key]
        found = self._correct(word.lower(), max_distance)
        if len(self._corrections) >= MAX_KEPT_CORRECTIONS:
            self._corrections.clear()
        self._corrections[key] = found
        return found

    def _correct(self, word: str, max_distance: int) -> str | None:
        if word in self or len(word) < 3:
            return None
        first = deletes(word)
        probes = {word} | first
        if max_distance >= 2:
            for deleted in first:
                probes |= deletes(deleted)
        ordered = sorted(probes)
        hashes = text_hashes(ordered)
        candidates: set[str] = set()
        for part in self.parts:
            candidates |= part.candidates(ordered, hashes)
        best: tuple[int, int, str] | None = None
        for candidate in candidates:
            d = distance(word, candidate)
            if d <= max_distance:
                key = (d, -self.frequency(candidate), candidate)
                if best is None or key < best:
                    best = key
        return best[2] if best else None
