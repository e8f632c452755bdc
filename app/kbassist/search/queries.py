"""The Whoosh queries case ranking and typed search are both made of: a stem or phrase over every text
field with that field's boost, and the boost of a code the text names."""

from __future__ import annotations

from whoosh.query import Or, Phrase, Query, Term

from kbassist.search.schema import FIELD_BOOSTS

CODE_BOOST = 4.0


def term_query(phrase: tuple[str, ...], boost: float) -> Query:
    """One stem (a term) or several (a phrase, two words apart at most) in every text field."""
    per_field: list[Query] = []
    for fieldname, field_boost in FIELD_BOOSTS.items():
        if len(phrase) == 1:
            per_field.append(Term(fieldname, phrase[0], boost=boost * field_boost))
        else:
            per_field.append(Phrase(fieldname, list(phrase), slop=2, boost=boost * field_boost))
    return Or(per_field)
