"""Words, stems and stop words shared by the index and the case analyser, so both cut text alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh.analysis import Analyzer, StemmingAnalyzer, Token
from whoosh.analysis.filters import STOP_WORDS
from whoosh.lang.porter import stem as porter_stem

# Same token pattern as Whoosh's default tokenizer, so case terms and indexed terms are cut alike.
WORD = re.compile(r"\w+(?:\.?\w+)*")

# Words that say nothing about the topic of a support case.
SUPPORT_STOP = (
    frozenset(
        """
hi hello hey don ll ve dear team support thanks thank regards best cheers sincerely kind please pls
plz help helping need needs want wanted would could should can cannot can't couldn't wouldn't don't
doesn't didn't isn't wasn't won't i'm i've we're we've you're it's that's there's let know get got
getting just really also still even yet already now today yesterday tomorrow week weeks day days
month months time times hour hours minute minutes again ago asap urgent urgently issue issues
problem problems question questions something anything everything someone anyone thing things way
lot lots much many one two three first last next im ive dont cant wont didnt doesnt isnt wasnt thats
theres whats hope hoping look looking see seen said say says told tell ask asked asking like sure
okay ok yes no hii hallo sir madam mr mrs ms email emails mail message reply wrote sent send write
writing call called contact contacted since about above below after before here there this that
these those what which who whom whose why how when where while am is are was were be been being have
has had do does did will shall may might must my mine me our ours us your yours their theirs them
they he she him her his its it we you i a an the and or but if then than so of to in on at by for
from with without into onto over under up down out off as per via etc com www http https re fw fwd
subject date cc bcc
""".split()
    )
    | STOP_WORDS
)

INDEX_STOP_WORDS = STOP_WORDS
MIN_WORD = 2  # shorter tokens are not indexed (StemmingAnalyzer's minsize)


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
        pos = None
        stops = self.stops
        for number, match in enumerate(self.expression.finditer(value)):
            text = match.group(0).lower()
            if len(text) < MIN_WORD or text in stops:
                continue
            if positions:  # StopFilter's renumbering: the first kept token keeps its place, the rest follow it
                pos = start_pos + number if pos is None else pos + 1
                token.pos = pos
            token.text = stem(text)
            token.boost = 1.0
            token.stopped = False
            yield token

    def has_morph(self) -> bool:
        return True


ANALYZER = KbAnalyzer()  # Whoosh's English stop list, Porter stems


def tokenize(text: str) -> list[str]:
    return [m.group(0).lower() for m in WORD.finditer(text)]


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The stem the index stores for ``word`` (so query terms meet indexed terms)."""
    return str(porter_stem(word.lower()))


COMMON_WORDS_FILE = Path(__file__).with_name("common_words.txt")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Everyday English that says little about a case ("guys", "couple", "taking"): weighed down, not dropped."""
    lines = COMMON_WORDS_FILE.read_text("utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def is_stop(word: str) -> bool:
    return word in SUPPORT_STOP or len(word) < 2 or (word.isdigit() and len(word) != 3)
