"""The usage event record: one row of the store, already stripped of anything personal.

An ``Event`` is built on the caller's thread with its query or key terms already redacted, so raw case
text never reaches the writer queue, the database or a log line. Every event carries the app and KB
version, so figures can be read against the release that produced them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, TypeVar

from kbassist.content.model import ItemKind


class EventKind(StrEnum):
    """What happened. The stored value is the member's plain string."""

    SESSION = "session"
    SHOWN = "shown"
    OPENED = "opened"
    PREVIEWED = "previewed"
    COPIED = "copied"
    SEARCH = "search"
    FEEDBACK = "feedback"
    NONE_FIT = "none_fit"


class Source(StrEnum):
    """Where the associate reached an item from.

    One vocabulary rather than one per item kind: the events table has one ``source`` column, "suggestion"
    and "search" mean the same for articles and macros (the figures count them across both), and a stored
    value reads back without knowing its item's kind. Which kind may use which source is ``ARTICLE_SOURCES``
    and ``MACRO_SOURCES``, checked where events are recorded.
    """

    SUGGESTION = "suggestion"
    SEARCH = "search"
    LINK = "link"  # a link in another article
    AUTO = "auto"  # the window opened the top article by itself (a confident suggestion), not the associate
    FAVORITE = "favorite"
    RECENT = "recent"


ARTICLE_SOURCES: Final = frozenset((Source.SUGGESTION, Source.SEARCH, Source.LINK, Source.AUTO))
MACRO_SOURCES: Final = frozenset((Source.SUGGESTION, Source.SEARCH, Source.FAVORITE, Source.RECENT))

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
# An edit ratio is kept to 3 places: the figures show whole percents, and a rounded value lets the editors'
# rollups hold the distribution of ratios per day, so a median over any period stays exact.
EDIT_RATIO_PLACES: Final = 3


def new_event_id() -> str:
    """An event's identity everywhere (local file, team database): uploads are idempotent on it."""
    return str(uuid.uuid4())


def local_day(ts: float) -> str:
    """The associate's calendar day of ``ts``, ISO. Made where the event happens: a team's server cannot know
    each associate's time zone, and "cases on Monday" means the associate's Monday."""
    return dt.datetime.fromtimestamp(ts).date().isoformat()


@dataclass(frozen=True, slots=True)
class Event:
    """One thing the associate did (or was shown) in a case session.

    Only the fields that make sense for ``kind`` are set; the rest stay ``None``. ``terms`` holds the
    redacted search query (one element) or the redacted "none fit" key terms. ``product`` is the product of
    the item, as the KB said when it happened; ``placeholders`` names the placeholders a copied reply left
    unfilled (names from the macro, never values). ``day`` is ``local_day(ts)`` unless given.
    """

    session: str
    kind: EventKind
    ts: float  # seconds since the epoch
    item_id: str | None = None
    item_kind: ItemKind | None = None
    source: Source | None = None
    rank: int | None = None  # 1 = top suggestion
    score: float | None = None
    edit_ratio: float | None = None
    unfilled: int | None = None
    helpful: bool | None = None
    terms: tuple[str, ...] = ()
    result_count: int | None = None
    app_version: str = ""
    kb_version: str = ""
    event_id: str = field(default_factory=new_event_id)
    day: str = ""
    product: str | None = None
    placeholders: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.day:
            object.__setattr__(self, "day", local_day(self.ts))


_Choice = TypeVar("_Choice", bound=StrEnum)


def check_choice(value: str, allowed: Iterable[_Choice], what: str) -> _Choice:
    """The member of ``allowed`` (an enum or a subset of one) whose value is ``value``.

    A value outside the documented vocabulary is rejected: a typo in a caller would silently skew the stats.
    """
    for member in allowed:
        if member.value == value:
            return member
    raise ValueError(f"{what} must be one of {sorted(member.value for member in allowed)}, not {value!r}")
