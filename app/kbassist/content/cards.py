"""Card numbers in free text: where they are, told from order numbers and amounts by the Luhn checksum and
by how cards are printed.

Both the case analyser (the last four digits for ``{{last4}}`` and a warning not to paste card numbers back)
and the usage redactor (cards never reach the store) read cards the same way.
"""

from __future__ import annotations

import re

SPACE = " \u00a0"
# Digit groups separated by one space, dash, dot or slash (after whitespace is normalised): where a card
# number may hide.
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:(?: ?[./-] ?| )\d+)*(?!\d)")
_DIGIT_GROUP = re.compile(r"\d+")
# How cards are printed; a span with one of these layouts is a card even next to other digit groups.
_CARD_LAYOUTS = frozenset({(4, 4, 4, 4), (4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3)})
_SHORT_GROUP = 3  # an expiry month or a CVC beside a card, not part of it
_MIN_DIGITS = 12  # the shortest card number


def luhn_valid(digits: str) -> bool:
    """The card-number checksum: every second digit from the right doubled, the sum divisible by 10."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_card(lengths: list[int], digits: str, cut_before: int | None, cut_after: int | None) -> bool:
    """Whether these digit groups read as one card number.

    ``cut_before``/``cut_after`` are the lengths of the groups left out on either side (None at the run's
    edge). Without the layout rule a Luhn-invalid "4242 4242 4242 4241" would hide a Luhn-valid 12-digit
    card in its first three groups.
    """
    if not _MIN_DIGITS <= len(digits) <= 19 or any(n < _SHORT_GROUP for n in lengths[:-1]) or not luhn_valid(digits):
        return False
    if tuple(lengths) in _CARD_LAYOUTS or len(lengths) == 1:
        return True
    return all(cut is None or cut <= _SHORT_GROUP for cut in (cut_before, cut_after))


def card_spans(text: str) -> list[tuple[int, int]]:
    """Luhn-valid runs of 12-19 digits, grouped by single spaces or dashes, in whitespace-normalised text."""
    spans: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        if run.end() - run.start() < _MIN_DIGITS:
            continue  # too short to hold a card: most runs in a log ("\x1b[2J" 50,000 times took 0.5 s)
        k = run.start() - 1
        while k >= 0 and text[k] in SPACE:  # (slicing the text before each run was quadratic)
            k -= 1
        if k >= 0 and text[k] == "+":
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


_WHITESPACE = re.compile(r"\s+")


_GROUP_OF_THREE = re.compile(r"\d{3}")  # every card has one: its groups are 3 digits or more, but the last


def card_last4s(text: str) -> list[str]:
    """The last four digits of each full card number in ``text``, in order, each once; nothing else of them."""
    if not _GROUP_OF_THREE.search(text):
        return []
    flat = _WHITESPACE.sub(" ", text)
    found: dict[str, None] = {}
    for start, end in card_spans(flat):
        digits = [ch for ch in flat[start:end] if ch.isdigit()]
        found.setdefault("".join(digits[-4:]), None)
    return list(found)
