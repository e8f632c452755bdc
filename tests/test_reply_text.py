"""A reply's words: amounts and dates in the reply's language, dates read from what people write, date
arithmetic in placeholders, field hints, and the plain-text copy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kbassist.content.dates import business_days_after, cldr_month_numbers, find_dates, month_numbers, parse_date
from kbassist.content.locale_format import format_amount, format_date, is_language
from kbassist.content.placeholders import field_hint, fill, placeholder_names
from kbassist.content.render import link_markdown, reply_html, reply_plain
from kbassist.content.stripe import ID_KINDS, id_hint

TODAY = dt.date(2026, 2, 20)  # a Friday
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("value", "currency", "lang", "written"),
    [
        ("1250", "EUR", "en", "€1,250.00"),  # English as replies always wrote it
        ("1250", "USD", "en", "$1,250.00"),
        ("1250", "JPY", "en", "¥1,250"),
        ("1250", "CHF", "en", "1,250.00 CHF"),
        ("1250", "EUR", "de", f"1.250,00{NBSP}€"),
        ("1250", "EUR", "fr", f"1{NNBSP}250,00{NBSP}€"),
        ("1250", "EUR", "es", f"1.250,00{NBSP}€"),
        ("212.4", "USD", "de", f"212,40{NBSP}$"),
    ],
)
def test_amounts_are_written_as_the_language_writes_them(value: str, currency: str, lang: str, written: str) -> None:
    assert format_amount(Decimal(value), currency, lang) == written


def test_long_dates_in_each_language() -> None:
    day = dt.date(2026, 12, 8)
    assert [format_date(day, lang) for lang in ("en", "de", "fr", "es")] == [
        "December 8, 2026",
        "8. Dezember 2026",
        "8 décembre 2026",
        "8 de diciembre de 2026",
    ]


def test_language_codes() -> None:
    assert all(is_language(code) for code in ("de", "fr", "es", "pt", "ja"))
    assert not any(is_language(code) for code in ("xx", "qq", "DE", "deu", "d1", ""))


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("charged on Feb 25", "2026-02-25"),
        ("on 25 Feb", "2026-02-25"),
        ("February 25th, 2026", "2026-02-25"),
        ("the 25th of February", "2026-02-25"),
        ("2026-02-25T10:14:00Z", "2026-02-25"),
        ("02/25/2026", "2026-02-25"),
        ("25/02/2026", "2026-02-25"),
        ("25.02.2026", "2026-02-25"),
        ("am 25. Februar 2026", "2026-02-25"),
        ("le 25 février", "2026-02-25"),
        ("le 3 févr. 2026", "2026-02-03"),
        ("le 1er mars", "2026-03-01"),
        ("el 25 de febrero de 2026", "2026-02-25"),
        ("Dec 30", "2025-12-30"),  # no year: the latest such day at most two months ahead
        ("April 10", "2026-04-10"),
    ],
)
def test_dates_as_people_write_them(text: str, iso: str) -> None:
    found = find_dates(text, TODAY)
    assert [m.iso for m in found] == [iso]
    assert not found[0].ambiguous


@pytest.mark.parametrize(
    "text",
    ["3 days ago", "version 2.10.12", "order 12/34/5678", "in 2026", "the 31st of February", "ticket 4.5.1999", "mar"],
)
def test_numbers_that_are_not_dates(text: str) -> None:
    assert find_dates(text, TODAY) == []


def test_the_month_names_read_are_cldrs() -> None:
    """The table dates are read with is CLDR's month names as Babel gives them, written out so that a fresh
    process does not read four languages' locale data for its first case."""
    assert month_numbers() == cldr_month_numbers()


def test_a_numeric_date_that_reads_two_ways_is_marked() -> None:
    (us,) = find_dates("03/04/2026", TODAY)
    (eu,) = find_dates("03/04/2026", TODAY, month_first=False)
    assert (us.iso, eu.iso) == ("2026-03-04", "2026-04-03") and us.ambiguous and eu.ambiguous
    assert find_dates("03.04.2026", TODAY)[0].iso == "2026-04-03"  # dots are always day first


def test_a_typed_date_is_read_only_when_it_is_nothing_but_a_date() -> None:
    assert parse_date("March 3, 2026", TODAY) == dt.date(2026, 3, 3)
    assert parse_date("3. März 2026", TODAY) == dt.date(2026, 3, 3)
    assert parse_date(" 2026-03-03 ", TODAY) == dt.date(2026, 3, 3)
    assert parse_date("the date on the dispute", TODAY) is None
    assert parse_date("March 3 or 4", TODAY) is None


def test_business_days_skip_weekends() -> None:
    assert business_days_after(TODAY, 1) == dt.date(2026, 2, 23)  # Friday -> Monday
    assert business_days_after(TODAY, 5) == dt.date(2026, 2, 27)
    assert business_days_after(dt.date(2026, 2, 23), -1) == dt.date(2026, 2, 20)
    assert business_days_after(dt.date(2026, 2, 21), 0) == dt.date(2026, 2, 21)


def test_date_placeholders_count_from_today_or_from_a_date() -> None:
    template = (
        "Respond by {{deadline_date}}; send us your files by {{deadline_date-2bd}}. "
        "We answer by {{today+5bd}}; the hold ends {{date+30d|in a month}}; reminder {{today+2w}}."
    )
    english = fill(template, {"deadline_date": "2026-03-03"}, "en", TODAY)
    assert english.text == (
        "Respond by March 3, 2026; send us your files by February 27, 2026. "
        "We answer by February 27, 2026; the hold ends in a month; reminder March 6, 2026."
    )
    assert english.unfilled == ()
    german = fill(template, {"deadline_date": "2026-03-03", "date": "2026-02-02"}, "de", TODAY)
    assert "3. März 2026" in german.text and "4. März 2026" in german.text
    assert german.filled["deadline_date-2bd"] == "27. Februar 2026"


def test_a_count_from_a_missing_date_waits_for_that_date() -> None:
    result = fill("Send by {{deadline_date-2bd}}.", {}, "en", TODAY)
    assert result.text == "Send by {{deadline_date-2bd}}."
    assert result.unfilled == ("deadline_date",)
    assert placeholder_names("{{deadline_date-2bd}} {{ today + 3d }}") == ["deadline_date", "today"]
    typed = fill("Send by {{deadline_date-2bd}}.", {"deadline_date": "March 3, 2026"}, "en", TODAY)
    assert typed.text == "Send by February 27, 2026."


def test_a_typed_date_stays_as_typed_and_an_iso_date_is_written_out() -> None:
    assert fill("on {{date}}", {"date": "next Tuesday"}, "de", TODAY).text == "on next Tuesday"
    assert fill("on {{date}}", {"date": "Feb 3"}, "en", TODAY).text == "on Feb 3"
    assert fill("on {{date}}", {"date": "2026-02-03"}, "fr", TODAY).text == "on 3 février 2026"
    assert fill("id {{refund_id}}", {"refund_id": "2026-02-03"}, "fr", TODAY).text == "id 2026-02-03"


def test_id_hints_use_the_usual_prefix_of_each_object() -> None:
    assert id_hint("refund_id") == "re_…"  # not the bank-debit refund's pyr_
    assert id_hint("charge_id") == "ch_…"  # not py_
    assert field_hint("refund_id") == "e.g. re_…"
    for kind in ID_KINDS:
        assert id_hint(kind.placeholder) is not None
    assert field_hint("amount", "de") == f"e.g. 120,00{NBSP}€"
    assert field_hint("deadline_date", "fr", TODAY) == "e.g. 27 février 2026"


def test_plain_text_copies_keep_no_markdown() -> None:
    text = "Create a refund with an `amount` of **2000** (``code with a ` tick``); see [Refunds](https://x.test/r)."
    assert reply_plain(text) == (
        "Create a refund with an amount of 2000 (code with a ` tick); see Refunds (https://x.test/r).\n"
    )
    assert "<code>amount</code>" in reply_html(text)


def test_an_article_link_survives_both_copies() -> None:
    link = link_markdown("Refunds [guide]", "https://docs.example.com/refund timeline(1)")
    assert reply_plain(link) == "Refunds (guide) (https://docs.example.com/refund%20timeline%281%29)\n"
    assert '<a href="https://docs.example.com/refund%20timeline%281%29">Refunds (guide)</a>' in reply_html(link)
