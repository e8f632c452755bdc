"""Macro translations: files beside their macro, checked by lint, never indexed as items of their own, and
picked by the case's language when a reply is written."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from conftest import write
from kbassist.content.kb_files import iter_kb_files
from kbassist.content.lint import lint_folder
from kbassist.content.loader import load_kb
from kbassist.content.model import Macro
from kbassist.search.engine import SearchEngine
from kbassist.search.replies import LanguageUnavailableError

MACRO_ID = "macro-refunds-refund-issued"
GERMAN_CASE = (
    "Hallo, ich warte seit zwei Wochen auf meine Rückerstattung von 1.250,00 € (re_3PqAbCdEfGh12345). "
    "Wann kommt das Geld endlich auf meinem Konto an?\n\nViele Grüße\nJana Müller"
)
TODAY = dt.date(2026, 2, 20)


def translation(kb: Path, slug: str, lang: str, body: str, item_id: str = MACRO_ID, title: str = "Übersetzt") -> Path:
    meta = f"---\nid: {item_id}\nlang: {lang}\ntitle: {title}\n---\n"
    return write(kb / "macros" / "refunds" / f"{slug}.{lang}.md", meta + body)


GERMAN = (
    "Hallo {{customer_name|zusammen}},\n\nwir haben {{amount}} ({{refund_id}}) erstattet. Bitte rechnen Sie mit "
    "{{business_days}} Werktagen.\n\nViele Grüße\n{{agent_name}}\n"
)
FRENCH = (
    "Bonjour {{customer_name|à vous}},\n\nNous avons remboursé {{amount}} ({{refund_id}}). Comptez "
    "{{business_days}} jours ouvrés.\n\nCordialement,\n{{agent_name}}\n"
)


@pytest.fixture
def kb(mini_kb: Path) -> Path:
    translation(mini_kb, "refund-issued", "de", GERMAN, title="Erstattung ausgelöst")
    translation(mini_kb, "refund-issued", "fr", FRENCH, title="Remboursement effectué")
    return mini_kb


def test_a_translation_belongs_to_its_macro_and_is_no_item_of_its_own(kb: Path) -> None:
    content = load_kb(kb)
    assert len(content.items) == 5 and content.problems == []
    macro = content.items[MACRO_ID]
    assert isinstance(macro, Macro)
    assert macro.languages == ("en", "de", "fr")
    assert macro.text("de").title == "Erstattung ausgelöst" and macro.text("de").body.startswith("Hallo")
    assert macro.text("es").body == macro.body  # no Spanish: its own English
    assert not any(".de." in p.name or ".fr." in p.name for p in iter_kb_files(kb))


def test_lint_reports_translations_that_cannot_be_used(kb: Path) -> None:
    translation(kb, "no-such-macro", "de", GERMAN)
    translation(kb, "refund-issued", "es", GERMAN.replace("Hallo", "Hola"), item_id="macro-refunds-other")
    translation(kb, "refund-issued", "it", "Ciao {{customer_name}},\n\nRimborso {{refund_id}}.\n\n{{agent_name}}\n")
    translation(kb, "refund-issued", "xx", GERMAN)
    translation(kb, "refund-issued", "en", GERMAN)
    write(kb / "macros" / "refunds" / "refund-issued.pt.md", "---\nid: macro-refunds-refund-issued\nlang: es\n---\nOlá")
    content, problems = lint_folder(kb)
    found = {(p.rel_path.rsplit("/", 1)[-1], p.severity): p.reason for p in problems}
    assert "translation without its base macro" in found[("no-such-macro.de.md", "error")]
    assert "differs from its base macro's 'macro-refunds-refund-issued'" in found[("refund-issued.es.md", "error")]
    assert "unknown language code 'xx'" in found[("refund-issued.xx.md", "error")]
    assert "base macro's own language" in found[("refund-issued.en.md", "error")]
    assert "missing front-matter field(s) of a translation: title" in found[("refund-issued.pt.md", "error")]
    differs = found[("refund-issued.it.md", "warning")]
    assert "placeholders differ" in differs and "missing: amount, business_days" in differs
    assert not any("duplicate id" in p.reason for p in problems)
    macro = content.items[MACRO_ID]
    assert isinstance(macro, Macro) and macro.languages == ("en", "de", "fr", "it")  # a warning still lets it in


def test_the_index_holds_base_macros_and_reads_translations_as_they_are_now(kb: Path, tmp_path: Path) -> None:
    with SearchEngine(kb, index_root=tmp_path / "ix", embedder=False) as engine:
        report = engine.update()
        assert engine.index.doc_count() == 5 and report.problems == []
        assert not engine.search("erstattet Werktagen")  # a translation's words are not indexed
        macro = engine.get(MACRO_ID)
        assert isinstance(macro, Macro) and macro.languages == ("en", "de", "fr")
        translation(kb, "refund-issued", "de", GERMAN.replace("erstattet", "zurückerstattet"))
        macro = engine.get(MACRO_ID)  # edited while the app runs: no re-index needed
        assert isinstance(macro, Macro) and "zurückerstattet" in macro.text("de").body


def test_translations_added_or_removed_while_the_app_runs_are_seen(kb: Path, tmp_path: Path) -> None:
    """The folder's listing is kept between replies; adding or removing a file changes the folder, so the
    next reply sees it (the folder is dated back so the kept listing is the one trusted)."""
    folder = kb / "macros" / "refunds"
    with SearchEngine(kb, index_root=tmp_path / "ix", embedder=False) as engine:
        engine.update()
        os.utime(folder, ns=(folder.stat().st_atime_ns, folder.stat().st_mtime_ns - 10**10))
        macro = engine.get(MACRO_ID)
        assert isinstance(macro, Macro) and macro.languages == ("en", "de", "fr")
        assert engine.get(MACRO_ID) == macro  # the kept listing
        spanish = translation(kb, "refund-issued", "es", GERMAN.replace("Hallo", "Hola"), title="Reembolso")
        macro = engine.get(MACRO_ID)
        assert isinstance(macro, Macro) and macro.languages == ("en", "de", "es", "fr")
        os.utime(folder, ns=(folder.stat().st_atime_ns, folder.stat().st_mtime_ns - 10**10))
        assert engine.get(MACRO_ID).languages == ("en", "de", "es", "fr")  # type: ignore[union-attr]
        spanish.unlink()
        (folder / "refund-issued.fr.md").unlink()
        macro = engine.get(MACRO_ID)
        assert isinstance(macro, Macro) and macro.languages == ("en", "de")


def test_the_case_language_picks_the_variant_and_the_associate_can_switch(kb: Path, tmp_path: Path) -> None:
    with SearchEngine(kb, index_root=tmp_path / "ix", embedder=False) as engine:
        engine.update()
        agent = {"agent_name": "Robin"}
        german = engine.compose([MACRO_ID], GERMAN_CASE, agent, today=TODAY)
        assert german.lang == "de" and german.languages == ("en", "de", "fr")
        assert german.ids == (MACRO_ID,)  # usage records the macro, whatever its language
        assert german.parts[0].title == "Erstattung ausgelöst"
        assert german.text.startswith("Hallo Jana Müller,\n\nwir haben 1.250,00\u00a0€ (re_3PqAbCdEfGh12345)")
        french = engine.compose([MACRO_ID], GERMAN_CASE, agent, lang="fr", today=TODAY)
        assert "Nous avons remboursé 1\u202f250,00\u00a0€" in french.text
        english = engine.compose([MACRO_ID], GERMAN_CASE, agent, lang="en", today=TODAY)
        assert "We refunded €1,250.00 (re_3PqAbCdEfGh12345)" in english.text
        with pytest.raises(LanguageUnavailableError) as refused:
            engine.compose([MACRO_ID, "macro-disputes-dispute-fee"], GERMAN_CASE, agent, lang="de")
        assert refused.value.missing == ("macro-disputes-dispute-fee",)
        mixed = engine.compose([MACRO_ID, "macro-disputes-dispute-fee"], GERMAN_CASE, agent, today=TODAY)
        assert mixed.lang == "en" and mixed.languages == ("en",)  # one language for the whole reply


def test_suggestions_are_filled_in_the_case_language(kb: Path, tmp_path: Path) -> None:
    with SearchEngine(kb, index_root=tmp_path / "ix", embedder=False) as engine:
        engine.update()
        result = engine.suggest(GERMAN_CASE, {"agent_name": "Robin"})
        refund = next(m for m in result.macros if m.id == MACRO_ID)
        assert refund.lang == "de" and refund.filled is not None and refund.filled.startswith("Hallo Jana Müller")
