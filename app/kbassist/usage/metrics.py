"""How much an associate changed a macro before sending it: the signal that a macro needs rewriting."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

_TOKEN = re.compile(r"\w+|[^\w\s]")


def edit_ratio(filled_text: str, final_text: str) -> float:
    """0.0 when the filled macro was copied unchanged, 1.0 when nothing of it survived.

    Compared word by word (punctuation as its own token), so reflowing lines or changing spaces is not
    an edit, while filling a left-over placeholder or rewording a sentence is. The result is
    ``1 - SequenceMatcher.ratio()``: the share of tokens, of both texts together, that do not match.
    """
    before = _TOKEN.findall(filled_text)
    after = _TOKEN.findall(final_text)
    if not before and not after:
        return 0.0
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    return round(min(1.0, max(0.0, 1.0 - matcher.ratio())), 4)
