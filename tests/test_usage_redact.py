"""Redaction of the few words usage tracking keeps: every PII sample goes, every look-alike stays.

Each PII sentence holds no digits other than the sample's, so "no digit left" proves the whole value went,
not just part of it. Checksums of the samples are verified here independently of the code under test.
"""

from __future__ import annotations

import re

import pytest

from kbassist.usage import redact

# (sentence, the sensitive value in it, the token it must become)
PII: list[tuple[str, str, str]] = [
    # cards: Visa, Mastercard (incl. 2-series), Amex, Discover, Diners, JCB, UnionPay, Maestro; 12-19 digits
    ("my card is 4242 4242 4242 4242 and it keeps failing", "4242 4242 4242 4242", "[card]"),
    ("tried 4000-0566-5566-5556 twice today", "4000-0566-5566-5556", "[card]"),
    ("customer paid with 5555555555554444 yesterday", "5555555555554444", "[card]"),
    ("debit card 5200 8282 8282 8210 was declined", "5200 8282 8282 8210", "[card]"),
    ("the new card 2223 0031 2200 3222 works", "2223 0031 2200 3222", "[card]"),
    ("amex 3782 822463 10005 shows as expired", "3782 822463 10005", "[card]"),
    ("Amex card 371449635398431, please check", "371449635398431", "[card]"),
    ("Discover 6011 1111 1111 1117 got flagged", "6011 1111 1111 1117", "[card]"),
    ("card no. 6011-0009-9013-9424 refused", "6011-0009-9013-9424", "[card]"),
    ("Diners Club 3056 9309 0259 04 was charged twice", "3056 9309 0259 04", "[card]"),
    ("JCB 3566 0020 2036 0505 from a Tokyo shopper", "3566 0020 2036 0505", "[card]"),
    ("UnionPay 6205500000000000004 is not supported?", "6205500000000000004", "[card]"),
    ("maestro 6759 6498 2643 8453 003 was refused", "6759 6498 2643 8453 003", "[card]"),
    ("short maestro 5018 0000 0009 on file", "5018 0000 0009", "[card]"),
    ("card:4111111111111111 (expiry next year)", "4111111111111111", "[card]"),
    ("secure card 4000 0025 0000 3155 asks for a code", "4000 0025 0000 3155", "[card]"),
    # emails
    ("write to jane.doe@example.com about it", "jane.doe@example.com", "[email]"),
    ("billing contact: j.smith+billing@shop.co.uk", "j.smith+billing@shop.co.uk", "[email]"),
    ("CC ACCOUNTS-PAYABLE@NORTHWIND.ORG on the reply", "ACCOUNTS-PAYABLE@NORTHWIND.ORG", "[email]"),
    ("from first_last@mail.example-shop.io, urgent", "first_last@mail.example-shop.io", "[email]"),
    # phones in several countries' formats
    ("call me at +1 (415) 555-2671 after lunch", "+1 (415) 555-2671", "[phone]"),
    ("our office line is (212) 555-0199", "(212) 555-0199", "[phone]"),
    ("reach the owner on 415.555.0123 today", "415.555.0123", "[phone]"),
    ("US number 646-555-0147 is the best", "646-555-0147", "[phone]"),
    ("London office +44 20 7946 0958", "+44 20 7946 0958", "[phone]"),
    ("ring 020 7946 0958 during the week", "020 7946 0958", "[phone]"),
    ("my mobile 07700 900123 works", "07700 900123", "[phone]"),
    ("Berlin +49 30 901820 ext desk", "+49 30 901820", "[phone]"),
    ("Munich office +49 (0)89 1234567", "+49 (0)89 1234567", "[phone]"),
    ("Paris +33 1 42 68 53 00 answers in French", "+33 1 42 68 53 00", "[phone]"),
    ("portable 06 12 34 56 78 le soir", "06 12 34 56 78", "[phone]"),
    ("Amsterdam +31 20 123 4567", "+31 20 123 4567", "[phone]"),
    ("Sydney office +61 2 9374 4000", "+61 2 9374 4000", "[phone]"),
    ("Aussie mobile 0412 345 678 any time", "0412 345 678", "[phone]"),
    ("Mumbai +91 98765 43210 in the evening", "+91 98765 43210", "[phone]"),
    ("Tokyo +81 3-1234-5678 is our support desk", "+81 3-1234-5678", "[phone]"),
    ("São Paulo +55 11 91234-5678 whatsapp", "+55 11 91234-5678", "[phone]"),
    ("tel: 612 345 678 (Madrid)", "612 345 678", "[phone]"),
    ("Dublin +353 1 234 5678", "+353 1 234 5678", "[phone]"),
    # IBANs from several countries, grouped and compact, upper and lower case
    ("please refund to DE89 3704 0044 0532 0130 00 instead", "DE89 3704 0044 0532 0130 00", "[iban]"),
    ("IBAN GB82 WEST 1234 5698 7654 32 belongs to us", "GB82 WEST 1234 5698 7654 32", "[iban]"),
    ("compte FR14 2004 1010 0505 0001 3M02 606 svp", "FR14 2004 1010 0505 0001 3M02 606", "[iban]"),
    ("NL91ABNA0417164300 is the new account", "NL91ABNA0417164300", "[iban]"),
    ("cuenta ES91 2100 0418 4502 0005 1332 gracias", "ES91 2100 0418 4502 0005 1332", "[iban]"),
    ("conto IT60 X054 2811 1010 0000 0123 456", "IT60 X054 2811 1010 0000 0123 456", "[iban]"),
    ("Belgian account BE68 5390 0754 7034", "BE68 5390 0754 7034", "[iban]"),
    ("Swiss CH93 0076 2011 6238 5295 7 please", "CH93 0076 2011 6238 5295 7", "[iban]"),
    ("konto pl61 1090 1014 0000 0712 1981 2874 dzieki", "pl61 1090 1014 0000 0712 1981 2874", "[iban]"),
    ("Norway NO93 8601 1117 947 for payouts", "NO93 8601 1117 947", "[iban]"),
    # secret and restricted keys, webhook secrets
    ("my key sk_live_51HqLyjWDarjtT1zdp7dc0abcdef is it leaked?", "sk_live_51HqLyjWDarjtT1zdp7dc0abcdef", "[secret]"),
    ("test key sk_test_4eC39HqLyjWDarjtT1zdp7dc fails", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "[secret]"),
    ("restricted rk_live_51HqLyjWDarjtT1zdp7dcQ9x", "rk_live_51HqLyjWDarjtT1zdp7dcQ9x", "[secret]"),
    ("rk_test_abcDEF1234567890 in staging", "rk_test_abcDEF1234567890", "[secret]"),
    ("signing secret whsec_9f8e7d6c5b4a3210abcdef mismatch", "whsec_9f8e7d6c5b4a3210abcdef", "[secret]"),
    # Stripe object IDs: cut to their prefix
    ("charge ch_3PqRsT2eZvKYlo2C1a2b3c4d failed", "ch_3PqRsT2eZvKYlo2C1a2b3c4d", "ch_…"),
    ("intent pi_3PqRsT2eZvKYlo2C0x9y8z7w stuck", "pi_3PqRsT2eZvKYlo2C0x9y8z7w", "pi_…"),
    ("dispute dp_1OkF2aLkdIwHu7ix0Qm3Zt9X opened", "dp_1OkF2aLkdIwHu7ix0Qm3Zt9X", "dp_…"),
    ("customer cus_NffrFeUfNV2Hib wants a refund", "cus_NffrFeUfNV2Hib", "cus_…"),
    ("connected account acct_1032D82eZvKYlo2C", "acct_1032D82eZvKYlo2C", "acct_…"),
    ("checkout cs_live_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsT expired", "cs_live_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsT", "cs_live_…"),
    ("payout po_1NvXq2LkdIwHu7ixq8pVbR4s missing", "po_1NvXq2LkdIwHu7ixq8pVbR4s", "po_…"),
]

# Look-alikes that are not personal data and must come back unchanged.
NOT_PII: list[str] = [
    "order #5521 was charged $1,234.56",
    "the refund takes 5-10 business days",
    "created on 2026-05-01 at 10:30",
    "between 2026-05-01 2026-06-01 we saw 12 disputes",
    "invoice INV-2026-0042 is overdue",
    "tracking number 12345678901234567890",
    "card 4242 4242 4242 4241 is not a valid number",
    "reference 4111111111111112 again",
    "order 7700 9001 2345 6789 shipped",
    "serial 4242 4242 4242 4241 4242 is fine",
    "amount 12 000 EUR, version 2.7.5",
    "HTTP 429 after 100 requests, error 402",
    "last 4 digits 4242, expires 12/34, CVC 123",
    "dispute fee $15.00 on 01.05.2026",
    "order 100234987 and batch 20260501",
    "reference AB12 3456 7890 1234 5 from the bank",
    "ch_ prefix means a charge; sk_ keys are secret",
    "the decline code insufficient_funds on re_ objects",
]


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _iban_ok(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    return int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 == 1


def test_corpus_is_big_and_valid() -> None:
    assert len(PII) >= 40 and len(NOT_PII) >= 10
    for sentence, value, token in PII:
        assert value in sentence
        if token == "[card]":
            assert _luhn(re.sub(r"\D", "", value)), value
        if token == "[iban]":
            assert _iban_ok(value), value
        # the only digits in the sentence are the sample's: "no digit left" then means fully redacted
        assert re.sub(r"\D", "", sentence) == re.sub(r"\D", "", value) or token.endswith("…") or "@" in value, sentence


@pytest.mark.parametrize(("sentence", "value", "token"), PII, ids=[p[1][:24] for p in PII])
def test_pii_fully_redacted(sentence: str, value: str, token: str) -> None:
    out = redact(sentence)
    assert token in out
    assert value not in out
    if token.endswith("…"):
        assert value[len(token) - 1 :] not in out  # the random part is gone, the prefix kept
    elif "@" in value:
        assert "@" not in out
    else:
        assert not re.search(r"\d", out), out


@pytest.mark.parametrize("text", NOT_PII)
def test_look_alikes_untouched(text: str) -> None:
    assert redact(text) == text


def test_card_beside_other_numbers() -> None:
    assert redact("card 4242 4242 4242 4242 12 34 cvc 123") == "card [card] 12 34 cvc 123"
    assert redact("on 2026-05-01 4242 4242 4242 4242 was used") == "on 2026-05-01 [card] was used"
    assert redact("order 5521 4242 4242 4242 4242") == "order 5521 [card]"
    assert redact("two cards 4242 4242 4242 4242 5555 5555 5555 4444") == "two cards [card] [card]"


def test_several_kinds_in_one_text() -> None:
    text = (
        "Card 4242 4242 4242 4242 12/34, mail bob@example.com, phone +44 20 7946 0958, "
        "IBAN DE89 3704 0044 0532 0130 00, key sk_live_abcdefgh12345678, charge ch_3PqRsT2eZvKYlo2C1a2b3c4d"
    )
    assert redact(text) == ("Card [card] 12/34, mail [email], phone [phone], IBAN [iban], key [secret], charge ch_…")


def test_redaction_is_stable() -> None:
    for sentence, _, _ in PII:
        once = redact(sentence)
        assert redact(once) == once


def test_known_names_are_redacted_whole_words_only() -> None:
    from kbassist.usage import redact_names

    assert redact_names("refund for Daniel Kim please", ["Daniel Kim"]) == "refund for [name] please"
    assert redact_names("danielle kimono refund", ["Daniel Kim"]) == "danielle kimono refund"
    assert redact_names("payout late", []) == "payout late"
    assert redact_names("MARIA asked about payouts", ["maria.gonzalez"]) == "[name] asked about payouts"


# ---------------------------------------------------------------- the generated corpus (issue 10)
# Layouts people really type: double spaces, tabs, a line break inside the number, dots and slashes.
_SEPARATORS = [" ", "  ", "\t", "\n", " - ", "-", ".", "/"]
_CARDS_16 = [
    "4242424242424242", "4000056655665556", "5555555555554444", "5200828282828210", "2223003122003222",
    "6011111111111117", "6011000990139424", "3566002020360505", "4111111111111111", "4000002500003155",
]  # fmt: skip
_IBANS = [value for _s, value, token in PII if token == "[iban]"]
_INTL_PHONES = [value for _s, value, token in PII if token == "[phone]" and value.startswith("+")]


def _generated_pii() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for card in _CARDS_16:
        for sep in _SEPARATORS:
            value = sep.join(card[i : i + 4] for i in range(0, 16, 4))
            out.append((f"the card {value} was declined", value, "[card]"))
            out.append((f"pls refund {value}\nthanks", value, "[card]"))
    for iban in _IBANS:
        for sep in ("  ", "\n", "\t"):
            out.append((f"send it to {iban.replace(' ', sep)} please", iban.replace(" ", sep), "[iban]"))
    for phone in _INTL_PHONES:
        value = "00" + phone[1:]
        out.append((f"ring us on {value} today", value, "[phone]"))
    for email in ("ops@localhost", "billing@intranet", "jane@mailserver", "root@devbox", "a.b@corp-mail"):
        out.append((f"mail {email} about it", email, "[email]"))
    for i in range(10):
        value = f"{123 + i * 71:03d}-{12 + i * 7:02d}-{4567 + i * 311:04d}"
        out.append((f"my SSN is {value} for the tax form", value, "[ssn]"))
    for address in _ADDRESSES:
        out.append((f"please ship the replacement to {address} next week", address, "[address]"))
    for lead, name in _PEOPLE:
        out.append((f"{lead} {name} asked about the refund", name, "[name]"))
    return out


# Street addresses as written in en, de, nl, fr, es, pt, it (digits in each are the address's own).
_ADDRESSES = [
    "221B Baker Street", "1600 Pennsylvania Ave NW", "350 Fifth Avenue, Suite 200", "42 Wallaby Way",
    "10 Downing St", "77 Massachusetts Ave", "1 Infinite Loop", "500 Oracle Parkway", "12 Grimmauld Place",
    "4 Privet Drive", "Hauptstraße 5", "Kaiserstr. 12a", "Friedrichstraße 43", "Lange Gasse 3", "Torweg 18",
    "Keizersgracht 123", "Damstraat 7", "12 rue de la Paix", "5 bis avenue Victor Hugo", "8 boulevard Haussmann",
    "Calle Mayor 3", "Paseo de la Castellana 259", "Avenida da Liberdade 245", "Rua Augusta, 27", "Via Roma 10",
    "Piazza Navona 45", "PO Box 4411", "P.O. Box 902", "Postfach 1210",
]  # fmt: skip
# Other people a case names: a title or a relation word before the name, in several languages.
_PEOPLE = [
    ("my colleague", "Sarah Jones"), ("our accountant", "Mrs. Brown"), ("Mr.", "Okafor"), ("Dr", "Patel"),
    ("spoke with", "Li Wei"), ("my manager", "Tomás Ruiz"), ("our developer", "Anika Schulz"),
    ("the customer", "Maria Garcia"), ("signed by", "Jean-Luc Picard"), ("ask for", "Priya"),
    ("Frau", "Schneider"), ("Herr", "Müller"), ("Mme", "Lefèvre"), ("Sra.", "Fernández"),
    ("mein Kollege", "Jonas Becker"), ("mon collègue", "Hugo Moreau"), ("mi compañera", "Lucía Gómez"),
    ("our bookkeeper", "Zoë van Dijk"), ("my name is", "Kwame Mensah"), ("attn:", "Ingrid Olsen"),
]  # fmt: skip


GENERATED_PII = _generated_pii()
GENERATED_LOOK_ALIKES = [
    *(f"order {n} shipped" for n in ("100234987", "20260501", "A-7781-22", "INV-2026-0042", "#5521", "PO 88213")),
    *(f"charged {a} yesterday" for a in ("$1,234.56", "€1.234,56", "1 234,56 €", "£89.00", "¥12000", "CHF 1'200.50")),
    *(f"on {d} we saw it" for d in ("2026-05-01", "01.05.2026", "05/01/2026", "1/5/26", "2026/05/01", "May 1, 2026")),
    *(f"version {v} of the plugin" for v in ("2.7.5", "8.3.0", "10.0.1", "7.0.1", "14.14.0", "6.11.3")),
    *(f"HTTP {c} from the API" for c in ("400", "401", "402", "404", "409", "429", "500", "503")),
    *(f"last four {n}, expires {e}" for n, e in (("4242", "12/34"), ("0005", "01/27"), ("1117", "09/2028"))),
    *(f"the {p} prefix" for p in ("ch_", "pi_", "re_", "dp_", "po_", "acct_", "cus_", "sub_", "in_", "evt_")),
    *(f"error code {c} again" for c in ("card_declined", "insufficient_funds", "resource_missing", "rate_limit")),
    *(f"tracking {t} via UPS" for t in ("1Z999AA10123456784", "9400111899223100012345", "JD014600003828271914")),
    *(f"between {a} and {b}" for a, b in (("2026-05-01", "2026-06-01"), ("01.05.2026", "01.06.2026"))),
    *(f"{n} cases in {m} minutes" for n, m in (("12", "30"), ("145", "60"), ("3", "5"))),
    # words beside a number or after "spoke with" that are not an address or a person
    *(
        f"we {t}"
        for t in (
            "spoke with Stripe Support",
            "asked our developer Team lead",
            "use a 3 way split",
            "have 2 drive accounts",
            "saw 5 Main pages",
            "called Monday",
            "use Stripe Checkout",
            "had 12 Payment Links",
            "moved to 4 Terminal readers",
            "ask for Radar rules",
        )
    ),
]


def test_generated_corpus_is_large() -> None:
    assert len(PII) + len(GENERATED_PII) + len(NOT_PII) + len(GENERATED_LOOK_ALIKES) >= 300


@pytest.mark.parametrize(("sentence", "value", "token"), GENERATED_PII, ids=[repr(p[1])[:30] for p in GENERATED_PII])
def test_generated_pii_is_fully_redacted(sentence: str, value: str, token: str) -> None:
    out = redact(sentence)
    assert token in out, out
    if token in ("[address]", "[name]"):
        for word in re.findall(r"[^\W\d_]{3,}", value):
            assert word.lower() in {"mrs", "box"} or word not in out, out
    digits = re.sub(r"\D", "", value)
    assert not digits or digits not in re.sub(r"\D", "", out), out
    assert "@" not in out


@pytest.mark.parametrize("text", GENERATED_LOOK_ALIKES)
def test_generated_look_alikes_survive(text: str) -> None:
    assert redact(text) == text


def test_names_are_redacted_with_or_without_accents() -> None:
    from kbassist.usage.redact import redact_names

    assert redact_names("refund for Elodie Marchand", ["Élodie Marchand"]) == "refund for [name]"
    assert redact_names("refund for Zoë and Jose", ["Zoe", "José"]) == "refund for [name] and [name]"
    assert redact_names("a joseph story", ["José"]) == "a joseph story"
