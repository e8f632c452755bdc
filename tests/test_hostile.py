"""The hostile corpus (tests/hostile/generate.py) through the real code: lint, the index, rendering, the
CLI and suggestions. Every class of hostile file is refused with a report, accepted harmlessly, or never
read; the good files beside them are always indexed; no paste raises."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hostile.generate import OUTSIDE_SECRET, HostileFile, pastes, write_kb
from kbassist.content.lint import lint_folder
from kbassist.content.model import Macro
from kbassist.content.render import article_html, reply_html
from kbassist.search.engine import SearchEngine
from kbassist.search.index import KbIndex


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[HostileFile]]:
    return write_kb(tmp_path_factory.mktemp("hostile"))


def _by_fate(files: list[HostileFile], fate: str) -> set[str]:
    return {f.rel_path for f in files if f.fate == fate}


def test_lint_reports_every_refused_file_and_nothing_it_must_not_read(corpus: tuple[Path, list[HostileFile]]) -> None:
    kb, files = corpus
    content, problems = lint_folder(kb)
    errors = {p.rel_path for p in problems if p.severity == "error"}
    assert _by_fate(files, "refused") <= errors
    assert not errors & (_by_fate(files, "indexed") | _by_fate(files, "ignored"))
    loaded = {i.rel_path for i in content.items.values()}
    assert _by_fate(files, "indexed") <= loaded
    assert not loaded & (_by_fate(files, "refused") | _by_fate(files, "ignored"))


def test_the_index_takes_the_good_and_harmless_files_and_reports_the_rest(
    corpus: tuple[Path, list[HostileFile]], tmp_path: Path
) -> None:
    kb, files = corpus
    index = KbIndex(kb, tmp_path / "index")
    report = index.update()
    indexed = {i.rel_path for i in index.all_items()}
    assert indexed == _by_fate(files, "indexed")
    assert _by_fate(files, "refused") <= {p.rel_path for p in report.problems}
    assert index.check() is None
    secret = OUTSIDE_SECRET.decode().split("\n# ")[-1].strip()
    for item in index.all_items():
        assert secret not in item.body
    again = index.update()  # nothing changed: a second pass finds nothing to do and still reports
    assert again.touched == 0 and {p.rel_path for p in again.problems} == {p.rel_path for p in report.problems}
    index.close()
    assert not Path("/tmp/kbassist-owned").exists()


class _Dangers(HTMLParser):
    """Real tags and attributes that run code or fetch from elsewhere (escaped text is harmless)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "img", "iframe", "object", "embed", "style", "link"):
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith(("javascript:", "data:")):
                self.found.append(f"{tag} {name}={value}")


def _dangers(html: str) -> list[str]:
    parser = _Dangers()
    parser.feed(html)
    return parser.found


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")


def test_what_is_accepted_is_shown_harmlessly(corpus: tuple[Path, list[HostileFile]], tmp_path: Path) -> None:
    kb, files = corpus
    content, _ = lint_folder(kb)
    hostile = {f.rel_path for f in files if f.fate == "indexed" and not f.name.startswith("good")}
    items = [i for i in content.items.values() if i.rel_path in hostile]
    assert len(items) == len(hostile)
    for item in items:
        html = reply_html(item.body) if isinstance(item, Macro) else article_html(item.body)
        assert not _dangers(html), (item.rel_path, _dangers(html))
    for item in items:
        shown = subprocess.run(
            [sys.executable, "-m", "kbassist", "show", item.id, "--kb", str(kb)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**__import__("os").environ, "KBASSIST_HOME": str(tmp_path / "home")},
        )
        assert shown.returncode == 0, shown.stderr
        assert not _CONTROL.search(shown.stdout.replace("\n", "").replace("\t", "")), item.rel_path


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    from conftest import BUNDLED_KB

    engine = SearchEngine(BUNDLED_KB, index_root=tmp_path_factory.mktemp("hostile-index"))
    engine.update()
    engine.prepare_dense()
    return engine


@pytest.mark.parametrize("paste", list(pastes()), ids=lambda p: p.name)
def test_no_paste_breaks_a_suggestion(engine: SearchEngine, paste) -> None:
    result = engine.suggest(paste.content)
    assert result.case is not None
    for item in (*result.articles, *result.macros):
        assert item.id and item.title
    if paste.name == "a real case then junk":
        assert result.articles and result.articles[0].product == "refunds"
