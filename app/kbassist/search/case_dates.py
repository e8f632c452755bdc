"""The dates a case names, and which of them is a deadline.

A date right after "respond by", "due by", "deadline", "bis zum", "avant le", "antes del" … (or the
``due_by`` of a dispute pasted from the API, a Unix time) is the deadline the case gives: it fills
``{{deadline_date}}``. The one other date a case names fills ``{{date}}``; when it names several, or one that
reads two ways (03/04/2026), nothing is filled and the window offers them all.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kbassist.content.dates import find_dates

# A deadline word and at most a few words between it and the date ("respond by Friday, March 3",
# "the deadline to respond is March 3"), never across a sentence end.
DEADLINE_CUE = re.compile(
    r"(?i:respond(?:ed)?\s+(?:by|before|until)|response\s+(?:is\s+)?due|due\s+(?:by|on|date)|deadline|"
    r"evidence\s+(?:is\s+)?due|submit\w*\s+(?:\w+\s+){0,2}(?:by|before)|no\s+later\s+than|"
    r"bis\s+(?:zum|spätestens)|spätestens|frist|fällig|avant\s+le|au\s+plus\s+tard|date\s+limite|échéance|"
    r"antes\s+del?|fecha\s+límite|plazo)"
    r"[^.!?\n]{0,25}$"
)
CUE_REACH = 60  # characters before a date where its deadline word may stand
# Dates are looked for in the first part of a case (the new message and a few quoted mails; about 3,000
# words): on a 200,000-character pasted log the four date patterns took 120 ms, on this part at most 12 ms.
# A pasted dispute's due_by is looked for everywhere (one pattern with a literal).
DATE_SCAN_CHARS = 20_000
DUE_BY = re.compile(r'"?due_by"?\s*[:=]\s*"?(\d{10})(?!\d)')


@dataclass(frozen=True, slots=True)
class FoundDate:
    day: dt.date
    text: str  # as written ("Feb 25"), or "due_by" for a pasted Unix time
    deadline: bool = False
    ambiguous: bool = False

    @property
    def iso(self) -> str:
        return self.day.isoformat()

    def to_json(self) -> dict[str, object]:
        return {"date": self.iso, "text": self.text, "deadline": self.deadline, "ambiguous": self.ambiguous}


def find_case_dates(text: str, today: dt.date, month_first: bool = True) -> list[FoundDate]:
    """Each date the case names once, in order; a date named both plainly and as a deadline is a deadline."""
    found: dict[dt.date, FoundDate] = {}
    for mention in find_dates(text[:DATE_SCAN_CHARS], today, month_first):
        before = text[max(0, mention.start - CUE_REACH) : mention.start]
        deadline = bool(DEADLINE_CUE.search(before))
        known = found.get(mention.day)
        if known is None or (deadline and not known.deadline):
            found[mention.day] = FoundDate(mention.day, mention.text, deadline, mention.ambiguous)
    for match in DUE_BY.finditer(text):
        day = dt.datetime.fromtimestamp(int(match.group(1)), dt.UTC).date()
        found[day] = FoundDate(day, "due_by", deadline=True)
    return list(found.values())


def deadline(dates: list[FoundDate]) -> FoundDate | None:
    """The one deadline the case gives, if it gives exactly one that reads one way."""
    deadlines = [d for d in dates if d.deadline]
    return deadlines[0] if len(deadlines) == 1 and not deadlines[0].ambiguous else None


def plain_date(dates: list[FoundDate]) -> FoundDate | None:
    """The one date other than a deadline the case names, if it names exactly one that reads one way."""
    others = [d for d in dates if not d.deadline]
    return others[0] if len(others) == 1 and not others[0].ambiguous else None
