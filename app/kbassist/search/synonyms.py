"""Load the synonym groups from synonyms.yaml and expand terms with them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kbassist.search.data_files import load_yaml
from kbassist.search.text import INDEX_STOP_WORDS, stem, tokenize

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")


@dataclass(frozen=True, slots=True)
class Synonyms:
    """Phrases as stemmed token tuples; each maps to the other phrases of its group(s)."""

    alternatives: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]
    max_len: int

    def expand(self, phrase: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        return self.alternatives.get(phrase, ())

    def phrases_in(self, stems: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, phrase) for the longest multi-word synonym phrases found in a stem sequence."""
        found: list[tuple[int, int, tuple[str, ...]]] = []
        i = 0
        while i < len(stems):
            for size in range(min(self.max_len, len(stems) - i), 1, -1):
                candidate = tuple(stems[i : i + size])
                if candidate in self.alternatives:
                    found.append((i, i + size, candidate))
                    i += size - 1
                    break
            i += 1
        return found


def parse_groups(groups: list[list[object]]) -> Synonyms:
    alternatives: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for group in groups:
        phrases = []
        for entry in group:
            stems = tuple(stem(t) for t in tokenize(str(entry)) if t not in INDEX_STOP_WORDS)
            if stems:
                phrases.append(stems)
        for phrase in phrases:
            alternatives.setdefault(phrase, set()).update(p for p in phrases if p != phrase)
    max_len = max((len(p) for p in alternatives), default=1)
    return Synonyms({k: tuple(sorted(v)) for k, v in alternatives.items()}, max_len)


@cache
def load_synonyms(path: Path = SYNONYMS_FILE) -> Synonyms:
    data = load_yaml(path) or {}
    return parse_groups(data.get("groups", []))
