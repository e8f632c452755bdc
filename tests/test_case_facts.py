"""What a case gives a reply besides IDs and amounts: the card's last four digits, its dates and deadline,
and the secrets the associate must act on (masked, never stored)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from kbassist.search.case import analyse_case
from kbassist.search.engine import SearchEngine
from kbassist.usage import UsageRecorder

TODAY = dt.date(2026, 2, 20)
SECRET_KEY = "sk_live_51HxQ2eZvKYlo2C0aB9cD8eF7gH6iJ5kL4mN3oP2qR1sT0f3a9"
RESTRICTED_KEY = "rk_live_51HxQ2eZvKYlo2C9zY8xW7vU6tS5rQ4pO3nM2lK1b7c2"
WEBHOOK_SECRET = "whsec_Xq7Vb2Lm9Nc4Rt8Kp1Zs6Wd3Fg5Hj0Ab"
CARD = "4000 0566 5566 5556"  # Luhn-valid test card


@pytest.mark.parametrize(
    "text",
    [
        "the charge on my card ending in 4242",
        "Visa ending 4242 was charged twice",
        "card ending: 4242",
        "last 4: 4242",
        "last four digits are 4242",
        "•••• 4242",
        "**** **** **** 4242",
        "XXXX-XXXX-XXXX-4242",
        "meine Karte endet auf 4242",
        "ma carte se terminant par 4242",
        "mi tarjeta terminada en 4242",
        "my card 4242 4242 4242 4242 was charged",
    ],
)
def test_the_last_four_digits_fill_last4(text: str) -> None:
    entities = analyse_case(text, today=TODAY).entities
    assert entities.last4s == ["4242"]
    assert entities.placeholder_values()["last4"] == "4242"


def test_only_the_last_four_digits_of_a_full_card_number_leave_the_case() -> None:
    case = analyse_case(f"Hi, I was charged twice on {CARD}, expiry 12/29.", today=TODAY)
    assert case.entities.last4s == ["5556"]
    dumped = json.dumps(case.entities.to_json())
    assert "0566" not in dumped and "4000" not in dumped
    assert not any("0566" in t.stem for t in case.terms)


def test_no_last4_from_numbers_that_are_not_cards() -> None:
    for text in ("fiscal year ending 2025", "order 4000056655665557", "ending in 42", "last 4 weeks"):
        assert analyse_case(text, today=TODAY).entities.last4s == [], text
    two = analyse_case("cards ending in 4242 and ending in 1881", today=TODAY).entities
    assert two.last4s == ["4242", "1881"] and "last4" not in two.placeholder_values()  # which one? the associate says


def test_one_date_fills_date_and_a_deadline_fills_deadline_date() -> None:
    values = analyse_case("The refund was issued on Feb 12 and nothing arrived.", today=TODAY).entities
    assert values.placeholder_values()["date"] == "2026-02-12"
    dispute = analyse_case(
        "We were charged on 2026-01-30. The dispute says: respond by March 3, 2026.", today=TODAY
    ).entities.placeholder_values()
    assert dispute["deadline_date"] == "2026-03-03" and dispute["date"] == "2026-01-30"
    german = analyse_case(
        "Wir haben eine Rückbuchung erhalten und müssen bis zum 3. März 2026 antworten.", today=TODAY
    ).entities.placeholder_values()
    assert german["deadline_date"] == "2026-03-03" and "date" not in german


def test_a_pasted_dispute_gives_its_due_by() -> None:
    case = analyse_case('{"object": "dispute", "evidence_details": {"due_by": 1772582400}}', today=TODAY)
    assert case.entities.placeholder_values()["deadline_date"] == "2026-03-04"


def test_several_or_ambiguous_dates_are_offered_not_chosen() -> None:
    several = analyse_case("Charged on Feb 2 and again on Feb 9.", today=TODAY).entities
    assert [d.iso for d in several.dates] == ["2026-02-02", "2026-02-09"]
    assert "date" not in several.placeholder_values()
    ambiguous = analyse_case("I was charged on 03/04/2026 for no reason at all.", today=TODAY).entities
    assert ambiguous.dates[0].ambiguous and "date" not in ambiguous.placeholder_values()
    once_twice = analyse_case("Charged on Feb 2. Yes, Feb 2!", today=TODAY).entities
    assert once_twice.placeholder_values()["date"] == "2026-02-02"


def test_live_keys_and_card_numbers_are_warned_about_masked() -> None:
    case = analyse_case(
        f"Our key {SECRET_KEY} and {RESTRICTED_KEY}, webhook secret {WEBHOOK_SECRET}, test key sk_test_abcdefgh123, "
        f"and the customer's card {CARD}.",
        today=TODAY,
    )
    warned = {w.kind: w for w in case.warnings}
    assert set(warned) == {"secret_key", "restricted_key", "webhook_secret", "card_number"}
    assert warned["secret_key"].masked == "sk_live_…f3a9"
    assert warned["restricted_key"].masked == "rk_live_…b7c2"
    assert warned["card_number"].masked == "•••• 5556"
    assert "roll" in warned["secret_key"].advice.lower() and "Dashboard" in warned["secret_key"].advice
    assert "last four digits" in warned["card_number"].advice
    assert analyse_case("just sk_test_abcdefgh123 here", today=TODAY).warnings == []


def test_suggest_json_names_the_warnings_and_nothing_of_the_secret(bundled_engine: SearchEngine) -> None:
    result = bundled_engine.suggest(f"My API key {SECRET_KEY} stopped working, card {CARD} declined")
    dumped = json.dumps(result.to_json())
    assert [w["masked"] for w in result.to_json()["case"]["warnings"]] == ["sk_live_…f3a9", "•••• 5556"]
    for secret in (SECRET_KEY[8:], CARD, CARD.replace(" ", ""), "5566 5566"):
        assert secret not in dumped


def test_nothing_of_a_secret_is_stored(bundled_engine: SearchEngine, tmp_path: Path) -> None:
    """What the window records for such a case (shown suggestions, a search, "none fit" with its key terms)
    holds none of the key or card number."""
    case_text = f"Refund failed. Key {SECRET_KEY} / {RESTRICTED_KEY} / {WEBHOOK_SECRET}, card {CARD}."
    result = bundled_engine.suggest(case_text)
    db = tmp_path / "usage.sqlite3"
    with UsageRecorder(db) as recorder:
        session = recorder.new_session()
        for rank, item in enumerate(result.articles, 1):
            recorder.suggestion_shown(session, item.id, "article", rank, item.score)
        recorder.search(session, f"refund {SECRET_KEY} {CARD}", 0)
        recorder.none_fit(session, [k.surface for k in result.key_terms] + [SECRET_KEY, CARD, WEBHOOK_SECRET])
        recorder.flush()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in (SECRET_KEY, SECRET_KEY[-12:], RESTRICTED_KEY[-12:], WEBHOOK_SECRET[-12:], "5566 5556", "4000 0566"):
        assert secret.encode() not in stored, secret
