"""Project-level promises: the layers hold, types check, the code is ruff-clean, the wheel carries the KB."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE_PACKAGES = ("content", "search", "usage")


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `pip install -e .[test]` installs it")
    return found


def test_import_contracts_hold() -> None:
    """pyproject.toml's contracts: the core never imports Qt or the window; each layer imports only lower ones."""
    result = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_types_check() -> None:
    """mypy, strict for the core and the CLI, looser for the window (pyproject.toml)."""
    result = subprocess.run([_tool("mypy")], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_core_runs_without_loading_qt() -> None:
    code = (
        "import sys, kbassist.cli, kbassist.search.engine, kbassist.content.loader, kbassist.usage; "
        "sys.exit('PySide6' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_ruff_clean() -> None:
    ruff = _tool("ruff")
    folders = [f for f in ("app", "tests", "bench", "docs", "tools") if (REPO / f).is_dir()]
    result = subprocess.run([ruff, "check", *folders], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.slow
def test_wheel_carries_bundled_kb_and_resources(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(tmp_path.glob("kbassist-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    kb_articles = [n for n in names if n.startswith("kbassist/_bundled/kb/articles/") and n.endswith(".md")]
    assert len(kb_articles) == len(list((REPO / "kb/articles").rglob("*.md")))
    assert any(n.startswith("kbassist/_bundled/resources/") for n in names)
    assert "kbassist/search/synonyms.yaml" in names
    assert any(n.endswith("entry_points.txt") for n in names)
