"""The words support text is cut into, the ones that say nothing about its topic, and their stems.

Shared by the search index, the case analyser (``kbassist.search.text``) and the editors' content gaps
(``kbassist.usage.stats.gap_terms``), so a word counts as the same word everywhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

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


def tokenize(text: str) -> list[str]:
    return [m.group(0).lower() for m in WORD.finditer(text)]


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The stem the index stores for ``word`` (so query terms meet indexed terms)."""
    return str(porter_stem(word.lower()))


def is_stop(word: str) -> bool:
    """A word that says nothing about a case's topic: a stop word, one letter, or a number other than a
    three-digit code (HTTP statuses and decline codes are three digits; other numbers are IDs and amounts)."""
    return word in SUPPORT_STOP or len(word) < 2 or (word.isdigit() and len(word) != 3)
