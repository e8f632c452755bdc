"""A segment's scoring table on disk, mapped into memory instead of decoded again at the next start.

Decoding every posting of a 15,000-document segment from Whoosh's files takes seconds; mapping this file
takes milliseconds, and the operating system shares and pages the arrays in as queries touch them. One file
per segment, named by Whoosh's segment id, in a ``scoring`` folder of the generation: segments never change,
so neither does the file. It is a cache: one that cannot be read is decoded again.

Layout: ``KBTABLE1``, the header's length (8 bytes, little-endian), a JSON header (segment id, document
count, field totals, the phrases matched, and each array's name, dtype, length and offset), then the arrays,
each 64-byte aligned. Version 3 added the documents each synonym phrase matches (``phrase_docs.py``).
"""

from __future__ import annotations

import json
import logging
import mmap
import os
from pathlib import Path
from typing import Any

import numpy as np

from kbassist.search.scoring_table import PhraseKey, SegmentTable
from kbassist.search.whoosh_postings import FieldPostings

log = logging.getLogger(__name__)

MAGIC = b"KBTABLE1"
VERSION = 3
ALIGN = 64
FOLDER = "scoring"
SUFFIX = ".table"


def table_path(folder: Path, key: str) -> Path:
    return folder / FOLDER / f"{key}{SUFFIX}"


def save(table: SegmentTable, folder: Path) -> Path | None:
    """Write ``table`` atomically into ``folder``/scoring; None when the folder cannot be written."""
    arrays: dict[str, np.ndarray] = {}
    for name, postings in table.fields.items():
        blob = b"".join(postings.terms)
        ends = np.cumsum([len(t) for t in postings.terms], dtype=np.int64)
        arrays |= {
            f"{name}.blob": np.frombuffer(blob, dtype=np.uint8),
            f"{name}.ends": ends,
            f"{name}.doc_freqs": postings.doc_freqs,
            f"{name}.starts": postings.starts,
            f"{name}.docs": postings.docs,
            f"{name}.weights": postings.weights,
        }
    arrays |= {f"{name}.lengths": lengths for name, lengths in table.lengths.items()}
    words = [w.encode("utf-8") for w, _n in table.words]
    arrays |= {
        "words.blob": np.frombuffer(b"".join(words), dtype=np.uint8),
        "words.ends": np.cumsum([len(w) for w in words], dtype=np.int64),
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
        "arrays": [],
    }
    offset = 0
    for name, array in arrays.items():
        header["arrays"].append({"name": name, "dtype": array.dtype.str, "count": len(array), "offset": offset})
        offset += _aligned(array.nbytes)
    path = table_path(folder, table.key)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        encoded = json.dumps(header).encode("utf-8")
        start = _aligned(len(MAGIC) + 8 + len(encoded))
        with tmp.open("wb") as out:
            out.write(MAGIC + len(encoded).to_bytes(8, "little") + encoded)
            out.write(b"\0" * (start - out.tell()))
            for array in arrays.values():
                data = np.ascontiguousarray(array).tobytes()
                out.write(data + b"\0" * (_aligned(len(data)) - len(data)))
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
        return path
    except OSError as exc:  # a read-only or full cache: the table still serves this process
        log.info("scoring table not kept (%s)", exc)
        tmp.unlink(missing_ok=True)
        return None


def load(folder: Path, key: str, doc_count: int) -> SegmentTable | None:
    """The table of segment ``key`` mapped from disk, or None when there is none that fits."""
    path = table_path(folder, key)
    try:
        with path.open("rb") as raw:
            mapped = mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # missing, or empty
        return None
    try:
        return _from_mapping(mapped, key, doc_count)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        log.warning("scoring table %s unreadable (%s); reading the segment again", path.name, exc)
        return None


def _from_mapping(mapped: mmap.mmap, key: str, doc_count: int) -> SegmentTable | None:
    if mapped[: len(MAGIC)] != MAGIC:
        raise ValueError("not a scoring table")
    size = int.from_bytes(mapped[len(MAGIC) : len(MAGIC) + 8], "little")
    header = json.loads(mapped[len(MAGIC) + 8 : len(MAGIC) + 8 + size])
    if header["version"] != VERSION or header["key"] != key or header["doc_count"] != doc_count:
        return None
    start = _aligned(len(MAGIC) + 8 + size)
    arrays: dict[str, np.ndarray] = {}
    for entry in header["arrays"]:
        dtype = np.dtype(entry["dtype"])
        at, count = start + entry["offset"], entry["count"]
        if at + count * dtype.itemsize > len(mapped):
            raise ValueError("truncated")
        arrays[entry["name"]] = np.frombuffer(mapped, dtype=dtype, count=count, offset=at)
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
    for path in (folder / FOLDER).glob(f"*{SUFFIX}"):
        if path.name[: -len(SUFFIX)] not in keep:
            path.unlink(missing_ok=True)


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN
