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

from kbassist.content.cards import SPACE, card_spans
from kbassist.content.model import PRODUCTS
from kbassist.content.stripe import ID_PATTERN
from kbassist.usage.checksums import IBAN_LENGTHS, iban_valid

CARD = "[card]"
EMAIL = "[email]"
PHONE = "[phone]"
IBAN = "[iban]"
SECRET = "[secret]"
SSN = "[ssn]"
ADDRESS = "[address]"
NAME = "[name]"

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
_PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}(?:[ \u00a0.-]?(?:\(\d{1,4}\)|\d{1,5})){2,6}(?![\w])")
_PHONE_NANP = re.compile(r"(?<![\w(])(?:\(\d{3}\)[ \u00a0]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w])")
_PHONE_TRUNK = re.compile(r"(?<![\w.,/-])0\d{1,4}(?:[ \u00a0.-]?\d{2,4}){1,4}(?![\w])")
_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:phone|telephone|tel|mobile|cell|whatsapp|sms|fax|call(?:\s+(?:me|us))?(?:\s+(?:at|on))?"
    r"|text\s+me(?:\s+(?:at|on))?|reach\s+me(?:\s+(?:at|on))?)\b\s*(?:number|no\.?|nr\.?|#)?\s*[:.]?\s*"
    r"(\+?\(?\d[\d \u00a0().-]{5,28}\d)"
)
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?!\d)")

# Street addresses, recognised by the street word each language puts beside the name and the number;
# every repetition is bounded, so a long paste stays linear. A capitalised street name is required: "3 way
# split" and "2 drive accounts" are not addresses.
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*"
_STREET_EN = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy"
    r"|Highway|Hwy|Square|Sq|Crescent|Close|Row|Circle|Cir|Loop|Alley|Mews"
)
_ADDRESS_PATTERNS = (
    # 221B Baker Street, 1600 Pennsylvania Ave NW, Suite 200
    re.compile(
        rf"(?<![\w-])\d{{1,5}}[A-Za-z]?,?\s(?:{_CAP}\s){{1,4}}(?:{_STREET_EN})\b\.?"
        r"(?:\s(?:N|S|E|W|NE|NW|SE|SW)\b)?(?:,?\s(?i:apt|apartment|suite|ste|unit|floor|fl)\.?\s?#?\w{1,5}\b)?"
    ),
    # Hauptstraße 5, Kaiserstr. 12a, Keizersgracht 123, Lange Laan 9
    re.compile(
        r"(?<![\w-])(?:[A-ZÄÖÜ][\wäöüß-]{0,40}(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|laan"
        r"|straat|gracht|plein|kade|steeg|väg|vej|gade|gatan|veien)|(?:[A-ZÄÖÜ][\wäöüß-]+\s){1,3}"
        r"(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee))\s\d{1,4}\s?[a-zA-Z]?(?![\w-])"
    ),
    # 12 rue de la Paix, 5 bis avenue Victor Hugo
    re.compile(
        r"(?<![\w-])\d{1,4}(?:\s?(?:bis|ter))?,?\s(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai"
        rf"|route|cours)\s(?:(?:de\sla|de\sl'|du|des|de|d')\s?)?{_CAP}(?:\s{_CAP}){{0,3}}"
    ),
    # Calle Mayor 3, Avenida da Liberdade 245, Via Roma 10, Rua Augusta, 27
    re.compile(
        r"(?<![\w-])(?:Calle|C/|Avenida|Avda\.?|Paseo|Plaza|Carrer|Via|Viale|Piazza|Corso|Rua|Travessa|Largo)"
        rf"\s(?:(?:de\sla|de\slos|de\slas|de|del|dos|das|da|do|della|di)\s)?{_CAP}(?:\s{_CAP}){{0,3}},?\s"
        r"(?:n\.?º?\s?)?\d{1,4}[a-zA-Z]?(?![\w-])"
    ),
    re.compile(r"(?<![\w-])(?i:p\.?\s?o\.?\sbox|postfach|apartado(?:\sde\scorreos)?|boîte\spostale)\s\d{1,7}\b"),
)

# People named in a case other than its writer: a title or a relation word just before capitalised words.
_TITLE = r"(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|Sig|Sig\.ra|Dott|Mevr|Dhr)\.?"
_RELATION = (
    r"(?i:(?:my|our|the|a|your)\s(?:colleague|co-?worker|manager|boss|accountant|bookkeeper|assistant|partner"
    r"|husband|wife|son|daughter|brother|sister|employee|customer|client|developer|admin|owner|cfo|ceo|cto"
    r"|agent|rep|representative|contact|friend)(?:,?\s(?:named|called))?|named|called|my\sname\sis|name's"
    r"|signed\sby|ask\sfor|spoke\s(?:to|with)|talked\s(?:to|with)|(?:cc|attn|attention)\s?:?"
    r"|mein\sKollege|meine\sKollegin|mon\scollègue|ma\scollègue|mi\scompañer[oa]|il\smio\scollega)"
)
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’]{1,30}(?:-[A-ZÀ-ÖØ-Þa-zà-öø-ÿ][a-zà-öø-ÿ'’]{1,30}){0,2}"
_PERSON = re.compile(
    rf"(?:(?<![\w])(?:{_TITLE})\s|(?<![\w]){_RELATION}\s(?:{_TITLE}\s)?)"
    rf"({_NAME_WORD}(?:\s(?:van\s|de\s|von\s|da\s)?{_NAME_WORD}){{0,2}})"
)


def _replace_spans(text: str, spans: list[tuple[int, int]], token: str) -> str:
    """One pass (slicing once per span was quadratic: 100 s for a 1.6 MB paste of "Mr. Mr. …")."""
    parts: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        parts += (text[pos:start], token)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


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
            elif text[i] in SPACE and i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalnum():
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


def _address_spans(text: str) -> list[tuple[int, int]]:
    return _merge([m.span() for pattern in _ADDRESS_PATTERNS for m in pattern.finditer(text)])


# Capitalised words that follow "our developer", "spoke with" or "the customer" in support cases and are
# not people: products, companies, teams and days. Kept: "spoke with Stripe Support" is worth counting.
_NOT_PEOPLE = frozenset(
    {p.lower() for p in PRODUCTS}
    | {
        *"stripe support team dashboard checkout elements link sigma atlas capital climate express custom standard"
        " api sdk cli webhook webhooks bank banking service services sales billing finance legal ops account"
        " woocommerce woopayments shopify magento prestashop wix squarespace wordpress bigcommerce salesforce"
        " paypal apple google amazon microsoft visa mastercard amex discover klarna afterpay ideal sepa ach"
        " monday tuesday wednesday thursday friday saturday sunday january february march april may june july"
        " august september october november december the this that our your their i we he she they it".split()
    }
)


def _people(text: str) -> Iterable[tuple[int, int]]:
    """Spans of the names ``_PERSON`` finds, without the product and company words it would take too."""
    for match in _PERSON.finditer(text):
        words = [(m.start() + match.start(1), m.end() + match.start(1)) for m in re.finditer(r"\S+", match.group(1))]
        kept: list[tuple[int, int]] = []
        for start, end in words:
            if text[start:end].lower().strip("'’") in _NOT_PEOPLE:
                break
            kept.append((start, end))
        if kept:
            yield kept[0][0], kept[-1][1]


def _person_spans(text: str) -> list[tuple[int, int]]:
    return list(_people(text))


# How much of a case is searched for the people it names: about 1.5 µs a character
# (bench/bench_hostile_pastes.py), so at most 75 ms even for a pasted log; names sit near the top anyway.
NAME_SCAN_CHARS = 50_000


def names_to_redact(customer_name: str | None, emails: Iterable[str], case_text: str) -> list[str]:
    """Names the usage store must not keep for a case: its customer, the people it names ("my colleague
    Sarah Jones") and the parts of its email addresses."""
    return [
        customer_name or "",
        *find_names(case_text[:NAME_SCAN_CHARS]),
        *(e.split("@")[0].replace(".", " ") for e in emails),
    ]


def find_names(text: str) -> list[str]:
    """Names of people that ``text`` introduces ("my colleague Sarah Jones", "Mr. Okafor", "named Li Wei").

    The window adds them to the customer's name when it redacts the key terms of a case, since a key term
    such as "okafor" is stored alone, without the words that showed it was a name."""
    flat = _WHITESPACE.sub(" ", text)
    return [flat[start:end] for start, end in _people(flat)]


_PASSES: tuple[tuple[Callable[[str], list[tuple[int, int]]], str], ...] = (
    (_address_spans, ADDRESS),  # before cards and phones: a house number beside a postcode is neither
    (_person_spans, NAME),
    (_iban_spans, IBAN),
    (card_spans, CARD),
    (_phone_spans, PHONE),
)


def redact(text: str) -> str:
    """``text`` with card numbers, emails, phones, IBANs, US social security numbers, street addresses,
    people it names and secret keys replaced by tokens such as ``[card]``, and Stripe object IDs cut to
    their prefix (``ch_…``): what is left may be stored.

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
    return re.sub(r"(\[name\])(\s+\[name\])+", r"\1", _replace_spans(text, spans, NAME))


def _fold(text: str) -> str:
    """Each character without its accents, one character for one (é -> e, ø stays ø)."""
    return "".join(unicodedata.normalize("NFKD", ch)[0] if ch.isalpha() else ch for ch in text)
