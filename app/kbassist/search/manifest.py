"""What the index holds of each file, kept in step with each commit by what the commit changed.

An update compares files with what the index holds of them (``records.FileState``) and asks which file holds
an id. Made again at every commit from each document's brief, that manifest cost an edit 17-35 ms at 10,000
articles (15,000 documents), and the plan another 45 ms walking all of it for the one file a watcher
reported. A commit changes little: it adds segments (an edit's holds one document), marks documents of the
others deleted, and a merge replaces segments with one holding the same live documents. ``advanced`` starts
from the last commit's manifest and applies only that: the documents of segments gone and the documents
newly deleted leave, those of new segments come in. The manifest holds the briefs themselves (``briefs.py``,
kept per segment): a ``FileState`` is made only for the files an update asks about.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from whoosh.searching import Searcher

from kbassist.search.briefs import Brief
from kbassist.search.records import FileState
from kbassist.search.segment_cache import SegmentCache, live_segments, segment_id

Briefs = Sequence[Brief | None]  # one segment's briefs by document number (``Records.briefs``)


@dataclass(frozen=True, slots=True)
class _Seen:
    """A segment as the manifest last saw it."""

    briefs: Briefs
    deleted: frozenset[int]


class Manifest(Mapping[str, FileState]):
    """Relative path -> what the index holds of that file, for every live document of one commit; and which
    file holds each id. Never changed once made: ``advanced`` makes the next commit's."""

    def __init__(self) -> None:
        self._by_path: dict[str, Brief] = {}
        self._by_id: dict[str, str] = {}
        self._segments: dict[str, _Seen] = {}

    def __getitem__(self, rel: str) -> FileState:
        brief = self._by_path[rel]
        return FileState(brief["signature"], brief["mtime_ns"], brief["size"], brief["id"])

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_path)

    def __len__(self) -> int:
        return len(self._by_path)

    def holder(self, item_id: str) -> str | None:
        """The file whose document carries ``item_id`` (the index holds one per id)."""
        return self._by_id.get(item_id)

    def advanced(self, searcher: Searcher, briefs: SegmentCache[Briefs]) -> Manifest:
        """The manifest of ``searcher``'s commit, made from this one (of an earlier commit of the same index)
        and what changed between them."""
        new = Manifest()
        new._by_path, new._by_id = dict(self._by_path), dict(self._by_id)
        readers = {segment_id(r): (r, deleted) for r, _offset, deleted in live_segments(searcher)}
        for key, seen in self._segments.items():
            if key not in readers:  # merged away: its live documents leave (the merged segment brings them back)
                new._drop(seen.briefs, (d for d in range(len(seen.briefs)) if d not in seen.deleted))
        added: list[_Seen] = []
        for key, (reader, deleted) in readers.items():
            before = self._segments.get(key)
            if before is None:
                now = _Seen(briefs.get(reader), deleted)
                added.append(now)
            elif deleted != before.deleted:
                new._drop(before.briefs, deleted - before.deleted)
                now = _Seen(before.briefs, deleted)
            else:
                now = before
            new._segments[key] = now
        for seen in added:
            new._add(seen)
        return new

    def _drop(self, briefs: Briefs, docs: Iterable[int]) -> None:
        for doc in docs:
            brief = briefs[doc] if doc < len(briefs) else None
            if brief is None:
                continue
            rel = brief["path"]
            if self._by_path.get(rel) is brief:
                del self._by_path[rel]
            if self._by_id.get(brief["id"]) == rel:
                del self._by_id[brief["id"]]

    def _add(self, seen: _Seen) -> None:
        for doc, brief in enumerate(seen.briefs):
            if brief is not None and doc not in seen.deleted:
                self._by_path[brief["path"]] = brief
                self._by_id[brief["id"]] = brief["path"]
