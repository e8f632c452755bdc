"""What every figure is computed from: the period's rollups, the KB's items and the question asked.

A figure is a function of a ``Scope`` and nothing else: it never reads a database, a clock or a setting, so
the same events give the same figures whichever database they were read from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kbassist.content.model import Article, ItemKind, KbItem
from kbassist.usage.stats.period import ItemTotals, Period

UNKNOWN_PRODUCT = "unknown"


@dataclass(frozen=True, slots=True)
class Scope:
    """The input of every figure: the data (the period's rollups, the KB's items) and the question (product,
    today, staleness)."""

    period: Period
    items: Mapping[str, KbItem]  # the KB's items by id
    product: str | None  # the product filter, None for all
    today: dt.date
    stale_after_days: int

    @classmethod
    def of(
        cls, period: Period, items: Iterable[KbItem], product: str | None, today: dt.date, stale_after_days: int
    ) -> Scope:
        return cls(period, {item.id: item for item in items}, product, today, stale_after_days)

    def keeps_product(self, product: str | None) -> bool:
        return self.product is None or product == self.product

    def keeps_item(self, item_id: str) -> bool:
        return self.keeps_product(self.label(item_id)[1])

    def label(self, item_id: str) -> tuple[str, str]:
        """(title, product) of an item, empty for one the KB no longer has."""
        item = self.items.get(item_id)
        return (item.title, item.product) if item else ("", "")

    def kind(self, item_id: str, totals: ItemTotals) -> str:
        """An item's kind as the KB says, else as its events said (an item the KB no longer has): the kind
        they recorded, else what was done with it (only macros are copied or previewed, articles opened)."""
        item = self.items.get(item_id)
        if item is not None:
            return ItemKind.ARTICLE if isinstance(item, Article) else ItemKind.MACRO
        if totals.kind:
            return totals.kind
        if totals.copies or totals.previews:
            return ItemKind.MACRO
        return ItemKind.ARTICLE if totals.own_opens or totals.opens_auto else ""


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
