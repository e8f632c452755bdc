"""The editors' rollups recomputed from scratch, with plain loops over events: the oracle the rollup tests
hold the databases' incrementally kept tables to. It shares no code with ``kbassist.usage.rollup_sql``.

Also a generator of awkward histories: cases across midnight, events outside any case, unranked and rank-0
suggestions, votes without a kind, products missing, placeholders and gap terms.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from kbassist.usage import Event

NOT_RANKED = 1_000_000
OWN = ("suggestion", "search", "link")
Tables = dict[str, dict[tuple[str, ...], tuple[int, ...]]]


def _case_product(events: list[Event]) -> str:
    shown = [e for e in events if e.kind == "shown" and e.item_id and e.product is not None]
    if not shown:
        return ""
    best = min(shown, key=lambda e: (e.item_kind != "article", e.rank or NOT_RANKED, e.ts, e.product or ""))
    return best.product or ""


def _add(table: dict[tuple[str, ...], list[int]], key: tuple[str, ...], values: Iterable[int]) -> None:
    row = table.setdefault(key, [])
    values = list(values)
    if not row:
        row.extend([0] * len(values))
    row[:] = [a + b for a, b in zip(row, values, strict=True)]


def _item_row(events: list[Event], shown_in_case: bool) -> list[int]:
    ranks = [e.rank if e.rank is not None else NOT_RANKED for e in events if e.kind == "shown"]
    best = min(ranks) if ranks else None
    copies = [e for e in events if e.kind == "copied"]
    opens = [e.source for e in events if e.kind == "opened"]
    votes = [e.helpful for e in events if e.kind == "feedback"]
    from_search = sum(1 for e in copies if e.source == "search")
    missed = shown_in_case and best is None
    return [
        best is not None,
        best is not None and best <= 3,
        best == 1,
        best is not None and best <= 3 and bool(copies),
        best == 1 and bool(copies),
        len(copies),
        sum(1 for e in copies if (e.unfilled or 0) > 0),
        sum(1 for e in events if e.kind == "previewed"),
        *(opens.count(source) for source in (*OWN, "auto")),
        votes.count(True),
        sum(1 for v in votes if v is not True),
        from_search if missed else 0,
        missed and from_search > 0,
    ]


def _listed(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def recompute(events: Iterable[Event]) -> Tables:
    """Every rollup table, as {key: counters}, without rows that are all zero."""
    cases: dict[tuple[str, ...], list[Event]] = defaultdict(list)
    for e in events:
        cases[(e.session,) if e.session else ("", e.event_id)].append(e)
    tables: dict[str, dict[tuple[str, ...], list[int]]] = defaultdict(dict)
    for key, evs in cases.items():
        day, product = min(e.day for e in evs), _case_product(evs)
        shown = any(e.kind == "shown" and e.item_id for e in evs)
        _add(tables["session_days"], (day, "", product), (key[0] != "", len(evs), sum(e.kind == "search" for e in evs)))
        by_item: dict[str, list[Event]] = defaultdict(list)
        for e in evs:
            if e.item_id:
                by_item[e.item_id].append(e)
        for item_id, item_events in by_item.items():
            kind = max((str(e.item_kind) for e in item_events if e.item_kind), default="")
            _add(tables["item_days"], (day, item_id, kind, product), _item_row(item_events, shown))
        for e in evs:
            _add_event(tables, day, product, e)
    return {
        name: {k: tuple(int(v) for v in row) for k, row in rows.items() if any(row)} for name, rows in tables.items()
    }


def _add_event(tables: dict[str, dict[tuple[str, ...], list[int]]], day: str, product: str, e: Event) -> None:
    if e.item_id and (e.kind == "copied" or (e.kind == "opened" and e.source in OWN)):
        _add(tables["use_days"], (day, e.item_id, e.day), (e.kind == "copied", e.kind == "opened"))
    if e.kind == "copied" and e.item_id:
        if e.edit_ratio is not None:
            _add(tables["ratio_days"], (day, e.item_id, str(round(e.edit_ratio * 1000))), (1,))
        if e.placeholders:
            _add(tables["unfilled_days"], (day, e.item_id, _listed(e.placeholders)), (1,))
    if (e.kind == "search" and e.result_count == 0 and e.terms) or e.kind == "none_fit":
        _add(tables["gap_days"], (day, product, str(e.kind), _listed(e.terms) if e.terms else "", e.day), (1,))


def read_tables(rows: Any, names: Iterable[str], keys: dict[str, int]) -> Tables:
    """The tables as a database holds them (``rows(sql)`` runs a query), in ``recompute``'s shape.

    ``keys`` gives each table's number of key columns; the associate column is left out (the reference
    knows one associate)."""
    out: Tables = {}
    for name in names:
        table: dict[tuple[str, ...], tuple[int, ...]] = {}
        for row in rows(f"SELECT * FROM {name}"):
            key = tuple(str(v) for v in row[: keys[name]])
            if name == "session_days":
                key = (key[0], "", key[2])
            counters = tuple(int(v) for v in row[keys[name] :])
            table[key] = tuple(a + b for a, b in zip(table.get(key, (0,) * len(counters)), counters, strict=True))
        if table:
            out[name] = table
    return out


# ------------------------------------------------------------------ awkward histories
ITEMS = [(f"a{i}", "article", ("refunds", "disputes", None)[i % 3]) for i in range(6)]
ITEMS += [(f"m{i}", "macro", ("refunds", "disputes", "payouts")[i % 3]) for i in range(6)]
TERMS = [("crypto payouts",), ("CRYPTO  payouts",), ("klarna [email]",), ()]
PLACEHOLDERS = [(), ("date",), ("date", "last4"), ("amount",)]
MIDNIGHT = dt.datetime(2026, 3, 9, 23, 50).timestamp()


def _event(rng: random.Random, session: str, ts: float) -> Event:
    kind = rng.choice(["shown"] * 5 + ["opened", "previewed", "copied", "copied", "feedback", "search", "none_fit"])
    item_id, item_kind, product = rng.choice(ITEMS)
    day = dt.date.fromtimestamp(ts).isoformat()
    base: dict[str, Any] = {"session": session, "ts": ts, "day": day}
    if kind == "shown":
        rank = rng.choice([1, 1, 2, 3, 4, 5, None, 0])
        return Event(kind="shown", item_id=item_id, item_kind=item_kind, rank=rank, product=product, **base)
    if kind in ("search", "none_fit"):
        count = rng.choice([0, 0, 3]) if kind == "search" else None
        return Event(kind=kind, terms=rng.choice(TERMS), result_count=count, **base)
    if kind == "feedback":
        kind_said = rng.choice([item_kind, None])
        return Event(kind="feedback", item_id=item_id, item_kind=kind_said, helpful=rng.random() < 0.5, **base)
    if kind == "opened":
        source = rng.choice(["suggestion", "search", "link", "auto"])
        return Event(kind="opened", item_id=f"a{rng.randrange(6)}", item_kind="article", source=source, **base)
    source = rng.choice(["suggestion", "search", "favorite", "recent"])
    macro = f"m{rng.randrange(7)}"  # m6 is not in ITEMS: a macro the KB no longer has
    if kind == "previewed":
        return Event(kind="previewed", item_id=macro, item_kind="macro", source=source, **base)
    names = rng.choice(PLACEHOLDERS)
    ratio = rng.choice([0.0, 0.05, 0.1, 0.123, 0.25, 0.5, 1.0, None])
    return Event(
        kind="copied", item_id=macro, item_kind="macro", source=source, edit_ratio=ratio,
        unfilled=len(names), placeholders=names, **base,
    )


def history(seed: int, cases: int = 40) -> list[Event]:
    """Cases of 1-25 events, a third of them crossing midnight, and events outside any case."""
    rng = random.Random(seed)
    events: list[Event] = []
    for n in range(cases):
        start = MIDNIGHT + rng.choice([-3 * 86400, -86400, -1800, -300, 0, 86400]) + rng.uniform(-600, 600)
        session = f"case-{seed}-{n:03d}"
        events.append(Event(session=session, kind="session", ts=start, day=dt.date.fromtimestamp(start).isoformat()))
        for _ in range(rng.randint(0, 24)):
            events.append(_event(rng, session, start + rng.uniform(0, 3600)))
    for _ in range(cases // 2):
        events.append(_event(rng, "", MIDNIGHT + rng.uniform(-2 * 86400, 86400)))
    return events
