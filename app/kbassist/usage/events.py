"""The usage event record: one row of the store, already stripped of anything personal.

An ``Event`` is built on the caller's thread with its query or key terms already redacted, so raw case
text never reaches the writer queue, the database or a log line. Every event carries the app and KB
version, so figures can be read against the release that produced them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

EventKind = Literal["session", "shown", "opened", "previewed", "copied", "search", "feedback", "none_fit"]
EVENT_KINDS: Final[frozenset[str]] = frozenset(
    ("session", "shown", "opened", "previewed", "copied", "search", "feedback", "none_fit")
)

ITEM_KINDS: Final[frozenset[str]] = frozenset(("article", "macro"))
ARTICLE_SOURCES: Final[frozenset[str]] = frozenset(("suggestion", "search", "link"))
MACRO_SOURCES: Final[frozenset[str]] = frozenset(("suggestion", "search", "favorite", "recent"))

# What one search or "none fit" may keep. A typed query is a few words; anything longer was pasted (most
# likely the case itself) and is stored as PASTED, never in part: its first words could name the customer.
MAX_QUERY_WORDS: Final = 12
MAX_QUERY_CHARS: Final = 120
MAX_KEY_TERMS: Final = 20
MAX_TERM_WORDS: Final = 4
MAX_TERM_CHARS: Final = 60
PASTED: Final = "[pasted text]"
# Longer input is PASTED without even being redacted, so a huge paste costs the window's thread nothing.
MAX_INPUT_CHARS: Final = 2000


@dataclass(frozen=True, slots=True)
class Event:
    """One thing the associate did (or was shown) in a case session.

    Only the fields that make sense for ``kind`` are set; the rest stay ``None``. ``terms`` holds the
    redacted search query (one element) or the redacted "none fit" key terms.
    """

    session: str
    kind: EventKind
    ts: float  # seconds since the epoch
    item_id: str | None = None
    item_kind: str | None = None  # "article" | "macro" (suggestions only)
    source: str | None = None
    rank: int | None = None  # 1 = top suggestion
    score: float | None = None
    edit_ratio: float | None = None
    unfilled: int | None = None
    helpful: bool | None = None
    terms: tuple[str, ...] = ()
    result_count: int | None = None
    app_version: str = ""
    kb_version: str = ""


def check_choice(value: str, allowed: frozenset[str], what: str) -> str:
    """Reject a value outside the documented vocabulary: a typo in a caller would silently skew the stats."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {sorted(allowed)}, not {value!r}")
    return value
