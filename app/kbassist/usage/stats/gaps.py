"""What the KB lacks or fails to put forward: items never used, macros found only by search, unanswered needs."""

from __future__ import annotations

import datetime as dt

from kbassist.content.model import ItemKind
from kbassist.usage.events import EventKind
from kbassist.usage.stats.records import Gap, RankingMiss, UnusedItem
from kbassist.usage.stats.scope import Scope


def unused_items(scope: Scope) -> list[UnusedItem]:
    """The KB's items nobody copied or opened in the period, with how often they were suggested anyway."""
    totals = scope.period.items
    used = {item_id for item_id, t in totals.items() if t.copies or t.own_opens}
    return sorted(
        (
            UnusedItem(
                item.id,
                ItemKind(item.kind),
                item.title,
                item.product,
                totals[item.id].suggested if item.id in totals else 0,
            )
            for item in scope.items.values()
            if item.id not in used and scope.keeps_product(item.product)
        ),
        key=lambda u: (u.kind, u.product, u.id),
    )


def ranking_misses(scope: Scope) -> list[RankingMiss]:
    """Macros copied from a search in a case whose suggestions did not include them."""
    out = [
        RankingMiss(item_id, *scope.label(item_id), t.missed_copies, t.missed_sessions)
        for item_id, t in scope.period.items.items()
        if t.missed_copies and scope.keeps_item(item_id)
    ]
    out.sort(key=lambda m: (-m.copies, m.id))
    return out


def _normalised(term: str) -> str:
    return " ".join(term.lower().split())


def content_gaps(scope: Scope) -> list[Gap]:
    """Searches that found nothing and "none fit" marks, grouped by their (redacted) terms."""
    counts: dict[tuple[EventKind, str], int] = {}
    last: dict[tuple[EventKind, str], dt.date] = {}
    for gap in scope.period.gaps:
        if gap.kind == EventKind.SEARCH:
            key = (EventKind.SEARCH, _normalised(gap.terms[0]))
        else:
            key = (EventKind.NONE_FIT, ", ".join(sorted({_normalised(t) for t in gap.terms})))
        counts[key] = counts.get(key, 0) + gap.count
        last[key] = max(last.get(key, gap.last_seen), gap.last_seen)
    gaps = [Gap(kind, terms, n, last[(kind, terms)]) for (kind, terms), n in counts.items()]
    gaps.sort(key=lambda g: (-g.count, g.kind, g.terms))
    return gaps
