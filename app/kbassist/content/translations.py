"""Macro translations: ``macros/<product>/<slug>.<lang>.md`` beside ``<slug>.md``.

A translation is not an item of its own. Its front matter names the base macro's ``id``, its ``lang`` and a
translated ``title``; product, tags and articles are the base macro's. Its body is the reply in that language
with the same placeholders. The index holds base macros only; translations are read from disk when a reply
is written (``TranslationReader``), so one edited while the app runs is used at once.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from kbassist.content.kb_files import TRANSLATION_NAME, translation_of
from kbassist.content.locale_format import is_language
from kbassist.content.model import BASE_LANGUAGE, Macro, MacroText, Problem
from kbassist.content.placeholders import placeholder_names

REQUIRED = ("id", "lang", "title")


def parse_translation(path: Path, kb_root: Path) -> MacroText | Problem:
    """A translation file as the text it gives its macro, or the Problem that makes it unusable."""
    from kbassist.content.parser import KbFileError, read_inside, read_markdown  # only to parse: kb_files.py

    rel = path.relative_to(kb_root).as_posix()
    named = translation_of(rel)
    try:
        if named is None:
            raise KbFileError("not named macros/<product>/<slug>.<lang>.md")
        meta, body, _tokens = read_markdown(read_inside(path, kb_root))
        missing = [f for f in REQUIRED if meta.get(f) in (None, "")]
        if missing:
            raise KbFileError(f"missing front-matter field(s) of a translation: {', '.join(missing)}")
        lang = str(meta["lang"]).strip()
        if lang != named[1]:
            raise KbFileError(f"lang {lang!r} does not match the file name's {named[1]!r}")
    except KbFileError as exc:
        return Problem(rel, str(exc))
    title, item_id = str(meta["title"]).strip(), str(meta["id"]).strip()
    return MacroText(lang, title, body, rel, tuple(placeholder_names(body)), item_id)


def translation_problems(base: Macro | None, text: MacroText) -> list[Problem]:
    """What is wrong with a translation next to its base macro. Errors leave it unused; a warning (other
    placeholders than the base's) does not, but the reply may then miss what the English one says."""
    rel = text.rel_path
    if text.lang == BASE_LANGUAGE:
        return [Problem(rel, f"{BASE_LANGUAGE!r} is the base macro's own language, not a translation")]
    if not is_language(text.lang):
        return [Problem(rel, f"unknown language code {text.lang!r}: name the file <slug>.<ISO 639-1 code>.md")]
    if base is None:
        return [Problem(rel, "translation without its base macro: no macro file of that name beside it")]
    if text.item_id != base.id:
        return [Problem(rel, f"id {text.item_id!r} differs from its base macro's {base.id!r}")]
    added = sorted(set(text.placeholders) - set(base.placeholders))
    dropped = sorted(set(base.placeholders) - set(text.placeholders))
    if added or dropped:
        parts = (("not in the base macro", added), ("missing", dropped))
        detail = "; ".join(f"{what}: {', '.join(names)}" for what, names in parts if names)
        return [Problem(rel, f"placeholders differ from the base macro's ({detail})", "warning")]
    return []


def usable(base: Macro, texts: Iterable[MacroText | Problem]) -> dict[str, MacroText]:
    """The translations a reply may use: read, and without an error next to ``base``."""
    return {
        text.lang: text
        for text in texts
        if isinstance(text, MacroText) and all(p.severity == "warning" for p in translation_problems(base, text))
    }


RACY_LISTING_NS = 2_000_000_000


class TranslationReader:
    """A macro's translations, read from disk when asked; a file is parsed again only when it changed."""

    def __init__(self, kb_root: Path) -> None:
        self.kb_root = Path(kb_root).resolve()
        self._lock = threading.Lock()
        self._cache: dict[Path, tuple[tuple[int, int], MacroText | Problem]] = {}
        self._folders: dict[Path, tuple[int, dict[str, list[Path]]]] = {}

    def with_translations(self, macro: Macro) -> Macro:
        """``macro`` with its usable translations attached (itself when it has none)."""
        stem = macro.path.name.removesuffix(".md")
        texts = [self._read(path) for path in self._translation_files(macro.path.parent).get(stem, [])]
        found = usable(macro, texts)
        return dataclasses.replace(macro, translations=found) if found else macro

    def _translation_files(self, folder: Path) -> dict[str, list[Path]]:
        """Base file stem -> its ``<stem>.<xx>.md`` files, sorted. The listing is kept while the folder's
        mtime stays (adding, removing or renaming a file changes it): a glob per macro read a folder of 5,000
        macros each time, 6 ms of every suggestion at 10,000 articles. A listing taken within
        ``RACY_LISTING_NS`` of the folder's change is not trusted (timestamps are coarse: a file added in the
        same tick would leave the same mtime)."""
        try:
            changed = folder.stat().st_mtime_ns
        except OSError:
            return {}
        with self._lock:
            kept = self._folders.get(folder)
        if kept is not None and kept[0] == changed:
            return kept[1]
        listed_at = time.time_ns()
        found: dict[str, list[Path]] = {}
        try:
            with os.scandir(folder) as entries:  # names, not paths: sorting Path objects took 4x as long
                names = sorted(entry.name for entry in entries)
        except OSError:
            return {}
        for name in names:
            match = TRANSLATION_NAME.match(name)
            if match:
                found.setdefault(match["slug"], []).append(folder / name)
        if listed_at - changed > RACY_LISTING_NS:
            with self._lock:
                self._folders[folder] = (changed, found)
        return found

    def _read(self, path: Path) -> MacroText | Problem:
        try:
            stat = path.stat()
        except OSError as exc:
            return Problem(path.name, f"cannot read file: {exc.strerror or exc}")
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        text = parse_translation(path, self.kb_root)
        with self._lock:
            self._cache[path] = (key, text)
        return text
