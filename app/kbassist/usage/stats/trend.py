"""Copies and searches per ISO week and product (the Stats view charts them)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from kbassist.usage.events import EventKind
from kbassist.usage.stats.records import WeekTrend
from kbassist.usage.stats.scope import UNKNOWN_PRODUCT, Scope, day


def iso_week(date: dt.date) -> str:
    year, week, _ = date.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_trend(scope: Scope) -> list[WeekTrend]:
    """A copy counts for its macro's product (else its session's); a search for its session's product."""
    copies: Counter[tuple[str, str]] = Counter()
    searches: Counter[tuple[str, str]] = Counter()
    for e in scope.events:
        if e.kind == EventKind.COPIED:
            item = scope.items.get(e.item_id or "")
            prod = item.product if item else scope.session_product.get(e.session, UNKNOWN_PRODUCT)
            copies[(iso_week(day(e.ts)), prod)] += 1
        elif e.kind == EventKind.SEARCH:
            searches[(iso_week(day(e.ts)), scope.session_product.get(e.session, UNKNOWN_PRODUCT))] += 1
    keys = sorted(k for k in set(copies) | set(searches) if scope.keeps_product(k[1]))
    return [WeekTrend(week, prod, copies[(week, prod)], searches[(week, prod)]) for week, prod in keys]
