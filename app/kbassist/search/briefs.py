"""What answering a case and an update need of each document, per segment, kept beside the index in columns.

A hit shows its id, kind, title and product; a macro follows the articles it relies on; the KB's vectors are
found by each file's signature; an update compares each file's path, size, time and signature. The records
(``records.py``) hold all that and more (tags, headings, links, dates), read from a Whoosh column one
pickled document at a time: on the 10,000-article bench KB (15,000 documents) 1.2 s and 87 MiB before a
fresh process could answer its first case. A segment never changes, so its briefs are written once, when its
scoring table is decoded (``table_store.keep``) or on first use, and read at every later start.

They are kept a column to a line (ids, kinds, titles...). Kept as one JSON list of 15,000 small dicts, parsing
them took a fresh process 75-100 ms before its first case at 10,000 articles, and filing them by id and by the
articles macros rely on another 40 ms of Python loops; as columns they parse in 20-22 ms, ids are filed by
``dict(zip())`` in about 2 ms, and only macros are looked at for the articles they rely on. (Parsing a column
only when first read would save a first case 8 ms more; not worth a damaged line found in the middle of a
query.) A document's brief is made as a dict when asked for, and kept: the manifest tells a document's brief
from a newer one of the same file by identity.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from kbassist.search import array_file

log = logging.getLogger(__name__)

VERSION = 3
SUFFIX = ".briefs.json"
BRIEF_KEYS = ("id", "kind", "product", "path", "title", "signature", "mtime_ns", "size")
ARTICLES = "articles"  # a macro's ``meta.articles``: the articles it relies on (None for every other document)
COLUMNS = (*BRIEF_KEYS, ARTICLES)

Brief = dict[str, Any]


def brief_of(record: dict[str, Any] | None) -> Brief | None:
    """A record's brief: the keys above and, for a macro, the articles it relies on (``meta.articles``)."""
    if record is None:
        return None
    brief = {key: record[key] for key in BRIEF_KEYS}
    brief["meta"] = _meta((record.get("meta") or {}).get(ARTICLES))
    return brief


def _meta(articles: Sequence[str] | None) -> dict[str, list[str]]:
    """A brief's ``meta``: the articles a macro relies on, when it names any."""
    return {ARTICLES: list(articles)} if articles else {}


class BriefSequence(Sequence[Brief | None]):
    """Briefs by document number, each made by ``_brief`` when asked for: indexing and slicing as a list's."""

    @overload
    def __getitem__(self, index: int) -> Brief | None: ...

    @overload
    def __getitem__(self, index: slice) -> list[Brief | None]: ...

    def __getitem__(self, index: int | slice) -> Brief | list[Brief | None] | None:
        if isinstance(index, slice):
            return [self._brief(doc) for doc in range(*index.indices(len(self)))]
        doc = index + len(self) if index < 0 else index
        if not 0 <= doc < len(self):
            raise IndexError(index)
        return self._brief(doc)

    def __iter__(self) -> Iterator[Brief | None]:
        return (self._brief(doc) for doc in range(len(self)))

    def _brief(self, doc: int) -> Brief | None:
        raise NotImplementedError


class Briefs(BriefSequence):
    """One segment's briefs by document number (None: a document without a record), held as columns (each
    ``COLUMNS`` name -> every document's value); safe to read from several threads."""

    def __init__(self, count: int, columns: dict[str, list[Any]]) -> None:
        self._count = count
        self._columns = columns
        self._made: dict[int, Brief | None] = {}

    @classmethod
    def of(cls, briefs: Sequence[Brief | None]) -> Briefs:
        """Briefs held as columns (``brief_of``'s dicts, or None)."""
        columns = {key: [b[key] if b is not None else None for b in briefs] for key in BRIEF_KEYS}
        columns[ARTICLES] = [(b["meta"].get(ARTICLES) or None) if b is not None else None for b in briefs]
        return cls(len(briefs), columns)

    def column(self, name: str) -> list[Any]:
        """Every document's value of ``name`` (one of ``COLUMNS``), by document number."""
        return self._columns[name]

    def __len__(self) -> int:
        return self._count

    def _brief(self, doc: int) -> Brief | None:
        try:
            return self._made[doc]
        except KeyError:
            pass
        brief: Brief | None = None
        if self._columns["id"][doc] is not None:
            brief = {key: self._columns[key][doc] for key in BRIEF_KEYS}
            brief["meta"] = _meta(self._columns[ARTICLES][doc])
        return self._made.setdefault(doc, brief)  # one brief per document, whichever thread made it first

    def lines(self) -> list[bytes]:
        """Each column as a JSON line, in ``COLUMNS`` order."""
        return [json.dumps(self._columns[name], separators=(",", ":")).encode("utf-8") for name in COLUMNS]


def briefs_path(folder: Path, key: str) -> Path:
    return folder / array_file.FOLDER / f"{key}{SUFFIX}"


def save(folder: Path, key: str, briefs: Briefs) -> Path | None:
    """Keep segment ``key``'s briefs in ``folder``: a header line, then each column on a line of its own."""
    header = json.dumps({"version": VERSION, "key": key, "count": len(briefs), "columns": list(COLUMNS)})
    return array_file.write_atomic(briefs_path(folder, key), b"\n".join([header.encode("utf-8"), *briefs.lines()]))


def load(folder: Path, key: str, doc_count: int) -> Briefs | None:
    """Segment ``key``'s briefs read from ``folder``, or None when there are none that fit (another version,
    segment or column list, a column of another length: made again from the records)."""
    path = briefs_path(folder, key)
    try:
        head, *lines = path.read_bytes().split(b"\n")
        header = json.loads(head)
        if not isinstance(header, dict) or (header.get("version"), header.get("key")) != (VERSION, key):
            return None
        if header.get("count") != doc_count or header.get("columns") != list(COLUMNS) or len(lines) != len(COLUMNS):
            raise ValueError("its header does not describe its columns")
        columns = {name: json.loads(line) for name, line in zip(COLUMNS, lines, strict=True)}
        if not all(isinstance(column, list) and len(column) == doc_count for column in columns.values()):
            raise ValueError(f"a column does not hold {doc_count} values")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s unreadable (%s); reading the segment's records again", path.name, exc)
        return None
    return Briefs(doc_count, columns)


def remove_others(folder: Path, keep: set[str]) -> None:
    """Delete the briefs of segments a merge removed."""
    array_file.remove_others(folder / array_file.FOLDER, SUFFIX, keep)
