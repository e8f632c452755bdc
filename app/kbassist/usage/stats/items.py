"""Figures per item: how each macro and each article was suggested, used and voted on."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable

from kbassist.content.model import Article, ItemKind, Macro
from kbassist.usage.events import Event, EventKind, Source
from kbassist.usage.stats.records import ArticleStats, MacroStats
from kbassist.usage.stats.scope import NOT_RANKED, Scope, day, ratio

TOP_N = 3


def best_ranks(events: Iterable[Event], kind: ItemKind) -> dict[str, dict[str, int]]:
    """item id → session → best rank it was shown at."""
    ranks: dict[str, dict[str, int]] = defaultdict(dict)
    for e in events:
        if e.kind == EventKind.SHOWN and e.item_kind == kind and e.item_id:
            seen = ranks[e.item_id].get(e.session)
            rank = e.rank if e.rank is not None else NOT_RANKED
            ranks[e.item_id][e.session] = rank if seen is None else min(seen, rank)
    return ranks


def votes(events: Iterable[Event]) -> tuple[Counter[str], Counter[str]]:
    """(helpful, not helpful) votes per item id."""
    helpful: Counter[str] = Counter()
    not_helpful: Counter[str] = Counter()
    for e in events:
        if e.kind == EventKind.FEEDBACK and e.item_id:
            (helpful if e.helpful else not_helpful)[e.item_id] += 1
    return helpful, not_helpful


def macro_figures(scope: Scope) -> list[MacroStats]:
    """Every macro that was shown, previewed, copied or voted on, most copied first."""
    ranks = best_ranks(scope.events, ItemKind.MACRO)
    copies: dict[str, list[Event]] = defaultdict(list)
    previews: Counter[str] = Counter()
    for e in scope.events:
        if e.kind == EventKind.COPIED and e.item_id:
            copies[e.item_id].append(e)
        elif e.kind == EventKind.PREVIEWED and e.item_id:
            previews[e.item_id] += 1
    helpful, not_helpful = votes(scope.events)
    ids = set(ranks) | set(copies) | set(previews)
    ids |= {i for i in set(helpful) | set(not_helpful) if isinstance(scope.items.get(i), Macro)}
    out: list[MacroStats] = []
    for macro_id in filter(scope.keeps_item, ids):
        shown = ranks.get(macro_id, {})
        copied = copies.get(macro_id, [])
        copied_sessions = {e.session for e in copied}
        top3 = {s for s, r in shown.items() if r <= TOP_N}
        top1 = {s for s, r in shown.items() if r == 1}
        ratios = [e.edit_ratio for e in copied if e.edit_ratio is not None]
        out.append(
            MacroStats(
                macro_id,
                *scope.label(macro_id),
                suggested=len(shown),
                top3=len(top3),
                top1=len(top1),
                previewed=previews[macro_id],
                copied=len(copied),
                copy_rate=ratio(len(top3 & copied_sessions), len(top3)),
                top1_acceptance=ratio(len(top1 & copied_sessions), len(top1)),
                median_edit_ratio=statistics.median(ratios) if ratios else None,
                unfilled_share=ratio(sum(1 for e in copied if (e.unfilled or 0) > 0), len(copied)),
                helpful=helpful[macro_id],
                not_helpful=not_helpful[macro_id],
                last_used=day(max(e.ts for e in copied)) if copied else None,
            )
        )
    out.sort(key=lambda m: (-m.copied, -m.suggested, m.id))
    return out


def article_figures(scope: Scope) -> list[ArticleStats]:
    """Every article that was shown, opened or voted on, most "not helpful" first."""
    ranks = best_ranks(scope.events, ItemKind.ARTICLE)
    opens: dict[str, list[Event]] = defaultdict(list)
    for e in scope.events:
        if e.kind == EventKind.OPENED and e.item_id:
            opens[e.item_id].append(e)
    helpful, not_helpful = votes(scope.events)
    ids = set(ranks) | set(opens)
    ids |= {i for i in set(helpful) | set(not_helpful) if isinstance(scope.items.get(i), Article)}
    out: list[ArticleStats] = []
    for article_id in filter(scope.keeps_item, ids):
        opened = opens.get(article_id, [])
        sources = Counter(e.source for e in opened)
        out.append(
            ArticleStats(
                article_id,
                *scope.label(article_id),
                suggested=len(ranks.get(article_id, {})),
                opened=len(opened),
                from_suggestion=sources[Source.SUGGESTION],
                from_search=sources[Source.SEARCH],
                from_link=sources[Source.LINK],
                helpful=helpful[article_id],
                not_helpful=not_helpful[article_id],
                last_opened=day(max(e.ts for e in opened)) if opened else None,
            )
        )
    out.sort(key=lambda a: (-a.not_helpful, -a.opened, a.id))
    return out
