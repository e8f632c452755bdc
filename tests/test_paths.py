from pathlib import Path

import pytest

from kbassist import paths


def test_home_sends_every_folder_under_it(kbassist_home: Path) -> None:
    for folder in (paths.cache_dir(), paths.data_dir(), paths.config_dir(), paths.log_dir()):
        assert folder.is_relative_to(kbassist_home)
    assert paths.usage_db().is_relative_to(kbassist_home)
    assert paths.index_dir(Path("/some/kb")).is_relative_to(kbassist_home / "cache")


def test_kb_choice_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.resolve_kb() == paths.bundled_kb()
    assert (paths.bundled_kb() / "articles").is_dir()
    monkeypatch.setenv("KBASSIST_KB", str(tmp_path / "env-kb"))
    assert paths.resolve_kb() == tmp_path / "env-kb"
    assert paths.resolve_kb(tmp_path / "cli-kb") == tmp_path / "cli-kb"


def test_one_index_folder_per_kb() -> None:
    assert paths.index_dir(Path("/a/kb")) != paths.index_dir(Path("/b/kb"))
    assert paths.index_dir(Path("/a/kb")) == paths.index_dir(Path("/a/kb"))
