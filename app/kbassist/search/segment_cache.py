"""Something computed from one Whoosh segment, kept by segment id across commits.

A segment never changes once written (a deletion only marks documents), so what was read or built from it
(its records, its words for "did you mean", the documents a phrase matches) holds for as long as the segment
lives: a commit that adds an edit's small segment rebuilds nothing of the big one. A merge replaces
segments; ``retain`` forgets those.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

T_co = TypeVar("T_co", covariant=True)  # a cache of lists serves where a cache of sequences is asked for


def segment_id(reader: Any) -> str:
    """Whoosh's id of the segment ``reader`` reads (a segment reader)."""
    return str(reader.segment().segment_id())


def segment_readers(searcher: Any) -> list[Any]:
    """The readers of the searcher's segments that hold documents, in document order."""
    readers = [sub.reader() for sub, _offset in searcher.leaf_searchers()]
    return [r for r in readers if r.doc_count_all()]


def live_segments(searcher: Any) -> list[tuple[Any, int, frozenset[int]]]:
    """(reader, first document number, deleted document numbers within it) of the searcher's segments that
    hold documents, in document order."""
    return [
        (reader, offset, frozenset(reader.segment().deleted_docs()) if reader.has_deletions() else frozenset())
        for sub, offset in searcher.leaf_searchers()
        if (reader := sub.reader()).doc_count_all()
    ]


class SegmentCache(Generic[T_co]):
    """Segment id -> ``build(reader)``, built on first use; safe to use from several threads."""

    def __init__(self, build: Callable[[Any], T_co]) -> None:
        self._build = build
        self._by_segment: dict[str, T_co] = {}
        self._lock = threading.Lock()

    def get(self, reader: Any) -> T_co:
        key = segment_id(reader)
        with self._lock:
            if key in self._by_segment:
                return self._by_segment[key]
        value = self._build(reader)
        with self._lock:
            return self._by_segment.setdefault(key, value)

    def retain(self, segments: Iterable[str]) -> None:
        """Forget the segments a merge removed."""
        keep = set(segments)
        with self._lock:
            for gone in [s for s in self._by_segment if s not in keep]:
                del self._by_segment[gone]
