"""The Whoosh queries case ranking and typed search are both made of: a stem or phrase over every text
field with that field's boost, and the boost of a code the text names."""

from __future__ import annotations

from whoosh.query import Or, Phrase, Query, Term

from kbassist.search.schema import FIELD_BOOSTS

CODE_BOOST = 4.0
PHRASE_SLOP = 2  # a phrase's words may stand two apart ("refund was late" matches "refund late")


def term_query(phrase: tuple[str, ...], boost: float) -> Query:
    """One stem (a term) or several (a phrase, two words apart at most) in every text field."""
    per_field: list[Query] = []
    for fieldname, field_boost in FIELD_BOOSTS.items():
        if len(phrase) == 1:
            per_field.append(Term(fieldname, phrase[0], boost=boost * field_boost))
        else:
            per_field.append(Phrase(fieldname, list(phrase), slop=PHRASE_SLOP, boost=boost * field_boost))
    return Or(per_field)


def flat_or(clauses: list[Query]) -> Query | None:
    """``Or(clauses).normalize()`` for clauses that are terms, phrases and ORs of them, without its cost.

    Whoosh's normalize copies every leaf it lifts out of a nested OR (``with_boost`` deep-copies it): about
    a third of a suggestion once scoring became array work. The leaves, their boosts, their order and the
    dropping of repeats are the same (tests/test_collect.py compares the two on every labelled case).
    """
    leaves: list[Query] = []
    seen: set[Query] = set()
    for clause in clauses:
        nested = type(clause) is Or and not clause.minmatch and not clause.scale
        for sub in clause.subqueries if nested else [clause]:
            leaf = sub if type(sub) is Term else sub.normalize()  # a phrase of one word becomes a term
            if nested and clause.boost != 1.0:
                leaf = leaf.with_boost(leaf.boost * clause.boost)
            if leaf not in seen:
                seen.add(leaf)
                leaves.append(leaf)
    if not leaves:
        return None
    return leaves[0] if len(leaves) == 1 else Or(leaves)
