"""Marking an article reviewed: the one change the app writes into the KB's files.

An editor who has checked an article (from the Stats view's stale table, or ``kbassist review ID``) sets its
``reviewed:`` date. The file is the KB's, kept in version control and edited by hand: only the ``reviewed:``
line of its front matter changes (added before the closing ``---`` when absent), everything else stays byte
for byte (line endings, a BOM, comments, quoting of other fields), and the new file replaces the old one
atomically (a temporary file beside it, then ``os.replace``), so a crash or a full disk leaves the old file
whole. The result is read back with the KB's own parser before it replaces anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from kbassist.content.model import Article, ItemKind, KbItem

_FRONT_MATTER: Final = re.compile(rb"\A(?:\xef\xbb\xbf)?---[^\r\n]*(\r?\n)(.*?)^---[^\r\n]*(?=\r?\n|\Z)", re.S | re.M)
# A top-level ``reviewed:`` line: the value is replaced, a trailing comment and the line ending are kept.
_REVIEWED_LINE: Final = re.compile(rb"^(reviewed[ \t]*:[ \t]*)([^#\r\n]*?)([ \t]*(?:#[^\r\n]*)?)(?=\r?\n|\Z)", re.M)


class ReviewError(Exception):
    """Why an article could not be marked reviewed, in words for the editor; the file is as it was."""


def with_reviewed(raw: bytes, on: dt.date) -> bytes:
    """``raw`` (a KB file's bytes) with its front matter's ``reviewed:`` set to ``on``; the rest unchanged."""
    match = _FRONT_MATTER.match(raw)
    if match is None:
        raise ReviewError("has no front matter (a '---' block at the top) to write the review date into")
    start, end = match.span(2)
    block = match.group(2)
    date = on.isoformat().encode()
    if _REVIEWED_LINE.search(block):
        block = _REVIEWED_LINE.sub(lambda m: m.group(1) + date + m.group(3), block, count=1)
    else:
        block += b"reviewed: " + date + match.group(1)
    return raw[:start] + block + raw[end:]


def mark_reviewed(path: Path, on: dt.date) -> None:
    """Set the ``reviewed:`` date of the article file at ``path`` (``<kb>/articles/<product>/<file>.md``).

    Raises ReviewError, with the file untouched, when it cannot be read, is read-only, or would no longer be
    a valid article afterwards."""
    try:
        raw = path.read_bytes()
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise ReviewError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise ReviewError(f"{path.name} is read-only; make it writable (or check it out) and try again")
    new = with_reviewed(raw, on)
    from kbassist.content.parser import KbFileError, parse_bytes  # when a file is parsed (kb_files.py)

    try:
        item = parse_bytes(new, path, path.parents[2])
    except (KbFileError, IndexError) as exc:  # (KbFileError is a ValueError: bad YAML, a bad date)
        raise ReviewError(f"{path.name} would no longer read as an article ({exc}); left as it was") from None
    if not isinstance(item, Article) or item.reviewed != on:
        raise ReviewError(f"{path.name} is not an article with a review date; left as it was")
    _replace(path, new, mode)


def _replace(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` beside ``path`` and move it over ``path`` in one step, keeping the file's permissions."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ReviewError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temp.chmod(mode)
        temp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise ReviewError(f"cannot write {path.name}: {exc.strerror or exc}; left as it was") from None


def find_article(items: Iterable[KbItem], item_id: str) -> Article:
    """The article ``item_id`` of the KB, or a ReviewError saying what the ID is instead."""
    found = next((item for item in items if item.id == item_id), None)
    if isinstance(found, Article):
        return found
    if found is not None and found.kind is ItemKind.MACRO:
        raise ReviewError(f"{item_id} is a macro; only articles carry a review date")
    raise ReviewError(f"no article with the ID {item_id!r} in this KB")
