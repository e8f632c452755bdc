"""What a content gap is about: the words of a search that found nothing, or of a case nobody could answer,
cleaned so that the same need, however it was worded, lands in one row.

A search keeps its words as typed (a typed query is a few words, ``events.MAX_QUERY_WORDS`` at most); a
"none fit" mark keeps the case's key terms, strongest first, and only its strongest words say what the case
was about: the next ones are its side details ("wallet, payouts, bank account" and then "possible", "instead").
Of either, what is left after cleaning is what an editor can act on:

* what redaction put in place of personal data (``[name]``, ``[card]``, ``[pasted text]``) and what it left of
  an ID (``ch_…``) are dropped, as are the support stop words (``content.words``: "hi", "please", "urgent",
  "issue", "the"), words that only frame a reference ("order", "ticket", "name"), months and weekdays,
  numbers other than three-digit codes, and codes with digits of 6 characters or more (references such as
  ``ord88127``);
* each word is lower-cased and stemmed (Porter, as the search index does), so "Payouts", "payout" and "payouts"
  are one word; the row shows the spelling used most.

A mark with nothing left (only a name, a card number, "please help", an order number) has nothing to act on
and is counted apart instead of making a row.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from kbassist.content.words import WORD, is_stop, stem
from kbassist.usage.events import EventKind

# The strongest words of a "none fit" case that name what it was about. Of the key terms the app records
# (about 7 to 20 per case, the strongest first), the first three words are the topic ("wallet, macro, payouts"
# for a case asking to pay out to a crypto wallet; "twice, order, refund" for a double charge); with all of
# them, no two cases ever shared a row, and with one, cases about "refund" of every kind did.
NONE_FIT_KEY_WORDS: Final = 3
# A code with a digit and this many characters or more is a reference (an order, an invoice, a ticket);
# shorter ones ("3ds", "r01", "1099k") are names of things.
REFERENCE_MIN_CHARS: Final = 6
# Words that only frame a reference or a person ("order 12345", "ticket ch_…", "my name is [name]"): once the
# reference is gone they say nothing about the need.
FRAME_WORDS: Final = frozenset("name names order orders number id ids ref reference ticket case nr".split())
# When, not what: months and weekdays come with dates ("charged on 3 Mar", "since Monday") and say nothing of
# the need; in the bundled eval cases marked "none fit", "mar" was a strongest word.
WHEN_WORDS: Final = frozenset(
    """jan feb mar apr jun jul aug sep sept oct nov dec january february march april may june july august
    september october november december mon tue wed thu fri sat sun monday tuesday wednesday thursday friday
    saturday sunday""".split()
)
MAX_WORDING_TERMS: Final = 8  # a "none fit" mark's wording shows its strongest terms, not all twenty

_REDACTED: Final = re.compile(r"\[[a-z][a-z ]{1,20}\]")  # [card], [email], [name], [pasted text]
_ID_LEFT: Final = re.compile(r"\w*(?:…|\.\.\.)")  # what redaction leaves of a Stripe ID: "ch_…"


@dataclass(frozen=True, slots=True)
class Word:
    stem: str  # what it is grouped by
    surface: str  # as written (lower-cased)


def words(text: str) -> list[Word]:
    """The words of ``text`` worth acting on, in order (see the module docstring for what is dropped)."""
    text = _ID_LEFT.sub(" ", _REDACTED.sub(" ", text.lower()))
    out = []
    for match in WORD.finditer(text):
        word = match.group(0)
        if is_stop(word) or word in FRAME_WORDS or word in WHEN_WORDS or _reference(word) or not word.strip("_"):
            continue
        out.append(Word(stem(word), word))
    return out


def _reference(word: str) -> bool:
    return any(c.isdigit() for c in word) and len(word) >= REFERENCE_MIN_CHARS


def about(kind: str, terms: Sequence[str]) -> list[Word]:
    """What one search or "none fit" mark was about: a search's words, or a case's strongest words."""
    if kind == EventKind.SEARCH:
        return _distinct(words(terms[0])) if terms else []
    out: list[Word] = []
    for term in terms:
        if len(out) >= NONE_FIT_KEY_WORDS:
            break
        out = _distinct([*out, *words(term)])  # a phrase ("bank account") is taken whole
    return out


def _distinct(found: Iterable[Word]) -> list[Word]:
    seen: dict[str, Word] = {}
    for word in found:
        seen.setdefault(word.stem, word)
    return list(seen.values())


def key(found: Sequence[Word]) -> tuple[str, ...]:
    """The words' stems, sorted: "payouts crypto" and "Crypto payout" are one key."""
    return tuple(sorted({w.stem for w in found}))


def wording(kind: str, terms: Sequence[str]) -> str:
    """How one mark read (already redacted when recorded): a search's query, a case's strongest terms."""
    if kind == EventKind.SEARCH:
        return terms[0] if terms else ""
    return ", ".join(terms[:MAX_WORDING_TERMS])


def label(stems: Sequence[str], spellings: dict[str, Counter[str]]) -> str:
    """The key in words: each stem as it was written most often (the shorter spelling on a tie)."""
    return ", ".join(
        min(spellings[s].items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0] if spellings.get(s) else s
        for s in stems
    )
