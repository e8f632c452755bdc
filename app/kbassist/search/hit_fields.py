"""What a hit shows of its document (id, kind, title, product), read once per document and segment.

Whoosh stores a document's fields as one compressed pickle, Markdown included, so a candidate's title costs
decompressing the whole article: 80 candidates a case, about a fifth of a suggestion once scoring became
array work. A segment's documents never change, so what was read stays valid across commits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from kbassist.search.scoring_table import ScoringTable

SHOWN = ("id", "kind", "title", "product")


class HitFields:
    """Segment id -> document number in the segment -> its shown fields."""

    def __init__(self) -> None:
        self._by_segment: dict[str, dict[int, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, searcher: Searcher, table: ScoringTable, docnum: int) -> dict[str, Any]:
        index = int(np.searchsorted(table.offsets, docnum, side="right")) - 1
        key, local = table.segments[index].key, docnum - int(table.offsets[index])
        with self._lock:
            shown = self._by_segment.get(key, {}).get(local)
        if shown is None:
            stored = searcher.stored_fields(docnum)
            shown = {name: stored[name] for name in SHOWN if name in stored}
            with self._lock:
                self._by_segment.setdefault(key, {})[local] = shown
        return shown

    def retain(self, segments: Iterable[str]) -> None:
        """Forget the segments a merge removed."""
        keep = set(segments)
        with self._lock:
            for gone in [s for s in self._by_segment if s not in keep]:
                del self._by_segment[gone]
