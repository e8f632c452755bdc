"""Words, stems and stop words shared by the index and the case analyser, so both cut text alike (the words
themselves, their stems and the support stop list are ``kbassist.content.words``, which the usage figures share)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh.analysis import Analyzer, StemmingAnalyzer, Token
from whoosh.analysis.filters import STOP_WORDS

from kbassist.content.words import SUPPORT_STOP, WORD, is_stop, stem, tokenize

__all__ = ["ANALYZER", "INDEX_STOP_WORDS", "SUPPORT_STOP", "WORD", "common_words", "is_stop", "stem", "tokenize"]

INDEX_STOP_WORDS = STOP_WORDS
MIN_WORD = 2  # shorter tokens are not indexed (StemmingAnalyzer's minsize)


@lru_cache(maxsize=8)
def whole_matches(expression: re.Pattern[str]) -> re.Pattern[str]:
    """``expression`` with its groups made non-capturing: the same matches, which ``findall`` then gives whole
    (what ``finditer``'s ``group(0)`` gives, without a match object per word: a tenth of the time of reading a
    document's words for "did you mean")."""
    plain = re.compile(re.sub(r"(?<!\\)\((?!\?)", "(?:", expression.pattern), expression.flags)
    if plain.groups:
        raise ValueError(f"{expression.pattern!r} keeps a group")
    return plain


class KbAnalyzer(Analyzer):  # type: ignore[misc]  # Whoosh is untyped
    """Whoosh's ``StemmingAnalyzer(minsize=2)`` (its tokens, lowercase, English stop list, Porter stems) in one
    loop instead of four chained generators: the same tokens, positions and boosts, in about half the time
    (a fifth of an index build went to the chain). Anything but plain tokenizing (character offsets, kept
    stop words, a whole value as one token) goes through the chain itself."""

    is_morph = True

    def __init__(self) -> None:
        self.chain = StemmingAnalyzer(minsize=MIN_WORD, cachesize=50000)
        tokenizer, _lower, stops, _stem = self.chain.items
        self.expression, self.stops = tokenizer.expression, stops.stops  # whoosh-reloaded's pattern keeps '*'

    def __call__(  # noqa: PLR0913 - Whoosh's analyzer protocol
        self,
        value: str,
        *,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        if chars or keeporiginal or not removestops or not tokenize:
            yield from self.chain(
                value,
                positions=positions,
                chars=chars,
                keeporiginal=keeporiginal,
                removestops=removestops,
                start_pos=start_pos,
                start_char=start_char,
                tokenize=tokenize,
                mode=mode,
                **kwargs,
            )
            return
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, word in self._indexed(value, start_pos):
            if positions:
                token.pos = pos
            token.text = word
            token.boost = 1.0
            token.stopped = False
            yield token

    def has_morph(self) -> bool:
        return True

    def stemmed_positions(self, value: str) -> dict[str, list[int]]:
        """Each stem of ``value`` with its positions, in order of first use: what ``__call__`` yields with
        ``positions`` (without a token per word), as Whoosh's ``Positions`` format gathers it."""
        found: dict[str, list[int]] = {}
        for pos, word in self._indexed(value):
            at = found.get(word)
            if at is None:
                found[word] = [pos]
            else:
                at.append(pos)
        return found

    def _indexed(self, value: str, start_pos: int = 0) -> Iterator[tuple[int, str]]:
        """(position, stem) of each word of ``value`` the index keeps: two letters or more, not a stop word,
        numbered as Whoosh's ``StopFilter`` renumbers them (the first kept word keeps its place from
        ``start_pos``, the rest follow it). A word as written is stemmed once (``_kept_stems``)."""
        kept = _kept_stems(self.stops)
        pos = None
        for number, found_word in enumerate(whole_matches(self.expression).findall(value)):
            word = kept.get(found_word)
            if word is None:
                text = found_word.lower()
                word = kept[found_word] = "" if len(text) < MIN_WORD or text in self.stops else stem(text)
            if word:
                pos = start_pos + number if pos is None else pos + 1
                yield pos, word
        if len(kept) > MAX_KEPT_STEMS:
            kept.clear()


MAX_KEPT_STEMS = 100_000  # words as written -> stem: the bench's 10,000-article KB writes 13,500 distinct ones


@lru_cache(maxsize=4)
def _kept_stems(stops: frozenset[str]) -> dict[str, str]:
    """Each word as a document writes it -> its stem, "" for a word not indexed: kept by the module, not by the
    analyzer, which Whoosh pickles into every index's schema (an index written before would lack it)."""
    return {}


ANALYZER = KbAnalyzer()  # Whoosh's English stop list, Porter stems


COMMON_WORDS_FILE = Path(__file__).with_name("common_words.txt")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Everyday English that says little about a case ("guys", "couple", "taking"): weighed down, not dropped."""
    lines = COMMON_WORDS_FILE.read_text("utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))
