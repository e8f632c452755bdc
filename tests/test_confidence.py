"""Confidence: "high" only when the evidence agrees; a case with nothing to go on is never an answer."""

from __future__ import annotations

import pytest

from kbassist.search import confidence
from kbassist.search.engine import SearchEngine
from kbassist.search.ranking import Ranked


@pytest.mark.parametrize(
    "text",
    [
        "ch_3OzT5kHf8sLq2Ab00aR7uWcE",
        "Hi,\n\nThanks!",
        "",
        "asdf qwer zxcv ;;; ###",
        "pi_3OzT5kHf8sLq2Ab01xQ9mNcR re_3PqRfnd0aLkdIwHu7ix9Qz",
    ],
)
def test_no_words_to_go_on_is_never_a_confident_answer(bundled_engine: SearchEngine, text: str) -> None:
    assert bundled_engine.suggest(text).confidence != "high"


def test_an_id_alone_gives_its_products_articles_as_leads(bundled_engine: SearchEngine) -> None:
    result = bundled_engine.suggest("re_3PqRfnd0aLkdIwHu7ix9Qz")
    assert result.confidence == "low"
    assert result.articles and result.articles[0].product == "refunds"
    assert "refunds" in result.products


def test_a_clear_case_is_confident_and_a_vague_off_topic_one_is_not(bundled_engine: SearchEngine) -> None:
    clear = bundled_engine.suggest(
        "Hi, I refunded order 8812 (re_3PqRfnd0aLkdIwHu7ix9Qz) nine days ago and my customer says it's still "
        "not on her Visa statement. How long does a refund take to show up?"
    )
    assert clear.confidence == "high" and clear.articles[0].product == "refunds"
    vague = bundled_engine.suggest(
        "Hi team, our office manager is leaving and I need to change the standing catering order for the "
        "Thursday lunch meetings, 14 people, two vegetarian. Who do I talk to?"
    )
    assert vague.confidence != "high"


def _ranked(product: str, score: float, lexical: float, similarity: float, coverage: float = 0.6) -> Ranked:
    return Ranked(
        f"{product}-{score}", "article", "t", product, score, coverage=coverage, lexical=lexical, similarity=similarity
    )


def test_disagreeing_evidence_lowers_the_probability() -> None:
    agree = [_ranked("refunds", 100, 40, 0.7), _ranked("refunds", 80, 30, 0.6), _ranked("payouts", 40, 10, 0.3)]
    split = [_ranked("refunds", 100, 20, 0.4), _ranked("payouts", 95, 40, 0.7), _ranked("disputes", 90, 30, 0.6)]
    p_agree = confidence.probability(confidence.signals(agree, [], 20, True))
    p_split = confidence.probability(confidence.signals(split, [], 20, True))
    assert p_agree > confidence.THRESHOLD > p_split


def test_product_evidence_from_ids_raises_the_probability() -> None:
    articles = [_ranked("refunds", 100, 30, 0.6, 0.45), _ranked("payouts", 70, 25, 0.5)]
    without = confidence.probability(confidence.signals(articles, [], 20, True))
    with_id = confidence.probability(confidence.signals(articles, ["refunds"], 20, True))
    assert with_id > without
