"""A segment's scoring table on disk, mapped into memory instead of decoded again at the next start.

Decoding every posting of a 15,000-document segment from Whoosh's files takes seconds; mapping this file
takes milliseconds, and the operating system shares and pages the arrays in as queries touch them. One file
per segment, named by Whoosh's segment id, in a ``scoring`` folder of the generation: segments never change,
so neither does the file. It is a cache: one that cannot be read is decoded again.

Layout (``array_file.py``): ``KBTABLE1``, a JSON header (segment id, document count, field totals, the
phrases matched, the arrays' layout), then the arrays. Version 3 added the documents each synonym phrase
matches (``phrase_docs.py``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from kbassist.search import array_file
from kbassist.search.scoring_table import PhraseKey, SegmentTable
from kbassist.search.whoosh_postings import FieldPostings

log = logging.getLogger(__name__)

MAGIC = b"KBTABLE1"
VERSION = 3
FOLDER = array_file.FOLDER
SUFFIX = ".table"


def table_path(folder: Path, key: str) -> Path:
    return folder / FOLDER / f"{key}{SUFFIX}"


def save(table: SegmentTable, folder: Path) -> Path | None:
    """Write ``table`` atomically into ``folder``/scoring; None when the folder cannot be written."""
    arrays: dict[str, np.ndarray] = {}
    for name, postings in table.fields.items():
        blob = array_file.strings_blob(postings.terms)
        arrays |= {
            f"{name}.blob": blob["blob"],
            f"{name}.ends": blob["ends"],
            f"{name}.doc_freqs": postings.doc_freqs,
            f"{name}.starts": postings.starts,
            f"{name}.docs": postings.docs,
            f"{name}.weights": postings.weights,
        }
    arrays |= {f"{name}.lengths": lengths for name, lengths in table.lengths.items()}
    words = array_file.strings_blob([w.encode("utf-8") for w, _n in table.words])
    arrays |= {
        "words.blob": words["blob"],
        "words.ends": words["ends"],
        "words.counts": np.array([n for _w, n in table.words], dtype=np.int64),
    }
    phrases = list(table.phrases.items())
    arrays |= {
        "phrases.docs": np.concatenate([docs for _key, docs in phrases] or [np.zeros(0)]).astype(np.int32),
        "phrases.ends": np.cumsum([len(docs) for _key, docs in phrases], dtype=np.int64),
    }
    header: dict[str, Any] = {
        "version": VERSION,
        "key": table.key,
        "doc_count": table.doc_count,
        "totals": table.totals,
        "fields": sorted(table.fields),  # "words" is "did you mean"'s, not a field of postings
        "phrases": [[f, [w.decode("utf-8") for w in words], slop] for (f, words, slop), _docs in phrases],
    }
    return array_file.write(table_path(folder, table.key), MAGIC, header, arrays)


def load(folder: Path, key: str, doc_count: int) -> SegmentTable | None:
    """The table of segment ``key`` mapped from disk, or None when there is none that fits."""
    path = table_path(folder, key)
    try:
        found = array_file.read(path, MAGIC)
        return _from_arrays(*found, key, doc_count) if found is not None else None
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        log.warning("scoring table %s unreadable (%s); reading the segment again", path.name, exc)
        return None


def _from_arrays(
    header: dict[str, Any], arrays: dict[str, np.ndarray], key: str, doc_count: int
) -> SegmentTable | None:
    if header["version"] != VERSION or header["key"] != key or header["doc_count"] != doc_count:
        return None
    expected = [f"{f}{a}" for f in [*header["fields"], "words"] for a in _ARRAYS[f == "words"]]
    if missing := [name for name in expected if name not in arrays]:
        raise KeyError(", ".join(missing))
    lengths = {name[: -len(".lengths")]: a for name, a in arrays.items() if name.endswith(".lengths")}
    totals = {name: int(v) for name, v in header["totals"].items()}
    fields, words = _MappedFields(arrays, header["fields"]), _MappedWords(arrays)
    return SegmentTable(key, doc_count, fields, lengths, totals, words, _phrases(arrays, header["phrases"]))


_ARRAYS = {False: (".blob", ".ends", ".doc_freqs", ".starts", ".docs", ".weights"), True: (".blob", ".ends", ".counts")}


class _MappedFields(Mapping[str, FieldPostings]):
    """A mapped table's fields, each one's term list made when the field is first read. A fresh process maps
    every segment's table, and made them all at once (86,000 terms, 45 ms of its first case at 10,000
    articles) though the segments a build wrote are read through their join (``joined_postings.py``)."""

    def __init__(self, arrays: dict[str, np.ndarray], names: list[str]) -> None:
        self._arrays = arrays
        self._names = list(names)
        self._made: dict[str, FieldPostings] = {}

    def __getitem__(self, name: str) -> FieldPostings:
        made = self._made.get(name)
        if made is None:
            if name not in self._names:
                raise KeyError(name)
            made = self._made[name] = field_postings(self._arrays, name)
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class _MappedWords(Sequence[tuple[str, int]]):
    """A mapped table's "did you mean" words and their counts, made into a list when first read: they are
    read only to make a segment's word index when its own file is missing (``TableStore.word_counts``)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._arrays = arrays
        self._made: list[tuple[str, int]] | None = None

    def _list(self) -> list[tuple[str, int]]:
        if self._made is None:
            counts = self._arrays["words.counts"].tolist()
            self._made = list(zip(_strings(self._arrays, "words"), counts, strict=True))
        return self._made

    @overload
    def __getitem__(self, index: int) -> tuple[str, int]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[str, int]]: ...
    def __getitem__(self, index: int | slice) -> tuple[str, int] | Sequence[tuple[str, int]]:
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._arrays["words.counts"])


def _phrases(arrays: dict[str, np.ndarray], keys: list[list[Any]]) -> dict[PhraseKey, np.ndarray]:
    docs, ends = arrays["phrases.docs"].astype(np.int64), arrays["phrases.ends"].tolist()
    if len(ends) != len(keys):
        raise ValueError("phrases and their documents disagree")
    made = _phrase_keys(tuple((str(f), tuple(words), int(slop)) for f, words, slop in keys))
    return dict(zip(made, [docs[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)], strict=True))


@functools.lru_cache(maxsize=4)
def _phrase_keys(keys: tuple[tuple[str, tuple[str, ...], int], ...]) -> tuple[PhraseKey, ...]:
    """The phrase keys as queries ask for them. Every table lists the same synonym phrases (about 600), and
    encoding them again for each of a 10,000-article index's twelve tables took 40 ms of a fresh process."""
    return tuple((f, tuple(w.encode("utf-8") for w in words), slop) for f, words, slop in keys)


def field_postings(arrays: dict[str, np.ndarray], name: str) -> FieldPostings:
    """Field ``name``'s postings from a file's arrays (a segment's table, or a join: the same six arrays)."""
    return FieldPostings(
        _terms(arrays, name),
        arrays[f"{name}.doc_freqs"],
        arrays[f"{name}.starts"],
        arrays[f"{name}.docs"],
        arrays[f"{name}.weights"],
    )


def _terms(arrays: dict[str, np.ndarray], name: str) -> list[bytes]:
    blob = arrays[f"{name}.blob"].tobytes()
    ends = arrays[f"{name}.ends"].tolist()
    return [blob[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def _strings(arrays: dict[str, np.ndarray], name: str) -> list[str]:
    return [t.decode("utf-8") for t in _terms(arrays, name)]


def remove_others(folder: Path, keep: set[str]) -> None:
    """Delete the tables of segments a merge removed (a reader that mapped one keeps its mapping)."""
    array_file.remove_others(folder / FOLDER, SUFFIX, keep)
