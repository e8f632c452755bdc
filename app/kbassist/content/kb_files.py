"""Which files of a KB folder are its content, found by their paths alone: nothing here reads a file.

Apart from the parser so that what only lists, watches or compares files (a fresh process's start, the
window's watcher, an update that finds nothing changed) does not import it and markdown-it: about 45 ms of a
fresh process's imports before its first case, which parses no file unless a macro's translation is read.
The parser is imported where a file is parsed (``sync.parse_todo``, ``translations.parse_translation``,
``review.mark_reviewed``, ``render``, the `lint` and `review` commands); the window, which imported it for
the links an article follows (``resolve_link``, here now), opens without it.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from kbassist.content.model import ItemKind, Problem

CONTENT_DIRS = ("articles", "macros")
TRANSLATION_NAME = re.compile(r"^(?P<slug>[^/]+)\.(?P<lang>[a-z]{2})\.md$")


def kind_of(rel_path: str) -> ItemKind | None:
    """An article or a macro by the folder a file is in, None for files that are not KB content."""
    parts = rel_path.split("/")
    if len(parts) == 3 and parts[2].endswith(".md"):
        return {"articles": ItemKind.ARTICLE, "macros": ItemKind.MACRO}.get(parts[0])
    return None


def translation_of(rel_path: str) -> tuple[str, str] | None:
    """(the base macro's path, the language) when ``rel_path`` names a translation, else None."""
    parts = rel_path.split("/")
    if len(parts) == 3 and parts[0] == "macros" and (match := TRANSLATION_NAME.match(parts[2])):
        return f"macros/{parts[1]}/{match['slug']}.md", match["lang"]
    return None


def _markdown_rels(kb_root: Path) -> list[str]:
    """Every Markdown file under articles/ and macros/ by its KB-relative path, sorted as paths (folder by
    folder) so results never depend on disk order.

    Hidden files and folders are not content: editors leave ``.#name.md`` lock links and backups there,
    and a ``.git`` folder is nobody's article."""
    return sorted((rel for top in CONTENT_DIRS for rel in markdown_files_under(kb_root, top)), key=_path_order)


def markdown_files_under(kb_root: Path, folder: str) -> list[str]:
    """The Markdown files at any depth under the KB-relative ``folder`` (none when it is not a folder), by
    their KB-relative paths, in no particular order."""
    return [rel for rel, is_folder in _walk(str(kb_root / folder), folder) if not is_folder]


def _walk(folder: str, rel: str) -> Iterator[tuple[str, bool]]:
    """Every visible folder (True) and Markdown file (False) below ``folder`` (``rel`` from the KB root).

    The same entries as ``rglob`` gives (a linked folder listed but not walked into, a linked file taken),
    walked with ``os.scandir`` on strings: 45 ms for 15,000 files where ``rglob``, with a ``Path`` per step,
    took 300 ms for the files and 215 ms more for the folders the window watches."""
    try:
        with os.scandir(folder) as entries:
            listed = list(entries)
    except OSError:  # an unreadable, vanished or non-folder path holds nothing we can index, as for ``rglob``
        return
    for entry in listed:
        if entry.name.startswith("."):
            continue
        below = f"{rel}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield below, True
            yield from _walk(entry.path, below)
        elif _is(entry.is_dir):  # a linked folder
            yield below, True
        elif entry.name.endswith(".md") and _is(entry.is_file):
            yield below, False


def _is(test: Callable[[], bool]) -> bool:
    try:
        return test()
    except OSError:
        return False


def _path_order(rel: str) -> list[str]:
    return rel.split("/")


def iter_kb_folders(kb_root: Path) -> Iterator[Path]:
    """articles/, macros/ and every folder below them that could hold a KB file (not hidden ones), sorted.

    What the window watches for new, removed and renamed files: a folder with no file yet is included,
    so a file saved into a product folder just created is seen."""
    for top in CONTENT_DIRS:
        if (kb_root / top).is_dir():
            yield kb_root / top
            below = (rel for rel, is_folder in _walk(str(kb_root / top), top) if is_folder)
            yield from (kb_root / rel for rel in sorted(below, key=_path_order))


def iter_kb_files(kb_root: Path) -> Iterator[Path]:
    """The files that are items of their own (articles and macros): what the index holds. Translations
    (``<slug>.<lang>.md``) belong to their macro and are read with it."""
    return iter(kb_files(kb_root).values())


def kb_files(kb_root: Path) -> dict[str, Path]:
    """``iter_kb_files`` by KB-relative path (what an update compares with the index), in the same order."""
    return {rel: kb_root / rel for rel in _markdown_rels(kb_root) if translation_of(rel) is None}


def iter_translation_files(kb_root: Path) -> Iterator[Path]:
    return (kb_root / rel for rel in _markdown_rels(kb_root) if translation_of(rel) is not None)


def misplaced(rel_path: str) -> Problem | None:
    if kind_of(rel_path) is None:
        return Problem(rel_path, "not in articles/<product>/ or macros/<product>/; skipped")
    return None


def leaves_kb(from_rel: str, href: str) -> bool:
    """A path link that is absolute or climbs out of the KB folder (never looked up on the real disk)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return False
    if parts.path.startswith("/"):
        return True
    return posixpath.normpath(posixpath.join(posixpath.dirname(from_rel), parts.path)).startswith("..")


def resolve_link(from_rel: str, href: str) -> str | None:
    """The KB-relative path a relative link points to; None for web links, anchors, other schemes and paths
    that leave the KB folder."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path or leaves_kb(from_rel, href):
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(from_rel), parts.path))
    return None if target.startswith("..") else target
