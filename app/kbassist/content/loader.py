"""Read a whole KB folder: every usable article and macro, and every problem, in one pass."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kbassist.content.kb_files import iter_kb_files, iter_translation_files, misplaced, translation_of
from kbassist.content.model import Article, KbItem, Macro, MacroText, Problem
from kbassist.content.parser import parse_file
from kbassist.content.translations import parse_translation, translation_problems, usable


@dataclass(slots=True)
class KbContent:
    root: Path
    items: dict[str, KbItem] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def articles(self) -> list[Article]:
        return [i for i in self.items.values() if isinstance(i, Article)]

    @property
    def macros(self) -> list[Macro]:
        return [i for i in self.items.values() if isinstance(i, Macro)]


def add_items(content: KbContent, parsed: Iterable[KbItem | Problem]) -> None:
    """Add parsed files, turning a second use of an id into a problem (the first file keeps it)."""
    for result in parsed:
        if isinstance(result, Problem):
            content.problems.append(result)
        elif result.id in content.items:
            first = content.items[result.id].rel_path
            content.problems.append(Problem(result.rel_path, f"duplicate id {result.id!r} (already used by {first})"))
        else:
            content.items[result.id] = result


def load_kb(kb_root: Path) -> KbContent:
    kb_root = Path(kb_root).resolve()
    content = KbContent(root=kb_root)
    if not kb_root.is_dir():
        content.problems.append(Problem(".", f"KB folder does not exist: {kb_root}"))
        return content
    parsed: list[KbItem | Problem] = []
    for path in sorted(iter_kb_files(kb_root), key=lambda p: (_mtime_ns(p), p.as_posix())):
        rel = path.relative_to(kb_root).as_posix()
        parsed.append(misplaced(rel) or parse_file(path, kb_root))
    add_items(content, parsed)  # visited oldest first: of two files with one id, the older keeps it
    add_translations(content)
    content.problems.sort(key=lambda p: p.rel_path)
    return content


def add_translations(content: KbContent) -> None:
    """Attach each usable translation to its macro; report the others (and the flaws of the usable)."""
    by_path = {item.rel_path: item for item in content.items.values() if isinstance(item, Macro)}
    texts: dict[str, list[MacroText]] = {}
    for path in iter_translation_files(content.root):
        text = parse_translation(path, content.root)
        if isinstance(text, Problem):
            content.problems.append(text)
            continue
        named = translation_of(text.rel_path)
        base = by_path.get(named[0]) if named else None
        content.problems.extend(translation_problems(base, text))
        if base is not None:
            texts.setdefault(base.id, []).append(text)
    for item_id, found in texts.items():
        macro = content.items[item_id]
        assert isinstance(macro, Macro)
        if attached := usable(macro, found):
            content.items[item_id] = dataclasses.replace(macro, translations=attached)


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0  # reported when it is read
