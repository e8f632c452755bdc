"""Copies and searches per ISO week and product (the Stats view charts them)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from kbassist.usage.stats.records import WeekTrend
from kbassist.usage.stats.scope import UNKNOWN_PRODUCT, Scope


def iso_week(date: dt.date) -> str:
    year, week, _ = date.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_trend(scope: Scope) -> list[WeekTrend]:
    """A copy counts for its macro's product (else its case's); a search for its case's product; both in the
    week of the day the case started."""
    copies: Counter[tuple[str, str]] = Counter()
    searches: Counter[tuple[str, str]] = Counter()
    for day, item_id, case_product, n in scope.period.copies:
        item = scope.items.get(item_id)
        copies[(iso_week(day), item.product if item else case_product or UNKNOWN_PRODUCT)] += n
    for day, case_product, n in scope.period.searches:
        searches[(iso_week(day), case_product or UNKNOWN_PRODUCT)] += n
    keys = sorted(k for k in set(copies) | set(searches) if scope.keeps_product(k[1]))
    return [WeekTrend(week, prod, copies[(week, prod)], searches[(week, prod)]) for week, prod in keys]
