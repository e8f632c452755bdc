"""Articles whose last review is older than the editors' limit, with the macros that rely on them."""

from __future__ import annotations

from collections import defaultdict

from kbassist.content.model import Article, Macro
from kbassist.usage.stats.records import StaleArticle
from kbassist.usage.stats.scope import Scope


def stale_articles(scope: Scope) -> list[StaleArticle]:
    """Reviewed more than ``scope.stale_after_days`` before ``scope.today``, the longest unreviewed first."""
    totals = scope.period.items
    dependants: dict[str, list[str]] = defaultdict(list)
    for item in scope.items.values():
        if isinstance(item, Macro):
            for article_id in item.articles:
                dependants[article_id].append(item.id)
    out = []
    for item in scope.items.values():
        if not isinstance(item, Article) or item.reviewed is None:
            continue
        age = (scope.today - item.reviewed).days
        if age > scope.stale_after_days and scope.keeps_product(item.product):
            out.append(
                StaleArticle(
                    item.id,
                    item.title,
                    item.product,
                    item.owner,
                    item.reviewed,
                    age,
                    tuple(sorted(dependants.get(item.id, ()))),
                    totals[item.id].own_opens if item.id in totals else 0,
                )
            )
    out.sort(key=lambda s: (s.reviewed, s.id))
    return out
