"""Dates as people write them in cases and in placeholder fields, and the arithmetic macros do with them.

One grammar serves both: finding the dates a case names ("Feb 25", "25 Feb", "2026-02-25", "02/25/2026",
"25. Februar", "1er mars", "25 de febrero de 2026") and reading a date the associate typed. Month names come
from CLDR (Babel) for English, German, French and Spanish, written with or without accents. Every pattern is
linear: a case can be a megabyte of log.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

MONTH_LANGUAGES = ("en", "de", "fr", "es")
# Words that read as month abbreviations but are everyday words next to a number: "3 days ago" is not
# the 3rd of August (Spanish "ago").
NOT_MONTHS = frozenset({"ago"})
TWO_DIGIT_YEAR_SPAN = 2  # "25.02.26" is 2026 only when that is within two years of today; "v2.10.12" is not
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099  # a four-digit year outside these is a number, not a date
# How far ahead a date without a year may lie: cases tell of what happened and of deadlines weeks away, so
# "Feb 25" written in December is last February, "Jan 5" is next month.
AHEAD = dt.timedelta(days=62)


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date a text names, as written and as read."""

    day: dt.date
    text: str  # as written, e.g. "Feb 25"
    start: int  # where it stands in the text
    ambiguous: bool = False  # 03/04/2026: the 4th of March or the 3rd of April; read by the text's language

    @property
    def iso(self) -> str:
        return self.day.isoformat()


def fold(word: str) -> str:
    """Lower case without accents and a trailing dot: "Févr." -> "fevr"."""
    decomposed = unicodedata.normalize("NFKD", word.lower().rstrip("."))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Every month name and abbreviation of MONTH_LANGUAGES in CLDR (wide and abbreviated, format and stand-alone),
# folded, as Babel gives them; ``cldr_month_numbers`` reads them from Babel and a test checks this table
# against it. Reading Babel's locale data for the four languages took 35 ms of a fresh process's first case.
_MONTHS = {
    1: "ene enero jan januar january janv janvier",
    2: "feb febrero februar february fevr fevrier",
    3: "mar march mars marz marzo mrz",
    4: "abr abril apr april avr avril",
    5: "mai may mayo",
    6: "juin jun june juni junio",
    7: "juil juillet jul juli julio july",
    8: "agosto aout aug august",
    9: "sep sept september septembre septiembre",
    10: "oct october octobre octubre okt oktober",
    11: "nov november novembre noviembre",
    12: "dec december decembre dez dezember dic diciembre",
}


@cache
def month_numbers() -> dict[str, int]:
    """Every month name and abbreviation of the four languages, folded, to its number."""
    return {name: number for number, names in _MONTHS.items() for name in names.split()}


def cldr_month_numbers() -> dict[str, int]:
    """``month_numbers`` as read from CLDR through Babel (with "sept" and German "mrz", which CLDR lacks)."""
    from babel.dates import get_month_names

    names: dict[str, int] = {"sept": 9, "mrz": 3}
    for lang in MONTH_LANGUAGES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale=lang).items():
                    names.setdefault(fold(str(name)), int(number))
    return {name: number for name, number in names.items() if name not in NOT_MONTHS}


_ORDINAL = r"(?:st|nd|rd|th|er|\.|º)?"
# A word where a month name may stand; whether it is one is looked up (``month_numbers``), which is several
# times faster on a long paste than an alternation of every name.
_WORD = r"(?P<month>[^\W\d_]{3,10})\.?"


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """Month-first, day-first, ISO and numeric dates, matched on folded text."""
    year = r"(?P<year>\d{4})"
    return (
        re.compile(rf"(?<![\w]){_WORD}[ \t]+(?P<day>\d{{1,2}}){_ORDINAL}(?:,?[ \t]+{year})?(?![\w])"),
        re.compile(
            rf"(?<![\w.,])(?P<day>\d{{1,2}}){_ORDINAL}[ \t]+(?:of[ \t]+|de[ \t]+)?{_WORD}"
            rf"(?:,?[ \t]+(?:de[ \t]+)?{year})?(?![\w])"
        ),
        re.compile(r"(?<![\w.-])(?P<year>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d])"),
        re.compile(
            r"(?<![\w./-])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})(?![\w]|[./-]\d)"
        ),
    )


class _FoldTable(dict[int, str]):
    """``str.translate`` table folding each character as it is first met (one character for one)."""

    def __missing__(self, code: int) -> str:
        folded = fold(chr(code))
        self[code] = value = folded if len(folded) == 1 else chr(code)
        return value


_FOLD = _FoldTable()


def _folded(text: str) -> str:
    """``text`` in lower case without accents, one character for one, so positions stay the original's."""
    return text.translate(_FOLD)


def find_dates(text: str, today: dt.date, month_first: bool = True) -> list[DateMention]:
    """Every date ``text`` names, in order of appearance (the same date written twice is listed twice).

    A date without a year is taken in its latest year no more than two months after ``today``; a numeric date whose two
    first numbers could both be the month is read month-first when ``month_first`` (American English),
    else day-first, and marked ambiguous.
    """
    folded = _folded(text)
    found: dict[int, DateMention] = {}
    taken: list[tuple[int, int]] = []
    for pattern in _patterns():
        for match in pattern.finditer(folded):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            mention = _read(match, text, today, month_first)
            if mention is not None:
                found[match.start()] = mention
                taken.append(match.span())
    return [found[start] for start in sorted(found)]


def _read(match: re.Match[str], text: str, today: dt.date, month_first: bool) -> DateMention | None:
    groups = match.groupdict()
    written = text[match.start() : match.end()]
    ambiguous = False
    if groups.get("month"):
        number = month_numbers().get(groups["month"])
        if number is None or (groups["month"] == "may" and text[match.start("month")] != "M"):
            return None  # not a month; or "may", a month only as "May" ("3 may" is a verb after a number)
        month, day = number, int(groups["day"])
    elif groups.get("m"):
        month, day = int(groups["m"]), int(groups["d"])
    else:
        first, second = int(groups["a"]), int(groups["b"])
        month_first = month_first and groups["sep"] == "/"  # 03.04.2026 is always day-first
        month, day = (first, second) if month_first else (second, first)
        if month > 12 >= day:
            month, day = day, month
        ambiguous = first <= 12 and second <= 12 and first != second
    year = _year(groups.get("year"), today)
    if year is None:
        return None
    try:
        return DateMention(_placed(day, month, year, today), written, match.start(), ambiguous)
    except ValueError:
        return None


def _year(written: str | None, today: dt.date) -> int | None:
    """The year as written (None: to be inferred, 0), or None when the number cannot be a year of a case."""
    if not written:
        return 0
    year = int(written)
    if len(written) == 2:
        year += 2000
        return year if abs(year - today.year) <= TWO_DIGIT_YEAR_SPAN else None
    return year if EARLIEST_YEAR <= year <= LATEST_YEAR else None


def _placed(day: int, month: int, year: int, today: dt.date) -> dt.date:
    """The date as written, or for a date without a year its latest occurrence at most ``AHEAD`` from today."""
    if year:
        return dt.date(year, month, day)
    candidates = []
    for y in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(dt.date(y, month, day))
        except ValueError:  # the 29th of February outside a leap year
            continue
    candidates = [d for d in candidates if d <= today + AHEAD]
    if not candidates:
        raise ValueError("no such day")
    return max(candidates)


def parse_date(text: str, today: dt.date | None = None, month_first: bool = True) -> dt.date | None:
    """A date typed on its own ("2026-03-03", "March 3, 2026", "3. März 2026"), or None when ``text`` is
    anything else ("next Tuesday", "the date on the dispute")."""
    text = text.strip()
    found = find_dates(text, today or dt.date.today(), month_first)
    if len(found) == 1 and found[0].start == 0 and len(found[0].text) >= len(text.rstrip(".")):
        return found[0].day
    return None


def business_days_after(start: dt.date, count: int) -> dt.date:
    """``count`` working days (Monday to Friday) after ``start``, or before it when negative.

    Bank holidays differ by country and are not known here; the associate sees the date and can change it.
    """
    step = 1 if count >= 0 else -1
    day = start
    for _ in range(abs(count)):
        day += dt.timedelta(days=step)
        while day.weekday() >= 5:
            day += dt.timedelta(days=step)
    return day


def shift(start: dt.date, count: int, unit: str) -> dt.date:
    """``start`` moved by ``count`` days (``d``), business days (``bd``) or weeks (``w``)."""
    if unit == "bd":
        return business_days_after(start, count)
    return start + dt.timedelta(days=count * (7 if unit == "w" else 1))
