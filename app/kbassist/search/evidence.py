"""What a ranked article or macro rests on, as records: the ranking adds them, ``why`` puts them into words.

``why`` is shown under each suggestion and printed by ``kbassist suggest --json``, which other scripts read;
its wording is kept as it is. The records let code ask what an item rests on without reading that text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SHOWN_TERMS = 6  # matched key terms named in ``why`` (all of them count for the ranking)


@dataclass(frozen=True, slots=True)
class MatchedTerms:
    """The case's key terms the item matched, itself or through a synonym, as the case wrote them."""

    surfaces: tuple[str, ...]

    def describe(self) -> str:
        return "matched: " + ", ".join(self.surfaces[:SHOWN_TERMS])


@dataclass(frozen=True, slots=True)
class CodesMatched:
    """Decline or API error codes of the case that the article lists."""

    codes: tuple[str, ...]

    def describe(self) -> str:
        return "code: " + ", ".join(self.codes)


@dataclass(frozen=True, slots=True)
class ProductNamed:
    """The case's IDs or codes name the item's product; ``source`` is the ID prefix or code that does."""

    product: str
    source: str | None = None

    def describe(self) -> str:
        return f"product: {self.product}" + (f" (from {self.source})" if self.source else "")


@dataclass(frozen=True, slots=True)
class ReliesOn:
    """The macro relies on this ranked article and borrows from its score."""

    article_id: str
    title: str

    def describe(self) -> str:
        return f"relies on: {self.title}"


Evidence = MatchedTerms | CodesMatched | ProductNamed | ReliesOn


def explain(evidence: Sequence[Evidence]) -> str:
    """The records in words, in the order they were found; an item found by meaning alone is "related"."""
    return "; ".join(record.describe() for record in evidence) or "related content"
