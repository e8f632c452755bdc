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


def test_one_rule_chooses_the_kb_for_both_faces(tmp_path, monkeypatch) -> None:
    """--kb, then KBASSIST_KB, then the last KB in the settings, then the bundled KB (CLI and window alike)."""
    from kbassist.settings import Settings, choose_kb

    explicit, env, remembered = tmp_path / "explicit", tmp_path / "env", tmp_path / "remembered"
    settings = Settings(kb_folder=str(remembered))
    monkeypatch.setenv("KBASSIST_KB", str(env))
    assert choose_kb(str(explicit), settings) == explicit.resolve()
    assert choose_kb(None, settings) == env.resolve()
    monkeypatch.delenv("KBASSIST_KB")
    assert choose_kb(None, settings) == remembered.resolve()
    assert choose_kb(None, Settings()) == paths.bundled_kb()


def test_a_first_start_asks_for_the_name_and_offers_the_accounts() -> None:
    import os
    import sys

    from kbassist.settings import Settings, os_full_name

    assert Settings().needs_agent_name and Settings(agent_name="  ").needs_agent_name
    assert not Settings(agent_name="Robin").needs_agent_name
    if sys.platform != "win32":
        import pwd

        assert os_full_name() == pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()
    assert isinstance(os_full_name(), str)
