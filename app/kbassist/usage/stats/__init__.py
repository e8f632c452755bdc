"""What the usage events say about the KB, for editors: which macros work, what is missing, what is stale.

Definitions (dates are the associate's calendar days, ``until`` inclusive):

* a *case* (session) counts on the day it started, the day of its earliest event: a period holds the cases
  that started in it, with all their events, even those made after midnight or after ``until``; an event
  recorded outside any case counts on its own day;
* a macro is *suggested* in a case when it was shown there at any rank; its rank in a case is the best
  (lowest) rank it was shown at;
* *copy rate* = cases where it was shown at rank <= 3 and copied / cases where it was shown at rank <= 3;
  *top-1 acceptance* = the same with rank 1;
* *used* means copied (a macro) or opened by the associate (an article; the window opening a confident top
  article by itself is counted apart, as ``from_auto``);
* a case's product is the product of its best-ranked shown article (else macro), as recorded when it was
  shown; searches and "none fit" marks count for that product;
* the product filter keeps items of that product (as the KB says now), and cases of that product.

The figures never read events: they sum the per-day rollups (``usage/rollup_sql.py``) of the period, which
the local file and the team database keep in step with their events by the same SQL. ``read_period``
(``period.py``) reads them through either database; each figure is then one function of a ``Scope``
(``scope.py``), in a module per group: per item (``items.py``), what is missing (``gaps.py``), stale
articles (``stale.py``), the weekly trend (``trend.py``). The records are in ``records.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kbassist.content.model import KbItem
from kbassist.usage.stats.gaps import content_gaps, ranking_misses, unused_items
from kbassist.usage.stats.items import TOP_N, article_figures, macro_figures
from kbassist.usage.stats.period import RollupReader, read_period
from kbassist.usage.stats.records import Stats
from kbassist.usage.stats.scope import UNKNOWN_PRODUCT, Scope
from kbassist.usage.stats.stale import stale_articles
from kbassist.usage.stats.trend import weekly_trend

__all__ = ["TOP_N", "UNKNOWN_PRODUCT", "RollupReader", "Scope", "Stats", "compute_stats", "figures"]


def compute_stats(
    reader: RollupReader,
    items: Iterable[KbItem],
    since: dt.date | None = None,
    until: dt.date | None = None,
    product: str | None = None,
    stale_after_days: int = 365,
    *,
    today: dt.date | None = None,
) -> Stats:
    """The figures for the cases that started between ``since`` and ``until`` (inclusive days) for ``product``
    (or all), from the local file (a ``UsageStore``) or the team database (``stats.postgres.PostgresReader``)."""
    period = read_period(reader, since, until, product)
    scope = Scope.of(period, items, product, today or dt.date.today(), stale_after_days)
    return figures(scope, since, until)


def figures(scope: Scope, since: dt.date | None, until: dt.date | None) -> Stats:
    """Every figure of ``scope``, whose rollups are those of the period from ``since`` to ``until``."""
    gaps, gaps_hidden = content_gaps(scope)
    return Stats(
        since=since,
        until=until,
        product=scope.product,
        today=scope.today,
        sessions=scope.period.sessions,
        events=scope.period.events,
        associates=scope.period.associates,
        macros=macro_figures(scope),
        articles=article_figures(scope),
        unused=unused_items(scope),
        missed=ranking_misses(scope),
        gaps=gaps,
        gaps_hidden=gaps_hidden,
        stale=stale_articles(scope),
        trend=weekly_trend(scope),
    )
