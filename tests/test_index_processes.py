"""The index under real processes: racing first builds, a search during another's build, a cache that
cannot be written (as a real non-root user), and damage only a full read finds."""

from __future__ import annotations

import json
import os
import pwd
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import BUNDLED_KB
from kbassist.search.index import KbIndex

CASE = "Our payout to the bank failed and the account shows as closed. When will the money come back?"


# Run as another account: the interpreter starts as root (it may live in root's private home), loads what
# the command uses, then drops to the account for good before the command runs.
_AS_USER = """
import importlib, os, pkgutil, pwd, sys
import encodings
import kbassist.cli, kbassist.search.engine, kbassist.search.dense, kbassist.search.language
import onnxruntime, tokenizers, numpy, py3langid
# Modules the command may import later, from a folder the account cannot read: load them all now.
SKIP = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "test", "lib2to3", "ensurepip",
        "venv", "pydoc_data", "xxlimited", "xxlimited_35", "xxsubtype", "msilib", "winreg", "winsound",
        "msvcrt", "nt", "_winapi", "_overlapped"}
names = [n for n in sys.stdlib_module_names if n not in SKIP]
names += [f"encodings.{m.name}" for m in pkgutil.iter_modules(encodings.__path__)]
for name in names:
    try:
        importlib.import_module(name)
    except Exception:
        pass
account = pwd.getpwnam(sys.argv[1])
os.setgroups([])
os.setgid(account.pw_gid)
os.setuid(account.pw_uid)
assert os.getuid() != 0
sys.exit(kbassist.cli.main(sys.argv[2:]))
"""


def kbassist(*args: str, home: Path, user: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "KBASSIST_KB"}
    env["KBASSIST_HOME"] = str(home)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-c", _AS_USER, user] if user else [sys.executable, "-m", "kbassist"]
    return subprocess.Popen(
        [*command, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd="/" if user else None,
    )


def finish(process: subprocess.Popen[str], stdin: str | None = None) -> tuple[int, str, str]:
    out, err = process.communicate(stdin, timeout=300)
    return process.returncode, out, err


def seeded_home(root: Path, vectors: Path) -> Path:
    """A fresh home with the bundled KB's vectors already cached (so no process embeds the KB again)."""
    home = root / "home"
    (home / "cache" / "vectors").mkdir(parents=True)
    shutil.copyfile(vectors, home / "cache" / "vectors" / vectors.name)
    return home


def generations(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "cache" / "index").glob("*/gen-*"))


@pytest.mark.parametrize("round_", range(3))
def test_two_first_builds_at_once_share_one_build(tmp_path: Path, bundled_vectors: Path, round_: int) -> None:
    """Before: one of them crashed with FileExistsError on gen-1 in 2 rounds of 5."""
    home = seeded_home(tmp_path, bundled_vectors)
    runs = [kbassist("index", "--json", home=home) for _ in range(2)]
    results = [finish(p) for p in runs]
    for code, _out, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    counts = {json.loads(out)["documents"] for _, out, _ in results}
    assert len(counts) == 1 and counts.pop() > 200
    assert len(generations(home)) == 1


def test_a_suggestion_during_another_process_first_build_waits_for_it(tmp_path: Path, bundled_vectors: Path) -> None:
    """Before: the second process took the live build for a dead one ("did not finish") and built a copy."""
    home = seeded_home(tmp_path, bundled_vectors)
    builder = kbassist("index", home=home)
    deadline = time.monotonic() + 60
    while not list((home / "cache" / "index").glob("*/state.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    asker = kbassist("suggest", "--json", home=home)
    code, out, err = finish(asker, CASE)
    built = finish(builder)
    assert built[0] == 0, built[2]
    assert code == 0, err
    assert "did not finish" not in err and "Traceback" not in err
    articles = json.loads(out)["articles"]
    assert articles and articles[0]["product"] == "payouts"
    assert len(generations(home)) == 1


# ------------------------------------------------------------------ a cache the user cannot write
def _other_user() -> str | None:
    """As root, a real unprivileged account to run as (permissions mean nothing to root)."""
    if os.geteuid() != 0:
        return None
    for name in ("nobody", "daemon"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.skip("running as root and no unprivileged account exists")


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder the unprivileged account can read (pytest's own tmp folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="kbassist-perm-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    shutil.rmtree(folder, ignore_errors=True)


def _freeze(folder: Path) -> None:
    """No writing anywhere under ``folder`` for anyone but root."""
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) | stat.S_IROTH | stat.S_IRGRP)
        if path.is_dir():
            path.chmod(path.stat().st_mode | stat.S_IXOTH | stat.S_IXGRP)


def test_a_read_only_index_is_read_and_says_updates_are_off(shared_tmp: Path, bundled_vectors: Path) -> None:
    """Before: every command crashed with a traceback, even `show` on a healthy index."""
    user = _other_user()
    home = seeded_home(shared_tmp, bundled_vectors)
    code, _, err = finish(kbassist("index", home=home))
    assert code == 0, err
    _freeze(home)
    code, out, err = finish(kbassist("suggest", "--json", home=home, user=user), CASE)
    assert code == 0, err
    assert "Traceback" not in err
    assert "read-only" in err and "updates are off" in err
    assert json.loads(out)["articles"][0]["product"] == "payouts"
    code, out, err = finish(kbassist("show", "payouts-payout-failed", home=home, user=user))
    assert "Traceback" not in err
    assert code in (0, 1), err  # 1: no such id in this KB; either way it answered from the read-only index


def test_an_unwritable_home_gives_one_clear_error(shared_tmp: Path) -> None:
    user = _other_user()
    home = shared_tmp / "home"
    home.mkdir()
    _freeze(shared_tmp)
    code, _, err = finish(kbassist("search", "refund", home=home, user=user))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "cannot create the search index folder" in lines[0] and "KBASSIST_HOME" in lines[0]


# ------------------------------------------------------------------ damage found by the full check
def test_kbassist_index_reads_everything_and_rebuilds_hidden_damage(tmp_path: Path, bundled_vectors: Path) -> None:
    """Damage in the middle of a segment is not seen when the index opens; before, `kbassist index` said all
    was well while searches touching it failed."""
    home = seeded_home(tmp_path, bundled_vectors)
    code, _, err = finish(kbassist("index", home=home))
    assert code == 0, err
    root = next((home / "cache" / "index").glob("*-*"))
    generation = root / json.loads((root / "state.json").read_text())["active"]
    segment = max(generation.glob("*.seg"), key=lambda p: p.stat().st_size)
    data = bytearray(segment.read_bytes())
    rng = random.Random(7)
    start = len(data) // 2
    data[start : start + 4096] = bytes(rng.randrange(256) for _ in range(4096))
    segment.write_bytes(bytes(data))

    index = KbIndex(BUNDLED_KB, root)
    assert index.messages == []  # opening does not see it
    assert index.check() is not None  # reading everything does
    index.close()

    code, out, err = finish(kbassist("index", "--json", home=home))
    assert code == 0, err
    report = json.loads(out)
    assert report["rebuilt"] is True
    assert any("damaged" in m for m in report["messages"])
    assert "damaged" in err
    healthy = KbIndex(BUNDLED_KB, root)
    assert healthy.check() is None
    assert healthy.doc_count() == report["documents"] > 200
    healthy.close()
