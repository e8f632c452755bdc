"""Find what a case names: Stripe object IDs, decline and error codes, amounts, emails, the customer's name."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kbassist.content.stripe import (
    ALL_CODES,
    CODE_IN_TEXT,
    DECLINE_CODES,
    ID_PATTERN,
    SECRET_PATTERN,
    id_kind,
)


@dataclass(frozen=True, slots=True)
class FoundId:
    value: str
    prefix: str
    type: str  # human label, e.g. "dispute"
    placeholder: str  # e.g. "dispute_id"
    product: str


@dataclass(frozen=True, slots=True)
class Amount:
    text: str  # as written
    value: str  # decimal, e.g. "1249.00"
    currency: str  # ISO code, upper case

    @property
    def display(self) -> str:
        symbol = CURRENCY_SYMBOLS.get(self.currency)
        number = f"{Decimal(self.value):,.2f}" if self.currency not in ZERO_DECIMAL else f"{Decimal(self.value):,.0f}"
        return f"{symbol}{number}" if symbol else f"{number} {self.currency}"


@dataclass(slots=True)
class Entities:
    ids: list[FoundId] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    customer_name: str | None = None

    def products(self) -> list[str]:
        """Products the IDs and codes point to, most-mentioned first."""
        counts: dict[str, int] = {}
        for found in self.ids:
            counts[found.product] = counts.get(found.product, 0) + 2
        for code in self.codes:
            product = ALL_CODES.get(code)
            if product:
                counts[product] = counts.get(product, 0) + 2
        return sorted(counts, key=lambda p: -counts[p])

    def first_id(self, placeholder: str) -> str | None:
        return next((f.value for f in self.ids if f.placeholder == placeholder), None)

    def placeholder_values(self) -> dict[str, str]:
        """What the case can fill into a macro, by placeholder name."""
        values: dict[str, str] = {}
        for found in self.ids:
            values.setdefault(found.placeholder, found.value)
        if self.amounts:
            values["amount"] = self.amounts[0].display
            values["currency"] = self.amounts[0].currency
        declines = [c for c in self.codes if c in DECLINE_CODES]
        errors = [c for c in self.codes if c not in DECLINE_CODES]
        if declines:
            values["decline_code"] = declines[0]
        if errors:
            values["error_code"] = errors[0]
        if self.emails:
            values["customer_email"] = self.emails[0]
        if self.customer_name:
            values["customer_name"] = self.customer_name
        return values

    def to_json(self) -> dict[str, Any]:
        return {
            "ids": [{"value": f.value, "type": f.type, "product": f.product} for f in self.ids],
            "codes": list(self.codes),
            "amounts": [asdict(a) for a in self.amounts],
            "emails": list(self.emails),
            "customer_name": self.customer_name,
        }


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX", "XOF", "XAF"}
_SYMBOL_TO_CODE = {
    "US$": "USD",
    "CA$": "CAD",
    "C$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "S$": "SGD",
    "R$": "BRL",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "zł": "PLN",
    "kr": "SEK",
}
_CODES = "USD|EUR|GBP|CAD|AUD|NZD|JPY|CHF|SEK|NOK|DKK|PLN|CZK|HUF|MXN|BRL|INR|SGD|HKD|AED|ZAR|RON|BGN|THB|MYR"
_NUMBER = r"\d{1,3}(?:[,.  ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_SYMBOLS = "|".join(re.escape(s) for s in sorted(_SYMBOL_TO_CODE, key=len, reverse=True) if s not in ("kr", "zł"))
AMOUNT_PATTERN = re.compile(
    rf"(?P<sym>{_SYMBOLS})\s?(?P<n1>{_NUMBER})(?!\d)"
    rf"|(?<![A-Za-z])(?P<code1>{_CODES})\s?(?P<n2>{_NUMBER})(?!\d)"
    rf"|(?<![\w.,])(?P<n3>{_NUMBER})\s?(?:(?P<code2>{_CODES})\b|(?P<sym2>€|£|zł|kr\b))",
    re.I,
)
EMAIL_PATTERN = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")

_NAME_WORD = r"[A-ZÀ-Ý][a-zà-ÿ'’-]+"
_NAME = rf"{_NAME_WORD}(?:\s+(?:de\s+|van\s+|von\s+|da\s+)?{_NAME_WORD}){{0,2}}"
NAME_INTRO = re.compile(
    rf"\b(?:my name is|my name's|this is|i am|i'm|name:)\s+(?P<name>{_NAME})"
    r"(?=\s*(?:,|\.|from\b|at\b|here\b|and\b|\(|$|\n))",
    re.I | re.M,
)
SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank you|thanks again|many thanks|best|best regards|kind regards|warm regards|regards|"
    r"cheers|sincerely|yours sincerely|respectfully|br|cordialement|saludos|grüße|mfg)[\s,.!]*$",
    re.I,
)
NOT_NAMES = frozenset(
    {
        "Support",
        "Stripe",
        "Team",
        "Customer",
        "Merchant",
        "Admin",
        "Billing",
        "Finance",
        "Sales",
        "Hello",
        "Thanks",
        "Sent",
        "Regards",
        "Best",
        "The",
        "Our",
        "Dear",
    }
)


def find_ids(text: str) -> list[FoundId]:
    seen: dict[str, FoundId] = {}
    for match in ID_PATTERN.finditer(text):
        prefix, rest = match.group(1), match.group(2)
        kind = id_kind(prefix)
        value = prefix + rest
        if kind and value not in seen and not SECRET_PATTERN.match(value):
            seen[value] = FoundId(value, prefix, kind.label, kind.placeholder, kind.product)
    return list(seen.values())


def find_codes(text: str) -> list[str]:
    """Known decline and API error codes, plus unknown ones a JSON error names as a code."""
    found: dict[str, None] = {}
    lowered = text.lower()
    for token in CODE_IN_TEXT.findall(lowered):
        if token in ALL_CODES:
            found.setdefault(token, None)
    for match in re.finditer(r'"?(?:decline_code|code)"?\s*[:=]\s*"?([a-z][a-z0-9_]{3,})', lowered):
        if "_" in match.group(1) and not ID_PATTERN.match(match.group(1)):
            found.setdefault(match.group(1), None)
    return list(found)


def _to_decimal(number: str) -> Decimal | None:
    cleaned = number.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    last_sep = max(cleaned.rfind(","), cleaned.rfind("."))
    if last_sep != -1 and len(cleaned) - last_sep - 1 in (1, 2):
        whole, frac = cleaned[:last_sep], cleaned[last_sep + 1 :]
        cleaned = whole.replace(",", "").replace(".", "") + "." + frac
    else:
        cleaned = cleaned.replace(",", "").replace(".", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def find_amounts(text: str) -> list[Amount]:
    out: list[Amount] = []
    for match in AMOUNT_PATTERN.finditer(text):
        number = match.group("n1") or match.group("n2") or match.group("n3")
        symbol = match.group("sym") or match.group("sym2")
        code = (match.group("code1") or match.group("code2") or "").upper()
        currency = code or _SYMBOL_TO_CODE.get(symbol or "", "")
        value = _to_decimal(number or "")
        if value is None or not currency:
            continue
        amount = Amount(match.group(0).strip(), f"{value:.2f}", currency)
        if amount not in out:
            out.append(amount)
    return out


def find_emails(text: str, exclude_domains: tuple[str, ...] = ("stripe.com",)) -> list[str]:
    out: list[str] = []
    for email in EMAIL_PATTERN.findall(text):
        if not email.lower().endswith(exclude_domains) and email not in out:
            out.append(email)
    return out


def _clean_name(candidate: str) -> str | None:
    words = [w for w in candidate.split() if w]
    if not words or any(w.strip(".,") in NOT_NAMES for w in words) or len(words) > 4:
        return None
    return " ".join(words).strip(" ,.")


def find_customer_name(main_text: str, signature: str, header_name: str | None = None) -> str | None:
    """The writer's name: from the sender header, a self-introduction, or the line after a sign-off."""
    if header_name:
        name = _clean_name(re.sub(r"[\"']", "", header_name))
        if name and re.fullmatch(_NAME, name):
            return name
    for match in NAME_INTRO.finditer(main_text):
        name = _clean_name(match.group("name"))
        if name:
            return name
    lines = [ln.strip() for ln in (main_text + "\n" + signature).splitlines()]
    for i, line in enumerate(lines):
        if SIGN_OFF.match(line):
            for nxt in lines[i + 1 : i + 3]:
                if nxt and re.fullmatch(_NAME, nxt.strip(" ,.")):
                    name = _clean_name(nxt)
                    if name:
                        return name
                if nxt:
                    break
    return None
