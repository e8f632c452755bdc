"""Content gaps from what associates really type and mark: one row per need, however it was worded, and no
row for what has nothing left to act on once names, cards and IDs are out.

Recorded through the real recorder (its redaction included) into a real usage file; the rows expected are
written out by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kbassist.usage import UsageRecorder, UsageStore, compute_stats, redact_names, write_text
from kbassist.usage.stats.gap_terms import about, key

MONDAY = dt.date(2026, 3, 2)


def _at(day: dt.date, hour: int = 10) -> float:
    return dt.datetime.combine(day, dt.time(hour)).timestamp()


def _record(db: Path) -> None:
    now = [_at(MONDAY)]
    with UsageRecorder(db, clock=lambda: now[0], retention_days=100_000) as rec:

        def case(product: str | None, day: dt.date) -> str:
            now[0] = _at(day)
            session = rec.new_session()
            if product:
                rec.suggestion_shown(session, f"{product}-article", "article", 1, 5.0, product)
            return session

        payouts = case("payouts", MONDAY)
        rec.search(payouts, "crypto payouts", 0)
        rec.search(payouts, "Payouts  CRYPTO", 0)
        rec.search(payouts, "payout crypto?", 0)
        rec.search(payouts, "payout schedule", 4)  # found something: no gap
        rec.none_fit(payouts, ["crypto", "payouts", "wallet", "bank account", "possible", "instead"])
        later = case("payouts", MONDAY + dt.timedelta(days=3))
        rec.none_fit(later, ["payouts", "crypto", "wallet", "delayed"])
        rec.search(later, "crypto payouts", 0)

        refunds = case("refunds", MONDAY + dt.timedelta(days=1))
        rec.search(refunds, "refund to card 4242 4242 4242 4242", 0)
        rec.search(refunds, "Refunds to card", 0)
        rec.search(refunds, "crypto payouts", 0)  # the same words in another product's case: another row
        rec.search(refunds, "3DS failing", 0)
        rec.search(refunds, "3ds fails", 0)
        rec.search(refunds, redact_names("refund for Daniel Kim", ["Daniel Kim"]), 0)

        # Nothing to act on: an ID, a card, an email, a phone, an amount, a name, pleas for help, an order
        # number, a pasted case.
        noise = case("disputes", MONDAY + dt.timedelta(days=2))
        for query in (
            "ch_3PqRsT2eZvKYlo2C1a2b3c4d",
            "4242 4242 4242 4242",
            "jane.doe@example.com",
            "+44 20 7946 0958",
            "49.99",
            redact_names("Daniel Kim", ["Daniel Kim"]),
            "please help!! urgent",
            "order 12345",
            "ticket #ord88127",
            "Hi, my customer was charged twice and the refund never arrived, can you please tell me why asap",
        ):
            rec.search(noise, query, 0)
        rec.none_fit(noise, ["please", "thanks", "hello"])
        rec.none_fit(noise, ["po_1NvXq2LkdIwHu7ixq8pVbR4s", "12345"])
        rec.search("", "", 0)  # an empty query is no search at all
        rec.flush(timeout=30)
        assert rec.dropped == 0


def test_gaps_group_by_product_and_words_and_hide_the_noise(tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite3"
    _record(db)
    with UsageStore(db) as store:
        stats = compute_stats(store, [], MONDAY, MONDAY + dt.timedelta(days=6), today=MONDAY)
    rows = {(g.product, g.terms): (g.count, g.searches, g.none_fit, g.last_seen) for g in stats.gaps}
    expected = {
        ("payouts", "crypto, payouts"): (4, 4, 0, MONDAY + dt.timedelta(days=3)),
        ("payouts", "crypto, payouts, wallet"): (2, 0, 2, MONDAY + dt.timedelta(days=3)),
        ("refunds", "card, refund"): (2, 2, 0, MONDAY + dt.timedelta(days=1)),
        ("refunds", "3ds, fails"): (2, 2, 0, MONDAY + dt.timedelta(days=1)),
        ("refunds", "crypto, payouts"): (1, 1, 0, MONDAY + dt.timedelta(days=1)),
        ("refunds", "refund"): (1, 1, 0, MONDAY + dt.timedelta(days=1)),
    }
    assert rows == expected
    assert stats.gaps_hidden == 12  # ten searches and two marks
    assert [g.count for g in stats.gaps] == sorted((g.count for g in stats.gaps), reverse=True)
    crypto = next(g for g in stats.gaps if (g.product, g.terms) == ("payouts", "crypto, payouts"))
    assert crypto.examples == ("crypto payouts", "Payouts CRYPTO", "payout crypto?")  # most frequent first
    card = next(g for g in stats.gaps if g.terms == "card, refund")
    assert card.examples == ("Refunds to card", "refund to card [card]")
    assert next(g for g in stats.gaps if g.terms == "refund").examples == ("refund for [name]",)
    marks = next(g for g in stats.gaps if g.terms == "crypto, payouts, wallet")
    assert marks.examples[0].startswith("crypto, payouts, wallet, bank account")  # the mark's strongest terms

    text = []
    write_text(stats, _Lines(text))
    report = "".join(text)
    assert "12 more with nothing to act on" in report
    for secret in ("4242", "Daniel", "Kim", "jane", "7946", "3PqRsT"):
        assert secret not in report


def test_the_product_filter_keeps_that_products_cases(tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite3"
    _record(db)
    with UsageStore(db) as store:
        stats = compute_stats(store, [], None, None, "refunds", today=MONDAY)
    assert {g.terms for g in stats.gaps} == {"card, refund", "3ds, fails", "crypto, payouts", "refund"}
    assert {g.product for g in stats.gaps} == {"refunds"} and stats.gaps_hidden == 0


class _Lines:
    def __init__(self, into: list[str]) -> None:
        self.into = into

    def write(self, text: str) -> int:
        self.into.append(text)
        return len(text)


def test_what_a_mark_is_about() -> None:
    """A search's words; a case's strongest three words, a phrase taken whole; spelling and order aside."""
    assert key(about("search", ["Crypto payouts"])) == key(about("search", ["payout crypto"])) == ("crypto", "payout")
    assert [w.surface for w in about("none_fit", ["refund", "bank account", "delayed", "card"])] == [
        "refund",
        "bank",
        "account",
    ]
    assert about("search", ["[pasted text]"]) == []
    assert [w.surface for w in about("search", ["error 402 on in_… for order 991827"])] == ["error", "402"]
    assert about("none_fit", []) == [] and about("search", []) == []
    assert [w.surface for w in about("search", ["refund charged on 3 Mar, since Monday"])] == ["refund", "charged"]
