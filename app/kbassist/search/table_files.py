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

import logging
from pathlib import Path
from typing import Any

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
    fields = {name: _field(arrays, name) for name in header["fields"]}
    lengths = {name[: -len(".lengths")]: a for name, a in arrays.items() if name.endswith(".lengths")}
    totals = {name: int(v) for name, v in header["totals"].items()}
    words = list(zip(_strings(arrays, "words"), arrays["words.counts"].tolist(), strict=True))
    return SegmentTable(key, doc_count, fields, lengths, totals, words, _phrases(arrays, header["phrases"]))


def _phrases(arrays: dict[str, np.ndarray], keys: list[list[Any]]) -> dict[PhraseKey, np.ndarray]:
    docs, ends = arrays["phrases.docs"].astype(np.int64), arrays["phrases.ends"].tolist()
    if len(ends) != len(keys):
        raise ValueError("phrases and their documents disagree")
    return {
        (f, tuple(w.encode("utf-8") for w in words), int(slop)): docs[a:b]
        for (f, words, slop), a, b in zip(keys, [0, *ends[:-1]], ends, strict=True)
    }


def _field(arrays: dict[str, np.ndarray], name: str) -> FieldPostings:
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
