"""Stats on a generated history whose answers are known.

A seeded plan describes ~600 case sessions (~6,000 events) over twelve weeks at the level an associate would tell it
("shown these, opened that, copied this one from search"). The plan is recorded through the real
recorder; the expected figures are computed here from the plan itself, with plain loops that share no
code with ``kbassist.usage.stats``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kbassist.content.model import Article, KbItem, Macro
from kbassist.usage import Stats, UsageRecorder, UsageStore, compute_stats

PRODUCTS = ("refunds", "disputes", "payouts")
START = dt.date(2026, 1, 5)  # a Monday
DAYS = 84
TODAY = dt.date(2026, 4, 1)
RETIRED = "macro-retired"  # copied from favorites but no longer in the KB

# (typed query, what the content gap is about: its words cleaned, sorted), result count
FOUND = [("refund timeline", 4), ("dispute evidence", 7), ("payout delayed", 3)]
NOT_FOUND = [
    ("crypto payouts", "crypto, payouts"),
    ("CRYPTO  Payouts", "crypto, payouts"),
    ("refund to card 4242 4242 4242 4242", "card, refund"),
    ("Klarna refund for jane@example.com", "klarna, refund"),
    ("sepa return DE89 3704 0044 0532 0130 00", "return, sepa"),
    ("chargeback on ch_3PqRsT2eZvKYlo2C1a2b3c4d", "chargeback"),
]
# "none fit" key terms and what the gap is about (a search and a mark about the same words are one gap)
NONE_FIT = [
    (["crypto", "payouts"], "crypto, payouts"),
    (["payouts", "Crypto"], "crypto, payouts"),
    (["po_1NvXq2LkdIwHu7ixq8pVbR4s", "missing"], "missing"),
    (["phone", "+44 20 7946 0958"], "phone"),
]


def _items() -> list[KbItem]:
    reviewed = {0: dt.date(2026, 1, 2), 1: dt.date(2025, 4, 1), 2: dt.date(2025, 3, 31), 3: dt.date(2024, 6, 1)}
    items: list[KbItem] = []
    for p in PRODUCTS:
        for i in range(4):
            items.append(
                Article(
                    f"{p}-article-{i}",
                    "article",
                    f"{p} article {i}",
                    p,
                    (),
                    "",
                    Path(f"/kb/{p}{i}.md"),
                    f"{p}{i}.md",
                    owner="x",
                    reviewed=reviewed[i],
                )
            )
        items.append(Article(f"{p}-article-unreviewed", "article", "u", p, (), "", Path("/kb/u.md"), "u.md"))
        for i in range(5):  # macro 4 is never shown nor copied
            relies = (f"{p}-article-{i % 4}", f"{p}-article-3") if i == 0 else (f"{p}-article-{i % 4}",)
            items.append(
                Macro(
                    f"macro-{p}-{i}",
                    "macro",
                    f"{p} macro {i}",
                    p,
                    (),
                    "",
                    Path(f"/kb/m{p}{i}.md"),
                    f"m{p}{i}.md",
                    articles=relies,
                )
            )
    return items


ITEMS = _items()
PRODUCT_OF = {i.id: i.product for i in ITEMS}


@dataclass
class Plan:
    day: dt.date
    start: float
    product: str | None  # the product of the rank-1 article, None without suggestions
    displays: list[tuple[list[str], list[str]]] = field(default_factory=list)  # (articles, macros) by rank
    actions: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def shown_macros(self) -> set[str]:
        return {m for _, macros in self.displays for m in macros}

    def best_rank(self, item_id: str) -> int | None:
        ranks = [lst.index(item_id) + 1 for d in self.displays for lst in d if item_id in lst]
        return min(ranks) if ranks else None

    def events(self) -> int:
        return 1 + sum(len(a) + len(m) for a, m in self.displays) + len(self.actions)


def _plan(seed: int = 20260105) -> list[Plan]:
    rng = random.Random(seed)
    plans: list[Plan] = []
    for offset in range(DAYS):
        day = START + dt.timedelta(days=offset)
        for _ in range(rng.randint(4, 11)):
            plans.append(_case(rng, day))
    return plans


# One case is drawn in this order (the seeded history depends on it): when, which product, what was
# suggested, then what the associate did, group by group.
def _case(rng: random.Random, day: dt.date) -> Plan:
    start = dt.datetime.combine(day, dt.time(9)).timestamp() + rng.randint(0, 7 * 3600)
    p = rng.choice(PRODUCTS)
    plan = Plan(day, start, None)
    if rng.random() < 0.88:
        _suggest(rng, plan, p)
    for act in (_open_articles, _use_suggested_macros, _search_and_copy, _give_feedback):
        act(rng, plan, p)
    return plan


def _own_articles(p: str) -> list[str]:
    return [f"{p}-article-{i}" for i in range(4)]


def _own_macros(p: str) -> list[str]:
    return [f"macro-{p}-{i}" for i in range(4)]


def _suggest(rng: random.Random, plan: Plan, p: str) -> None:
    others = [q for q in PRODUCTS if q != p]
    plan.product = p
    arts = rng.sample(_own_articles(p), 3)
    macs = rng.sample(_own_macros(p), 3)
    if rng.random() < 0.3:
        arts.append(f"{rng.choice(others)}-article-{rng.randrange(4)}")
    if rng.random() < 0.3:
        macs.append(f"macro-{rng.choice(others)}-{rng.randrange(4)}")
    plan.displays.append((arts, macs))
    if rng.random() < 0.12:  # the case was edited and the macros re-ranked
        plan.displays.append((arts, rng.sample(macs, len(macs))))


def _open_articles(rng: random.Random, plan: Plan, p: str) -> None:
    acts = plan.actions
    if plan.displays and rng.random() < 0.5:
        acts.append(("open", plan.displays[0][0][0], "suggestion"))
    if rng.random() < 0.1:
        acts.append(("open", rng.choice(_own_articles(p)), "search"))
    if rng.random() < 0.03:
        acts.append(("open", rng.choice(_own_articles(p)), "link"))


def _use_suggested_macros(rng: random.Random, plan: Plan, p: str) -> None:
    acts = plan.actions
    if plan.displays and rng.random() < 0.55:
        macro = rng.choice(plan.displays[-1][1])
        if rng.random() < 0.7:
            acts.append(("preview", macro, "suggestion"))
        acts.append(
            (
                "copy",
                macro,
                rng.choice([0.0, 0.05, 0.1, 0.25, 0.5, 0.8]),
                rng.choice([0, 0, 0, 1, 2]),
                "suggestion",
            )
        )
    if plan.displays and rng.random() < 0.1:  # looked at a macro and did not use it
        acts.append(("preview", rng.choice(plan.displays[-1][1]), rng.choice(["suggestion", "recent"])))
    if rng.random() < 0.03:  # macro 4 is looked at now and then, never used
        acts.append(("preview", f"macro-{p}-4", "favorite"))


def _search_and_copy(rng: random.Random, plan: Plan, p: str) -> None:
    acts = plan.actions
    own_macros = _own_macros(p)
    if rng.random() < 0.12:  # searched for a macro and copied it
        missing = [m for m in own_macros if m not in plan.shown_macros] or own_macros
        macro = rng.choice(missing if rng.random() < 0.8 else own_macros)
        query, count = rng.choice(FOUND)
        acts.append(("search", query, query, count))
        acts.append(("preview", macro, "search"))
        acts.append(("copy", macro, rng.choice([0.0, 0.2, 0.4]), rng.choice([0, 1]), "search"))
    if rng.random() < 0.05:
        acts.append(("copy", rng.choice([*own_macros, RETIRED]), 0.0, 0, rng.choice(["favorite", "recent"])))
    if rng.random() < 0.3:
        if rng.random() < 0.4:
            query, stored = rng.choice(NOT_FOUND)
            acts.append(("search", query, stored, 0))
        else:
            query, count = rng.choice(FOUND)
            acts.append(("search", query, query, count))


def _give_feedback(rng: random.Random, plan: Plan, p: str) -> None:
    acts = plan.actions
    if plan.displays and rng.random() < 0.1:
        acts.append(("feedback", plan.displays[0][0][0], False))
    if plan.displays and rng.random() < 0.08:
        acts.append(("feedback", rng.choice(plan.displays[0][0]), True))
    if plan.displays and rng.random() < 0.04:
        acts.append(("feedback", rng.choice(plan.displays[0][1]), rng.random() < 0.5))
    if rng.random() < (0.05 if plan.displays else 0.3):
        acts.append(("none_fit", *rng.choice(NONE_FIT)))


def _record(plans: list[Plan], db: Path) -> None:
    now = [0.0]
    with UsageRecorder(db, clock=lambda: now[0], retention_days=100_000) as rec:
        rec.kb_version = "kb-test"
        for plan in plans:
            now[0] = plan.start
            sid = rec.new_session()
            for arts, macs in plan.displays:
                for kind, ids in (("article", arts), ("macro", macs)):
                    for rank, item_id in enumerate(ids, 1):
                        rec.suggestion_shown(sid, item_id, kind, rank, 10.0 - rank, PRODUCT_OF[item_id])
            for n, act in enumerate(plan.actions, 1):
                now[0] = plan.start + 20 * n
                _replay(rec, sid, act)
        rec.flush(timeout=30)
        assert rec.dropped == 0


def _replay(rec: UsageRecorder, sid: str, act: tuple[Any, ...]) -> None:
    match act:
        case ("open", article, source):
            rec.article_opened(sid, article, source)
        case ("preview", macro, source):
            rec.macro_previewed(sid, macro, source)
        case ("copy", macro, ratio, unfilled, source):
            rec.macro_copied(sid, macro, ratio, unfilled, source)
        case ("search", query, _, count):
            rec.search(sid, query, count)
        case ("feedback", item_id, helpful):
            rec.feedback(sid, item_id, helpful)
        case ("none_fit", terms, _):
            rec.none_fit(sid, terms)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Plan], UsageStore]]:
    plans = _plan()
    db = tmp_path_factory.mktemp("history") / "usage.sqlite3"
    _record(plans, db)
    store = UsageStore(db)
    yield plans, store
    store.close()


# ------------------------------------------------------------------ expected figures, from the plan alone
def _acts(plans: list[Plan], kind: str) -> Iterator[tuple[Plan, tuple[Any, ...]]]:
    return ((p, a) for p in plans for a in p.actions if a[0] == kind)


def _expected_macros(plans: list[Plan], product: str | None) -> dict[str, tuple[Any, ...]]:
    ids = {m for p in plans for m in p.shown_macros}
    ids |= {a[1] for p, a in _acts(plans, "copy")} | {a[1] for p, a in _acts(plans, "preview")}
    ids |= {a[1] for p, a in _acts(plans, "feedback") if a[1].startswith("macro-")}
    out = {}
    for m in ids:
        if product is not None and PRODUCT_OF.get(m) != product:
            continue
        ranks = [r for p in plans if (r := p.best_rank(m)) is not None]
        copies = [(p, a) for p, a in _acts(plans, "copy") if a[1] == m]
        copied_in = [any(a[0] == "copy" and a[1] == m for a in p.actions) for p in plans]
        top3 = [c for p, c in zip(plans, copied_in, strict=True) if (r := p.best_rank(m)) is not None and r <= 3]
        top1 = [c for p, c in zip(plans, copied_in, strict=True) if p.best_rank(m) == 1]
        ratios = [a[2] for _, a in copies]
        votes = [a[2] for _, a in _acts(plans, "feedback") if a[1] == m]
        out[m] = (
            len(ranks),
            len(top3),
            len(top1),
            sum(1 for _, a in _acts(plans, "preview") if a[1] == m),
            len(copies),
            sum(top3) / len(top3) if top3 else None,
            sum(top1) / len(top1) if top1 else None,
            statistics.median(ratios) if ratios else None,
            sum(1 for _, a in copies if a[3] > 0) / len(copies) if copies else None,
            votes.count(True),
            votes.count(False),
            max(p.day for p, _ in copies) if copies else None,
        )
    return out


def _expected_articles(plans: list[Plan], product: str | None) -> dict[str, tuple[int, ...]]:
    ids = {a for p in plans for arts, _ in p.displays for a in arts}
    ids |= {a[1] for _, a in _acts(plans, "open")}
    ids |= {a[1] for _, a in _acts(plans, "feedback") if not a[1].startswith("macro-")}
    out = {}
    for art in ids:
        if product is not None and PRODUCT_OF.get(art) != product:
            continue
        opens = [a[2] for _, a in _acts(plans, "open") if a[1] == art]
        votes = [a[2] for _, a in _acts(plans, "feedback") if a[1] == art]
        shown = sum(1 for p in plans if any(art in arts for arts, _ in p.displays))
        out[art] = (shown, len(opens), opens.count("search"), votes.count(True), votes.count(False))
    return out


def _expected(plans: list[Plan], since: dt.date | None, until: dt.date | None, product: str | None) -> dict[str, Any]:
    period = [p for p in plans if (since is None or p.day >= since) and (until is None or p.day <= until)]
    cases = [p for p in period if product is None or p.product == product]
    used = {a[1] for _, a in _acts(period, "copy")} | {a[1] for _, a in _acts(period, "open")}
    missed: Counter[str] = Counter()
    for p, a in _acts(period, "copy"):
        in_filter = product is None or PRODUCT_OF.get(a[1]) == product
        if a[4] == "search" and p.displays and a[1] not in p.shown_macros and in_filter:
            missed[a[1]] += 1
    gaps: Counter[tuple[str, str]] = Counter()
    for p, a in _acts(cases, "search"):
        if a[3] == 0:
            gaps[(p.product or "", a[2])] += 1
    for p, a in _acts(cases, "none_fit"):
        gaps[(p.product or "", a[2])] += 1
    trend: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for p, a in _acts(period, "copy"):
        prod = PRODUCT_OF.get(a[1]) or p.product or "unknown"
        trend[(f"{p.day.isocalendar()[0]}-W{p.day.isocalendar()[1]:02d}", prod)][0] += 1
    for p, _ in _acts(period, "search"):
        trend[(f"{p.day.isocalendar()[0]}-W{p.day.isocalendar()[1]:02d}", p.product or "unknown")][1] += 1
    return {
        "sessions": len(cases),
        "events": sum(p.events() for p in cases),
        "macros": _expected_macros(period, product),
        "articles": _expected_articles(period, product),
        "unused": {i.id for i in ITEMS if i.id not in used and (product is None or i.product == product)},
        "missed": dict(missed),
        "gaps": dict(gaps),
        "trend": {k: tuple(v) for k, v in trend.items() if product is None or k[1] == product},
    }


def _actual(stats: Stats) -> dict[str, Any]:
    return {
        "sessions": stats.sessions,
        "events": stats.events,
        "macros": {
            m.id: (
                m.suggested,
                m.top3,
                m.top1,
                m.previewed,
                m.copied,
                m.copy_rate,
                m.top1_acceptance,
                m.median_edit_ratio,
                m.unfilled_share,
                m.helpful,
                m.not_helpful,
                m.last_used,
            )
            for m in stats.macros
        },
        "articles": {a.id: (a.suggested, a.opened, a.from_search, a.helpful, a.not_helpful) for a in stats.articles},
        "unused": {u.id for u in stats.unused},
        "missed": {m.id: m.copies for m in stats.missed},
        "gaps": {(g.product, g.terms): g.count for g in stats.gaps},
        "trend": {(t.week, t.product): (t.copies, t.searches) for t in stats.trend},
    }


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_rounded(v) for v in value)
    return round(value, 9) if isinstance(value, float) else value


SCENARIOS = [
    (None, None, None),
    (dt.date(2026, 2, 2), dt.date(2026, 3, 1), None),
    (None, None, "disputes"),
    (dt.date(2026, 1, 19), dt.date(2026, 2, 15), "payouts"),
    (dt.date(2026, 3, 29), dt.date(2026, 3, 29), "refunds"),
]


def test_history_is_big_and_interesting(history: tuple[list[Plan], UsageStore]) -> None:
    plans, store = history
    assert store.count() == sum(p.events() for p in plans) >= 3000
    everything = _expected(plans, None, None, None)
    assert len(everything["missed"]) >= 6 and len(everything["gaps"]) >= 8
    rates = [m[5] for m in everything["macros"].values() if m[5] is not None]
    assert any(0 < r < 1 for r in rates)
    assert any(m[1] != m[0] for m in everything["macros"].values())  # some shown only below rank 3
    assert RETIRED in everything["macros"]
    assert {f"macro-{p}-4" for p in PRODUCTS} <= everything["unused"]
    assert all(everything["macros"][f"macro-{p}-4"][3] > 0 for p in PRODUCTS)  # previewed, yet unused


@pytest.mark.parametrize(("since", "until", "product"), SCENARIOS)
def test_stats_match_the_plan(
    history: tuple[list[Plan], UsageStore], since: dt.date | None, until: dt.date | None, product: str | None
) -> None:
    plans, store = history
    stats = compute_stats(store, ITEMS, since, until, product, stale_after_days=365, today=TODAY)
    expected = _expected(plans, since, until, product)
    actual = _actual(stats)
    for key in expected:
        assert _rounded(actual[key]) == _rounded(expected[key]), key


def test_stale_articles_and_their_macros(history: tuple[list[Plan], UsageStore]) -> None:
    _, store = history
    stats = compute_stats(store, ITEMS, None, None, "refunds", stale_after_days=365, today=TODAY)
    # reviewed 2024-06-01 (669 days) and 2025-03-31 (366 days) are stale; 2025-04-01 (365 days) is not
    assert [(s.id, s.days_since_review, s.macros) for s in stats.stale] == [
        ("refunds-article-3", 669, ("macro-refunds-0", "macro-refunds-3")),
        ("refunds-article-2", 366, ("macro-refunds-2",)),
    ]
    opened = sum(1 for p in history[0] for a in p.actions if a[0] == "open" and a[1] == "refunds-article-3")
    assert stats.stale[0].opened == opened
    everything = compute_stats(store, ITEMS, None, None, None, stale_after_days=365, today=TODAY)
    assert len(everything.stale) == 6


def test_unknown_items_and_filters(history: tuple[list[Plan], UsageStore]) -> None:
    _, store = history
    stats = compute_stats(store, ITEMS, None, None, None, today=TODAY)
    retired = next(m for m in stats.macros if m.id == RETIRED)
    assert retired.product == "" and retired.suggested == 0 and retired.copied > 0
    filtered = compute_stats(store, ITEMS, None, None, "refunds", today=TODAY)
    assert all(m.product == "refunds" for m in filtered.macros)
    assert RETIRED not in {m.id for m in filtered.macros}
    assert {t.product for t in filtered.trend} == {"refunds"}


def test_json_is_plain(history: tuple[list[Plan], UsageStore]) -> None:
    _, store = history
    data = compute_stats(store, ITEMS, dt.date(2026, 2, 1), None, None, today=TODAY).to_json()
    again = json.loads(json.dumps(data))
    assert again == data
    assert {"macros", "gaps", "stale", "unused", "missed", "articles", "trend"} <= set(data)
    assert data["since"] == "2026-02-01" and data["until"] is None
    macro = data["macros"][0]
    assert {"id", "suggested", "copied", "copy_rate", "median_edit_ratio", "last_used"} <= set(macro)
    assert isinstance(macro["last_used"], str)


def test_stats_are_quick(history: tuple[list[Plan], UsageStore]) -> None:
    _, store = history
    started = time.perf_counter()
    compute_stats(store, ITEMS, None, None, None, today=TODAY)
    assert time.perf_counter() - started < 2.0
