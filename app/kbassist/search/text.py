"""Words, stems and stop words shared by the index and the case analyser, so both cut text alike (the words
themselves, their stems and the support stop list are ``kbassist.content.words``, which the usage figures share)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from whoosh.analysis import StemmingAnalyzer
from whoosh.analysis.filters import STOP_WORDS

from kbassist.content.words import SUPPORT_STOP, WORD, is_stop, stem, tokenize

__all__ = ["ANALYZER", "INDEX_STOP_WORDS", "SUPPORT_STOP", "WORD", "common_words", "is_stop", "stem", "tokenize"]

INDEX_STOP_WORDS = STOP_WORDS
ANALYZER = StemmingAnalyzer(minsize=2, cachesize=50000)  # Whoosh's English stop list, Porter stems


COMMON_WORDS_FILE = Path(__file__).with_name("common_words.txt")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Everyday English that says little about a case ("guys", "couple", "taking"): weighed down, not dropped."""
    lines = COMMON_WORDS_FILE.read_text("utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))
