"""What answering a case and an update need of each document, per segment, kept beside the index as JSON.

A hit shows its id, kind, title and product; a macro follows the articles it relies on; the KB's vectors are
found by each file's signature; an update compares each file's path, size, time and signature. The records
(``records.py``) hold all that and more (tags, headings, links, dates), read from a Whoosh column one
pickled document at a time: on the 10,000-article bench KB (15,000 documents) 1.2 s and 87 MiB before a
fresh process could answer its first case, and again before the window's first update could start. A brief
of each document is a tenth of that and reads as one JSON list (about 30 ms for that KB); a segment never
changes, so its briefs are written once, when its scoring table is decoded (``table_store.keep``) or on
first use, and read at every later start. The records are read only for the item list.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kbassist.search import array_file

log = logging.getLogger(__name__)

VERSION = 2
SUFFIX = ".briefs.json"
BRIEF_KEYS = ("id", "kind", "product", "path", "title", "signature", "mtime_ns", "size")

Brief = dict[str, Any]


def brief_of(record: dict[str, Any] | None) -> Brief | None:
    """A record's brief: the keys above and, for a macro, the articles it relies on (``meta.articles``)."""
    if record is None:
        return None
    brief = {key: record[key] for key in BRIEF_KEYS}
    articles = (record.get("meta") or {}).get("articles")
    brief["meta"] = {"articles": list(articles)} if articles else {}
    return brief


def briefs_path(folder: Path, key: str) -> Path:
    return folder / array_file.FOLDER / f"{key}{SUFFIX}"


def save(folder: Path, key: str, briefs: Sequence[Brief | None]) -> Path | None:
    """Keep segment ``key``'s briefs (one per document, None for one without a record) in ``folder``."""
    data = json.dumps({"version": VERSION, "key": key, "briefs": list(briefs)}, separators=(",", ":"))
    return array_file.write_atomic(briefs_path(folder, key), data.encode("utf-8"))


def load(folder: Path, key: str, doc_count: int) -> list[Brief | None] | None:
    """Segment ``key``'s briefs read from ``folder``, or None when there are none that fit."""
    path = briefs_path(folder, key)
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s unreadable (%s); reading the segment's records again", path.name, exc)
        return None
    if not isinstance(data, dict) or (data.get("version"), data.get("key")) != (VERSION, key):
        return None
    found = data.get("briefs")
    return found if isinstance(found, list) and len(found) == doc_count else None


def remove_others(folder: Path, keep: set[str]) -> None:
    """Delete the briefs of segments a merge removed."""
    array_file.remove_others(folder / array_file.FOLDER, SUFFIX, keep)
