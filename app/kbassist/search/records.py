"""What the index holds of each file, without its Markdown: the manifest an update compares the disk with.

Whoosh keeps a document's stored fields as one compressed pickle, Markdown included, so knowing which files
the index holds meant decompressing the whole KB: 700-830 ms on every update of a KB of 15,000 files, and
as much again for each list built from it (all items, the macros' articles). Each document also carries
its record (path, mtime, size, SHA-1 of the file, id and the item's fields but its body) in a Whoosh
column, which reads without the Markdown. A segment's records never change, so they are read once per
segment and kept by segment id across commits; an update reads only the segments its commit added, and the
record of a deleted document is skipped. Being part of the index, the manifest is committed, merged and
rebuilt with it: it can never disagree with what the index holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from whoosh.searching import Searcher

from kbassist.search.segment_cache import SegmentCache, segment_readers

T = TypeVar("T")

RECORD = "record"  # the column's field name (schema.py)
WORDS = "words"  # each document's distinct words for "did you mean", space-separated (schema.py)
RECORD_KEYS = ("id", "kind", "product", "path", "title", "tags", "codes", "meta", "signature", "mtime_ns", "size")


@dataclass(frozen=True, slots=True)
class FileState:
    """What the index stored about a file when it was last indexed."""

    signature: str
    mtime_ns: int
    size: int
    item_id: str


def record_of(document: dict[str, Any]) -> dict[str, Any]:
    """The record kept for ``document`` (``schema.to_document``'s fields): its stored fields but the Markdown."""
    return {key: document[key] for key in RECORD_KEYS}


class Records:
    """Each document's record, read once per segment."""

    def __init__(self) -> None:
        self.segments: SegmentCache[list[dict[str, Any] | None]] = SegmentCache(
            lambda reader: list(reader.column_reader(RECORD))
        )
        # What each file was when indexed, per segment: built from the records at every update, it was a
        # third of an edit's 150-250 ms at 10,000 articles.
        self.files: SegmentCache[list[tuple[str, FileState] | None]] = SegmentCache(
            lambda reader: [_file_state(r) if r else None for r in self.segments.get(reader)]
        )

    def indexed_files(self, searcher: Searcher) -> dict[str, FileState]:
        """Relative path -> what the index holds of that file, for every document not deleted."""
        return dict(state for _d, state in live_values(searcher, self.files))

    def live(self, searcher: Searcher) -> Iterator[tuple[int, dict[str, Any]]]:
        """(document number, record) of every document not deleted, in document order."""
        return live_values(searcher, self.segments)

    def by_docnum(self, searcher: Searcher) -> list[dict[str, Any] | None]:
        """Every document's record by document number, deleted ones included (a hit's fields)."""
        out: list[dict[str, Any] | None] = []
        for reader in segment_readers(searcher):
            out.extend(self.segments.get(reader))
        return out


def _file_state(record: dict[str, Any]) -> tuple[str, FileState]:
    return record["path"], FileState(record["signature"], record["mtime_ns"], record["size"], record["id"])


def live_values(searcher: Searcher, values: SegmentCache[list[T | None]]) -> Iterator[tuple[int, T]]:
    """(document number, value) of every document not deleted, in document order, from per-segment lists."""
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if reader.doc_count_all() == 0:
            continue
        deleted = set(reader.segment().deleted_docs()) if reader.has_deletions() else ()
        for local, value in enumerate(values.get(reader)):
            if value is not None and local not in deleted:
                yield offset + local, value


def count_words(reader: Any) -> list[tuple[str, int]]:
    """Each word of one segment with the number of its documents that hold it, deleted ones included (as
    Whoosh counts a term's documents)."""
    counts: Counter[str] = Counter()
    for words in reader.column_reader(WORDS):
        if words:
            counts.update(words.decode("utf-8").split(" "))
    return sorted(counts.items())
