"""Figures per item: how each macro and each article was suggested, used and voted on."""

from __future__ import annotations

from collections import Counter

from kbassist.content.model import Article, ItemKind
from kbassist.usage.stats.period import ItemTotals
from kbassist.usage.stats.records import ArticleStats, MacroStats
from kbassist.usage.stats.scope import Scope, ratio

TOP_N = 3  # "copy rate" is over the cases that showed a macro in the top TOP_N (rollup_sql counts top3)
# A macro is "often suggested" when it was shown in the top TOP_N of at least this many cases in the period:
# only then does its copy rate say something about the macro. A macro copied half the time shows no copy in
# 10 cases once in 1,024 periods; in 5 cases, once in 32, and 0 % copy rates of chance would top the list.
OFTEN_SUGGESTED = 10


def worst_macros_first(macro: MacroStats) -> tuple[object, ...]:
    """The macros' order: the often suggested ones first, the lowest copy rate first (ties: suggested more
    often first); then the rest, the most often suggested first."""
    if macro.often_suggested:
        return (0, macro.copy_rate or 0.0, -macro.top3, macro.id)
    return (1, 0.0, -macro.top3, -macro.suggested, -macro.copied, macro.id)


def median_thousandths(distribution: list[tuple[int, int]]) -> float | None:
    """The median of ratios kept as (thousandths, how many), in ascending order: exact, like the median of
    the ratios themselves."""
    total = sum(n for _, n in distribution)
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]  # the positions of the middle value(s), 0-based
    found: list[int] = []
    seen = 0
    for value, n in distribution:
        found += [value for position in middle if seen <= position < seen + n]
        seen += n
    return sum(found) / len(found) / 1000


def _items_of(scope: Scope, kind: ItemKind) -> list[tuple[str, ItemTotals]]:
    return [
        (item_id, totals)
        for item_id, totals in scope.period.items.items()
        if scope.kind(item_id, totals) == kind and scope.keeps_item(item_id)
    ]


def macro_figures(scope: Scope) -> list[MacroStats]:
    """Every macro that was shown, previewed, copied or voted on, worst first (``worst_macros_first``)."""
    out: list[MacroStats] = []
    for macro_id, t in _items_of(scope, ItemKind.MACRO):
        if not (t.suggested or t.previews or t.copies or t.helpful or t.not_helpful):
            continue
        unfilled = scope.period.unfilled.get(macro_id, Counter())
        out.append(
            MacroStats(
                macro_id,
                *scope.label(macro_id),
                suggested=t.suggested,
                top3=t.top3,
                top1=t.top1,
                previewed=t.previews,
                copied=t.copies,
                copy_rate=ratio(t.copied_top3, t.top3),
                top1_acceptance=ratio(t.copied_top1, t.top1),
                median_edit_ratio=median_thousandths(scope.period.ratios.get(macro_id, [])),
                unfilled_share=ratio(t.copies_unfilled, t.copies),
                helpful=t.helpful,
                not_helpful=t.not_helpful,
                last_used=scope.period.last_copied.get(macro_id),
                unfilled_placeholders=dict(sorted(unfilled.items(), key=lambda kv: (-kv[1], kv[0]))),
                often_suggested=t.top3 >= OFTEN_SUGGESTED,
            )
        )
    out.sort(key=worst_macros_first)
    return out


def article_figures(scope: Scope) -> list[ArticleStats]:
    """Every article that was shown, opened or voted on, the most "not helpful" votes first (ties: the most
    opened first), with its owner and last review as the KB says now."""
    out: list[ArticleStats] = []
    for article_id, t in _items_of(scope, ItemKind.ARTICLE):
        if not (t.suggested or t.own_opens or t.opens_auto or t.helpful or t.not_helpful):
            continue
        item = scope.items.get(article_id)
        out.append(
            ArticleStats(
                article_id,
                *scope.label(article_id),
                owner=item.owner if isinstance(item, Article) else "",
                reviewed=item.reviewed if isinstance(item, Article) else None,
                suggested=t.suggested,
                opened=t.own_opens,
                from_suggestion=t.opens_suggestion,
                from_search=t.opens_search,
                from_link=t.opens_link,
                from_auto=t.opens_auto,
                helpful=t.helpful,
                not_helpful=t.not_helpful,
                last_opened=scope.period.last_opened.get(article_id),
            )
        )
    out.sort(key=lambda a: (-a.not_helpful, -a.opened, a.id))
    return out
