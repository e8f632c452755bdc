"""The editors' figures as records: one per macro, article, gap, stale article and week, and ``Stats`` for all."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from kbassist.content.model import ItemKind


@dataclass(slots=True)
class MacroStats:
    id: str
    title: str
    product: str
    suggested: int = 0  # sessions it was shown in
    top3: int = 0  # sessions it was shown in at rank <= 3
    top1: int = 0  # sessions it was shown in at rank 1
    previewed: int = 0
    copied: int = 0  # copy events
    copy_rate: float | None = None  # copied in top-3 sessions / top-3 sessions
    top1_acceptance: float | None = None  # copied in rank-1 sessions / rank-1 sessions
    median_edit_ratio: float | None = None
    unfilled_share: float | None = None  # copies with placeholders left unfilled / copies
    helpful: int = 0
    not_helpful: int = 0
    last_used: dt.date | None = None  # day of the last copy
    unfilled_placeholders: dict[str, int] = field(default_factory=dict)  # name -> copies that left it, most first
    often_suggested: bool = False  # shown in the top 3 of enough cases for its copy rate to count (items.py)


@dataclass(slots=True)
class ArticleStats:
    id: str
    title: str
    product: str
    owner: str = ""  # as the KB says now
    reviewed: dt.date | None = None
    suggested: int = 0
    opened: int = 0  # by the associate: from a suggestion, a search or a link
    from_suggestion: int = 0
    from_search: int = 0
    from_link: int = 0
    from_auto: int = 0  # opened by the window itself (a confident suggestion); not in ``opened``
    helpful: int = 0
    not_helpful: int = 0
    last_opened: dt.date | None = None


@dataclass(frozen=True, slots=True)
class UnusedItem:
    id: str
    kind: ItemKind
    title: str
    product: str
    suggested: int  # sessions it was shown in, never used: a ranking or content problem


@dataclass(frozen=True, slots=True)
class RankingMiss:
    """A macro the associate searched for and copied although the case had suggestions without it."""

    id: str
    title: str
    product: str
    copies: int
    sessions: int


@dataclass(frozen=True, slots=True)
class Gap:
    """Searches that found nothing and "none fit" marks about one thing: a product and the same key words."""

    product: str  # the case's product, "" when its suggestions had none (or it was outside a case)
    terms: str  # what they were about: the cleaned key words, sorted, comma-joined ("crypto, payouts")
    count: int  # searches + none_fit
    searches: int  # typed searches with no results
    none_fit: int  # "none of these fit" marks
    last_seen: dt.date
    examples: tuple[str, ...]  # how they read (redacted when recorded), most frequent first, at most 3


@dataclass(frozen=True, slots=True)
class StaleArticle:
    id: str
    title: str
    product: str
    owner: str
    reviewed: dt.date
    days_since_review: int
    macros: tuple[str, ...]  # macros that rely on it (Macro.articles)
    opened: int  # in the period: how much a stale article is actually read


@dataclass(frozen=True, slots=True)
class WeekTrend:
    week: str  # ISO week, "2026-W07"
    product: str
    copies: int
    searches: int


@dataclass(slots=True)
class Stats:
    since: dt.date | None
    until: dt.date | None
    product: str | None
    today: dt.date
    sessions: int = 0
    events: int = 0
    associates: int = 0  # distinct (pseudonymous) associates whose cases are counted
    macros: list[MacroStats] = field(default_factory=list)
    articles: list[ArticleStats] = field(default_factory=list)
    unused: list[UnusedItem] = field(default_factory=list)
    missed: list[RankingMiss] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    gaps_hidden: int = 0  # searches and "none fit" marks with nothing to act on (no word left after cleaning)
    stale: list[StaleArticle] = field(default_factory=list)
    trend: list[WeekTrend] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types: dates as ISO strings, ratios rounded to 4 places."""
        plain: dict[str, Any] = _plain(asdict(self))
        return plain


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value
