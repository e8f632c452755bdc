"""What the index holds of each file, without its Markdown: the manifest an update compares the disk with.

Whoosh keeps a document's stored fields as one compressed pickle, Markdown included, so knowing which files
the index holds meant decompressing the whole KB: 700-830 ms on every update of a KB of 15,000 files, and
as much again for each list built from it (all items, the macros' articles). Each document also carries
its record (path, mtime, size, SHA-1 of the file, id and the item's fields but its body) in a Whoosh
column, which reads without the Markdown; what an update, a hit, a macro's links and the vectors need of it
is its brief (``briefs.py``), kept beside the index per segment and by segment id across commits, so an
update reads only the segments its commit added, and the brief of a deleted document is skipped. Being made
from the index, the manifest is committed, merged and rebuilt with it: it can never disagree with what the
index holds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import Any, Generic, TypeVar

from whoosh.searching import Searcher

from kbassist.content.model import ItemKind, ItemSummary
from kbassist.search import briefs
from kbassist.search.briefs import Brief, Briefs, BriefSequence, brief_of
from kbassist.search.segment_cache import SegmentCache, live_segments, segment_id, segment_readers

T = TypeVar("T")
V = TypeVar("V")

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
    """Each document's brief (``briefs.py``), read once per segment and kept by segment id; ``folder``: the
    index generation open now, where the briefs are kept (None: an index in memory). The records themselves
    are read only to make a segment's briefs or its items, and not kept: 87 MiB for 15,000 documents."""

    def __init__(self, folder: Callable[[], Path | None] = lambda: None) -> None:
        self.briefs: SegmentCache[Briefs] = SegmentCache(lambda reader: self._briefs(reader, folder()))
        self.ids: SegmentCache[Filed[bool]] = SegmentCache(  # each segment's documents filed by item id
            lambda reader: FiledKeys(self.briefs.get(reader).column("id"))
        )
        self._summaries: SegmentCache[list[ItemSummary | None]] = SegmentCache(
            lambda reader: _summaries(self.briefs.get(reader))
        )
        self.caches: list[SegmentCache[Any]] = [self.briefs, self.ids, self._summaries]  # what a merge retires

    def docnums(self, searcher: Searcher) -> Mapping[str, int]:
        """Item id -> document number, the first live document holding it: ``KbIndex.get`` by this map
        rather than Whoosh's ``document(id=)``, which looked the id up in every segment's term files (a
        tenth of a suggestion at 10,000 articles, five macros read a case). Looked up per segment when asked
        (``FirstLive``): made as one dict at every commit, it cost the first case after an edit 5 ms."""
        return FirstLive(searcher, self.ids)

    def summaries(self, searcher: Searcher) -> list[ItemSummary]:
        """Every item not deleted, summed up from its brief (``ItemSummary``), in document order: made per
        segment and kept, as made again for all 15,000 documents at every commit they held the search lock
        25-35 ms after each edit in the window at 10,000 articles."""
        return [summary for _d, summary in live_values(searcher, self._summaries)]

    def live_briefs(self, searcher: Searcher) -> Iterator[tuple[int, Brief]]:
        """(document number, brief) of every document not deleted, in document order."""
        return live_values(searcher, self.briefs)

    def by_docnum(self, searcher: Searcher) -> ChainedBriefs:
        """Every document's brief by document number, deleted ones included (a hit's fields)."""
        return ChainedBriefs([self.briefs.get(reader) for reader in segment_readers(searcher)])

    @staticmethod
    def _briefs(reader: Any, folder: Path | None) -> Briefs:
        """A segment's briefs: kept beside the generation, else made from its records (and kept)."""
        found = briefs.load(folder, segment_id(reader), reader.doc_count_all()) if folder is not None else None
        return found if found is not None else keep_briefs(reader, folder)


def _summaries(briefs: Briefs) -> list[ItemSummary | None]:
    """Each document's ``ItemSummary`` (None: no record), straight from the columns."""
    columns = [briefs.column(key) for key in ("id", "kind", "product", "title", "path", "signature")]
    return [
        ItemSummary(item_id, ItemKind(kind), product, title, path, signature) if item_id is not None else None
        for item_id, kind, product, title, path, signature in zip(*columns, strict=True)
    ]


class ChainedBriefs(BriefSequence):
    """Segments' briefs one after another: a commit's documents by number. Joined into one list, every brief
    of 15,000 documents was made as a dict before a fresh process's first case (``Briefs`` makes one when it is
    asked for)."""

    def __init__(self, parts: list[Briefs]) -> None:
        self._parts = parts
        self._starts = list(accumulate((len(part) for part in parts), initial=0))

    def __len__(self) -> int:
        return self._starts[-1]

    def _brief(self, doc: int) -> Brief | None:
        part = bisect_right(self._starts, doc) - 1
        return self._parts[part][doc - self._starts[part]]


def keep_briefs(reader: Any, folder: Path | None) -> Briefs:
    """A segment's briefs made from its records, and kept beside the generation ``folder`` (None: not kept)."""
    made = Briefs.of([brief_of(r) for r in read_records(reader)])
    if folder is not None:
        briefs.save(folder, segment_id(reader), made)
    return made


def read_records(reader: Any) -> list[dict[str, Any] | None]:
    """One segment's records, deleted documents included, by document number."""
    return list(reader.column_reader(RECORD))


def live_values(searcher: Searcher, values: SegmentCache[Sequence[T | None]]) -> Iterator[tuple[int, T]]:
    """(document number, value) of every document not deleted, in document order, from per-segment lists."""
    for reader, offset, deleted in live_segments(searcher):
        for local, value in enumerate(values.get(reader)):
            if value is not None and local not in deleted:
                yield offset + local, value


Filed = Mapping[str, Sequence[tuple[int, T]]]  # one segment's values filed by key: key -> [(document number, value)]


def filed(briefs: Iterable[tuple[int, Brief]], pairs: Callable[[Brief], list[tuple[str, T]] | None]) -> Filed[T]:
    """One segment's documents' ``pairs(brief)`` (key, value) filed by key, in document order; ``briefs``:
    (document number, brief) of the documents to look at, in document order."""
    out: dict[str, list[tuple[int, T]]] = {}
    for doc, brief in briefs:
        for key, value in pairs(brief) or ():
            out.setdefault(key, []).append((doc, value))
    return out


class FiledKeys(Mapping[str, list[tuple[int, bool]]]):
    """One segment's documents filed by the key each holds (``keys``, by document number; None: none), as
    ``filed`` would file them, without a list per key: made by ``dict(zip())``, filing 15,000 item ids takes
    about 2 ms against 10-17 ms one document at a time."""

    def __init__(self, keys: Sequence[str | None]) -> None:
        first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))  # a key's first document
        first.pop(None, None)
        self._first: dict[str | None, int] = first
        self._more: dict[str, list[int]] = {}  # a key held by more than one document: its later ones
        if len(first) < len(keys) - list(keys).count(None):
            for doc, key in enumerate(keys):
                if key is not None and first[key] != doc:
                    self._more.setdefault(key, []).append(doc)

    def __getitem__(self, key: str) -> list[tuple[int, bool]]:
        return [(doc, True) for doc in (self._first[key], *self._more.get(key, ()))]

    def __iter__(self) -> Iterator[str]:
        return (key for key in self._first if key is not None)

    def __len__(self) -> int:
        return len(self._first)


class _Filings(Mapping[str, V], Generic[V, T]):
    """One commit's live documents filed by key (``filed``, kept per segment), looked up segment by segment
    when a key is asked for; what a key maps to is the subclass's."""

    def __init__(self, searcher: Searcher, segments: SegmentCache[Filed[T]]) -> None:
        self._parts = [(segments.get(r), deleted, offset) for r, offset, deleted in live_segments(searcher)]

    def _live(self, key: str) -> Iterator[tuple[int, T]]:
        """(document number, value) of each live document filed under ``key``, in document order."""
        for by_key, deleted, offset in self._parts:
            for doc, value in by_key.get(key, ()):
                if doc not in deleted:
                    yield int(offset) + doc, value

    def __iter__(self) -> Iterator[str]:
        keys = dict.fromkeys(key for by_key, _deleted, _offset in self._parts for key in by_key)
        return (key for key in keys if key in self)

    def __len__(self) -> int:
        return sum(1 for _key in self)


class LiveLookup(_Filings[list[T], T]):
    """Key -> the values of one commit's live documents filed under it, in document order. Joined into one
    dict at every commit, the macros' links to the articles they rely on (15,000 documents, asked for ten
    articles a case) took the first case after an edit 5-8 ms at 10,000 articles."""

    def __getitem__(self, key: str) -> list[T]:
        found = [value for _doc, value in self._live(key)]
        if not found:
            raise KeyError(key)
        return found


class FirstLive(_Filings[int, Any]):
    """Key -> the number of the first live document filed under it."""

    def __getitem__(self, key: str) -> int:
        for docnum, _value in self._live(key):
            return docnum
        raise KeyError(key)


SortedRun = list[tuple[Any, int, T]]  # (sort key, document number, value), by key then document number


def sorted_run(values: list[T | None], key: Callable[[T], Any]) -> SortedRun[T]:
    """One segment's values (by document number) in the order ``key`` gives, ties by document number."""
    return sorted((key(value), doc, value) for doc, value in enumerate(values) if value is not None)


def live_sorted(searcher: Searcher, runs: SegmentCache[SortedRun[T]]) -> list[T]:
    """The values of every document not deleted, sorted by key, ties in document order: what ``sorted`` gives
    over ``live_values``. Each segment's values are sorted once (``sorted_run``); a commit joins the runs,
    which Python's sort merges. Sorting the 15,000 items again at every commit took an edit's update in the
    window 30 ms at 10,000 articles, the search lock held."""
    joined: SortedRun[T] = []
    for reader, _offset, deleted in live_segments(searcher):
        joined.extend(entry for entry in runs.get(reader) if entry[1] not in deleted)
    joined.sort(key=itemgetter(0))
    return [value for _key, _doc, value in joined]


def count_words(reader: Any) -> list[tuple[str, int]]:
    """Each word of one segment with the number of its documents that hold it, deleted ones included (as
    Whoosh counts a term's documents)."""
    counts: Counter[str] = Counter()
    for words in reader.column_reader(WORDS):
        if words:
            counts.update(words.decode("utf-8").split(" "))
    return sorted(counts.items())
