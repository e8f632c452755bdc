"""Stats as text a person reads in a terminal, and the per-macro table as CSV for a spreadsheet.

Kept beside the stats rather than in the CLI so the window's "Export CSV" writes the same columns.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from typing import TextIO

from kbassist.usage.stats.records import MacroStats, Stats

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
    return [_cell(getattr(macro, column)) for column in MACRO_COLUMNS]


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
        "Macros",
        ("macro", "suggested", "copied", "copy rate top3", "top1 accepted", "median edit", "unfilled", "last used"),
        [
            (
                m.id,
                m.suggested,
                m.copied,
                _pct(m.copy_rate),
                _pct(m.top1_acceptance),
                _cell(m.median_edit_ratio) or "-",
                _pct(m.unfilled_share),
                m.last_used,
            )
            for m in stats.macros
        ],
    )
    section(
        "Articles",
        ("article", "suggested", "opened", "from search", "not helpful"),
        [(a.id, a.suggested, a.opened, a.from_search, a.not_helpful) for a in stats.articles],
    )
    section(
        "Used but not suggested (ranking misses)",
        ("macro", "copies", "sessions"),
        [(m.id, m.copies, m.sessions) for m in stats.missed],
    )
    section(
        "Content gaps",
        ("kind", "count", "last seen", "terms"),
        [(g.kind, g.count, g.last_seen, g.terms or "(no terms)") for g in stats.gaps],
    )
    section(
        "Stale articles",
        ("article", "reviewed", "days", "opened", "macros relying on it"),
        [(s.id, s.reviewed, s.days_since_review, s.opened, ", ".join(s.macros) or "-") for s in stats.stale],
    )
    section("Never used", ("kind", "id", "suggested"), [(u.kind, u.id, u.suggested) for u in stats.unused])
    section(
        "Weekly trend",
        ("week", "product", "copies", "searches"),
        [(t.week, t.product, t.copies, t.searches) for t in stats.trend],
    )
