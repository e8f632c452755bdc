"""The field set itself: large, spread over every product and language, labelled with KB ids that exist,
split once, each case traceable to its public report."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kbassist.content.loader import load_kb
from kbassist.content.model import PRODUCTS
from kbassist.evaluation.field import load_field_cases, name_matches

FIELD = Path(__file__).parent / "eval" / "field.yaml"
CASES = load_field_cases(FIELD)


def test_size_and_spread() -> None:
    assert len(CASES) >= 250
    per_product = Counter(c.products[0] for c in CASES if not c.out_of_scope)
    assert set(per_product) == set(PRODUCTS)
    assert min(per_product.values()) >= 8
    assert sum(c.out_of_scope for c in CASES) >= 30
    languages = Counter(c.language for c in CASES if c.language != "en")
    assert sum(languages.values()) >= 20
    assert {"de", "fr", "es", "pt", "nl", "it", "ja"} <= set(languages)


def test_every_case_names_its_source_once() -> None:
    sources = [c.source for c in CASES]
    assert all(s.startswith("https://") for s in sources)
    assert len(set(sources)) == len(sources)


def test_split_is_about_sixty_forty_and_covers_every_product() -> None:
    splits = Counter(c.split for c in CASES)
    assert set(splits) == {"tune", "test"}
    assert 0.55 <= splits["tune"] / len(CASES) <= 0.65
    for split in ("tune", "test"):
        assert {c.products[0] for c in CASES if c.split == split and not c.out_of_scope} == set(PRODUCTS)


def test_labels_name_existing_kb_items() -> None:
    items = load_kb(FIELD.parents[2] / "kb").items
    for case in CASES:
        assert set(case.products) <= set(PRODUCTS), case.id
        for item_id in (*case.articles, *case.macros):
            assert item_id in items, (case.id, item_id)
        assert all(items[a].kind == "article" for a in case.articles), case.id
        assert all(items[m].kind == "macro" for m in case.macros), case.id
        if case.out_of_scope:
            assert not case.articles, case.id
        if case.name:
            assert case.name in case.text, case.id


@pytest.mark.parametrize(
    ("detected", "label", "right"),
    [
        ("Thomas", "Thomas Becker", True),
        ("Thomas Becker", "Thomas Becker", True),
        ("Elodie", "Élodie Marchand", True),
        ("Confused", "Thomas Becker", False),
        ("Vera", "Priyanka Rao", False),
        ("山田", "山田太郎", True),
        ("", "Priya", False),
    ],
)
def test_name_matching(detected: str, label: str, right: bool) -> None:
    assert name_matches(detected, label) is right
