"""What the Stats view's tables show: one column spec per figure set (``usage.stats.records``), with the
formats of its cells. The rows come in the core's order, worst first, and the view keeps that order until
an editor sorts by a column."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kbassist.content.model import PRODUCT_LABELS
from kbassist.ui.record_table import Column, day, decimal, percent
from kbassist.usage.report import unfilled_text
from kbassist.usage.stats.items import OFTEN_SUGGESTED, TOP_N

Formats = dict[int, Callable[[Any], str]]


def _product(record: Any) -> str:
    return str(PRODUCT_LABELS.get(record.product, record.product))


def _owner(record: Any) -> str:
    return str(record.owner or "–")


MACRO_COLUMNS = [
    Column("Macro", lambda m: m.title),
    Column("Product", _product),
    Column("Suggested", lambda m: m.suggested, "Cases in which it was suggested"),
    Column("Copied", lambda m: m.copied),
    Column(
        "Copy rate (top 3)",
        lambda m: m.copy_rate,
        f"Copied when shown in the top {TOP_N} / shown in the top {TOP_N}. The table opens with the lowest first "
        f"among macros shown in the top {TOP_N} of {OFTEN_SUGGESTED} cases or more (fewer say little)",
    ),
    Column("Top-1 acceptance", lambda m: m.top1_acceptance, "Copied when ranked first / ranked first"),
    Column("Median edit", lambda m: m.median_edit_ratio, "How much associates changed the text before copying"),
    Column(
        "Unfilled",
        lambda m: m.unfilled_share,
        "Share of copies sent with placeholders left unfilled, and which were left (copies), most often first",
        text=unfilled_text,
    ),
    Column("Helpful", lambda m: m.helpful, "Votes that the macro helped"),
    Column("Not helpful", lambda m: m.not_helpful, "Votes that the macro was wrong or did not fit"),
    Column("Last used", lambda m: m.last_used),
    Column("Id", lambda m: m.id),
]
MACRO_FORMATS: Formats = {4: percent, 5: percent, 6: decimal, 10: day}

# An article's title, product, owner and last review: the first columns of the articles and the stale tables.
ARTICLE_HEAD = [
    Column("Article", lambda a: a.title),
    Column("Product", _product),
    Column("Owner", _owner),
    Column("Reviewed", lambda a: a.reviewed),
]
ARTICLE_COLUMNS = [
    *ARTICLE_HEAD,
    Column("Suggested", lambda a: a.suggested),
    Column("Opened", lambda a: a.opened, "Opened by associates: from a suggestion, a search or a link"),
    Column("Auto-shown", lambda a: a.from_auto, "Opened by the app itself, for a confident top suggestion"),
    Column("From search", lambda a: a.from_search, "Of the associates' opens, those from a search"),
    Column("Helpful", lambda a: a.helpful),
    Column("Not helpful", lambda a: a.not_helpful, "Votes that the article was wrong or misleading"),
    Column("Last opened", lambda a: a.last_opened),
    Column("Id", lambda a: a.id),
]
ARTICLE_FORMATS: Formats = {3: day, 10: day}

UNUSED_COLUMNS = [
    Column("Title", lambda u: u.title),
    Column("Kind", lambda u: u.kind),
    Column("Product", _product),
    Column("Suggested but never used", lambda u: u.suggested),
    Column("Id", lambda u: u.id),
]
MISSED_COLUMNS = [
    Column("Macro", lambda r: r.title),
    Column("Product", _product),
    Column("Copied after a search", lambda r: r.copies),
    Column("Sessions", lambda r: r.sessions),
    Column("Id", lambda r: r.id),
]
GAP_COLUMNS = [
    Column("About", lambda g: g.terms, "Its key words once names, IDs and filler are out, however it was worded"),
    Column("Product", _product, "The product of the case it came up in"),
    Column("Count", lambda g: g.count),
    Column("Searches", lambda g: g.searches, "Typed searches that found nothing"),
    Column("None fit", lambda g: g.none_fit, 'Cases marked "None of these fit"'),
    Column("Last seen", lambda g: g.last_seen),
    Column("As asked", lambda g: " | ".join(g.examples), "How it was worded (redacted), most often first"),
]
GAP_FORMATS: Formats = {5: day}
STALE_COLUMNS = [
    *ARTICLE_HEAD,
    Column("Days since review", lambda s: s.days_since_review),
    Column("Opened", lambda s: s.opened),
    Column("Macros relying on it", lambda s: ", ".join(s.macros)),
    Column("Id", lambda s: s.id),
]
STALE_FORMATS: Formats = {3: day}
