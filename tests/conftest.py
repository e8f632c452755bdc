"""Test set-up: every path under tmp, Qt offscreen, and small KBs built on disk for the tests."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbassist.ui.plain_import import plain_import

# The team-mode tests' PostgreSQL server and databases (tests/postgres.py).
pytest_plugins = ["postgres"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
BUNDLED_KB = REPO / "kb"


# Outside a test (session- and module-scoped fixtures are set up before a test's own home exists) every
# folder still points at a throwaway home, never at the user's real cache or data.
SESSION_HOME = Path(tempfile.mkdtemp(prefix="kbassist-tests-"))
os.environ["KBASSIST_HOME"] = str(SESSION_HOME)
atexit.register(shutil.rmtree, SESSION_HOME, True)

# The window's modules imported as `kbassist` imports them (ui/plain_import.py: by Python's own import, which
# PySide6 replaces once Qt is loaded, as pytest-qt has loaded it here), so every window test runs them that way.
with plain_import():
    import kbassist.ui.app  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def bundled_vectors() -> Path:
    """The bundled KB's embedding cache, computed once per run by the real model (about 10 s).

    Every test's home starts with a copy, so an engine on the bundled KB ranks with its vectors at once,
    as an installed app does after its first start, instead of embedding the KB again in every test.
    """
    from kbassist.search.dense import Embedder, build_table, cache_file
    from kbassist.search.index import KbIndex

    index = KbIndex(BUNDLED_KB, SESSION_HOME / "vectors-index")
    index.update()
    with index.searcher() as searcher:
        stored = list(searcher.all_stored_fields())
    index.close()
    embedder = Embedder()
    build_table(stored, embedder)
    return cache_file(embedder.version)


@pytest.fixture(autouse=True)
def kbassist_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, bundled_vectors: Path
) -> Path:
    """Send every folder KB Assist writes to a temporary home; never touch the user's real folders.

    The home sits beside the test's tmp_path, not in it, so a test that checks what its own folder holds
    sees only its files.
    """
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("KBASSIST_HOME", str(home))
    monkeypatch.delenv("KBASSIST_KB", raising=False)
    monkeypatch.delenv("KBASSIST_TEAM_DB", raising=False)  # a developer's own team database is never used
    seeded = home / "cache" / "vectors" / bundled_vectors.name
    seeded.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundled_vectors, seeded)
    return home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def front_matter(**fields: str) -> str:
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in fields.items()) + "---\n"


def article(
    kb: Path, product: str, slug: str, title: str, body: str, tags: str = "[]", reviewed: str = "2026-05-01"
) -> Path:
    meta = front_matter(
        id=f"{product}-{slug}", title=title, product=product, tags=tags, owner=f"{product}-content", reviewed=reviewed
    )
    return write(kb / "articles" / product / f"{slug}.md", f"{meta}# {title}\n\n{body}\n")


def macro(kb: Path, product: str, slug: str, title: str, body: str, articles: str, tags: str = "[reply]") -> Path:
    meta = front_matter(id=f"macro-{product}-{slug}", title=title, product=product, tags=tags, articles=articles)
    return write(kb / "macros" / product / f"{slug}.md", f"{meta}{body}\n")


@pytest.fixture
def mini_kb(tmp_path: Path) -> Path:
    """A five-file KB with known content, small enough to reason about exact results."""
    kb = tmp_path / "kb"
    article(
        kb,
        "refunds",
        "refund-timeline",
        "Refund not on the statement yet",
        "## How to check\nLook up the `re_` refund. Refunds take 5-10 business days to reach the card.\n\n"
        "See [failed refunds](refund-failed.md).",
        tags="[refund, timeline]",
    )
    article(
        kb,
        "refunds",
        "refund-failed",
        "Refund failed",
        "A refund can fail when the card account is closed (`expired_or_canceled_card`).",
        tags="[refund]",
    )
    article(
        kb,
        "disputes",
        "dispute-fee",
        "Dispute fee and withdrawn funds",
        "When a chargeback opens, the disputed amount and a $15 dispute fee are withdrawn. Check the `dp_` object.",
        tags="[dispute, chargeback, fee]",
    )
    macro(
        kb,
        "refunds",
        "refund-issued",
        "Refund issued",
        "Hi {{customer_name|there}},\n\nWe refunded {{amount}} ({{refund_id}}). Please allow {{business_days}} "
        "business days.\n\nBest regards,\n{{agent_name}}",
        "[refunds-refund-timeline]",
    )
    macro(
        kb,
        "disputes",
        "dispute-fee",
        "Dispute fee explained",
        "Hi {{customer_name|there}},\n\nThe dispute {{dispute_id}} came with a fee.\n\nBest regards,\n{{agent_name}}",
        "[disputes-dispute-fee]",
    )
    return kb


@pytest.fixture(scope="session")
def bundled_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The bundled KB indexed once for the session (read-only use)."""
    from kbassist.search.engine import SearchEngine

    engine = SearchEngine(BUNDLED_KB, index_root=tmp_path_factory.mktemp("bundled-index"))
    engine.update()
    yield engine
    engine.close()


@pytest.fixture(scope="session", autouse=True)
def _release_clipboard_at_exit() -> Iterator[None]:
    """Qt's offscreen clipboard crashes at interpreter exit while it still owns mime data; empty it first."""
    yield
    try:
        from PySide6.QtGui import QGuiApplication
    except ImportError:
        return
    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()
