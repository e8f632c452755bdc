"""Read a pasted case: split the new message from quoted history and signature, weigh its words,
and find its entities. Mail headers and MIME parts are read before, by ``mail.py``.

Quoted history and signatures stay available (an ID quoted from an earlier mail is still the case's
ID) but their words count for little, so a long thread or a legal disclaimer cannot steer suggestions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from kbassist.content.stripe import ID_PATTERN, SECRET_PATTERN
from kbassist.search.case_dates import find_case_dates
from kbassist.search.entities import (
    EMAIL_PATTERN,
    SIGN_OFF,
    Entities,
    find_amounts,
    find_codes,
    find_customer_name,
    find_emails,
    find_ids,
)
from kbassist.search.glossary import carry_across
from kbassist.search.language import Language, detect_language
from kbassist.search.mail import read_case
from kbassist.search.sensitive import CaseWarning, card_facts
from kbassist.search.synonyms import Synonyms, load_synonyms
from kbassist.search.text import INDEX_STOP_WORDS, common_words, is_stop, stem, tokenize

__all__ = ["CaseAnalysis", "CasePart", "WeightedTerm", "analyse_case", "case_text_for_embedding", "weigh_terms"]

PHRASE_FACTOR = 1.5  # a known multi-word phrase ("bank transfer") says more than its words
COMMON_FACTOR = 0.35  # everyday English words (common_words.txt)
MAX_CASE_CHARS = 200_000  # a pasted log can be huge; analyse the first part

# Space at a line's start or end is matched as [ \t]*, never \s*: with re.M, \s* runs across the following
# blank lines and backtracks from every line start, and a 1 MB paste of blank lines took 12 minutes.
QUOTE_HEADER = re.compile(
    r"^[ \t]*(?:On\s.{4,200}?wrote:|Le\s.{4,200}?a écrit\s?:|Am\s.{4,200}?schrieb.{0,40}:|El\s.{4,200}?escribió:)"
    r"[ \t]*$"
    r"|^[ \t]*-{2,}[ \t]*(?:Original Message|Forwarded message|Ursprüngliche Nachricht)[ \t]*-{2,}[ \t]*$"
    r"|^[ \t]*Begin forwarded message:[ \t]*$",
    re.I | re.M | re.S,
)
OUTLOOK_HEADER = re.compile(r"^[ \t]*From:[ \t].+\n(?:.*\n){0,2}?[ \t]*(?:Sent|Date):[ \t].+$", re.M)
DISCLAIMER = re.compile(
    r"^.*\b(?:confidential|intended (?:solely )?for the (?:use|addressee)|privileged|disclaimer|"
    r"unsubscribe|virus|do not print|think before printing)\b.*$",
    re.I | re.M,
)


class CasePart(Enum):
    """Where in a case a word stands; the value is how much a word there counts."""

    SUBJECT = 2.0
    MAIN = 1.0  # the new message, above any quoted history and without the signature
    QUOTED = 0.3  # history quoted or forwarded below the new message

    @property
    def weight(self) -> float:
        return float(self.value)


@dataclass(frozen=True, slots=True)
class WeightedTerm:
    phrase: tuple[str, ...]  # one stem, or the stems of a synonym phrase: ("bank", "transfer")
    surface: str  # a word as the case wrote it, for display in "why"
    weight: float

    @property
    def stem(self) -> str:
        """The phrase as one readable string ("bank transfer"): a sort key and a name, never split again."""
        return " ".join(self.phrase)


@dataclass(slots=True)
class CaseAnalysis:
    subject: str = ""
    main: str = ""
    quoted: str = ""
    signature: str = ""
    entities: Entities = field(default_factory=Entities)
    terms: list[WeightedTerm] = field(default_factory=list)
    language: Language = field(default_factory=lambda: Language("en", 0.0))
    topic: str = ""  # subject and new message as the English KB can match them (see glossary.carry_across)
    warnings: list[CaseWarning] = field(default_factory=list)  # live keys and card numbers pasted into the case

    @property
    def products(self) -> list[str]:
        return self.entities.products()

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.entities.ids and not self.entities.codes


def analyse_case(raw: str | bytes, synonyms: Synonyms | None = None, today: dt.date | None = None) -> CaseAnalysis:
    """Everything the ranking and the reply need to know about a case, without the index.

    ``today`` places dates written without a year ("Feb 25"): the latest such day at most two months ahead."""
    mail = read_case(raw)
    subject, body = mail.subject, mail.body[:MAX_CASE_CHARS]
    main, quoted = _split_quoted(body)
    main, signature = _split_signature(main)
    everything = "\n".join((subject, main, quoted, signature))
    language = detect_language(f"{subject}\n{main}")
    told = "\n".join((subject, main, quoted))
    last4s, warnings = card_facts(everything[:MAX_CASE_CHARS])  # a subject line can be megabytes long
    entities = Entities(
        ids=find_ids(everything),
        codes=find_codes(everything),
        amounts=find_amounts(told),
        emails=find_emails(everything),
        customer_name=find_customer_name(main, signature, mail.sender_name),
        last4s=last4s,
        dates=find_case_dates(told[:MAX_CASE_CHARS], today or dt.date.today(), month_first=language.is_english),
    )
    topic_subject, topic_main = subject, main
    if not language.is_english:  # what the English KB can match: glossary words in English, stop words gone
        topic_subject, topic_main = carry_across(subject, language.code), carry_across(main, language.code)
    terms = weigh_terms(
        {CasePart.SUBJECT: topic_subject, CasePart.MAIN: topic_main, CasePart.QUOTED: quoted},
        synonyms or load_synonyms(),
    )
    topic = f"{topic_subject}\n{topic_main}"
    return CaseAnalysis(subject, main, quoted, signature, entities, terms, language, topic, warnings)


def _split_quoted(body: str) -> tuple[str, str]:
    """New text on top, quoted history below (after 'On … wrote:', '> ' lines, forwarded headers)."""
    cut = len(body)
    for pattern in (QUOTE_HEADER, OUTLOOK_HEADER):
        match = pattern.search(body)
        # A header on the very first lines is a forward with nothing above it: keep it as the case.
        if match and body[: match.start()].strip():
            cut = min(cut, match.start())
    top, history = body[:cut], body[cut:]
    main_lines: list[str] = []
    quoted_lines = [history]
    for line in top.split("\n"):
        (quoted_lines if line.lstrip().startswith(">") else main_lines).append(line)
    return "\n".join(main_lines).strip(), "\n".join(quoted_lines).strip()


def _split_signature(main: str) -> tuple[str, str]:
    """Cut at '-- ' or at a sign-off in the last part of the message; disclaimers always go."""
    main = DISCLAIMER.sub("", main)
    lines = main.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            return "\n".join(lines[:i]).strip(), "\n".join(lines[i + 1 :]).strip()
    for i in range(len(lines) - 1, max(-1, len(lines) - 13), -1):  # the last 12 lines (joining is O(n))
        if SIGN_OFF.match(lines[i]) and "\n".join(lines[:i]).strip():
            return "\n".join(lines[:i]).strip(), "\n".join(lines[i:]).strip()
    return main.strip(), ""


def _scrub(text: str) -> str:
    """Remove what is not topic words: IDs, secrets, emails, URLs."""
    text = SECRET_PATTERN.sub(" ", text)
    text = ID_PATTERN.sub(" ", text)
    text = EMAIL_PATTERN.sub(" ", text)
    return re.sub(r"https?://\S+", " ", text)


def weigh_terms(parts: Mapping[CasePart, str], synonyms: Synonyms) -> list[WeightedTerm]:
    """Stems (and synonym phrases) with a weight: how often, where (subject > new text > history), how topical.

    Within the subject and the new text, repetition helps but sub-linearly; quoted history counts once
    per term however often it repeats, so a long thread cannot outweigh the message on top of it.
    Everyday English words count for a third.
    """
    counts: dict[tuple[str, ...], dict[CasePart, int]] = {}
    surfaces: dict[tuple[str, ...], str] = {}
    factor: dict[tuple[str, ...], float] = {}
    for part, text in parts.items():
        for key, surface, weight in _keys_in(text, synonyms) if text else ():
            per_part = counts.setdefault(key, {})
            per_part[part] = per_part.get(part, 0) + 1
            surfaces.setdefault(key, surface)
            factor[key] = max(factor.get(key, 0.0), weight)
    terms = []
    for key, per_part in counts.items():
        weight = 0.0
        for part, count in per_part.items():
            repeat = 1.0 if part is CasePart.QUOTED else 1.0 + 0.5 * (min(count, 6) - 1) ** 0.5
            weight += part.weight * repeat
        terms.append(WeightedTerm(key, surfaces[key], round(weight * factor[key], 4)))
    return sorted(terms, key=lambda t: (-t.weight, t.stem))


def _keys_in(text: str, synonyms: Synonyms) -> list[tuple[tuple[str, ...], str, float]]:
    """(phrase, surface, factor) for each topic word of ``text``, in order: synonym phrases first."""
    common = common_words()
    words = [w for w in tokenize(_scrub(text)) if w not in INDEX_STOP_WORDS]
    stems = [stem(w) for w in words]
    used: set[int] = set()
    keys: list[tuple[tuple[str, ...], str, float]] = []
    for start, end, phrase in synonyms.phrases_in(stems):
        keys.append((phrase, " ".join(words[start:end]), PHRASE_FACTOR))
        used.update(range(start, end))
    for i, (word, st) in enumerate(zip(words, stems, strict=True)):
        if i not in used and not is_stop(word) and not _noise(word):
            keys.append(((st,), word, COMMON_FACTOR if word in common else 1.0))
    return keys


def _noise(word: str) -> bool:
    """Numbers, order numbers and hex blobs are not topics (codes like 429 are kept)."""
    if word.isdigit():
        return len(word) != 3
    letters = sum(c.isalpha() for c in word)
    return letters < len(word) / 2 or len(word) > 40


def case_text_for_embedding(case: CaseAnalysis) -> str:
    """The subject and new message in prose: logs, IDs and URLs carry no sentence meaning for the model."""
    lines = [ln for ln in case.topic.splitlines() if ln.strip()]
    return re.sub(r"\s+", " ", _scrub("\n".join(lines))).strip()
