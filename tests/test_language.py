"""The case's language: detected by the model, and English-only steps kept off other languages' words."""

from __future__ import annotations

import pytest

from kbassist.search.case import analyse_case
from kbassist.search.engine import SearchEngine
from kbassist.search.language import detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hallo, meine Auszahlung ist seit Montag nicht angekommen. Was ist da los?", "de"),
        ("Bonjour, le remboursement de ma cliente n'est toujours pas arrivé sur sa carte.", "fr"),
        ("Buenas tardes, el pago de mi cliente fue rechazado dos veces y no entiendo por qué.", "es"),
        ("Olá, o repasse desta semana não caiu na minha conta bancária.", "pt"),
        ("Goedemiddag, de uitbetaling van vorige week is nog steeds niet op onze rekening.", "nl"),
        ("Buongiorno, il rimborso al cliente risulta ancora in sospeso da dieci giorni.", "it"),
        ("返金処理をしたのに、お客様のカードにまだ反映されていません。", "ja"),
        ("My payout has not arrived since Monday, what is going on?", "en"),
    ],
)
def test_languages_are_detected(text: str, code: str) -> None:
    assert detect_language(text).code == code


def test_logs_and_ids_do_not_make_english_prose_foreign() -> None:
    text = (
        "stripe-node 14.14 off-session renewals fail\n"
        '{"error": {"code": "authentication_required", "payment_intent": {"id": "pi_3OzT5kHf8sLq2Ab01xQ9mNcR"}}}\n'
        "    at Object.confirm (/srv/app/node_modules/stripe/lib/StripeResource.js:212:31)\n"
        "why does the issuer ask for 3DS again on a saved card?"
    )
    assert detect_language(text).code == "en"


def test_too_little_text_is_taken_as_english() -> None:
    assert detect_language("nicht").code == "en"
    assert detect_language("ch_3OzT5kHf8sLq2Ab00aR7uWcE").code == "en"


def test_german_words_are_not_spell_corrected_into_english(bundled_engine: SearchEngine) -> None:
    text = "Hallo, die Rückerstattung ist nicht angekommen. Guten Tag und danke, bitte helfen Sie uns schnell."
    _case, _articles, _macros, keys = bundled_engine.rank(text)
    surfaces = {k.surface for k in keys}
    assert "night" not in surfaces and "tag" not in {k.stem for k in keys if k.surface != "tag"}
    assert "refund" in surfaces  # the glossary's English word for Rückerstattung


def test_a_spanish_case_finds_its_product_through_the_glossary(bundled_engine: SearchEngine) -> None:
    result = bundled_engine.suggest(
        "Buenas tardes, hice un reembolso a un cliente hace diez días y todavía no le aparece en su tarjeta. "
        "¿Cuánto tarda normalmente?\nSaludos, Lucía"
    )
    assert result.case.language.code == "es"
    assert result.to_json()["case"]["language"] == "es"
    assert result.articles[0].product == "refunds"
    assert result.case.entities.customer_name == "Lucía"


def test_the_glossary_adds_english_terms_only_to_other_languages() -> None:
    german = analyse_case("Unsere Auszahlung wurde abgelehnt und das Konto ist gesperrt, bitte um Hilfe.")
    assert {"payout", "declin"} <= {t.stem for t in german.terms}
    english = analyse_case("Our payout was declined and the account is blocked, please help.")
    assert english.language.is_english
    assert "auszahlung" not in {t.stem for t in english.terms}


def test_unpacked_model_in_the_cache_gives_the_same_answers_and_survives_damage() -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from kbassist import paths
    from kbassist.search.langid_model import load_identifier
    from kbassist.search.language import LANGUAGES

    packed = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    packed.set_languages(list(LANGUAGES))
    texts = [
        "Hallo, meine Auszahlung ist seit Montag nicht angekommen.",
        "Bonjour, le remboursement n'est toujours pas arrivé.",
        "My payout has not arrived since Monday, what is going on?",
        "返金処理をしたのに、お客様のカードにまだ反映されていません。",
    ]
    first = load_identifier(LANGUAGES)  # unpacks py3langid's model and writes it to the cache
    written = list((paths.cache_dir() / "langid").glob("*.arrays"))
    assert len(written) == 1
    cached = load_identifier(LANGUAGES)
    for text in texts:
        assert first.rank(text) == cached.rank(text) == packed.rank(text)

    written[0].write_bytes(written[0].read_bytes()[:1000])  # a crash left half of it
    repaired = load_identifier(LANGUAGES)
    assert [repaired.classify(t) for t in texts] == [packed.classify(t) for t in texts]
    assert written[0].stat().st_size > 1_000_000


def test_the_bundled_data_files_read_through_libyaml_as_through_the_python_loader() -> None:
    import yaml

    from kbassist.search.data_files import load_yaml
    from kbassist.search.glossary import GLOSSARY_FILE
    from kbassist.search.synonyms import SYNONYMS_FILE

    for path in (SYNONYMS_FILE, GLOSSARY_FILE):
        assert load_yaml(path) == yaml.safe_load(path.read_text("utf-8"))
