"""The editors' rollups and the SQL that keeps them in step with the events, written once for SQLite and PostgreSQL.

Every figure of the Stats view sums rows of small per-day tables instead of reading every event of the period
(at 10 million events the figures computed from the events take 3 to 13 s each in PostgreSQL; from these
tables well under a second, ``bench/bench_team_stats.py``). A case counts on the day it started: each table
is keyed by the *session day*, the day of the case's earliest event, so a period is a range of keys.

The maintenance is a list of statements in the subset of SQL both databases run (``INSERT … SELECT … ON
CONFLICT (…) DO UPDATE``, ``CASE``, ``coalesce``, ``CAST(… AS TEXT)``, a correlated ``… ORDER BY … LIMIT 1``).
The local store runs it in the writer's transaction after each batch; the team database runs the very same
statements in a statement-level trigger (``usage/team/rollups.py``). Its input:

* ``affected(session, event_id)``: the cases whose events changed: ``(session, NULL)`` for a case, and
  ``('', event_id)`` for an event recorded outside any case (the empty session), which is its own one-event
  "case" for this bookkeeping (it counts on its own day and is never counted as a case);
* ``batch(event_id, session)``: the rows just inserted (copied from the trigger's transition table, which
  has no index), empty when pruning;
* ``rollup_events``: the events as a view with an ``associate`` column (the pseudonym on a team's server,
  '' on an associate's own machine).

It (1) loads the affected cases' events as they were before (without ``batch``) with sign -1 and as they are
now with sign +1, (2) works out each version's case and (case, item) figures, (3) adds the difference to the
day tables and drops rows that fell to zero. Because each step sums whole cases, the tables always equal a
recomputation from scratch (``tests/test_usage_rollups.py`` checks this after random batches).

The tables' shape is part of local schema v4 (``schema.py``) and of the team database's rollup step: change it
only by adding migration steps, never by editing these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

NOT_RANKED: Final = 1_000_000  # the rank of a shown event that has none: after every ranked one
OWN_OPENS: Final = "('suggestion', 'search', 'link')"  # an article the associate opened (not the window by itself)


@dataclass(frozen=True, slots=True)
class DayTable:
    """One rollup table: its key columns and counters, each an expression over ``source``.

    ``source`` is a FROM … WHERE clause over the work tables whose rows carry ``s.sign``; a counter's
    expression is that row's value, summed times the sign.
    """

    name: str
    keys: tuple[tuple[str, str], ...]
    counts: tuple[tuple[str, str], ...]
    source: str

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.keys)

    @property
    def count_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.counts)

    def create(self, temporary: bool = False) -> str:
        columns = [f"{name} TEXT NOT NULL" for name in self.key_names]
        columns += [f"{name} INTEGER NOT NULL DEFAULT 0" for name in self.count_names]
        kind = "TEMP TABLE" if temporary else "TABLE"
        return f"CREATE {kind} {self.name} ({', '.join(columns)}, PRIMARY KEY ({', '.join(self.key_names)}))"

    def apply(self) -> str:
        """Add the work tables' signed contributions (non-zero ones, in key order so concurrent writers
        lock rows in the same order)."""
        keys = ", ".join(f"{expr} AS {name}" for name, expr in self.keys)
        sums = ", ".join(f"sum(s.sign * ({expr})) AS {name}" for name, expr in self.counts)
        nonzero = " OR ".join(f"d.{name} <> 0" for name in self.count_names)
        names = ", ".join((*self.key_names, *self.count_names))
        updates = ", ".join(f"{name} = {self.name}.{name} + excluded.{name}" for name in self.count_names)
        return (
            f"INSERT INTO {self.name} ({names}) "
            f"SELECT {names} FROM (SELECT {keys}, {sums} FROM {self.source} "
            f"GROUP BY {', '.join(expr for _, expr in self.keys)}) d "
            f"WHERE {nonzero} ORDER BY {', '.join(self.key_names)} "
            f"ON CONFLICT ({', '.join(self.key_names)}) DO UPDATE SET {updates}"
        )

    def drop_zeros(self) -> str:
        zero = " AND ".join(f"{name} = 0" for name in self.count_names)
        return f"DELETE FROM {self.name} WHERE day IN (SELECT day FROM sess WHERE sign = -1) AND {zero}"


def _when(condition: str, value: str = "1") -> str:
    return f"CASE WHEN {condition} THEN {value} ELSE 0 END"


_CASES = "sess s WHERE true"
_ITEMS = "sitems i JOIN sess s ON s.sign = i.sign AND s.session = i.session AND s.associate = i.associate WHERE true"
_EVENTS = "case_events c JOIN sess s ON s.sign = c.sign AND s.session = c.session AND s.associate = c.associate WHERE "
_MISSED = "s.shown = 1 AND i.best_rank IS NULL"  # copied from a search in a case whose suggestions lacked it

SESSION_DAYS: Final = DayTable(
    "session_days",
    keys=(("day", "s.day"), ("associate", "s.associate"), ("product", "s.product")),
    counts=(("sessions", "s.in_case"), ("events", "s.events"), ("searches", "s.searches")),
    source=_CASES,
)
ITEM_DAYS: Final = DayTable(
    "item_days",
    keys=(("day", "s.day"), ("item_id", "i.item_id"), ("item_kind", "i.item_kind"), ("product", "s.product")),
    counts=(
        ("suggested", _when("i.best_rank IS NOT NULL")),
        ("top3", _when("i.best_rank <= 3")),
        ("top1", _when("i.best_rank = 1")),
        ("copied_top3", _when("i.best_rank <= 3 AND i.copies > 0")),
        ("copied_top1", _when("i.best_rank = 1 AND i.copies > 0")),
        ("copies", "i.copies"),
        ("copies_unfilled", "i.copies_unfilled"),
        ("previews", "i.previews"),
        ("opens_suggestion", "i.opens_suggestion"),
        ("opens_search", "i.opens_search"),
        ("opens_link", "i.opens_link"),
        ("opens_auto", "i.opens_auto"),
        ("helpful", "i.helpful"),
        ("not_helpful", "i.not_helpful"),
        ("missed_copies", _when(_MISSED, "i.copies_search")),
        ("missed_sessions", _when(f"{_MISSED} AND i.copies_search > 0")),
    ),
    source=_ITEMS,
)
# The days an item was last copied or opened: a count per day of use, so a maximum survives subtraction.
USE_DAYS: Final = DayTable(
    "use_days",
    keys=(("day", "s.day"), ("item_id", "c.item_id"), ("used_on", "c.day")),
    counts=(("copies", _when("c.kind = 'copied'")), ("opens", _when("c.kind = 'opened'"))),
    source=_EVENTS + f"c.item_id <> '' AND (c.kind = 'copied' OR (c.kind = 'opened' AND c.source IN {OWN_OPENS}))",
)
# Edit ratios are kept to 3 places when recorded: as thousandths, their distribution gives an exact median.
RATIO_DAYS: Final = DayTable(
    "ratio_days",
    keys=(("day", "s.day"), ("item_id", "c.item_id"), ("ratio", "CAST(c.ratio AS TEXT)")),
    counts=(("copies", "1"),),
    source=_EVENTS + "c.kind = 'copied' AND c.item_id <> '' AND c.ratio IS NOT NULL",
)
# The placeholders a copy left unfilled, as the recorded list (a macro has few combinations); split by name
# when read, since the two databases share no function that splits a list.
UNFILLED_DAYS: Final = DayTable(
    "unfilled_days",
    keys=(("day", "s.day"), ("item_id", "c.item_id"), ("placeholders", "c.placeholders")),
    counts=(("copies", "1"),),
    source=_EVENTS + "c.kind = 'copied' AND c.item_id <> '' AND c.placeholders NOT IN ('', '[]', '{}')",
)
# Searches that found nothing and "none fit" marks, by their recorded terms (normalised when read) and the
# day they were made (for "last seen").
GAP_DAYS: Final = DayTable(
    "gap_days",
    keys=(
        ("day", "s.day"),
        ("product", "s.product"),
        ("kind", "c.kind"),
        ("terms", "coalesce(c.terms, '')"),
        ("seen_on", "c.day"),
    ),
    counts=(("marks", "1"),),
    source=_EVENTS
    + "((c.kind = 'search' AND c.result_count = 0 AND c.terms NOT IN ('', '[]', '{}')) OR c.kind = 'none_fit')",
)

DAY_TABLES: Final = (SESSION_DAYS, ITEM_DAYS, USE_DAYS, RATIO_DAYS, UNFILLED_DAYS, GAP_DAYS)

# ------------------------------------------------------------------ work tables (per connection, temporary)
# Column lists; each database declares them temporary its own way (PostgreSQL: ON COMMIT DELETE ROWS).
WORK_TABLES: Final = {
    "case_events": (
        "sign INTEGER NOT NULL, session TEXT NOT NULL, associate TEXT NOT NULL, in_case INTEGER NOT NULL, "
        "day TEXT NOT NULL, kind TEXT NOT NULL, item_id TEXT, item_kind TEXT, source TEXT, rank INTEGER, "
        "ts DOUBLE PRECISION, product TEXT, ratio INTEGER, unfilled INTEGER, placeholders TEXT, helpful INTEGER, "
        "terms TEXT, result_count INTEGER"
    ),
    "sess": (
        "sign INTEGER NOT NULL, session TEXT NOT NULL, associate TEXT NOT NULL, in_case INTEGER NOT NULL, "
        "day TEXT NOT NULL, product TEXT NOT NULL, events INTEGER NOT NULL, searches INTEGER NOT NULL, "
        "shown INTEGER NOT NULL, PRIMARY KEY (sign, session, associate)"
    ),
    "sitems": (
        "sign INTEGER NOT NULL, session TEXT NOT NULL, associate TEXT NOT NULL, item_id TEXT NOT NULL, "
        "item_kind TEXT NOT NULL, best_rank INTEGER, copies INTEGER NOT NULL, copies_unfilled INTEGER NOT NULL, "
        "copies_search INTEGER NOT NULL, previews INTEGER NOT NULL, opens_suggestion INTEGER NOT NULL, "
        "opens_search INTEGER NOT NULL, opens_link INTEGER NOT NULL, opens_auto INTEGER NOT NULL, "
        "helpful INTEGER NOT NULL, not_helpful INTEGER NOT NULL"
    ),
}
CASE_EVENTS_INDEX: Final = "case_events_session ON case_events (sign, session, associate)"

# ------------------------------------------------------------------ the maintenance
START: Final = ("DELETE FROM affected", "DELETE FROM case_events", "DELETE FROM sess", "DELETE FROM sitems")

AFFECTED_FROM_BATCH: Final = (
    "INSERT INTO affected (session) SELECT DISTINCT b.session FROM batch b WHERE b.session <> ''",
    "INSERT INTO affected (session, event_id) SELECT '', b.event_id FROM batch b WHERE b.session = ''",
)

_LOAD = (
    "INSERT INTO case_events (sign, session, associate, in_case, day, kind, item_id, item_kind, source, rank, ts, "
    "product, ratio, unfilled, placeholders, helpful, terms, result_count) "
    "SELECT {sign}, {key}, CAST(e.associate AS TEXT), {in_case}, CAST(e.day AS TEXT), e.kind, e.item_id, "
    "e.item_kind, e.source, e.rank, e.ts, e.product, CAST(round(e.edit_ratio * 1000) AS INTEGER), e.unfilled, "
    "CAST(e.placeholders AS TEXT), CAST(e.helpful AS INTEGER), CAST(e.terms AS TEXT), e.result_count "
    "FROM affected a JOIN rollup_events e ON {join} WHERE {where}"
)
_NOT_IN_BATCH = " AND NOT EXISTS (SELECT 1 FROM batch b WHERE b.event_id = e.event_id)"


def _load(sign: int) -> tuple[str, str]:
    """The affected cases' events: before the batch (sign -1, its rows left out) or now (sign +1)."""
    extra = _NOT_IN_BATCH if sign < 0 else ""
    return (
        _LOAD.format(sign=sign, key="e.session", in_case=1, join="e.session = a.session", where="a.session <> ''")
        + extra,
        _LOAD.format(
            sign=sign,
            key="CAST(e.event_id AS TEXT)",
            in_case=0,
            join="e.event_id = a.event_id",
            where="a.session = ''",
        )
        + extra,
    )


LOAD_BEFORE: Final = _load(-1)
LOAD_AFTER: Final = _load(1)

# A case's product is the product of its best-ranked shown article (else macro), as recorded when shown.
_PRODUCT = (
    "coalesce((SELECT p.product FROM case_events p WHERE p.sign = c.sign AND p.session = c.session "
    "AND p.associate = c.associate AND p.kind = 'shown' AND p.item_id <> '' AND p.product IS NOT NULL "
    "ORDER BY CASE WHEN p.item_kind = 'article' THEN 0 ELSE 1 END, "
    f"coalesce(nullif(p.rank, 0), {NOT_RANKED}), p.ts, p.product LIMIT 1), '')"
)
_SEARCH = _when("c.kind = 'search'")
_SHOWN = _when("c.kind = 'shown' AND c.item_id <> ''")
CASES: Final = (
    "INSERT INTO sess (sign, session, associate, in_case, day, product, events, searches, shown) "
    f"SELECT c.sign, c.session, c.associate, max(c.in_case), min(c.day), {_PRODUCT}, count(*), "
    f"sum({_SEARCH}), max({_SHOWN}) FROM case_events c WHERE true GROUP BY c.sign, c.session, c.associate"
)


def _count(kind: str, extra: str = "") -> str:
    condition = f"kind = '{kind}'{extra}"
    return f"sum({_when(condition)})"


_FROM_SEARCH = " AND source = 'search'"
_OPENS = ", ".join(_count("opened", f" AND source = '{source}'") for source in ("suggestion", "search", "link", "auto"))


CASE_ITEMS: Final = (
    "INSERT INTO sitems (sign, session, associate, item_id, item_kind, best_rank, copies, copies_unfilled, "
    "copies_search, previews, opens_suggestion, opens_search, opens_link, opens_auto, helpful, not_helpful) "
    "SELECT sign, session, associate, item_id, coalesce(max(item_kind), ''), "
    f"min(CASE WHEN kind = 'shown' THEN coalesce(rank, {NOT_RANKED}) END), "
    f"{_count('copied')}, {_count('copied', ' AND unfilled > 0')}, {_count('copied', _FROM_SEARCH)}, "
    f"{_count('previewed')}, {_OPENS}, {_count('feedback', ' AND helpful = 1')}, "
    f"{_count('feedback', ' AND coalesce(helpful, 0) <> 1')} "
    "FROM case_events WHERE item_id <> '' GROUP BY sign, session, associate, item_id"
)

APPLY: Final = (
    CASES,
    CASE_ITEMS,
    *(table.apply() for table in DAY_TABLES),
    *(table.drop_zeros() for table in DAY_TABLES),
)

# After rows were inserted and ``batch`` names them: what the local writer and the team's trigger run.
AFTER_INSERT: Final = (*START, *AFFECTED_FROM_BATCH, *LOAD_BEFORE, *LOAD_AFTER, *APPLY)

# Every case and every event outside one, for filling the tables from events already recorded.
AFFECTED_ALL: Final = (
    "INSERT INTO affected (session) SELECT DISTINCT session FROM rollup_events WHERE session <> ''",
    "INSERT INTO affected (session, event_id) SELECT '', event_id FROM rollup_events WHERE session = ''",
)
FILL: Final = (*START, *AFFECTED_ALL, *LOAD_AFTER, *APPLY)

# The columns the rollups read from an event, for the views that expose them with their associate.
EVENT_COLUMNS: Final = (
    "event_id, session, day, kind, item_id, item_kind, source, rank, ts, product, edit_ratio, unfilled, "
    "placeholders, helpful, terms, result_count"
)


def work_tables(event_id_type: str, suffix: str = "") -> tuple[str, ...]:
    """The temporary work tables: ``event_id_type`` is the type of ``events.event_id``, ``suffix`` what the
    database adds to a temporary table (PostgreSQL: ``ON COMMIT DELETE ROWS``)."""
    tables = {
        "affected": f"session TEXT NOT NULL, event_id {event_id_type}",
        "batch": f"event_id {event_id_type} PRIMARY KEY, session TEXT NOT NULL",
        **WORK_TABLES,
    }
    return (
        *(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}){suffix}" for name, columns in tables.items()),
        f"CREATE INDEX IF NOT EXISTS {CASE_EVENTS_INDEX}",
    )
