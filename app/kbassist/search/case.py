"""Read a pasted case: split the new message from quoted history and signature, weigh its words,
and find its entities.

Quoted history and signatures stay available (an ID quoted from an earlier mail is still the case's
ID) but their words count for little, so a long thread or a legal disclaimer cannot steer suggestions.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from email.utils import parseaddr

from kbassist.content.stripe import ID_PATTERN, SECRET_PATTERN
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
from kbassist.search.synonyms import Synonyms, load_synonyms
from kbassist.search.text import INDEX_STOP_WORDS, common_words, is_stop, stem, tokenize

SUBJECT_WEIGHT = 2.0
MAIN_WEIGHT = 1.0
QUOTED_WEIGHT = 0.3
PHRASE_FACTOR = 1.5  # a known multi-word phrase ("bank transfer") says more than its words
COMMON_FACTOR = 0.35  # everyday English words (common_words.txt)
MAX_CASE_CHARS = 200_000  # a pasted log can be huge; analyse the first part
MAX_INPUT = 1_000_000  # characters (or bytes of an .eml) read at all: headers and body of any real mail fit

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
HEADER_LINE = re.compile(r"^(From|To|Cc|Subject|Date|Reply-To|Message-ID|MIME-Version|Content-Type|Sent):", re.I)


@dataclass(frozen=True, slots=True)
class WeightedTerm:
    stem: str  # or a space-joined phrase of stems
    surface: str  # a word as the case wrote it, for display in "why"
    weight: float


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

    @property
    def products(self) -> list[str]:
        return self.entities.products()

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.entities.ids and not self.entities.codes


def analyse_case(raw: str | bytes, synonyms: Synonyms | None = None) -> CaseAnalysis:
    """Everything the ranking needs to know about a case, without the index."""
    raw = raw[:MAX_INPUT]  # before any parsing: a 10 MB paste or mail header must not reach the patterns
    subject, body, sender_name = _split_headers(raw)
    body = body[:MAX_CASE_CHARS]
    main, quoted = _split_quoted(body)
    main, signature = _split_signature(main)
    everything = "\n".join((subject, main, quoted, signature))
    entities = Entities(
        ids=find_ids(everything),
        codes=find_codes(everything),
        amounts=find_amounts("\n".join((subject, main, quoted))),
        emails=find_emails(everything),
        customer_name=find_customer_name(main, signature, sender_name),
    )
    language = detect_language(f"{subject}\n{main}")
    topic_subject, topic_main = subject, main
    if not language.is_english:  # what the English KB can match: glossary words in English, stop words gone
        topic_subject, topic_main = carry_across(subject, language.code), carry_across(main, language.code)
    terms = weigh_terms(
        [(topic_subject, SUBJECT_WEIGHT), (topic_main, MAIN_WEIGHT), (quoted, QUOTED_WEIGHT)],
        synonyms or load_synonyms(),
    )
    topic = f"{topic_subject}\n{topic_main}"
    return CaseAnalysis(subject, main, quoted, signature, entities, terms, language, topic)


def eml_to_text(raw: bytes) -> str:
    """An .eml file as readable text: the main headers, then the body (so it can be shown and re-read)."""
    subject, body, _sender = _split_headers(raw)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    head = [f"{name}: {message[name]}" for name in ("From", "To", "Date") if message[name]]
    if subject:
        head.append(f"Subject: {subject}")
    return ("\n".join(head) + "\n\n" if head else "") + body.strip() + "\n"


def _split_headers(raw: str | bytes) -> tuple[str, str, str | None]:
    """Subject, body text and sender name of an .eml or of pasted text that starts with mail headers."""
    if isinstance(raw, bytes):
        # Only what starts like a mail is parsed as one: the parser files a "defect" for every line of a
        # headerless paste, 1.6 s for a megabyte of blank lines.
        if _starts_with_headers(raw[:4096].decode("utf-8", errors="replace")):
            message = email.message_from_bytes(raw, policy=email.policy.default)
            if isinstance(message, EmailMessage) and (message["From"] or message["Subject"]):
                return _from_message(message)
        raw = raw.decode("utf-8", errors="replace")
    text = raw.replace("\r\n", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    head = [ln for ln in lines[:12] if ln.strip()]
    if head and HEADER_LINE.match(head[0]) and sum(bool(HEADER_LINE.match(ln)) for ln in head[:6]) >= 2:
        message = email.message_from_string(text, policy=email.policy.default)
        if isinstance(message, EmailMessage) and message.get_payload():
            return _from_message(message)
    subject = ""
    if lines and lines[0].lower().startswith("subject:"):
        subject, text = lines[0][8:].strip(), "\n".join(lines[1:])
    return subject, text, None


_ANY_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,76}:")


def _starts_with_headers(head: str) -> bool:
    """Whether text starts with mail headers of any name (Received:, X-Mailer:, DKIM-Signature: …)."""
    lines = [ln for ln in head.replace("\r\n", "\n").lstrip("\ufeff").split("\n")[:12] if ln.strip()]
    return (
        bool(lines) and bool(_ANY_HEADER.match(lines[0])) and sum(bool(_ANY_HEADER.match(ln)) for ln in lines[:6]) >= 2
    )


def _from_message(message: EmailMessage) -> tuple[str, str, str | None]:
    subject = str(message["Subject"] or "")
    name, _address = parseaddr(str(message["From"] or ""))
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None and not message.is_multipart():
        part = message
    body = _decoded_text(part) if part is not None else ""
    if part is not None and part.get_content_subtype() == "html":
        body = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", " ", body)))
    return subject, body, name or None


def _decoded_text(part: EmailMessage | MIMEPart) -> str:
    """The part's text; mail without a declared charset is read as UTF-8 (what pasted cases are)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


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


def weigh_terms(parts: list[tuple[str, float]], synonyms: Synonyms) -> list[WeightedTerm]:
    """Stems (and synonym phrases) with a weight: how often, where (subject > new text > history), how topical.

    Within the subject and the new text, repetition helps but sub-linearly; quoted history counts once
    per term however often it repeats, so a long thread cannot outweigh the message on top of it.
    Everyday English words count for a third.
    """
    counts: dict[str, dict[float, int]] = {}
    surfaces: dict[str, str] = {}
    common = common_words()
    factor: dict[str, float] = {}
    for text, part_weight in parts:
        if not text or part_weight <= 0:
            continue
        words = [w for w in tokenize(_scrub(text)) if w not in INDEX_STOP_WORDS]
        stems = [stem(w) for w in words]
        used: set[int] = set()
        keys: list[tuple[str, str, float]] = []
        for start, end, phrase in synonyms.phrases_in(stems):
            keys.append((" ".join(phrase), " ".join(words[start:end]), PHRASE_FACTOR))
            used.update(range(start, end))
        for i, (word, st) in enumerate(zip(words, stems, strict=True)):
            if i not in used and not is_stop(word) and not _noise(word):
                keys.append((st, word, COMMON_FACTOR if word in common else 1.0))
        for key, surface, weight in keys:
            per_part = counts.setdefault(key, {})
            per_part[part_weight] = per_part.get(part_weight, 0) + 1
            surfaces.setdefault(key, surface)
            factor[key] = max(factor.get(key, 0.0), weight)
    terms = []
    for key, per_part in counts.items():
        weight = 0.0
        for part_weight, count in per_part.items():
            repeat = 1.0 if part_weight <= QUOTED_WEIGHT else 1.0 + 0.5 * (min(count, 6) - 1) ** 0.5
            weight += part_weight * repeat
        terms.append(WeightedTerm(key, surfaces[key], round(weight * factor[key], 4)))
    return sorted(terms, key=lambda t: (-t.weight, t.stem))


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
