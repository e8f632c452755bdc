"""What the KB lacks or fails to put forward: items never used, macros found only by search, unanswered needs."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Final

from kbassist.content.model import ItemKind
from kbassist.usage.events import EventKind
from kbassist.usage.stats.gap_terms import Word, about, key, label, wording
from kbassist.usage.stats.period import GapTotals
from kbassist.usage.stats.records import Gap, RankingMiss, UnusedItem
from kbassist.usage.stats.scope import Scope

MAX_EXAMPLES: Final = 3  # wordings shown per gap: enough to see how it is asked, few enough to read


def unused_items(scope: Scope) -> list[UnusedItem]:
    """The KB's items nobody copied or opened in the period, the most often suggested first."""
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
        key=lambda u: (-u.suggested, u.kind, u.product, u.id),  # shown most often, yet never used: worst
    )


def ranking_misses(scope: Scope) -> list[RankingMiss]:
    """Macros copied from a search in a case whose suggestions did not include them, the most copied first."""
    out = [
        RankingMiss(item_id, *scope.label(item_id), t.missed_copies, t.missed_sessions)
        for item_id, t in scope.period.items.items()
        if t.missed_copies and scope.keeps_item(item_id)
    ]
    out.sort(key=lambda m: (-m.copies, m.id))
    return out


@dataclass(slots=True)
class _Group:
    searches: int = 0
    none_fit: int = 0
    last_seen: dt.date = dt.date.min
    spellings: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    wordings: Counter[str] = field(default_factory=Counter)

    def add(self, gap: GapTotals, found: list[Word]) -> None:
        if gap.kind == EventKind.SEARCH:
            self.searches += gap.count
        else:
            self.none_fit += gap.count
        self.last_seen = max(self.last_seen, gap.last_seen)
        for word in found:
            self.spellings[word.stem][word.surface] += gap.count
        self.wordings[wording(gap.kind, gap.terms)] += gap.count


def content_gaps(scope: Scope) -> tuple[list[Gap], int]:
    """Searches that found nothing and "none fit" marks, grouped by what their case was about: its product
    and the cleaned key words (``gap_terms``); most asked first. Also how many had nothing to act on (no
    word left after cleaning), which make no row."""
    groups: dict[tuple[str, tuple[str, ...]], _Group] = defaultdict(_Group)
    hidden = 0
    for gap in scope.period.gaps:
        found = about(gap.kind, gap.terms)
        if not any(any(c.isalpha() for c in w.surface) for w in found):
            hidden += gap.count
            continue
        groups[(gap.product, key(found))].add(gap, found)
    gaps = [
        Gap(
            product,
            label(stems, g.spellings),
            g.searches + g.none_fit,
            g.searches,
            g.none_fit,
            g.last_seen,
            tuple(w for w, _ in sorted(g.wordings.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_EXAMPLES]),
        )
        for (product, stems), g in groups.items()
    ]
    gaps.sort(key=lambda g: (-g.count, -g.last_seen.toordinal(), g.product, g.terms))
    return gaps, hidden
