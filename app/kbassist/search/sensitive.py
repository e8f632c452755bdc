"""What a case says about a card or a key that must not travel further: the card's last four digits (all a
reply may name), and the secrets whose presence the associate must act on.

A live secret or restricted key pasted into a case can move money until it is rolled; a full card number
must not be sent back by mail. Each is turned into a warning with a masked form (``sk_live_…f3a9``,
``•••• 4242``) and what to tell the merchant; nothing else of it leaves the case analysis, and usage stores
none of it (the redactor removes keys and card numbers from what it keeps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kbassist.content.cards import card_last4s

# How a case names a card by its last four digits: "ending in 4242", "Visa ending 4242", "last 4: 4242", the
# German, French and Spanish forms, and masks ("•••• 4242", "XXXX-XXXX-XXXX-4242"). One pattern, one pass. A
# mask must start a run (no mask character or letter before it): a 10 MB run of "x" was otherwise tried from
# each of its positions.
LAST4 = re.compile(
    r"(?:(?i:\b(?:ending|ends|ended)[ \t]+(?:in|with|on)"
    r"|\b(?:card|visa|mastercard|amex|discover|debit|credit)\b[^\n.]{0,20}?\bending"
    r"|\blast[ \t]*(?:4|four)(?:[ \t]+digits)?(?:[ \t]+(?:are|is))?"
    r"|\b(?:endet[ \t]+(?:auf|mit)|endend[ \t]+auf|terminant[ \t]+par|termin(?:ada|a|ando)[ \t]+en|acabada[ \t]+en))"
    r"[ \t]*[:=#-]?[ \t]*"
    r"|(?<![\w•*·])(?:[•*xX·]{2,16}|[•*xX·]{2,4}(?:[ \t-][•*xX·]{2,4}){1,3})[ \t-]?)"
    r"(\d{4})(?!\d)"
)
LIVE_KEY = re.compile(r"(?<![A-Za-z0-9_])(sk|rk)_live_([A-Za-z0-9]{8,})")
WEBHOOK_SECRET = re.compile(r"(?<![A-Za-z0-9_])whsec_([A-Za-z0-9+/=]{8,})")

WarningKind = Literal["secret_key", "restricted_key", "webhook_secret", "card_number"]

_NEVER_BY_MAIL = "Don't repeat it in your reply, and remind them never to send keys by mail or chat."
ADVICE: dict[WarningKind, tuple[str, str]] = {
    "secret_key": (
        "A live secret key is in the case",
        "Tell the merchant to roll this key now (Dashboard → Developers → API keys → Roll key) and put the new "
        f"key in their integration: anyone who saw this message can use it. {_NEVER_BY_MAIL}",
    ),
    "restricted_key": (
        "A live restricted key is in the case",
        "Tell the merchant to roll this restricted key now (Dashboard → Developers → API keys → Roll key) and "
        f"update whatever uses it. {_NEVER_BY_MAIL}",
    ),
    "webhook_secret": (
        "A webhook signing secret is in the case",
        "Tell the merchant to roll the endpoint's signing secret (Dashboard → Developers → Webhooks → the "
        f"endpoint → Roll secret) and update their webhook handler. {_NEVER_BY_MAIL}",
    ),
    "card_number": (
        "A full card number is in the case",
        "Don't paste the card number back into your reply: name the card by its last four digits only. Ask "
        "the customer not to send card numbers by mail again.",
    ),
}


@dataclass(frozen=True, slots=True)
class CaseWarning:
    kind: WarningKind
    masked: str  # "sk_live_…f3a9", "•••• 4242": enough to find it in the case, too little to use it

    @property
    def message(self) -> str:
        return f"{ADVICE[self.kind][0]} ({self.masked})"

    @property
    def advice(self) -> str:
        return ADVICE[self.kind][1]

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "masked": self.masked, "message": self.message, "advice": self.advice}


# Cards are looked for in the first part of a case: on a 200,000-character paste of digit groups, reading every
# group as a possible card number took 0.3 s; on this part 70 ms. Keys are looked for in all of it (a
# pattern with a literal: 12 ms on 200,000 characters).
CARD_SCAN_CHARS = 50_000


def card_facts(text: str) -> tuple[list[str], list[CaseWarning]]:
    """The last four digits of each card the case names, and its warnings: what ``analyse_case`` keeps."""
    head = text[:CARD_SCAN_CHARS]
    full = card_last4s(head)
    return find_last4s(head, full), find_warnings(text, full)


def find_last4s(text: str, full: list[str] | None = None) -> list[str]:
    """The last four digits of each card the case names ("ending in 4242", "•••• 4242", a full number), once
    each. ``full``: the last four digits of its full card numbers, when already known."""
    found = dict.fromkeys(match.group(1) for match in LAST4.finditer(text))
    for last4 in card_last4s(text) if full is None else full:
        found.setdefault(last4, None)
    return list(found)


def find_warnings(text: str, full: list[str] | None = None) -> list[CaseWarning]:
    """Live keys, webhook signing secrets and full card numbers in the case, masked, each once. ``full``: the
    last four digits of its full card numbers, when already known."""
    found: dict[CaseWarning, None] = {}
    for match in LIVE_KEY.finditer(text):
        kind: WarningKind = "secret_key" if match.group(1) == "sk" else "restricted_key"
        found.setdefault(CaseWarning(kind, f"{match.group(1)}_live_…{match.group(2)[-4:]}"), None)
    for match in WEBHOOK_SECRET.finditer(text):
        found.setdefault(CaseWarning("webhook_secret", f"whsec_…{match.group(1)[-4:]}"), None)
    for last4 in card_last4s(text) if full is None else full:
        found.setdefault(CaseWarning("card_number", f"•••• {last4}"), None)
    return list(found)
