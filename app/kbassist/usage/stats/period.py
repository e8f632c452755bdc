"""What the figures are computed from: the rollups of a period, read through either database.

``read_period`` asks a ``RollupReader`` a handful of questions, each a sum over the period's rows of one
rollup table (``usage/rollup_sql.py``), in SQL both databases run; the answers come back as plain records. The
local file (``UsageStore``) and the team database (``stats.postgres.PostgresReader``) are both readers, so the
same events give the same ``Period`` whichever database holds them, and every figure is one function of it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from kbassist.usage.rollup_sql import GAP_DAYS


class RollupReader(Protocol):
    """A database holding the rollups: ``rows`` runs one query (``?`` placeholders) and returns its rows."""

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True, slots=True)
class ItemTotals:
    """One item's sums over the period: ``item_days``'s counters (a test holds the two lists equal)."""

    kind: str  # as recorded ('' when no event said)
    suggested: int = 0  # cases it was shown in
    top3: int = 0  # cases it was shown in at rank <= 3
    top1: int = 0
    copied_top3: int = 0  # of those, cases in which it was copied
    copied_top1: int = 0
    copies: int = 0
    copies_unfilled: int = 0  # copies with placeholders left unfilled
    previews: int = 0
    opens_suggestion: int = 0
    opens_search: int = 0
    opens_link: int = 0
    opens_auto: int = 0  # opened by the window itself, not by the associate
    helpful: int = 0
    not_helpful: int = 0
    missed_copies: int = 0  # copies from a search in a case whose suggestions lacked it
    missed_sessions: int = 0

    @property
    def own_opens(self) -> int:
        return self.opens_suggestion + self.opens_search + self.opens_link


COUNTERS = tuple(f.name for f in fields(ItemTotals))[1:]


@dataclass(frozen=True, slots=True)
class GapTotals:
    product: str  # the case's
    kind: str
    terms: tuple[str, ...]  # as recorded (redacted)
    count: int
    last_seen: dt.date


@dataclass(slots=True)
class Period:
    """The rollups of the days from ``since`` to ``until`` (inclusive, None for open), for ``product``.

    ``product`` narrows what is counted by case (sessions, events, associates, gaps, searches); item sums are
    over every case, narrowed later by what the KB says each item's product is.
    """

    sessions: int = 0
    events: int = 0
    associates: int = 0
    items: dict[str, ItemTotals] = field(default_factory=dict)
    last_copied: dict[str, dt.date] = field(default_factory=dict)
    last_opened: dict[str, dt.date] = field(default_factory=dict)
    ratios: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # item -> (thousandths, copies), sorted
    unfilled: dict[str, Counter[str]] = field(default_factory=dict)  # item -> placeholder -> copies
    gaps: list[GapTotals] = field(default_factory=list)
    copies: list[tuple[dt.date, str, str, int]] = field(default_factory=list)  # (day, item, case product, copies)
    searches: list[tuple[dt.date, str, int]] = field(default_factory=list)  # (day, case product, searches)


def recorded_list(value: str | None) -> tuple[str, ...]:
    """A list column as stored (JSON text in both databases), as a tuple of strings."""
    decoded = json.loads(value) if value else []
    return tuple(str(v) for v in decoded) if isinstance(decoded, list) else ()


def _day(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


class _Query:
    """The period's bounds (and the case product, for tables keyed by it) as a WHERE clause."""

    def __init__(self, since: dt.date | None, until: dt.date | None, product: str | None) -> None:
        self.params: list[object] = [(since or dt.date.min).isoformat(), (until or dt.date.max).isoformat()]
        self.where = "day >= ? AND day <= ?"
        self.by_case = self.where
        if product is not None:
            self.by_case += " AND product = ?"
        self.case_params = [*self.params, *([product] if product is not None else [])]


def read_period(
    reader: RollupReader, since: dt.date | None, until: dt.date | None, product: str | None
) -> Period:
    q = _Query(since, until, product)
    period = Period()
    (sessions, events, associates), = reader.rows(
        f"SELECT sum(sessions), sum(events), count(DISTINCT associate) FROM session_days WHERE {q.by_case}",
        q.case_params,
    )
    period.sessions, period.events, period.associates = int(sessions or 0), int(events or 0), int(associates)
    _read_items(reader, q, period)
    _read_uses(reader, q, period)
    _read_gaps(reader, q, period)
    period.searches = [
        (_day(day), prod, int(n))
        for day, prod, n in reader.rows(
            f"SELECT day, product, sum(searches) FROM session_days WHERE {q.by_case} AND searches <> 0 "
            "GROUP BY day, product",
            q.case_params,
        )
    ]
    return period


def _read_items(reader: RollupReader, q: _Query, period: Period) -> None:
    sums = ", ".join(f"sum({name})" for name in COUNTERS)
    merged: dict[str, list[Any]] = {}
    for item_id, kind, *counts in reader.rows(
        f"SELECT item_id, item_kind, {sums} FROM item_days WHERE {q.where} GROUP BY item_id, item_kind", q.params
    ):
        row = merged.setdefault(item_id, ["", *([0] * len(COUNTERS))])
        row[0] = row[0] or kind  # a vote recorded without its item's kind adds to the kind the others name
        row[1:] = [a + int(b) for a, b in zip(row[1:], counts, strict=True)]
    period.items = {item_id: ItemTotals(*row) for item_id, row in merged.items()}
    period.copies = [
        (_day(day), item_id, prod, int(n))
        for day, item_id, prod, n in reader.rows(
            f"SELECT day, item_id, product, sum(copies) FROM item_days WHERE {q.where} AND copies <> 0 "
            "GROUP BY day, item_id, product",
            q.params,
        )
    ]


def _read_uses(reader: RollupReader, q: _Query, period: Period) -> None:
    for item_id, copied, opened in reader.rows(
        "SELECT item_id, max(CASE WHEN copies > 0 THEN used_on END), max(CASE WHEN opens > 0 THEN used_on END) "
        f"FROM use_days WHERE {q.where} GROUP BY item_id",
        q.params,
    ):
        if copied:
            period.last_copied[item_id] = _day(copied)
        if opened:
            period.last_opened[item_id] = _day(opened)
    ratios: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for item_id, ratio, copies in reader.rows(
        f"SELECT item_id, ratio, sum(copies) FROM ratio_days WHERE {q.where} GROUP BY item_id, ratio", q.params
    ):
        ratios[item_id].append((int(ratio), int(copies)))
    period.ratios = {item_id: sorted(values) for item_id, values in ratios.items()}
    unfilled: dict[str, Counter[str]] = defaultdict(Counter)
    for item_id, names, copies in reader.rows(
        f"SELECT item_id, placeholders, sum(copies) FROM unfilled_days WHERE {q.where} GROUP BY item_id, placeholders",
        q.params,
    ):
        for name in recorded_list(names):
            unfilled[item_id][name] += int(copies)
    period.unfilled = dict(unfilled)


def _read_gaps(reader: RollupReader, q: _Query, period: Period) -> None:
    count = GAP_DAYS.count_names[0]
    period.gaps = [
        GapTotals(prod, kind, recorded_list(terms), int(n), _day(last))
        for prod, kind, terms, n, last in reader.rows(
            f"SELECT product, kind, terms, sum({count}), max(seen_on) FROM gap_days WHERE {q.by_case} "
            "GROUP BY product, kind, terms",
            q.case_params,
        )
    ]

