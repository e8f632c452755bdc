"""The documents each phrase query matches, per Whoosh segment, kept across commits.

Phrases come from the synonym list ("bank transfer", "charged twice"), so the same few hundred recur in every
case, and matching one costs Whoosh a positions check in every document that holds its words. Which
documents of a segment match a phrase never changes (segments are immutable; deletions are masked by the
scoring table), so each phrase is matched once per segment; an edit's new segment matches it again, the big
segment of a full build is never asked twice. Scores are not kept here: they change with every commit
(``ScoringTable.phrase`` computes them from the table).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import numpy as np
from whoosh.query import Phrase
from whoosh.searching import Searcher

from kbassist.search.scoring_table import ScoringTable

PhraseKey = tuple[str, tuple[bytes, ...], int]  # field, words, slop

# A bound on memory: 15,000 documents and 173 cases matched 555 phrases in 38,553 documents in all.
MAX_DOCS = 2_000_000


class PhraseDocs:
    """Segment id -> phrase -> the segment-local documents it matches (ascending)."""

    def __init__(self, max_docs: int = MAX_DOCS) -> None:
        self._by_segment: dict[str, dict[PhraseKey, np.ndarray]] = {}
        self._held = 0
        self.max_docs = max_docs
        self._lock = threading.Lock()

    def docs(
        self, searcher: Searcher, table: ScoringTable, fieldname: str, words: Sequence[bytes], slop: int
    ) -> np.ndarray:
        """Index-wide numbers of the documents the phrase matches (deleted ones may be among them)."""
        key = (fieldname, tuple(words), slop)
        parts = []
        for (sub, _offset), segment, offset in zip(
            searcher.leaf_searchers(), table.segments, table.offsets[:-1], strict=True
        ):
            with self._lock:
                local = self._by_segment.get(segment.key, {}).get(key)
            if local is None:
                local = _match(sub, fieldname, words, slop)
                self._keep(segment.key, key, local)
            parts.append(local + offset)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _keep(self, segment: str, key: PhraseKey, local: np.ndarray) -> None:
        with self._lock:
            if self._held + len(local) <= self.max_docs:
                self._by_segment.setdefault(segment, {})[key] = local
                self._held += len(local)

    def retain(self, segments: Iterable[str]) -> None:
        """Forget the segments a merge removed."""
        keep = set(segments)
        with self._lock:
            for gone in [s for s in self._by_segment if s not in keep]:
                self._held -= sum(len(d) for d in self._by_segment.pop(gone).values())


def _match(sub: Searcher, fieldname: str, words: Sequence[bytes], slop: int) -> np.ndarray:
    """The segment's documents that hold the phrase, through Whoosh's own phrase matcher."""
    matcher = Phrase(fieldname, [w.decode("utf-8") for w in words], slop=slop).matcher(sub, sub.context())
    found: list[int] = []
    while matcher.is_active():
        found.append(matcher.id())
        matcher.next()
    return np.array(found, dtype=np.int64)
