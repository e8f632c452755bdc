"""Strip personal and secret data from the few words usage tracking keeps (search queries, key terms).

Order matters: secrets and Stripe object IDs first (they contain digits that would otherwise look like
card or phone numbers), then emails, IBANs, cards and phones. Cards and IBANs are checksum-validated
(Luhn, ISO 7064 mod 97) so order numbers, amounts and other digit runs that merely look similar survive;
phone numbers have no checksum, so they are recognised by shape (a ``+`` country code, a national trunk
``0``, a North American layout) or by a word such as "phone" or "call me at" just before them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from kbassist.content.stripe import ID_PATTERN

CARD = "[card]"
EMAIL = "[email]"
PHONE = "[phone]"
IBAN = "[iban]"
SECRET = "[secret]"
SSN = "[ssn]"

_SPACE = " \u00a0"
SECRET_KEY = re.compile(r"(?<![A-Za-z0-9_])(?:(?:sk|rk)_(?:live|test)_|whsec_)[A-Za-z0-9_]*")
EMAIL_ADDRESS = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"
)
# An address without a dot in its domain (user@localhost, name@intranet) is still someone's address.
EMAIL_NO_DOT = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]{2,}\b(?![.@])")
US_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
_WHITESPACE = re.compile(r"\s+")
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}")
# Digit groups separated by one space, dash, dot or slash (after whitespace is normalised): where a card
# number may hide.
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:(?: ?[./-] ?| )\d+)*(?!\d)")
_DIGIT_GROUP = re.compile(r"\d+")
_PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}(?:[ \u00a0.-]?(?:\(\d{1,4}\)|\d{1,5})){2,6}(?![\w])")
_PHONE_NANP = re.compile(r"(?<![\w(])(?:\(\d{3}\)[ \u00a0]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w])")
_PHONE_TRUNK = re.compile(r"(?<![\w.,/-])0\d{1,4}(?:[ \u00a0.-]?\d{2,4}){1,4}(?![\w])")
_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:phone|telephone|tel|mobile|cell|whatsapp|sms|fax|call(?:\s+(?:me|us))?(?:\s+(?:at|on))?"
    r"|text\s+me(?:\s+(?:at|on))?|reach\s+me(?:\s+(?:at|on))?)\b\s*(?:number|no\.?|nr\.?|#)?\s*[:.]?\s*"
    r"(\+?\(?\d[\d \u00a0().-]{5,28}\d)"
)
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?!\d)")

# IBAN lengths by country (SWIFT registry); an unknown country still counts if its checksum is valid.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VG": 24,
    "XK": 20,
}


def luhn_valid(digits: str) -> bool:
    """The card-number checksum: every second digit from the right doubled, the sum divisible by 10."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(compact: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, remainder mod 97 is 1."""
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _replace_spans(text: str, spans: list[tuple[int, int]], token: str) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + token + text[end:]
    return text


def _iban_spans(text: str) -> list[tuple[int, int]]:
    """IBANs written compact or in groups of four, in either case; the longest valid reading wins."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while match := _IBAN_START.search(text, pos):
        start = match.start()
        # Collect alphanumerics allowing single spaces between them; remember where each one ends.
        ends: list[int] = []
        chars: list[str] = []
        i = start
        while i < len(text) and len(chars) < 34:
            if text[i].isascii() and text[i].isalnum():
                chars.append(text[i].upper())
                ends.append(i + 1)
                i += 1
            elif text[i] in _SPACE and i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalnum():
                i += 1
            else:
                break
        found = None
        known = IBAN_LENGTHS.get("".join(chars[:2]))
        if known:
            candidates: Iterable[int] = (known,) if known <= len(chars) else ()
        else:
            candidates = range(len(chars), 14, -1)
        for n in candidates:
            end = ends[n - 1]
            if end < len(text) and text[end].isascii() and text[end].isalnum():
                continue  # would cut a word in half
            if iban_valid("".join(chars[:n])):
                found = end
                break
        if found:
            spans.append((start, found))
            pos = found
        else:
            pos = match.end()
    return spans


# How cards are printed; a span with one of these layouts is a card even next to other digit groups.
_CARD_LAYOUTS = frozenset({(4, 4, 4, 4), (4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3)})
_SHORT_GROUP = 3  # an expiry month or a CVC beside a card, not part of it


def _is_card(lengths: list[int], digits: str, cut_before: int | None, cut_after: int | None) -> bool:
    """Whether these digit groups read as one card number.

    ``cut_before``/``cut_after`` are the lengths of the groups left out on either side (None at the run's
    edge). Without the layout rule a Luhn-invalid "4242 4242 4242 4241" would hide a Luhn-valid 12-digit
    card in its first three groups.
    """
    if not 12 <= len(digits) <= 19 or any(n < _SHORT_GROUP for n in lengths[:-1]) or not luhn_valid(digits):
        return False
    if tuple(lengths) in _CARD_LAYOUTS or len(lengths) == 1:
        return True
    return all(cut is None or cut <= _SHORT_GROUP for cut in (cut_before, cut_after))


def _card_spans(text: str) -> list[tuple[int, int]]:
    """Luhn-valid runs of 12-19 digits, grouped by single spaces or dashes."""
    spans: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        before = text[: run.start()].rstrip(_SPACE)
        if before.endswith("+"):
            continue  # an international phone number
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in _DIGIT_GROUP.finditer(run.group())]
        lengths = [e - s for s, e in groups]
        i = 0
        while i < len(groups):
            found = None
            # Look only as far as a card can reach: 19 digits, and no short group inside it.
            last, total = i, lengths[i]
            while last + 1 < len(groups) and lengths[last] >= _SHORT_GROUP and total + lengths[last + 1] <= 19:
                last += 1
                total += lengths[last]
            for j in range(last, i - 1, -1):
                digits = "".join(text[s:e] for s, e in groups[i : j + 1])
                cut_before = lengths[i - 1] if i else None
                cut_after = lengths[j + 1] if j + 1 < len(groups) else None
                if _is_card(lengths[i : j + 1], digits, cut_before, cut_after):
                    found = j
                    break
            if found is None:
                i += 1
                continue
            spans.append((groups[i][0], groups[found][1]))
            i = found + 1
    return spans


def _phone_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []

    def add(start: int, end: int, low: int, high: int) -> None:
        candidate = text[start:end]
        digits = sum(ch.isdigit() for ch in candidate)
        if low <= digits <= high and not _DATE_LIKE.match(candidate.lstrip("+(")):
            spans.append((start, end))

    for m in _PHONE_INTL.finditer(text):
        add(m.start(), m.end(), 8, 15)
    for m in _PHONE_NANP.finditer(text):
        add(m.start(), m.end(), 10, 10)
    for m in _PHONE_TRUNK.finditer(text):
        add(m.start(), m.end(), 9, 12)
    for m in _PHONE_CONTEXT.finditer(text):
        add(m.start(1), m.end(1), 7, 15)
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _stripe_id(match: re.Match[str]) -> str:
    return match.group(1) + "…"


_PASSES: tuple[tuple[Callable[[str], list[tuple[int, int]]], str], ...] = (
    (_iban_spans, IBAN),
    (_card_spans, CARD),
    (_phone_spans, PHONE),
)


def redact(text: str) -> str:
    """``text`` with card numbers, emails, phones, IBANs, US social security numbers and secret keys
    replaced by tokens such as ``[card]``, and Stripe object IDs cut to their prefix (``ch_…``): what is
    left may be stored.

    Whitespace is normalised first (runs of spaces, tabs and newlines become one space): a card number
    typed with a double space or broken over two lines was stored in clear when its groups were looked
    for before."""
    text = _WHITESPACE.sub(" ", text).strip()
    text = SECRET_KEY.sub(SECRET, text)
    text = ID_PATTERN.sub(_stripe_id, text)
    text = EMAIL_ADDRESS.sub(EMAIL, text)
    text = EMAIL_NO_DOT.sub(EMAIL, text)
    text = US_SSN.sub(SSN, text)
    for find, token in _PASSES:
        spans = find(text)
        if spans:
            text = _replace_spans(text, spans, token)
    return text


def redact_names(text: str, names: Iterable[str]) -> str:
    """Replace the words of known personal names (the case's customer, say) with ``[name]``.

    Names cannot be found by pattern the way card numbers can, but the window knows the customer's name
    from the case; a query such as "refund for Daniel Kim" must not reach the store with it.
    """
    words = {_fold(w.lower()) for name in names for w in re.findall(r"[^\W\d_]{2,}", name or "")}
    if not words:
        return text
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b", re.IGNORECASE
    )
    # Matched without accents ("Elodie" for "Élodie", and the other way round); folding keeps every
    # character in place, so the spans found in the folded text are the original's.
    spans = [m.span() for m in pattern.finditer(_fold(text))]
    return re.sub(r"(\[name\])(\s+\[name\])+", r"\1", _replace_spans(text, spans, "[name]"))


def _fold(text: str) -> str:
    """Each character without its accents, one character for one (é -> e, ø stays ø)."""
    return "".join(unicodedata.normalize("NFKD", ch)[0] if ch.isalpha() else ch for ch in text)
