"""The postings of a build's segments joined into one list per term, kept beside the index and mapped.

A full build writes several segments (a 10,000-article KB: eight, two per batch on two cores), and a term's
postings were put together from each of them the first time a case asked for it: eight dictionary lookups,
eight slices and a copy with each segment's offset added. At 10,000 articles that first reading was the
difference between a case's p95 and the target: the first pass over the 173 eval cases in a fresh process
went from 30.7-35.7 to 24.0-27.6 ms p95 with this join (three processes each, alternated, on a slow day for
the machine; a prototype had measured 21.1 -> 17.9 ms on a quicker one).

Here the segments a build (or a merge) wrote, the leading ones of the index, are joined once, off the search
path (``TableStore.join``), into one sorted term list per field whose postings are already numbered across
those segments; ``ScoringTable`` reads a term's postings for that prefix as two slices of mapped arrays and
looks up only the segments after it (an edit's). Segments never change, so neither does the join: it holds
as long as its segments lead the index (edits add segments after them, and deletions are the table's mask).
The same segments' "did you mean" words are joined too (one ``WordIndex`` of their summed counts, which is
what the speller computes from one index per segment): spelling the new words of a case looked each of them
up in every segment's index, a fifth of the slowest first cases at 10,000 articles.

The join is written straight to its file a few million postings at a time (``write``); made whole in memory
first, it took a 50,000-article build from 257 to 420 MiB at its peak. The files are a cache: one that is
missing, damaged or for other segments is simply not used.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from kbassist.search import array_file, word_index
from kbassist.search.process_memory import release_mapped
from kbassist.search.scoring_table import SegmentTable, term_row
from kbassist.search.table_files import field_postings
from kbassist.search.whoosh_postings import FieldPostings
from kbassist.search.word_index import WordIndex

log = logging.getLogger(__name__)

MAGIC = b"KBJOIN01"
VERSION = 2  # 2: the words joined too
SUFFIX = ".joined"
WORDS_SUFFIX = ".joined-words"
# A segment larger than this was written by a build or a merge (an edit's hold one document, merged edits a
# few dozen: ``edit_merge.EDIT_SEGMENT_DOCS``).
BUILT_DOCS = 500


class Segment(Protocol):
    """What names a segment here: a ``SegmentTable``, or a reader's ``SegmentId``."""

    @property
    def key(self) -> str: ...
    @property
    def doc_count(self) -> int: ...


S = TypeVar("S", bound=Segment)


@dataclass(frozen=True, slots=True)
class SegmentId:
    key: str
    doc_count: int


@dataclass(slots=True)
class JoinedPostings:
    """The postings of the segments ``keys`` (the first ones of the index, in its order), numbered across them,
    and their words for "did you mean" (None when that file could not be read: each segment's serve)."""

    keys: tuple[str, ...]
    doc_counts: tuple[int, ...]
    fields: dict[str, FieldPostings]
    words: WordIndex | None = None
    _rows: dict[str, dict[bytes, int]] = field(default_factory=dict)

    def leads(self, segments: Sequence[Segment]) -> bool:
        """Whether these are the first of ``segments`` (empty ones left out on both sides)."""
        mine = [k for k, n in zip(self.keys, self.doc_counts, strict=True) if n]
        theirs = [s.key for s in segments if s.doc_count][: len(mine)]
        return theirs == mine

    def row(self, fieldname: str, text: bytes) -> int | None:
        return term_row(self._rows, self.fields, fieldname, text)

    def postings(self, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray, int]:
        """(documents, weights, document frequency) of the term in these segments: slices, nothing copied."""
        row = self.row(fieldname, text)
        if row is None:
            return _NO_DOCS, _NO_WEIGHTS, 0
        postings = self.fields[fieldname]
        start, end = int(postings.starts[row]), int(postings.starts[row + 1])
        return postings.docs[start:end], postings.weights[start:end], int(postings.doc_freqs[row])

    def doc_frequency(self, fieldname: str, text: bytes) -> int:
        row = self.row(fieldname, text)
        return 0 if row is None else int(self.fields[fieldname].doc_freqs[row])


def joinable(segments: Sequence[S]) -> list[S]:
    """The leading segments worth joining: every one up to the last a build or a merge wrote (more than
    ``BUILT_DOCS`` documents), when that is two or more; the edits' small segments after them are left out."""
    last = max((i for i, s in enumerate(segments) if s.doc_count > BUILT_DOCS), default=-1)
    return list(segments[: last + 1]) if last >= 1 else []


def join(segments: Sequence[SegmentTable]) -> JoinedPostings:
    """Every field's postings of ``segments`` (in index order) as one list per term, the documents numbered
    across them (within a term they stay ascending, segment after segment), in memory: where no folder can
    keep them (``write`` does, a piece at a time)."""
    fields = {}
    for name, plan in _plans(segments).items():
        whole = 0, len(plan.terms)
        fields[name] = FieldPostings(
            plan.terms, plan.doc_freqs, plan.starts, plan.values("docs", *whole), plan.values("weights", *whole)
        )
    keys, doc_counts = tuple(s.key for s in segments), tuple(s.doc_count for s in segments)
    return JoinedPostings(keys, doc_counts, fields, _joined_words(segments))


def write(segments: Sequence[SegmentTable], folder: Path) -> Path | None:
    """Join ``segments`` (as ``join``) straight into the generation ``folder``'s scoring folder, a few million
    postings at a time (``CHUNK_POSTINGS``), what was read of their tables leaving the process as it goes; None
    when the folder cannot be written. Joined whole in memory first, a 50,000-article build's peak went from
    257 to 420 MiB."""
    keys, doc_counts = tuple(s.key for s in segments), tuple(s.doc_count for s in segments)
    path = folder / array_file.FOLDER / file_name(keys)
    header: dict[str, Any] = {"version": VERSION, "keys": list(keys), "doc_counts": list(doc_counts)}
    words = _joined_words(segments)  # written first: a join found on disk has its words beside it
    if array_file.write(_words_path(path), word_index.MAGIC, header, words.arrays) is None:
        return None
    plans = _plans(segments)
    layout: list[tuple[str, np.dtype[Any], int]] = []
    for name, plan in plans.items():
        size, terms = int(plan.starts[-1]), len(plan.terms)
        layout += [
            (f"{name}.blob", np.dtype(np.uint8), len(plan.blob["blob"])),
            (f"{name}.ends", np.dtype(np.int64), terms),
            (f"{name}.doc_freqs", np.dtype(np.int32), terms),
            (f"{name}.starts", np.dtype(np.int64), terms + 1),
            (f"{name}.docs", np.dtype(np.int32), size),
            (f"{name}.weights", np.dtype(np.float32), size),
        ]
    header["fields"] = list(plans)
    return array_file.write_pieces(path, MAGIC, header, layout, _pieces(plans))


def _pieces(plans: dict[str, _FieldPlan]) -> Iterator[np.ndarray]:
    for plan in plans.values():
        yield from (plan.blob["blob"], plan.blob["ends"], plan.doc_freqs, plan.starts)
        for which in ("docs", "weights"):
            for lo, hi in plan.chunks():
                yield plan.values(which, lo, hi)
                release_mapped(getattr(p, which) for p, _o in plan.present)


CHUNK_POSTINGS = 4_000_000  # postings joined at a time: 16 MB of documents, then as much of weights


@dataclass(slots=True)
class _FieldPlan:
    """One field's join: the terms of all segments, each one's document frequency and place in the joined
    postings, and where each segment's terms go (``rows``: a segment's terms' rows among all, ascending)."""

    terms: list[bytes]
    doc_freqs: np.ndarray
    starts: np.ndarray
    present: list[tuple[FieldPostings, int]]  # each segment holding the field, with its first document's number
    rows: list[np.ndarray]
    blob: dict[str, np.ndarray]  # the terms as one byte blob and their ends (``array_file.strings_blob``)

    def chunks(self) -> Iterator[tuple[int, int]]:
        """Runs of terms (rows lo..hi) holding about ``CHUNK_POSTINGS`` postings (a longer term alone)."""
        lo = 0
        while lo < len(self.terms):
            hi = int(np.searchsorted(self.starts, self.starts[lo] + CHUNK_POSTINGS, side="right")) - 1
            hi = min(max(hi, lo + 1), len(self.terms))
            yield lo, hi
            lo = hi

    def values(self, which: str, lo: int, hi: int) -> np.ndarray:
        """The joined documents (``which="docs"``) or weights of terms ``lo`` to ``hi``: each segment's
        postings of those terms are one run of its arrays, placed after the earlier segments' of each term."""
        base = int(self.starts[lo])
        out = np.empty(int(self.starts[hi]) - base, dtype=np.int32 if which == "docs" else np.float32)
        filled = self.starts[lo:hi] - base  # each term's next free place in ``out``
        for (postings, offset), rows in zip(self.present, self.rows, strict=True):
            first, last = (int(i) for i in np.searchsorted(rows, [lo, hi]))
            if first == last:
                continue
            at = rows[first:last] - lo
            begins = postings.starts[first:last]
            run = slice(int(postings.starts[first]), int(postings.starts[last]))
            lengths = np.diff(postings.starts[first : last + 1])
            # each posting's place: its term's next free place, then its rank within the term
            target = np.repeat(filled[at] - (begins - run.start), lengths) + np.arange(run.stop - run.start)
            out[target] = postings.docs[run] + offset if which == "docs" else postings.weights[run]
            filled[at] += lengths
        return out


def _plans(segments: Sequence[SegmentTable]) -> dict[str, _FieldPlan]:
    offsets = np.cumsum([0, *(s.doc_count for s in segments)])[:-1].tolist()
    names = sorted({name for s in segments for name in s.fields})
    return {name: _plan([(s.fields.get(name), o) for s, o in zip(segments, offsets, strict=True)]) for name in names}


def _plan(parts: Sequence[tuple[FieldPostings | None, int]]) -> _FieldPlan:
    present = [(p, o) for p, o in parts if p is not None]
    terms = sorted(set().union(*(p.terms for p, _o in present)))
    row_of = {t: i for i, t in enumerate(terms)}
    rows = [np.fromiter((row_of[t] for t in p.terms), dtype=np.int64, count=len(p.terms)) for p, _o in present]
    counts = np.zeros(len(terms), dtype=np.int64)
    doc_freqs = np.zeros(len(terms), dtype=np.int64)
    for (p, _o), at in zip(present, rows, strict=True):
        counts[at] += np.diff(p.starts)  # a term is listed once per segment: no repeated index
        doc_freqs[at] += p.doc_freqs
    starts = np.concatenate(([0], np.cumsum(counts)))
    return _FieldPlan(terms, doc_freqs.astype(np.int32), starts, present, rows, array_file.strings_blob(terms))


def _joined_words(segments: Sequence[SegmentTable]) -> WordIndex:
    counts: Counter[str] = Counter()
    for segment in segments:
        for word, count in segment.words:
            counts[word] += count
    return WordIndex(counts.items())


def file_name(keys: Sequence[str]) -> str:
    """The join's file name: a digest of its segments' ids (a build writes a dozen; their names joined would
    be too long for some file systems)."""
    return hashlib.blake2b("\n".join(keys).encode("utf-8"), digest_size=12).hexdigest() + SUFFIX


def load(folder: Path, segments: Sequence[Segment]) -> JoinedPostings | None:
    """The join of ``segments`` mapped from the generation ``folder``, or None when none is kept (or it is
    damaged, or for other segments)."""
    keys, counts = tuple(s.key for s in segments), tuple(s.doc_count for s in segments)
    path = folder / array_file.FOLDER / file_name(keys)
    try:
        found = array_file.read(path, MAGIC)
        if found is None:
            return None
        header, arrays = found
        if not _same(header, keys, counts):
            return None
        fields = {name: _field(arrays, name) for name in header["fields"]}
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        log.warning("joined postings %s unreadable (%s); joining again", path.name, exc)
        return None
    return JoinedPostings(keys, counts, fields, _load_words(_words_path(path), keys, counts))


def _load_words(path: Path, keys: tuple[str, ...], counts: tuple[int, ...]) -> WordIndex | None:
    try:
        found = array_file.read(path, word_index.MAGIC)
        return WordIndex(arrays=found[1]) if found is not None and _same(found[0], keys, counts) else None
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        log.warning("joined words %s unreadable (%s); each segment's are used", path.name, exc)
        return None


def _same(header: dict[str, Any], keys: tuple[str, ...], counts: tuple[int, ...]) -> bool:
    return bool(
        header["version"] == VERSION and tuple(header["keys"]) == keys and tuple(header["doc_counts"]) == counts
    )


def _words_path(path: Path) -> Path:
    return path.with_name(path.name[: -len(SUFFIX)] + WORDS_SUFFIX)


def remove_others(folder: Path, keep: JoinedPostings | None) -> None:
    """Delete the joins kept for other segments than ``keep``'s (a rebuild or a merge replaced them)."""
    name = file_name(keep.keys)[: -len(SUFFIX)] if keep is not None else ""
    for suffix in (SUFFIX, WORDS_SUFFIX):
        array_file.remove_others(folder / array_file.FOLDER, suffix, {name} if name else set())


def _field(arrays: dict[str, np.ndarray], name: str) -> FieldPostings:
    postings = field_postings(arrays, name)
    if len(postings.starts) != len(postings.terms) + 1 or int(postings.starts[-1]) != len(postings.docs):
        raise ValueError(f"{name}: terms and postings disagree")
    return postings


_NO_DOCS = np.zeros(0, dtype=np.int32)
_NO_WEIGHTS = np.zeros(0, dtype=np.float32)
