"""Stats as text a person reads in a terminal, and the per-macro table as CSV for a spreadsheet.

Kept beside the stats rather than in the CLI so the window's "Export CSV" writes the same columns.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from typing import TextIO

from kbassist.usage.stats.items import OFTEN_SUGGESTED, TOP_N
from kbassist.usage.stats.records import MacroStats, Stats

MAX_UNFILLED_NAMES = 4  # placeholders named in an "Unfilled" cell; a macro rarely has more left

MACRO_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "product",
    "suggested",
    "top3",
    "top1",
    "previewed",
    "copied",
    "copy_rate",
    "top1_acceptance",
    "median_edit_ratio",
    "unfilled_share",
    "helpful",
    "not_helpful",
    "last_used",
    "often_suggested",
    "unfilled_placeholders",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def macro_row(macro: MacroStats) -> list[str]:
    """A CSV row: the placeholders left as ``name=copies`` joined by ``;`` (``last4=12;date=5``)."""
    row = [_cell(getattr(macro, column)) for column in MACRO_COLUMNS[:-2]]
    names = ";".join(f"{name}={n}" for name, n in macro.unfilled_placeholders.items())
    return [*row, "yes" if macro.often_suggested else "no", names]


def unfilled_text(macro: MacroStats) -> str:
    """The share of copies sent with placeholders left, and which: "42% — last4 ×12, date ×5"."""
    if macro.unfilled_share is None:
        return "–"
    names = list(macro.unfilled_placeholders.items())
    which = ", ".join(f"{name} ×{n}" for name, n in names[:MAX_UNFILLED_NAMES])
    if len(names) > MAX_UNFILLED_NAMES:
        which += f", {len(names) - MAX_UNFILLED_NAMES} more"
    return f"{macro.unfilled_share * 100:.0f}%" + (f" — {which}" if which else "")


def write_macros_csv(stats: Stats, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MACRO_COLUMNS)
    for macro in stats.macros:
        writer.writerow(macro_row(macro))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _table(out: TextIO, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[["-" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def write_text(stats: Stats, out: TextIO, limit: int = 25, *, associates: bool = False) -> None:
    """The report in sections; each table shows its first ``limit`` rows and says how many more exist.
    ``associates``: say how many associates the figures are from (a team's report)."""
    period = f"{stats.since or 'start'} .. {stats.until or 'today'}"
    out.write(f"Usage {period}" + (f", product {stats.product}" if stats.product else "") + "\n")
    who = f", {stats.associates} associates" if associates else ""
    out.write(f"{stats.sessions} case sessions, {stats.events} events{who}\n")

    def section(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        out.write(f"\n{title} ({len(rows)})\n")
        if rows:
            _table(out, headers, rows[:limit])
            if len(rows) > limit:
                out.write(f"… {len(rows) - limit} more (use --json for all)\n")

    section(
        f"Macros, worst first: the lowest copy rate among those in the top {TOP_N} of {OFTEN_SUGGESTED}+ cases",
        ("macro", "suggested", "copied", "copy rate top3", "top1 accepted", "median edit", "last used", "unfilled"),
        [
            (
                m.id + ("" if m.often_suggested else " ·"),
                m.suggested,
                m.copied,
                _pct(m.copy_rate),
                _pct(m.top1_acceptance),
                _cell(m.median_edit_ratio) or "-",
                m.last_used,
                unfilled_text(m),
            )
            for m in stats.macros
        ],
    )
    if any(not m.often_suggested for m in stats.macros):
        out.write(f"· in the top {TOP_N} of fewer than {OFTEN_SUGGESTED} cases: too few for its copy rate to count\n")
    section(
        "Articles, the most voted not helpful first",
        ("article", "owner", "reviewed", "suggested", "opened", "opened by the app", "helpful", "not helpful"),
        [
            (a.id, a.owner or "-", a.reviewed, a.suggested, a.opened, a.from_auto, a.helpful, a.not_helpful)
            for a in stats.articles
        ],
    )
    section(
        "Used but not suggested (ranking misses), the most copied first",
        ("macro", "copies", "sessions"),
        [(m.id, m.copies, m.sessions) for m in stats.missed],
    )
    section(
        "Content gaps, the most asked first",
        ("about", "product", "count", "searches", "none fit", "last seen", "e.g."),
        [
            (g.terms, g.product or "-", g.count, g.searches, g.none_fit, g.last_seen, " | ".join(g.examples))
            for g in stats.gaps
        ],
    )
    if stats.gaps_hidden:
        out.write(f"({stats.gaps_hidden} more with nothing to act on: no words left once names and IDs are out)\n")
    section(
        "Stale articles, the oldest review first",
        ("article", "owner", "reviewed", "days", "opened", "macros relying on it"),
        [(s.id, s.owner, s.reviewed, s.days_since_review, s.opened, ", ".join(s.macros) or "-") for s in stats.stale],
    )
    section(
        "Never used, the most suggested first",
        ("kind", "id", "suggested"),
        [(u.kind, u.id, u.suggested) for u in stats.unused],
    )
    section(
        "Weekly trend",
        ("week", "product", "copies", "searches"),
        [(t.week, t.product, t.copies, t.searches) for t in stats.trend],
    )
