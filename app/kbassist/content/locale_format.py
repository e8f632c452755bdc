"""Amounts and dates written the way a reply's language writes them, from CLDR's data (Babel).

English keeps the formats replies always had ("€1,250.00", "December 8, 2026"), so a reply in the KB's own
language reads exactly as before; German, French and Spanish get their own ("1.250,00 €", "8 décembre
2026", "8 de diciembre de 2026"), spaces included: CLDR puts a no-break space between number and currency
so a mail client never wraps "€" onto a line of its own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.numbers import format_currency

from kbassist.content.model import BASE_LANGUAGE

__all__ = ["BASE_LANGUAGE", "format_amount", "format_date", "is_language", "locale_for"]
# The currency symbols English replies have always used; other currencies are written "1,250.00 CHF".
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX", "XOF", "XAF"})


@cache
def locale_for(lang: str) -> Locale:
    """CLDR's locale for an ISO 639-1 code; US English for English and for a code CLDR does not know."""
    if lang == BASE_LANGUAGE:
        return Locale.parse("en_US")
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_US")


def is_language(code: str) -> bool:
    """Whether ``code`` is a two-letter language code CLDR knows (lint checks translation file names by it)."""
    if len(code) != 2 or not code.isalpha() or not code.islower():
        return False
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def format_amount(value: Decimal, currency: str, lang: str = BASE_LANGUAGE) -> str:
    """``value`` in ``currency`` as the language writes it: "$1,249.00", "1.249,00 €", "1 249,00 €"."""
    currency = currency.upper()
    if lang == BASE_LANGUAGE:
        symbol = CURRENCY_SYMBOLS.get(currency)
        number = f"{value:,.0f}" if currency in ZERO_DECIMAL else f"{value:,.2f}"
        return f"{symbol}{number}" if symbol else f"{number} {currency}"
    return str(format_currency(value, currency, locale=locale_for(lang)))


def format_date(day: dt.date, lang: str = BASE_LANGUAGE) -> str:
    """The long form of a date in the language: "December 8, 2026", "8. Dezember 2026", "8 de diciembre de 2026"."""
    return str(babel_date(day, "long", locale=locale_for(lang)))
