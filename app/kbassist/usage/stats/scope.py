"""What every figure is computed from: the period's events, the KB's items and the question asked.

A figure is a function of a ``Scope`` and nothing else: it never reads a store, a clock or a setting, so
the same events give the same figures whichever store they were read from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kbassist.content.model import Article, KbItem
from kbassist.usage.events import Event, EventKind

UNKNOWN_PRODUCT = "unknown"
NOT_RANKED = 10**6  # the rank of a shown event that has none: after every ranked one


@dataclass(frozen=True, slots=True)
class Scope:
    """The input of every figure: the data (events, items) and the question (product, today, staleness)."""

    events: Sequence[Event]  # the period's events, oldest first
    items: Mapping[str, KbItem]  # the KB's items by id
    product: str | None  # the product filter, None for all
    today: dt.date
    stale_after_days: int
    session_product: Mapping[str, str]  # session -> its product (see ``session_products``)

    @classmethod
    def of(
        cls,
        events: Sequence[Event],
        items: Iterable[KbItem],
        product: str | None,
        today: dt.date,
        stale_after_days: int,
    ) -> Scope:
        """The scope of ``events``, the period's events oldest first, against the KB's ``items``."""
        by_id = {item.id: item for item in items}
        return cls(events, by_id, product, today, stale_after_days, session_products(events, by_id))

    def keeps_product(self, product: str | None) -> bool:
        return self.product is None or product == self.product

    def keeps_item(self, item_id: str) -> bool:
        return self.keeps_product(self.label(item_id)[1])

    def keeps_session(self, session: str) -> bool:
        return self.keeps_product(self.session_product.get(session))

    def label(self, item_id: str) -> tuple[str, str]:
        """(title, product) of an item, empty for one the KB no longer has."""
        item = self.items.get(item_id)
        return (item.title, item.product) if item else ("", "")


def session_products(events: Iterable[Event], items: Mapping[str, KbItem]) -> dict[str, str]:
    """A session's product is the product of its best-ranked suggested article (else macro)."""
    best: dict[str, tuple[int, int, float, str]] = {}
    for e in events:
        item = items.get(e.item_id or "")
        if e.kind != EventKind.SHOWN or item is None:
            continue
        key = (0 if isinstance(item, Article) else 1, e.rank or NOT_RANKED, e.ts, item.product)
        if e.session not in best or key < best[e.session]:
            best[e.session] = key
    return {session: key[3] for session, key in best.items()}


def event_count(scope: Scope) -> int:
    return sum(1 for e in scope.events if scope.keeps_session(e.session))


def case_sessions(scope: Scope) -> int:
    # The window records searches made outside any case under the empty session id: not a case.
    return len({e.session for e in scope.events if e.session and scope.keeps_session(e.session)})


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def day(ts: float) -> dt.date:
    """The local calendar day of a time (the figures' days are the editor's days)."""
    return dt.datetime.fromtimestamp(ts).date()
