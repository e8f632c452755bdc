"""Several macros in one reply: one greeting, the bodies in order, one closing, each placeholder filled once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import BUNDLED_KB, macro
from kbassist.content.compose import cut, join
from kbassist.content.lint import lint_folder
from kbassist.content.loader import load_kb
from kbassist.content.placeholders import fill
from kbassist.search.engine import SearchEngine
from kbassist.search.replies import UnknownMacrosError

REFUND = "macro-refunds-refund-issued-timeline"
DISPUTE = "macro-disputes-dispute-received-next-steps"
CASE = """Subject: a refund and a chargeback

Hi, this is Daniel Kim. A customer disputed a payment (dp_1OkF2aLkdIwHu7ix0Qm3Zt9X) for $212.40, and another
asks where her refund re_3PqAbCdEfGh12345 is; it was issued on Feb 25 to her card ending 4242.
The dispute says respond by March 3, 2026.
"""
TODAY = dt.date(2026, 2, 27)


def test_every_bundled_macro_has_a_greeting_and_a_closing_and_alone_is_unchanged() -> None:
    content = load_kb(BUNDLED_KB)
    assert len(content.macros) == 106
    for item in content.macros:
        pieces = cut(item.body, item.greeting, item.closing)
        assert "{{customer_name" in pieces.greeting and "{{agent_name}}" in pieces.closing, item.id
        assert join([pieces]) == item.body.strip(), item.id


def test_two_macros_make_one_reply(bundled_engine: SearchEngine) -> None:
    reply = bundled_engine.compose([REFUND, DISPUTE], CASE, {"agent_name": "Robin"}, today=TODAY)
    text = reply.text
    assert reply.ids == (REFUND, DISPUTE) and reply.lang == "en"
    assert text.startswith("Hi Daniel Kim,\n\n") and text.count("Hi ") == 1
    assert text.endswith("Best regards,\nRobin") and text.count("Best regards") == 1
    assert text.index("refund re_3PqAbCdEfGh12345") < text.index("dispute dp_1OkF2aLkdIwHu7ix0Qm3Zt9X")
    assert "was issued on February 25, 2026" in text and "The deadline to respond is March 3, 2026." in text
    assert text.count("$212.40") == 2  # a placeholder both parts use, filled once from the case
    names = [f.name for f in reply.fields]
    assert names.count("amount") == 1 and names.count("customer_name") == 1
    reordered = bundled_engine.compose([DISPUTE, REFUND], CASE, {"agent_name": "Robin"}, today=TODAY)
    assert reordered.text.index("dispute dp_") < reordered.text.index("refund re_")
    assert reordered.text.startswith("Hi Daniel Kim,") and reordered.text.count("Best regards") == 1


def test_a_german_reply_of_two_parts_starts_each_part_as_a_sentence(bundled_engine: SearchEngine) -> None:
    """German letters go on in lower case after the greeting; the second part does not follow the greeting."""
    reply = bundled_engine.compose([REFUND, DISPUTE], CASE, {"agent_name": "Robin"}, lang="de", today=TODAY)
    first, second = (cut(bundled_engine.get(i).text("de").body).body for i in (REFUND, DISPUTE))
    assert first[0].islower() and second[0].islower()  # as written, each right after its own greeting
    blocks = reply.text.split("\n\n")
    assert blocks[0].startswith("Guten Tag Daniel Kim") and blocks[1][0].islower()
    second_start = next(b for b in blocks if b.lower().startswith(second[:20].lower()))
    assert second_start[0].isupper() and second_start[1:20] == second[1:20]


def test_a_field_typed_once_fills_every_part(bundled_engine: SearchEngine) -> None:
    reply = bundled_engine.compose([REFUND, DISPUTE], "", {"agent_name": "Robin"}, today=TODAY)
    assert "amount" in reply.unfilled and reply.text.count("{{amount}}") == 2
    typed = reply.refill({"amount": "$99.00", "date": "2026-02-02", "deadline_date": ""})
    assert typed.text.count("$99.00") == 2 and "amount" not in typed.unfilled
    assert "on February 2, 2026" in typed.text and "deadline_date" in typed.unfilled
    assert {f.name: f.value for f in typed.fields}["amount"] == "$99.00"


def test_unknown_ids_are_all_named(bundled_engine: SearchEngine) -> None:
    with pytest.raises(UnknownMacrosError) as refused:
        bundled_engine.compose([REFUND, "no-such-macro", "refunds-refund-timeline"], CASE)
    assert refused.value.ids == ("no-such-macro", "refunds-refund-timeline")


def test_the_fields_say_what_the_case_offers(bundled_engine: SearchEngine) -> None:
    case = CASE + "\nShe also wrote on Feb 27 and her other card is •••• 1881.\n"
    reply = bundled_engine.compose([REFUND, "macro-payments-pending-hold-not-charged-twice"], case, today=TODAY)
    fields = {f.name: f for f in reply.fields}
    assert fields["refund_id"].hint == "e.g. re_…"
    assert fields["date"].value == ""  # two dates besides the deadline: none is chosen for the associate
    assert [c.value for c in fields["date"].candidates] == ["2026-02-25", "2026-03-03", "2026-02-27"]
    assert "February 25, 2026 (“Feb 25” in the case)" in [c.label for c in fields["date"].candidates]
    assert [c.value for c in fields["last4"].candidates] == ["4242", "1881"]
    assert "date" in reply.unfilled and "last4" in reply.unfilled


def test_a_macro_without_greeting_or_closing_says_so_or_is_reported(mini_kb: Path) -> None:
    macro(mini_kb, "refunds", "note", "Internal note", "Refund {{refund_id}} is sent.", "[refunds-refund-timeline]")
    flagged = mini_kb / "macros" / "refunds" / "flagged.md"
    flagged.write_text(
        "---\nid: macro-refunds-flagged\ntitle: A paragraph to add\nproduct: refunds\ntags: [refund]\n"
        "articles: [refunds-refund-timeline]\ngreeting: false\nclosing: false\n---\nThe fee is not returned.\n"
    )
    content, problems = lint_folder(mini_kb)
    reasons = [p.reason for p in problems if p.rel_path.endswith("note.md")]
    assert any(r.startswith("no greeting") for r in reasons) and any(r.startswith("no closing") for r in reasons)
    assert not [p for p in problems if p.rel_path.endswith("flagged.md")]
    first, added = content.items["macro-refunds-refund-issued"], content.items["macro-refunds-flagged"]
    template = join([cut(first.body), cut(added.body, False, False)])
    filled = fill(template, {"customer_name": "Ana", "agent_name": "Robin"}).text
    assert filled.startswith("Hi Ana,") and filled.endswith("The fee is not returned.\n\nBest regards,\nRobin")
