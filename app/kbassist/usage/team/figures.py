"""The whole team's figures, as an editor reads them from the team database.

The same ``compute_stats`` as the local file's, over the rollups the team database keeps (``rollups.py``),
read in one snapshot (``stats/postgres.py``). A failure comes out as a ``TeamError`` whose text is safe to
show (no password, whatever the driver said): the CLI prints it, the Stats view shows it in its summary line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import psycopg

from kbassist.content.model import KbItem
from kbassist.usage.stats import compute_stats
from kbassist.usage.stats.postgres import snapshot
from kbassist.usage.stats.records import Stats
from kbassist.usage.team.connection import connect
from kbassist.usage.team.errors import explain


def team_stats(
    url: str,
    items: Iterable[KbItem],
    since: dt.date | None = None,
    until: dt.date | None = None,
    product: str | None = None,
    stale_after_days: int = 365,
) -> Stats:
    """Every figure for the team's cases that started between ``since`` and ``until``; ``url`` is an editor's
    login (``kbassist team add-editor``)."""
    try:
        with connect(url) as conn, snapshot(conn) as reader:
            return compute_stats(reader, items, since, until, product, stale_after_days)
    except (psycopg.Error, OSError, ValueError) as exc:
        raise explain(exc, url) from None
