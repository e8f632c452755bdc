"""Segments written by several processes and committed by one: the builder's use of Whoosh's writer internals.

Whoosh's own multiprocess writer (``whoosh.multiproc.MpWriter``) has each sub-writer finish a segment of its
own (``SegmentWriter._finalize_segment``) and the parent, which holds the index's lock, list those segments in
a new table of contents (``_commit_toc``). The builder (``build_coordinator.py``) does the same with workers that
parse their files themselves, through the few calls here and nothing else of Whoosh's internals. They are the
calls ``MpWriter`` makes, on the release pinned in pyproject.toml, and three of this module's own: a writer's
pool (``MemoryPostings``), its schema's text fields (``FusedText``, in the worker's own copy of the schema) and
its postings writer's block buffer (``_add_postings``), each tested to write the segment Whoosh's own writer
writes, bit for bit (tests/test_parallel_build.py).

Every sub-writer of an index shares one temporary folder (``<index>.tmp``, where a large segment's postings
spill), and the parent's commit removes it and every segment file the new table does not list: a worker may
open its writer only after the parent's writer of that batch exists, and must have finished its segment before
the parent commits. ``build_coordinator.py`` orders its messages so.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from functools import partial
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from pickle import dumps
from typing import Any

import numpy as np
from whoosh.fields import TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import pack_uint
from whoosh.writing import NO_MERGE, SegmentWriter

from kbassist.search.segment_files import open_segment
from kbassist.search.table_store import SCORED_FIELDS, decode_segment, keep
from kbassist.search.text import KbAnalyzer
from kbassist.search.whoosh_postings import FieldPostings


class MemoryPostings:
    """A segment writer's postings, kept in memory by term until the segment is written: its ``pool``.

    Whoosh's own pool (``PostingPool``) keeps every posting as a tuple, sorts them all when the segment is
    written and, past its ``limitmb``, pickles them to temporary files and merges those back; writing the
    postings then looks up the document's field length on disk for each one. At 3,000 documents of the bench's
    KB that was 55 % of a writer's time. Here a term's postings are appended to arrays as the documents come
    (their numbers only grow, so each term's list is in order), only the terms are sorted, and the lengths are
    read once per document. A segment of 3,400 documents holds about 800,000 postings: ~60 bytes each here.
    """

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], tuple[array[int], array[float], list[bytes | None]]] = {}
        self.fieldnames: set[str] = set()

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, text, docnum, weight, value = item
        postings = self.terms.get((fieldname, text))
        if postings is None:
            postings = self.terms[fieldname, text] = (array("L"), array("d"), [])
            self.fieldnames.add(fieldname)
        postings[0].append(docnum)
        postings[1].append(weight)
        postings[2].append(value)

    def cleanup(self) -> None:
        self.terms.clear()


class FusedText(TEXT):  # type: ignore[misc]  # Whoosh is untyped
    """A text field of the KB's analyzer (``text.KbAnalyzer``) with positions, indexing a value in one loop.

    Whoosh's ``TEXT.index`` runs the analyzer's tokens through ``Positions.word_values`` (a token object per
    word, a dict of positions and one of weights) and encodes each stem's positions, through three
    generators: 1.3 of the 3.3 ms a bench document took to add to a builder's segment. Here the analyzer
    gives each stem's positions at once (``KbAnalyzer.stemmed_positions``) and they are encoded as
    ``Positions.encode`` does: the same terms, frequencies, weights and bytes (tested against Whoosh's writer).
    Only a builder's own writer uses it (``segment_writer``); the schema the index keeps is Whoosh's."""

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        analyzer = self.analyzer
        if kwargs or not isinstance(value, str) or not isinstance(analyzer, KbAnalyzer):
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        for word, positions in analyzer.stemmed_positions(value).items():
            deltas = [after - before for before, after in zip([0, *positions], positions, strict=False)]
            weight = float(len(positions))  # Whoosh sums a boost of 1.0 per token: the same whole number
            yield word.encode("utf-8"), len(positions), weight * boost, pack_uint(len(deltas)) + dumps(deltas, 2)


def _fused(schema: Schema) -> None:
    """Each text field of ``schema`` (a writer's own copy) that ``FusedText`` can index, as one."""
    for name, field in list(schema.items()):
        if type(field) is TEXT and type(field.format) is Positions and isinstance(field.analyzer, KbAnalyzer):
            fused = FusedText.__new__(FusedText)
            fused.__dict__.update(field.__dict__)
            schema._fields[name] = fused


def segment_writer(ix: Any) -> SegmentWriter:
    """A writer of one new segment of ``ix`` that takes no lock (the builder's parent writer holds it), keeps
    its postings in memory (``MemoryPostings``) and indexes text in one loop (``FusedText``)."""
    writer = SegmentWriter(ix, _lk=False)
    writer.pool = MemoryPostings()
    _fused(writer.schema)
    return writer


def finish_segment(writer: SegmentWriter) -> Any:
    """Write the segment's postings and files; the segment, for the parent to list. Its temporary folder is
    left for the parent's commit to remove. The postings go to Whoosh's field writer as its ``add_postings``
    gives them, in the same order with the same lengths (``SegmentWriter._flush_segment``)."""
    return _finish(writer)[0]


PoolTerms = dict[tuple[str, bytes], tuple["array[int]", "array[float]", list[bytes | None]]]
TermKeys = list[tuple[str, bytes]]  # a pool's (field, term) keys in the order the segment lists them


def finish_and_decode(writer: SegmentWriter) -> Any:
    """``finish_segment``, then the segment's scoring table (with its synonym phrases' documents) kept beside the
    index with its words and briefs, so the app maps them instead of making them itself (a second or two per
    thousand documents). The table is made from the postings the writer still holds: decoding them back from
    the segment's compressed blocks (and positions through Whoosh's matchers, for the synonym phrases) was a
    seventh of a builder's work at 10,000 articles. The same table as decoding gives (tested)."""
    segment, terms, ordered = _finish(writer)
    reader = open_segment(writer.storage, writer.schema, segment)
    try:
        postings = {
            name: _field_postings(terms, name, [text for _name, text in keys])
            for name, keys in groupby(ordered, key=itemgetter(0))
            if name in SCORED_FIELDS
        }
        positions = partial(_pool_positions, terms, writer.schema)
        table = decode_segment(reader, postings, positions)
        keep(table, Path(writer.storage.folder), reader)
    finally:
        reader.close()
    return segment


def _field_postings(terms: PoolTerms, fieldname: str, texts: list[bytes]) -> FieldPostings:
    """One field's postings (``texts``: its terms, in byte order) as ``whoosh_postings.read_field`` reads them
    from the segment (weights as the blocks' 32-bit floats, each term's document frequency its count in a new
    segment)."""
    lists = [terms[fieldname, text] for text in texts]
    counts = np.array([len(docs) for docs, _weights, _values in lists], dtype=np.int64)
    return FieldPostings(
        texts,
        counts.astype(np.int32),
        np.concatenate(([0], np.cumsum(counts))),
        np.concatenate([np.frombuffer(docs, dtype=f"u{docs.itemsize}") for docs, _w, _v in lists]).astype(np.int32),
        np.concatenate([np.frombuffer(weights, dtype=np.float64) for _d, weights, _v in lists]).astype(np.float32),
    )


def _pool_positions(
    terms: PoolTerms, schema: Schema, fieldname: str, word: bytes, docs: np.ndarray
) -> dict[int, list[int]]:
    """``word``'s positions in each of ``docs`` that holds it, as ``phrase_docs._positions`` reads them."""
    found = terms.get((fieldname, word))
    if found is None:
        return {}
    held = np.frombuffer(found[0], dtype=f"u{found[0].itemsize}")
    at = np.searchsorted(held, docs)
    decode = schema[fieldname].format.decode_positions
    return {
        doc: decode(found[2][index] or b"")
        for doc, index in zip(docs.tolist(), at.tolist(), strict=True)
        if index < len(held) and held[index] == doc
    }


def _finish(writer: SegmentWriter) -> tuple[Any, PoolTerms, TermKeys]:
    """``finish_segment``, with the pool's postings taken out before Whoosh's writer clears its pool, and their
    keys in the segment's order."""
    writer.perdocwriter.close()
    pool: MemoryPostings = writer.pool
    lengths = _lengths(writer, pool.fieldnames)
    fields = writer.fieldwriter
    current = None
    ordered = sorted(pool.terms)
    for fieldname, text in ordered:
        if fieldname != current:
            if current is not None:
                fields.finish_field()
            fields.start_field(fieldname, writer.schema[fieldname])
            current = fieldname
        fields.start_term(text)
        _add_postings(fields._postwriter, *pool.terms[fieldname, text], lengths[fieldname])
        fields.finish_term()
    if current is not None:
        fields.finish_field()
    fields.close()
    terms, pool.terms = pool.terms, {}
    writer._close_segment()
    writer._assemble_segment()
    writer.is_closed = True
    return writer.get_segment(), terms, ordered


def _add_postings(
    postings: Any, docs: array[int], weights: array[float], values: list[bytes | None], lengths: list[int | None]
) -> None:
    """One term's postings given to Whoosh's postings writer (``W3PostingsWriter``) a block at a time: what its
    ``add_posting`` does one posting at a time (a block written when full, before the next posting; weights as
    32-bit floats; the greatest weight; empty values left out; the least and greatest non-zero lengths), without
    its four checks and appends per posting: 0.6 of the 1.5 ms a bench document took to finish a segment."""
    limit = postings._blocklimit
    for start in range(0, len(docs), limit):
        if len(postings._ids) >= limit:
            postings._write_block()
        end = start + limit
        postings._ids.fromlist(docs[start:end].tolist())
        block_weights = weights[start:end]
        postings._weights.fromlist(block_weights.tolist())
        postings._maxweight = max(postings._maxweight, *block_weights)
        postings._values.extend(value for value in values[start:end] if value)
        block_lengths = [length for length in map(lengths.__getitem__, docs[start:end]) if length]
        if block_lengths:
            least = min(block_lengths)
            if postings._minlength is None or least < postings._minlength:
                postings._minlength = least
            postings._maxlength = max(postings._maxlength, *block_lengths)


def _lengths(writer: SegmentWriter, fieldnames: set[str]) -> dict[str, list[int | None]]:
    """Each document's length in each field, as Whoosh's writer reads it back for each posting."""
    lengths = writer.per_document_reader()
    try:
        count = writer.docnum
        return {name: [lengths.doc_field_length(d, name) for d in range(count)] for name in fieldnames}
    finally:
        lengths.close()


def drop_segment(writer: SegmentWriter) -> None:
    """Close a segment writer without keeping what it wrote (its files go at the parent's next commit)."""
    if not writer.is_closed:
        writer._close_segment()
        writer.is_closed = True


def commit_segments(writer: SegmentWriter, segments: list[Any]) -> None:
    """Commit ``writer`` (the parent's: it holds the lock and made the deletions) with ``segments`` added to the
    index as they are, nothing merged."""
    kept = writer._merge_segments(NO_MERGE, False, False)
    writer._close_segment()  # its own segment is empty: its files are removed with the commit
    writer._commit_toc([*kept, *segments])
    writer._finish()
