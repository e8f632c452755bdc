"""Find what a case names: Stripe object IDs, decline and error codes, amounts, emails, the customer's name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kbassist.content.locale_format import BASE_LANGUAGE, format_amount
from kbassist.content.stripe import (
    ALL_CODES,
    CODE_IN_TEXT,
    DECLINE_CODES,
    GENERIC_CODES,
    ID_PATTERN,
    SECRET_PATTERN,
    id_kind,
)
from kbassist.search.case_dates import FoundDate, deadline, plain_date
from kbassist.search.text import common_words


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
        return self.written_in(BASE_LANGUAGE)

    def written_in(self, lang: str) -> str:
        """The amount as a reply in ``lang`` writes it: "€1,250.00" in English, "1.250,00 €" in German."""
        return format_amount(Decimal(self.value), self.currency, lang)


@dataclass(slots=True)
class Entities:
    ids: list[FoundId] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    customer_name: str | None = None
    last4s: list[str] = field(default_factory=list)  # the last four digits of each card named; never more
    dates: list[FoundDate] = field(default_factory=list)

    def products(self) -> list[str]:
        """Products the IDs and codes point to, most-mentioned first."""
        counts: dict[str, int] = {}
        for found in self.ids:
            counts[found.product] = counts.get(found.product, 0) + 2
        for code in self.codes:
            product = None if code in GENERIC_CODES else ALL_CODES.get(code)
            if product:
                counts[product] = counts.get(product, 0) + 2
        return sorted(counts, key=lambda p: -counts[p])

    def placeholder_values(self, lang: str = BASE_LANGUAGE) -> dict[str, str]:
        """What the case can fill into a macro, by placeholder name, amounts written for ``lang``; dates in
        ISO form, which filling writes in the reply's language."""
        values: dict[str, str] = {}
        for found in self.ids:
            values.setdefault(found.placeholder, found.value)
        if self.amounts:
            values["amount"] = self.amounts[0].written_in(lang)
            values["currency"] = self.amounts[0].currency
        if len(self.last4s) == 1:
            values["last4"] = self.last4s[0]
        if due := deadline(self.dates):
            values["deadline_date"] = due.iso
        if day := plain_date(self.dates):
            values["date"] = day.iso
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
            "last4": list(self.last4s),
            "dates": [d.to_json() for d in self.dates],
        }


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
# A match may only start where a run of address characters starts: with "\b" every position inside a long
# run ("a.a.a.…", 200 KB) was tried again to its end, 165 s for one paste.
EMAIL_PATTERN = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")

# A name word is capitalised as written: the intro phrases are matched without regard to case, the name
# itself with it, so "i'm confused" or "Hi, wrong charge" never yields a name. (Compiled with re.I the
# capital class matched any word: every "name" found in real reports was a phrase such as "confused".)
# Capitals and letters of every Latin, Greek and Cyrillic script: Petrović, Rāwiri, O'Connell, Ji-woo.
# Written as runs ("A-Z", "À-Ö"): 430 single letters, in the six places a name pattern holds the class, took
# a fresh process 20 ms to compile.
UPPER_LETTERS = [c for c in range(0x41, 0x530) if chr(c).isupper()]


def _char_class(codes: list[int]) -> str:
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "[" + "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in runs) + "]"


UPPER_CLASS = _char_class(UPPER_LETTERS)
_LETTERS = r"[^\W\d_]"
_NAME_WORD = rf"{UPPER_CLASS}{_LETTERS}*(?:['’]{UPPER_CLASS}{_LETTERS}+)?(?:-{_LETTERS}+)?"
_PARTICLE = r"(?:de|da|do|dos|van|von|der|den|del|di|la|le|ter|bin|al)"
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_NAME_WORD}){{0,2}}"
_CJK_NAME = r"[\u4e00-\u9fff\u3005]{1,4}(?:[ \u3000]?[\u4e00-\u9fff\u3005]{1,4})?"
NAME_INTRO = re.compile(
    r"(?i:\b(?:my name is|my name's|mein name ist|ich heiße|je m'appelle|je suis|me llamo|mi nombre es|"
    r"meu nome é|mi chiamo|mijn naam is|hier ist|this is|here is|ich bin|i am|i'm|name:))[ \t]+"
    rf"(?P<name>{_NAME})"
    r"(?=[ \t]*(?:,|\.(?!\w)|!|\(|$|\n|(?i:from|at|with|of|von|de|bei|here|hier|and|und|et|y)\b))",
    re.M,
)
# Introductions where the phrase alone is weak ("This is Wrong", "I'm Sorry"): the name must not be an
# everyday English word unless a "from <company>" or "here" confirms it.
_WEAK_INTRO = re.compile(r"(?i:this is|here is|i am|i'm|ich bin|je suis|hier ist)[ \t]+$")
_CONFIRMED = re.compile(r"[ \t]+(?i:from|at|von|de|bei|here|hier)\b")
JA_INTRO = re.compile(rf"(?P<name>{_CJK_NAME})(?:と申します|と言います)")
_SIGN_OFF_WORDS = (
    r"thanks|thank you|thanks again|thanks in advance|many thanks|thx|best|best regards|best wishes|kind regards|"
    r"warm regards|warmly|regards|cheers|sincerely|yours sincerely|yours truly|respectfully|br|all the best|"
    r"cordialement|bien cordialement|bien à vous|merci|merci d'avance|merci beaucoup|salutations|bonne journée|"
    r"mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|freundliche grüsse|viele grüße|"
    r"viele grüsse|beste grüße|liebe grüße|grüße|grüsse|gruß|danke|vielen dank|lg|vg|mfg|"
    r"saludos|un saludo|saludos cordiales|atentamente|gracias|muchas gracias|cordialmente|"
    r"atenciosamente|obrigado|obrigada|abraços|abraço|cumprimentos|"
    r"met vriendelijke groet|vriendelijke groet|met vriendelijke groeten|groeten|groet|groetjes|mvg|bedankt|"
    r"mvh|med vänlig hälsning|vänliga hälsningar|hälsningar|venlig hilsen|pozdrawiam|"
    r"cordiali saluti|distinti saluti|saluti|grazie|grazie mille|un saluto|"
    r"よろしくお願いします|よろしくお願いいたします|宜しくお願いします|宜しくお願い致します|よろしくお願い致します"
)
SIGN_OFF = re.compile(rf"^\s*(?:{_SIGN_OFF_WORDS})[\s,.!。、]*$", re.I)
# For names only: a closing line that starts like a sign-off ("Thanks for your time,", "Thanks a lot in
# advance,"). The name must then stand alone on the next line, so a sentence that merely starts with
# "Thanks" gives nothing.
SIGN_OFF_LEAD = re.compile(
    rf"^\s*(?:(?i:{_SIGN_OFF_WORDS})\b.{{0,70}}|.{{0,40}}(?:よろしく|宜しく)お願い(?:いた|致)?します[。！!]*)$"
)
# "Thanks, Priya" on one line; "— Marco" or "-- Sam" alone near the end.
SIGN_OFF_INLINE = re.compile(rf"^\s*(?i:{_SIGN_OFF_WORDS})[ \t]*[,.!–—-][ \t]*(?P<name>{_NAME})[ \t]*[.!]?\s*$")
DASH_NAME = re.compile(rf"^\s*(?:[—–~]|-{{1,2}})[ \t]*(?P<name>{_NAME})[ \t]*(?:[,|/][^\n]*)?$")
# The name line of a signature may carry a role: "Ioana, platform ops", "Wei Zhang | Payments".
NAME_LINE = re.compile(rf"(?P<name>{_NAME})[ \t]*(?:[,|/–—][^\n]*)?")
CJK_NAME_LINE = re.compile(rf"(?P<name>{_CJK_NAME})")
NOT_NAMES = frozenset(
    """
    support stripe team customer customers merchant admin billing finance sales hello hi hey thanks thank sent
    regards best the our dear accounts account accounting office shop store dev developer developers devs
    engineering ops operations management manager owner founder ceo cto cfo inc ltd llc gmbh sarl sas bv srl
    co company corp group help desk service services payments payment refunds dashboard api iphone android
    mobile outlook gmail note ps update edit urgent issue bug error warning info hallo bonjour hola ciao
    """.split()
)
SIGNATURE_TAIL = 8  # lines from the end where a "— Name" sign-off is believed


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


def _clean_name(candidate: str, strict: bool = False) -> str | None:
    """The candidate as a name, or None when any of its words is a role, a company word or (strict) plain English."""
    words = [w.strip(" ,.") for w in candidate.split() if w.strip(" ,.")]
    if not words or len(words) > 4:
        return None
    lowered = [w.lower() for w in words]
    if any(w in NOT_NAMES for w in lowered):
        return None
    if strict and any(w in common_words() for w in lowered):
        return None
    return " ".join(words)


def _name_after(lines: list[str]) -> str | None:
    """The name on the first line or two after a sign-off, with any role after a comma cut off."""
    for line in [ln for ln in lines[:3] if ln][:2]:
        text = line.strip(" .。")
        if (match := NAME_LINE.fullmatch(text)) or (match := CJK_NAME_LINE.fullmatch(text)):
            return match.group("name")
    return None


def _sign_off_candidates(lines: list[str]) -> Iterator[tuple[str, bool]]:
    """Where a writer's name stands, with whether it must pass the plain-English check: under a sign-off
    ("Best regards,\nThomas Becker"), on its line ("Thanks, Priya"), after a dash near the end
    ("— Marco"), or as the first line of a signature block that ends the mail ("Priyanka Rao\nWeb team")."""
    tail_start = max(len(lines) - SIGNATURE_TAIL, 0)
    for i, line in enumerate(lines):
        if match := SIGN_OFF_INLINE.match(line):
            yield match.group("name"), False
        if (SIGN_OFF.match(line) or (i >= tail_start and SIGN_OFF_LEAD.match(line))) and (
            name := _name_after(lines[i + 1 : i + 4])
        ):
            yield name, False
        if i >= tail_start and (match := DASH_NAME.match(line)):
            yield match.group("name"), False
    block = _last_block(lines)
    if block and (match := NAME_LINE.fullmatch(block[0].strip(" ."))):
        name = match.group("name")
        if len(name.split()) >= 2 or len(block) >= 2:  # a lone word alone at the end may be anything
            yield name, True


def _last_block(lines: list[str]) -> list[str]:
    """The last paragraph when it is short enough to be a signature (1-4 lines after a blank line)."""
    while lines and not lines[-1]:
        lines = lines[:-1]
    if "" not in lines:
        return []
    block = lines[len(lines) - lines[::-1].index("") :]
    return block if 1 <= len(block) <= 4 and all(len(ln) <= 60 for ln in block) else []


def find_customer_name(main_text: str, signature: str, header_name: str | None = None) -> str | None:
    """The writer's name: from the sender header, a self-introduction, or a sign-off.

    A wrong name in a greeting is worse than none, so every path asks for a capitalised name in a place
    where names stand, and refuses role and company words.
    """
    if header_name:
        name = _clean_name(re.sub(r"[\"']", "", header_name))
        if name and re.fullmatch(_NAME, name):
            return name
    for match in NAME_INTRO.finditer(main_text):
        before = main_text[: match.start("name")]
        weak = bool(_WEAK_INTRO.search(before)) and not _CONFIRMED.match(main_text, match.end("name"))
        if name := _clean_name(match.group("name"), strict=weak):
            return name
    if ja := JA_INTRO.search(main_text):
        return ja.group("name")
    lines = [ln.strip() for ln in (main_text + "\n\n" + signature).splitlines()]
    for candidate, strict in _sign_off_candidates(lines):
        if name := _clean_name(candidate, strict=strict):
            return name
    return None
