"""Macro placeholders: found, described and filled.

``{{name}}`` takes a value from the case, the associate or a field; ``{{name|default}}`` falls back to the
default. Dates can be counted from: ``{{today+5bd}}`` is five business days from today (weekends skipped),
``{{deadline_date-2bd}}`` two business days before the deadline the case gives, ``{{date+30d}}`` thirty
calendar days after a date, ``{{today+2w}}`` two weeks from today. A date given in ISO form (2026-03-03, as
the case analysis and the command line give them) is written the way the reply's language writes dates.

Kept pure so the CLI, the window and tests fill replies the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from kbassist.content.dates import parse_date, shift
from kbassist.content.locale_format import BASE_LANGUAGE, format_amount, format_date
from kbassist.content.stripe import id_hint

PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<name>[a-zA-Z][a-zA-Z0-9_]*)\s*(?P<shift>[+-]\s*\d{1,3}\s*(?:bd|d|w))?\s*"
    r"(?:\|(?P<default>[^{}]*))?\}\}"
)
TODAY = "today"  # always filled: the date the reply is written
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

FieldType = Literal["amount", "date", "object_id", "email", "number", "text"]


@dataclass(frozen=True, slots=True)
class FilledText:
    text: str
    filled: dict[str, str]  # name (or "name+Nbd") -> value used (from the case, the agent, or a default)
    unfilled: tuple[str, ...]  # names with no value and no default, in order of first use


def placeholder_names(text: str) -> list[str]:
    """Names in order of first use; ``{{deadline_date-2bd}}`` names ``deadline_date``, the value it needs."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text):
        seen.setdefault(match.group("name"), None)
    return list(seen)


def defaults(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for match in PLACEHOLDER.finditer(text):
        if match.group("default") is not None and not match.group("shift"):
            out.setdefault(match.group("name"), match.group("default").strip())
    return out


def fill(
    template: str, values: Mapping[str, str], lang: str = BASE_LANGUAGE, today: dt.date | None = None
) -> FilledText:
    """Replace placeholders with values; a missing value falls back to the default, else stays as-is.

    Unfilled placeholders are left in the text verbatim (``{{last4}}``) so they stay visible and can be
    filled later; they are also listed so callers can warn before the reply is sent.
    """
    filler = _Filler(values, lang, today or dt.date.today())
    text = PLACEHOLDER.sub(filler.replace, template)
    return FilledText(text=text, filled=filler.filled, unfilled=tuple(filler.unfilled))


class _Filler:
    def __init__(self, values: Mapping[str, str], lang: str, today: dt.date) -> None:
        self.values, self.lang, self.today = values, lang, today
        self.filled: dict[str, str] = {}
        self.unfilled: dict[str, None] = {}

    def replace(self, match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        offset = re.sub(r"\s+", "", match.group("shift") or "")
        value = self._shifted(name, offset) if offset else self._value(name)
        if value:
            self.filled[name + offset] = value
            return value
        if default is not None and default.strip():
            self.filled.setdefault(name + offset, default.strip())
            return default.strip()
        self.unfilled.setdefault(name, None)
        return match.group(0) if offset else "{{" + name + "}}"

    def _value(self, name: str) -> str:
        if name == TODAY:
            return format_date(self.today, self.lang)
        value = self.values.get(name, "")
        if value and field_type(name) == "date" and _ISO_DATE.match(value.strip()):
            day = parse_date(value, self.today)
            return format_date(day, self.lang) if day else value
        return value

    def _shifted(self, name: str, offset: str) -> str:
        """The base date moved by ``offset`` ("+5bd"), or "" when the base is missing or not a date."""
        base = self.today if name == TODAY else parse_date(self.values.get(name, ""), self.today)
        if base is None:
            return ""
        match = re.fullmatch(r"([+-]\d+)(bd|d|w)", offset)
        assert match is not None  # PLACEHOLDER only lets such offsets through
        return format_date(shift(base, int(match.group(1)), match.group(2)), self.lang)


def field_type(name: str) -> FieldType:
    """What kind of value a placeholder wants, from its name: the window picks an editor by it."""
    if name in ("amount", "fee", "total") or name.endswith(("_amount", "_fee")):
        return "amount"
    if name in ("date", "deadline_date", TODAY) or name.endswith(("_date", "_on")):
        return "date"
    if name.endswith("_id") or name in ("tax_code",):
        return "object_id"
    if name.endswith("email"):
        return "email"
    if name in ("last4", "business_days") or name.endswith(("_days", "_count")):
        return "number"
    return "text"


def field_hint(name: str, lang: str = BASE_LANGUAGE, today: dt.date | None = None) -> str:
    """An example of what the placeholder's field takes, in the reply's language: the object's real ID
    prefix ("re_…" for a refund, never the bank-debit "pyr_…"), an amount or a date written as the reply
    will write it."""
    kind = field_type(name)
    if kind == "object_id":
        return f"e.g. {id_hint(name) or 'xx_…'}"
    if kind == "amount":
        return "e.g. " + format_amount(Decimal("120.00"), "USD" if lang == BASE_LANGUAGE else "EUR", lang)
    if kind == "date":
        return "e.g. " + format_date((today or dt.date.today()) + dt.timedelta(days=7), lang)
    return {"number": "digits only", "email": "name@example.com"}.get(kind, "")


def label(name: str) -> str:
    """A human label for a placeholder name: ``dispute_id`` -> ``Dispute ID``."""
    words = name.split("_")
    nice = {"id": "ID", "url": "URL", "last4": "Last 4 digits"}
    return " ".join(nice.get(w, w.capitalize() if i == 0 else w) for i, w in enumerate(words))
