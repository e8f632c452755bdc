"""From a case's weighed words to the query that ranks it.

A case is never sent to Whoosh word for word: its key terms are chosen by weight × rarity in the KB (words
the KB does not know are spell-corrected to its nearest word, in English), expanded with synonyms, and
joined with the codes and ID prefixes it names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from whoosh.query import Query, Term

from kbassist.search.case import WeightedTerm
from kbassist.search.queries import CODE_BOOST, flat_or, term_query
from kbassist.search.spelling import Speller
from kbassist.search.synonyms import Synonyms
from kbassist.search.text import INDEX_STOP_WORDS, common_words, stem

MAX_KEY_TERMS = 40
IDF_EXPONENT = 0.5  # how much rarity counts when choosing key terms (BM25 already weighs it in scoring)
SYNONYM_FACTOR = 0.25  # for case terms: a long case already names most synonyms itself
PREFIX_BOOST = 1.5
MAX_TYPO_DISTANCE = 2  # edits allowed when correcting a word (of 6+ letters) the KB does not know
TYPO_FACTOR = 0.8
RARITY_FIELDS = ("title", "tags", "body")  # where a term's document frequency is counted


@dataclass(frozen=True, slots=True)
class KeyTerm:
    phrase: tuple[str, ...]  # one stem, or the stems of a synonym phrase: ("bank", "transfer")
    surface: str
    weight: float  # case weight × rarity in the KB

    @property
    def stem(self) -> str:
        """The phrase as one readable string ("bank transfer"): a sort key and a name, never split again."""
        return " ".join(self.phrase)


class Rarity(Protocol):
    """How many documents hold a term: a Whoosh searcher, or the commit's scoring table (the same counts)."""

    def doc_count(self) -> int: ...

    def doc_frequency(self, fieldname: str, text: str) -> int: ...


def _idf(rarity: Rarity, stems: tuple[str, ...]) -> float:
    n = max(rarity.doc_count(), 1)
    words = [s for s in stems if s not in INDEX_STOP_WORDS]
    df = max((rarity.doc_frequency(f, s) for f in RARITY_FIELDS for s in words), default=0)
    return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0


CALENDAR_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split()
)


def _correctable(word: str) -> bool:
    """A word worth spell-correcting: long enough, and not plain English the KB happens not to use."""
    return word.isalpha() and len(word) >= 4 and word not in CALENDAR_WORDS and word not in common_words()


def key_terms(
    rarity: Rarity, terms: list[WeightedTerm], synonyms: Synonyms, speller: Speller | None = None
) -> list[KeyTerm]:
    """The case's most telling terms: frequent in the case, known to the KB, misspellings corrected."""
    scored: list[KeyTerm] = []
    for original in terms:
        term = original
        phrase = term.phrase
        idf = _idf(rarity, phrase) if len(phrase) == 1 else 0.0
        for alt in synonyms.expand(phrase):
            if len(alt) == 1:
                idf = max(idf, _idf(rarity, alt) * SYNONYM_FACTOR)
        if len(phrase) > 1 and idf == 0.0:
            idf = 1.0  # a synonym phrase is a known topic even when all its alternatives are phrases
        if idf == 0.0 and speller and len(phrase) == 1 and _correctable(term.surface):
            # Unknown to the KB: a typo such as "refnd" or "payot" gets the KB's nearest word instead.
            guess = speller.correct(term.surface, min(MAX_TYPO_DISTANCE, 2 if len(term.surface) >= 6 else 1))
            if guess:
                fixed = stem(guess)
                idf = _idf(rarity, (fixed,))
                term = WeightedTerm((fixed,), guess, term.weight * TYPO_FACTOR)
        if idf > 0:
            scored.append(KeyTerm(term.phrase, term.surface, term.weight * idf**IDF_EXPONENT))
    merged: dict[tuple[str, ...], KeyTerm] = {}
    for key in scored:  # a corrected typo may meet the same word spelled right
        if key.phrase not in merged or merged[key.phrase].weight < key.weight:
            merged[key.phrase] = key
    ranked = sorted(merged.values(), key=lambda k: (-k.weight, k.stem))
    return ranked[:MAX_KEY_TERMS]


def build_case_query(keys: list[KeyTerm], codes: list[str], prefixes: list[str], synonyms: Synonyms) -> Query | None:
    """One flat OR: each key term boosted by its weight (its synonyms by ``SYNONYM_FACTOR`` of it), the codes,
    the ID prefixes."""
    clauses: list[Query] = []
    top = max((k.weight for k in keys), default=1.0) or 1.0
    for key in keys:
        boost = key.weight / top
        clauses.append(term_query(key.phrase, boost))
        if SYNONYM_FACTOR > 0:
            clauses.extend(term_query(alt, boost * SYNONYM_FACTOR) for alt in synonyms.expand(key.phrase))
    clauses.extend(Term("codes", code, boost=CODE_BOOST) for code in codes)
    clauses.extend(Term("codes", prefix, boost=PREFIX_BOOST) for prefix in prefixes)
    # Flattened into one Or of terms and phrases, each scored on its own (collect.py).
    return flat_or(clauses)


class KeySurfaces:
    """Which key terms a document matched, itself or through a synonym (all of a phrase's words), by their
    surfaces. Each key's options are read once per case and indexed by their words: a document's few dozen
    words then find the keys they may complete, where testing every key's every option for each of a case's
    80 candidates had been a tenth of a suggestion at 10,000 articles."""

    def __init__(self, keys: list[KeyTerm], synonyms: Synonyms) -> None:
        self._surfaces = [key.surface for key in keys]
        # word -> (key number, the option's words) for every option holding the word
        self._by_word: dict[bytes, list[tuple[int, frozenset[bytes]]]] = {}
        for number, key in enumerate(keys):
            for option in (key.phrase, *synonyms.expand(key.phrase)):
                words = frozenset(w.encode("utf-8") for w in option)
                for word in words:
                    self._by_word.setdefault(word, []).append((number, words))

    def matched(self, hit_terms: set[tuple[str, bytes]]) -> list[str]:
        """``hit_terms``: the (field, term) pairs a document matched, terms as Whoosh's bytes."""
        words = {term for _field, term in hit_terms}
        found: set[int] = set()
        for word in words:
            for number, option in self._by_word.get(word, ()):
                if number not in found and option <= words:
                    found.add(number)
        return [self._surfaces[number] for number in sorted(found)]
