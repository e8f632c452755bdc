"""What the usage events say about the KB, for editors: which macros work, what is missing, what is stale.

Definitions (all for events inside the period; dates are local calendar days, ``until`` inclusive):

* a macro is *suggested* in a session when it was shown there at any rank; its rank in a session is the
  best (lowest) rank it was shown at;
* *copy rate* = sessions where it was shown at rank <= 3 and copied / sessions where it was shown at
  rank <= 3; *top-1 acceptance* = the same with rank 1;
* *used* means copied (a macro) or opened (an article);
* a session's product is the product of its best-ranked suggested article (else macro); searches and
  "none fit" marks count for that product;
* the product filter keeps items of that product, and sessions of that product.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from kbassist.content.model import Article, ItemKind, KbItem, Macro
from kbassist.usage.events import Event, EventKind, Source
from kbassist.usage.store import UsageStore

UNKNOWN_PRODUCT = "unknown"
TOP_N = 3


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


@dataclass(slots=True)
class ArticleStats:
    id: str
    title: str
    product: str
    suggested: int = 0
    opened: int = 0
    from_suggestion: int = 0
    from_search: int = 0
    from_link: int = 0
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
    kind: EventKind  # SEARCH (no results) | NONE_FIT
    terms: str  # redacted, lower-cased; "none fit" terms sorted and comma-joined
    count: int
    last_seen: dt.date


@dataclass(frozen=True, slots=True)
class StaleArticle:
    id: str
    title: str
    product: str
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
    macros: list[MacroStats] = field(default_factory=list)
    articles: list[ArticleStats] = field(default_factory=list)
    unused: list[UnusedItem] = field(default_factory=list)
    missed: list[RankingMiss] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
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


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts).date()


def _midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time.min).timestamp()


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _session_products(events: list[Event], items: dict[str, KbItem]) -> dict[str, str]:
    best: dict[str, tuple[int, int, float, str]] = {}
    for e in events:
        item = items.get(e.item_id or "")
        if e.kind != EventKind.SHOWN or item is None:
            continue
        key = (0 if isinstance(item, Article) else 1, e.rank or 10**6, e.ts, item.product)
        if e.session not in best or key < best[e.session]:
            best[e.session] = key
    return {session: key[3] for session, key in best.items()}


def compute_stats(
    store: UsageStore,
    items: Iterable[KbItem],
    since: dt.date | None = None,
    until: dt.date | None = None,
    product: str | None = None,
    stale_after_days: int = 365,
    *,
    today: dt.date | None = None,
) -> Stats:
    """The figures for events between ``since`` and ``until`` (inclusive days) for ``product`` (or all)."""
    today = today or dt.date.today()
    by_id = {item.id: item for item in items}
    events = list(
        store.events(_midnight(since) if since else None, _midnight(until + dt.timedelta(days=1)) if until else None)
    )
    session_product = _session_products(events, by_id)

    def item_product(item_id: str) -> str:
        item = by_id.get(item_id)
        return item.product if item else ""

    def keep_item(item_id: str) -> bool:
        return product is None or item_product(item_id) == product

    def keep_session(session: str) -> bool:
        return product is None or session_product.get(session) == product

    stats = Stats(since=since, until=until, product=product, today=today)
    stats.events = sum(1 for e in events if keep_session(e.session))
    # The window records searches made outside any case under the empty session id: not a case.
    stats.sessions = len({e.session for e in events if e.session and keep_session(e.session)})
    stats.macros = _macro_stats(events, by_id, keep_item)
    stats.articles = _article_stats(events, by_id, keep_item)
    stats.unused = _unused(events, by_id, product)
    stats.missed = _ranking_misses(events, by_id, keep_item)
    stats.gaps = _gaps(events, keep_session)
    stats.stale = _stale(events, by_id, product, stale_after_days, today)
    stats.trend = _trend(events, by_id, session_product, product)
    return stats


def _best_ranks(events: list[Event], kind: ItemKind) -> dict[str, dict[str, int]]:
    """item id → session → best rank it was shown at."""
    ranks: dict[str, dict[str, int]] = defaultdict(dict)
    for e in events:
        if e.kind == EventKind.SHOWN and e.item_kind == kind and e.item_id:
            seen = ranks[e.item_id].get(e.session)
            rank = e.rank if e.rank is not None else 10**6
            ranks[e.item_id][e.session] = rank if seen is None else min(seen, rank)
    return ranks


def _votes(events: list[Event]) -> tuple[Counter[str], Counter[str]]:
    helpful: Counter[str] = Counter()
    not_helpful: Counter[str] = Counter()
    for e in events:
        if e.kind == EventKind.FEEDBACK and e.item_id:
            (helpful if e.helpful else not_helpful)[e.item_id] += 1
    return helpful, not_helpful


def _macro_stats(events: list[Event], items: dict[str, KbItem], keep: Callable[[str], bool]) -> list[MacroStats]:
    ranks = _best_ranks(events, ItemKind.MACRO)
    copies: dict[str, list[Event]] = defaultdict(list)
    previews: Counter[str] = Counter()
    for e in events:
        if e.kind == EventKind.COPIED and e.item_id:
            copies[e.item_id].append(e)
        elif e.kind == EventKind.PREVIEWED and e.item_id:
            previews[e.item_id] += 1
    helpful, not_helpful = _votes(events)
    ids = set(ranks) | set(copies) | set(previews)
    ids |= {i for i in set(helpful) | set(not_helpful) if isinstance(items.get(i), Macro)}
    out: list[MacroStats] = []
    for macro_id in ids:
        if not keep(macro_id):
            continue
        item = items.get(macro_id)
        shown = ranks.get(macro_id, {})
        copied = copies.get(macro_id, [])
        copied_sessions = {e.session for e in copied}
        top3 = {s for s, r in shown.items() if r <= TOP_N}
        top1 = {s for s, r in shown.items() if r == 1}
        ratios = [e.edit_ratio for e in copied if e.edit_ratio is not None]
        out.append(
            MacroStats(
                id=macro_id,
                title=item.title if item else "",
                product=item.product if item else "",
                suggested=len(shown),
                top3=len(top3),
                top1=len(top1),
                previewed=previews[macro_id],
                copied=len(copied),
                copy_rate=_ratio(len(top3 & copied_sessions), len(top3)),
                top1_acceptance=_ratio(len(top1 & copied_sessions), len(top1)),
                median_edit_ratio=statistics.median(ratios) if ratios else None,
                unfilled_share=_ratio(sum(1 for e in copied if (e.unfilled or 0) > 0), len(copied)),
                helpful=helpful[macro_id],
                not_helpful=not_helpful[macro_id],
                last_used=_day(max(e.ts for e in copied)) if copied else None,
            )
        )
    out.sort(key=lambda m: (-m.copied, -m.suggested, m.id))
    return out


def _article_stats(events: list[Event], items: dict[str, KbItem], keep: Callable[[str], bool]) -> list[ArticleStats]:
    ranks = _best_ranks(events, ItemKind.ARTICLE)
    opens: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        if e.kind == EventKind.OPENED and e.item_id:
            opens[e.item_id].append(e)
    helpful, not_helpful = _votes(events)
    ids = set(ranks) | set(opens)
    ids |= {i for i in set(helpful) | set(not_helpful) if isinstance(items.get(i), Article)}
    out: list[ArticleStats] = []
    for article_id in ids:
        if not keep(article_id):
            continue
        item = items.get(article_id)
        opened = opens.get(article_id, [])
        sources = Counter(e.source for e in opened)
        out.append(
            ArticleStats(
                id=article_id,
                title=item.title if item else "",
                product=item.product if item else "",
                suggested=len(ranks.get(article_id, {})),
                opened=len(opened),
                from_suggestion=sources[Source.SUGGESTION],
                from_search=sources[Source.SEARCH],
                from_link=sources[Source.LINK],
                helpful=helpful[article_id],
                not_helpful=not_helpful[article_id],
                last_opened=_day(max(e.ts for e in opened)) if opened else None,
            )
        )
    out.sort(key=lambda a: (-a.not_helpful, -a.opened, a.id))
    return out


def _unused(events: list[Event], items: dict[str, KbItem], product: str | None) -> list[UnusedItem]:
    used = {e.item_id for e in events if e.kind in (EventKind.COPIED, EventKind.OPENED)}
    suggested: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.kind == EventKind.SHOWN and e.item_id:
            suggested[e.item_id].add(e.session)
    return sorted(
        (
            UnusedItem(item.id, ItemKind(item.kind), item.title, item.product, len(suggested.get(item.id, ())))
            for item in items.values()
            if item.id not in used and (product is None or item.product == product)
        ),
        key=lambda u: (u.kind, u.product, u.id),
    )


def _ranking_misses(events: list[Event], items: dict[str, KbItem], keep: Callable[[str], bool]) -> list[RankingMiss]:
    shown: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.kind == EventKind.SHOWN and e.item_id:
            shown[e.session].add(e.item_id)
    misses: dict[str, list[str]] = defaultdict(list)
    for e in events:
        if (
            e.kind == EventKind.COPIED
            and e.source == Source.SEARCH
            and e.item_id
            and e.session in shown
            and e.item_id not in shown[e.session]
            and keep(e.item_id)
        ):
            misses[e.item_id].append(e.session)
    out = []
    for macro_id, sessions in misses.items():
        item = items.get(macro_id)
        title, prod = (item.title, item.product) if item else ("", "")
        out.append(RankingMiss(macro_id, title, prod, len(sessions), len(set(sessions))))
    out.sort(key=lambda m: (-m.copies, m.id))
    return out


def _gaps(events: list[Event], keep_session: Callable[[str], bool]) -> list[Gap]:
    counts: Counter[tuple[EventKind, str]] = Counter()
    last: dict[tuple[EventKind, str], float] = {}
    for e in events:
        if not keep_session(e.session):
            continue
        if e.kind == EventKind.SEARCH and e.result_count == 0 and e.terms:
            key = (EventKind.SEARCH, " ".join(e.terms[0].lower().split()))
        elif e.kind == EventKind.NONE_FIT:
            key = (EventKind.NONE_FIT, ", ".join(sorted({" ".join(t.lower().split()) for t in e.terms})))
        else:
            continue
        counts[key] += 1
        last[key] = max(last.get(key, e.ts), e.ts)
    gaps = [Gap(kind, terms, n, _day(last[(kind, terms)])) for (kind, terms), n in counts.items()]
    gaps.sort(key=lambda g: (-g.count, g.kind, g.terms))
    return gaps


def _stale(
    events: list[Event], items: dict[str, KbItem], product: str | None, stale_after_days: int, today: dt.date
) -> list[StaleArticle]:
    opened = Counter(e.item_id for e in events if e.kind == EventKind.OPENED)
    dependants: dict[str, list[str]] = defaultdict(list)
    for item in items.values():
        if isinstance(item, Macro):
            for article_id in item.articles:
                dependants[article_id].append(item.id)
    out = []
    for item in items.values():
        if not isinstance(item, Article) or item.reviewed is None:
            continue
        age = (today - item.reviewed).days
        if age > stale_after_days and (product is None or item.product == product):
            out.append(
                StaleArticle(
                    item.id,
                    item.title,
                    item.product,
                    item.reviewed,
                    age,
                    tuple(sorted(dependants.get(item.id, ()))),
                    opened[item.id],
                )
            )
    out.sort(key=lambda s: (s.reviewed, s.id))
    return out


def _trend(
    events: list[Event], items: dict[str, KbItem], session_product: dict[str, str], product: str | None
) -> list[WeekTrend]:
    copies: Counter[tuple[str, str]] = Counter()
    searches: Counter[tuple[str, str]] = Counter()
    for e in events:
        if e.kind == EventKind.COPIED:
            item = items.get(e.item_id or "")
            prod = item.product if item else session_product.get(e.session, UNKNOWN_PRODUCT)
            copies[(_iso_week(_day(e.ts)), prod)] += 1
        elif e.kind == EventKind.SEARCH:
            searches[(_iso_week(_day(e.ts)), session_product.get(e.session, UNKNOWN_PRODUCT))] += 1
    keys = sorted(k for k in set(copies) | set(searches) if product is None or k[1] == product)
    return [WeekTrend(week, prod, copies[(week, prod)], searches[(week, prod)]) for week, prod in keys]
