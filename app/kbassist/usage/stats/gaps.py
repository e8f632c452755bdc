"""What the KB lacks or fails to put forward: items never used, macros found only by search, unanswered needs."""

from __future__ import annotations

from collections import Counter, defaultdict

from kbassist.content.model import ItemKind
from kbassist.usage.events import EventKind, Source
from kbassist.usage.stats.records import Gap, RankingMiss, UnusedItem
from kbassist.usage.stats.scope import Scope, day


def unused_items(scope: Scope) -> list[UnusedItem]:
    """The KB's items nobody copied or opened in the period, with how often they were suggested anyway."""
    used = {e.item_id for e in scope.events if e.kind in (EventKind.COPIED, EventKind.OPENED)}
    suggested: dict[str, set[str]] = defaultdict(set)
    for e in scope.events:
        if e.kind == EventKind.SHOWN and e.item_id:
            suggested[e.item_id].add(e.session)
    return sorted(
        (
            UnusedItem(item.id, ItemKind(item.kind), item.title, item.product, len(suggested.get(item.id, ())))
            for item in scope.items.values()
            if item.id not in used and scope.keeps_product(item.product)
        ),
        key=lambda u: (u.kind, u.product, u.id),
    )


def ranking_misses(scope: Scope) -> list[RankingMiss]:
    """Macros copied from a search in a case whose suggestions did not include them."""
    shown: dict[str, set[str]] = defaultdict(set)
    for e in scope.events:
        if e.kind == EventKind.SHOWN and e.item_id:
            shown[e.session].add(e.item_id)
    misses: dict[str, list[str]] = defaultdict(list)
    for e in scope.events:
        if (
            e.kind == EventKind.COPIED
            and e.source == Source.SEARCH
            and e.item_id
            and e.session in shown
            and e.item_id not in shown[e.session]
            and scope.keeps_item(e.item_id)
        ):
            misses[e.item_id].append(e.session)
    out = [
        RankingMiss(macro_id, *scope.label(macro_id), len(sessions), len(set(sessions)))
        for macro_id, sessions in misses.items()
    ]
    out.sort(key=lambda m: (-m.copies, m.id))
    return out


def content_gaps(scope: Scope) -> list[Gap]:
    """Searches that found nothing and "none fit" marks, grouped by their (redacted) terms."""
    counts: Counter[tuple[EventKind, str]] = Counter()
    last: dict[tuple[EventKind, str], float] = {}
    for e in scope.events:
        if not scope.keeps_session(e.session):
            continue
        if e.kind == EventKind.SEARCH and e.result_count == 0 and e.terms:
            key = (EventKind.SEARCH, " ".join(e.terms[0].lower().split()))
        elif e.kind == EventKind.NONE_FIT:
            key = (EventKind.NONE_FIT, ", ".join(sorted({" ".join(t.lower().split()) for t in e.terms})))
        else:
            continue
        counts[key] += 1
        last[key] = max(last.get(key, e.ts), e.ts)
    gaps = [Gap(kind, terms, n, day(last[(kind, terms)])) for (kind, terms), n in counts.items()]
    gaps.sort(key=lambda g: (-g.count, g.kind, g.terms))
    return gaps
