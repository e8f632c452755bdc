"""Project-level promises: the core never imports Qt, the code is ruff-clean, the wheel carries the KB."""

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE_PACKAGES = ("content", "search", "usage")


def test_core_packages_never_import_qt() -> None:
    offenders = []
    for package in CORE_PACKAGES:
        for path in (REPO / "app/kbassist" / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                )
                if any(
                    n.split(".")[0] in ("PySide6", "shiboken6", "kbassist.ui") or n.startswith("kbassist.ui")
                    for n in names
                ):
                    offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_core_runs_without_loading_qt() -> None:
    code = (
        "import sys, kbassist.cli, kbassist.search, kbassist.content, kbassist.usage; "
        "sys.exit('PySide6' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_ruff_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
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
