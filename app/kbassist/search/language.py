"""Which language a case is written in, so English-only steps (spelling correction, the common-word list,
the English embedding model) are not applied to German or Spanish words.

py3langid (a maintained fork of langid.py, a naive Bayes model over byte n-grams trained on 97 languages)
does the detection; this module only chooses what text it sees and when to trust it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from py3langid.langid import LanguageIdentifier

from kbassist.content.stripe import ID_PATTERN, SECRET_PATTERN
from kbassist.search.langid_model import load_identifier

# The languages associates receive cases in. Restricting the model to them keeps a short English case
# from being called Luxembourgish or Latin.
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "pt", "nl", "it", "ja", "sv", "da", "pl", "zh", "ko")
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "nl": "Dutch",
    "it": "Italian",
    "ja": "Japanese",
    "sv": "Swedish",
    "da": "Danish",
    "pl": "Polish",
    "zh": "Chinese",
    "ko": "Korean",
}
DEFAULT = "en"
# Below this many letters of prose a case is too short to call ("payout missing" scores 0.59 English,
# "nicht" 0.51 German): it is taken as English, the KB's language.
MIN_LETTERS = 12
# Probability (normalised over LANGUAGES) a non-English call needs. Developer prose mixed with English
# error messages sits at 0.5-0.8 when it is English; German, French or Spanish paragraphs score 0.99+.
MIN_PROBABILITY = 0.9
MAX_CHARS = 4000  # the first few paragraphs say which language; more only costs time

# Lines that are logs, code or data rather than prose: JSON, stack frames, key=value dumps, shell lines.
_CODE_LINE = re.compile(r"^\s*(?:[{}\[\]\"<>#$|]|at\s+\S+\(|\w+(?:\.\w+)+\(|[\w.-]+\s*[:=]\s*[\"'{\[\d]|//|\$\s)", re.M)
_NOISE = re.compile(r"https?://\S+|`[^`\n]*`|(?<!\S)\S+@\S+|\b\w*_\w+\b|\b\w*\d\w*\b")


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    probability: float

    @property
    def name(self) -> str:
        return LANGUAGE_NAMES.get(self.code, self.code)

    @property
    def is_english(self) -> bool:
        return self.code == "en"


@cache
def _identifier() -> LanguageIdentifier:
    return load_identifier(LANGUAGES)


def prepare_language_model() -> None:
    """Load the language model now (mapped from the cache, or unpacked into it the first time)."""
    _identifier()


def prose(text: str) -> str:
    """The case's sentences without its logs, IDs, codes, URLs and numbers (which are language-neutral)."""
    text = text[:MAX_CHARS]
    text = SECRET_PATTERN.sub(" ", ID_PATTERN.sub(" ", text))
    lines = [ln for ln in text.splitlines() if not _CODE_LINE.match(ln)]
    return re.sub(r"\s+", " ", _NOISE.sub(" ", "\n".join(lines))).strip()


def detect_language(text: str) -> Language:
    sentences = prose(text)
    if sum(c.isalpha() for c in sentences) < MIN_LETTERS:
        return Language(DEFAULT, 0.0)
    code, probability = _identifier().classify(sentences)
    if code != DEFAULT and probability < MIN_PROBABILITY:
        return Language(DEFAULT, round(1.0 - float(probability), 3))
    return Language(str(code), round(float(probability), 3))
