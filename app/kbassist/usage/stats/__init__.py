"""What the usage events say about the KB, for editors: which macros work, what is missing, what is stale.

Definitions (all for events inside the period; dates are local calendar days, ``until`` inclusive):

* a macro is *suggested* in a session when it was shown there at any rank; its rank in a session is the
  best (lowest) rank it was shown at;
* *copy rate* = sessions where it was shown at rank <= 3 and copied / sessions where it was shown at
  rank <= 3; *top-1 acceptance* = the same with rank 1;
* *used* means copied (a macro) or opened (an article);
* a session's product is the product of its best-ranked suggested article (else macro); searches and
  "none fit" marks count for that product;
* the product filter keeps items of that product, and sessions of that product.

``compute_stats`` reads the period's events from the store; each figure is then one function of a
``Scope`` (``scope.py``), in a module per group: per item (``items.py``), what is missing (``gaps.py``),
stale articles (``stale.py``), the weekly trend (``trend.py``). The records are in ``records.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kbassist.content.model import KbItem
from kbassist.usage.stats.gaps import content_gaps, ranking_misses, unused_items
from kbassist.usage.stats.items import TOP_N, article_figures, macro_figures
from kbassist.usage.stats.records import Stats
from kbassist.usage.stats.scope import UNKNOWN_PRODUCT, Scope, case_sessions, event_count
from kbassist.usage.stats.stale import stale_articles
from kbassist.usage.stats.trend import weekly_trend
from kbassist.usage.store import UsageStore

__all__ = ["TOP_N", "UNKNOWN_PRODUCT", "Scope", "Stats", "compute_stats", "figures"]


def _midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time.min).timestamp()


def compute_stats(
    store: UsageStore,
    items: Iterable[KbItem],
    since: dt.date | None = None,
    until: dt.date | None = None,
    product: str | None = None,
    stale_after_days: int = 365,
    *,
    today: dt.date | None = None,
) -> Stats:
    """The figures for events between ``since`` and ``until`` (inclusive days) for ``product`` (or all)."""
    events = list(
        store.events(_midnight(since) if since else None, _midnight(until + dt.timedelta(days=1)) if until else None)
    )
    scope = Scope.of(events, items, product, today or dt.date.today(), stale_after_days)
    return figures(scope, since, until)


def figures(scope: Scope, since: dt.date | None, until: dt.date | None) -> Stats:
    """Every figure of ``scope``, whose events are those of the period from ``since`` to ``until``."""
    return Stats(
        since=since,
        until=until,
        product=scope.product,
        today=scope.today,
        sessions=case_sessions(scope),
        events=event_count(scope),
        macros=macro_figures(scope),
        articles=article_figures(scope),
        unused=unused_items(scope),
        missed=ranking_misses(scope),
        gaps=content_gaps(scope),
        stale=stale_articles(scope),
        trend=weekly_trend(scope),
    )
