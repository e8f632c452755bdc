"""Marking an article reviewed writes only its ``reviewed:`` line, atomically, and refuses clearly."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kbassist.cli import main
from kbassist.content.loader import load_kb
from kbassist.content.review import ReviewError, mark_reviewed, with_reviewed

DAY = dt.date(2026, 3, 1)
BODY = "# Payouts to a crypto wallet\n\nNot supported: payouts go to a bank account.   \n\n| a | b |\n|---|---|\n"


def _kb(tmp_path: Path, front: str, *, newline: str = "\n", bom: bool = False) -> tuple[Path, Path]:
    kb = tmp_path / "kb"
    path = kb / "articles" / "payouts" / "crypto.md"
    path.parent.mkdir(parents=True)
    (kb / "macros" / "payouts").mkdir(parents=True)
    (kb / "macros" / "payouts" / "reply.md").write_text(
        "---\nid: macro-crypto\ntitle: Crypto reply\nproduct: payouts\ntags: [reply]\narticles: [crypto]\n---\n\n"
        "Hello {{customer_name}}\n"
    )
    text = ("\ufeff" if bom else "") + front + BODY
    path.write_bytes(text.replace("\n", newline).encode())
    return kb, path


FRONT = (
    "---\nid: crypto\ntitle: 'Payouts: crypto'   # quoted, with a comment\nproduct: payouts\n"
    "tags: [payouts, crypto]\nowner: payouts-content\nreviewed: 2025-01-15  # last check\n---\n"
)


@pytest.mark.parametrize(("newline", "bom"), [("\n", False), ("\r\n", True)])
def test_only_the_reviewed_line_changes(tmp_path: Path, newline: str, bom: bool) -> None:
    kb, path = _kb(tmp_path, FRONT, newline=newline, bom=bom)
    before = path.read_bytes()
    mark_reviewed(path, DAY)
    after = path.read_bytes()
    assert after == before.replace(b"reviewed: 2025-01-15  # last check", b"reviewed: 2026-03-01  # last check")
    assert after != before
    assert load_kb(kb).items["crypto"].reviewed == DAY  # type: ignore[attr-defined]
    assert [p.name for p in path.parent.iterdir()] == ["crypto.md"]  # no temporary file left


def test_a_missing_reviewed_line_is_added_before_the_closing_dashes() -> None:
    raw = b"---\r\nid: x\r\nowner: o\r\n---\r\nbody\r\n"
    assert with_reviewed(raw, DAY) == b"---\r\nid: x\r\nowner: o\r\nreviewed: 2026-03-01\r\n---\r\nbody\r\n"
    nested = b"---\nid: x\nnotes:\n  reviewed: never\n---\n"  # an indented key is not the article's date
    assert with_reviewed(nested, DAY) == b"---\nid: x\nnotes:\n  reviewed: never\nreviewed: 2026-03-01\n---\n"
    with pytest.raises(ReviewError, match="no front matter"):
        with_reviewed(b"# just a heading\n", DAY)


def test_a_read_only_file_is_refused_and_kept(tmp_path: Path) -> None:
    _, path = _kb(tmp_path, FRONT)
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(ReviewError, match="read-only"):
        mark_reviewed(path, DAY)
    assert path.read_bytes() == before and sorted(p.name for p in path.parent.iterdir()) == ["crypto.md"]


def test_a_file_that_would_break_is_left_alone(tmp_path: Path) -> None:
    _, path = _kb(tmp_path, FRONT.replace("tags: [payouts, crypto]", "tags: [payouts, crypto"))
    before = path.read_bytes()
    with pytest.raises(ReviewError, match="would no longer read"):
        mark_reviewed(path, DAY)
    assert path.read_bytes() == before


def test_kbassist_review(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb, path = _kb(tmp_path, FRONT)
    assert main(["review", "crypto", "--date", "2026-03-01", "--kb", str(kb), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "id": "crypto",
        "path": "articles/payouts/crypto.md",
        "reviewed": "2026-03-01",
        "previously": "2025-01-15",
    }
    assert b"reviewed: 2026-03-01  # last check\n" in path.read_bytes()
    assert main(["review", "crypto", "--kb", str(kb)]) == 0  # today by default
    assert f"crypto: reviewed {dt.date.today()} (was 2026-03-01)" in capsys.readouterr().out

    before = path.read_bytes()
    assert main(["review", "no-such-article", "--kb", str(kb)]) == 1
    assert "no article with the ID 'no-such-article'" in capsys.readouterr().err
    assert main(["review", "macro-crypto", "--kb", str(kb)]) == 1
    assert "macro-crypto is a macro; only articles carry a review date" in capsys.readouterr().err
    path.chmod(0o444)
    assert main(["review", "crypto", "--kb", str(kb)]) == 1
    assert "crypto.md is read-only" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert main(["review", "crypto", "--date", "March 1st", "--kb", str(kb)]) == 2
    assert "not a date (use YYYY-MM-DD): 'March 1st'" in capsys.readouterr().err
