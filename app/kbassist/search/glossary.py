"""English KB words for the payment vocabulary of a non-English case ("Auszahlung" -> payout).

The KB is written in English. A German or Spanish case shares its IDs, codes and product names with it,
and little else; the glossary (glossary.yaml: about 160 words a language for de, fr, es, pt, nl, it and ja,
the words merchants use when they write to payment support) adds the English words of its topic so the
lexical and dense sides have something to match. It never replaces the case's own words.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from whoosh.lang.stopwords import stoplists

from kbassist.search.data_files import load_yaml
from kbassist.search.text import WORD, tokenize

# Whoosh's stop lists for the languages it has them for (Japanese needs none: it is not split into words).
STOP_WORDS: dict[str, frozenset[str]] = {lang: frozenset(words) for lang, words in stoplists.items() if lang != "en"}

GLOSSARY_FILE = Path(__file__).with_name("glossary.yaml")
SUBSTRING_LANGUAGES = frozenset({"ja", "zh", "ko"})  # written without spaces: terms are found inside runs


@cache
def load_glossary(path: Path = GLOSSARY_FILE) -> dict[str, dict[str, str]]:
    data = load_yaml(path) or {}
    return {str(lang): {str(k).lower(): str(v) for k, v in (words or {}).items()} for lang, words in data.items()}


def carry_across(text: str, language: str) -> str:
    """The text as the English KB can match it: glossary words in English, the language's stop words gone.

    IDs, codes, product names, amounts and English words inside the text are kept as written. Languages
    written without spaces keep their text and get the English terms appended.
    """
    words = load_glossary().get(language, {})
    if language in SUBSTRING_LANGUAGES:
        return text + "\n" + " ".join(english_terms(text, language))
    stops = STOP_WORDS.get(language, frozenset())

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        lowered = word.lower()
        if lowered in words:
            return words[lowered]
        return "" if lowered in stops else word

    return WORD.sub(swap, text)


def english_terms(text: str, language: str) -> list[str]:
    """The English words for the glossary terms the text uses, in order of appearance (repeats kept)."""
    words = load_glossary().get(language)
    if not words:
        return []
    if language in SUBSTRING_LANGUAGES:
        found = sorted((text.find(term), term) for term in words if term in text)
        return [words[term] for _pos, term in found]
    return [words[w] for w in tokenize(text) if w in words]
