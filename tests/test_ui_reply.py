"""The reply composer, driven through the real window: several macros in one reply, the first-start name,
the keyboard, the secrets banner, the reply's language, article links, votes on macros."""

from __future__ import annotations

from pathlib import Path

import pytest

import test_ui_window
from conftest import BUNDLED_KB, front_matter, macro, write
from test_ui_window import make_window, paste_case, row_ids, select_macro

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu

from kbassist import paths
from kbassist.settings import Settings, load_settings
from kbassist.ui.first_run import AgentNameDialog, account_name, default_agent_name
from kbassist.ui.main_window import MainWindow
from kbassist.usage import UsageStore

pytestmark = pytest.mark.gui

# The window tests' fixtures: the bundled KB indexed once, a window on it.
bundled_index, window = test_ui_window.bundled_index, test_ui_window.window

REFUND = "macro-refunds-refund-issued-timeline"
DISPUTE = "macro-disputes-dispute-received-next-steps"
REFUND_AND_DISPUTE = """\
Subject: Refund not arrived and now a chargeback??

Hi, this is Daniel Kim from Northwind Outfitters. We refunded re_3OkF2aLkdIwHu7ix0abcDEF1 for $212.40 on
March 3 but the customer says it never arrived, and now they disputed the payment dp_1OkF2aLkdIwHu7ix0Qm3Zt9X
too. What do we do?

Thanks,
Daniel Kim
"""
REFUND_NO_IDS = """\
Hi, I refunded my customer $80.00 last week but she says the money never arrived on her card. When will she get it?
Thanks, Maria Lopez
"""
GERMAN_REFUND = """\
Hallo, wir haben unserer Kundin eine Rückerstattung über 1.250,00 € veranlasst (re_3OkF2aLkdIwHu7ix0abcDEF1), aber
das Geld ist nach einer Woche noch nicht auf ihrer Karte angekommen. Wann kommt es an?
Viele Grüße
Jonas Weber
"""


def events(w: MainWindow) -> list:
    w.recorder.flush()
    return list(UsageStore(paths.usage_db()).events())


def compose_refund_and_dispute(qtbot, w: MainWindow) -> None:
    paste_case(qtbot, w, REFUND_AND_DISPUTE)
    w.composer.show_macro(w.engine.get(REFUND), "suggestion")
    w.composer.add_macro(w.engine.get(DISPUTE))
    assert w.macro_panel.ids == (REFUND, DISPUTE)


def test_a_reply_composed_of_two_macros_has_one_greeting_one_sign_off_and_shared_fields_once(
    qtbot, window: MainWindow
) -> None:
    compose_refund_and_dispute(qtbot, window)
    panel = window.macro_panel
    text = panel.text()
    assert text.startswith("Hi Daniel Kim,") and text.count("Hi Daniel Kim") == 1
    assert text.count("Best regards") == 1 and text.rstrip().endswith("Robin Park")
    assert text.index("re_3OkF2aLkdIwHu7ix0abcDEF1") < text.index("dp_1OkF2aLkdIwHu7ix0Qm3Zt9X")
    assert panel.unfilled() == ["deadline_date"]
    assert list(panel.form.fields) == ["deadline_date"]  # the amount both parts use came from the case, once
    parts = panel.parts.view.model()
    assert [parts.index(r, 0).data() for r in range(parts.rowCount())] == [
        "Refund issued – when the money arrives",
        "New dispute received – deadline and options",
    ]
    # Reorder: the dispute first, still one greeting.
    panel.parts.view.setCurrentIndex(parts.index(1, 0))
    panel.parts.up_button.click()
    assert panel.ids == (DISPUTE, REFUND)
    text = panel.text()
    assert text.index("dp_1OkF2aLkdIwHu7ix0Qm3Zt9X") < text.index("re_3OkF2aLkdIwHu7ix0abcDEF1")
    assert text.count("Hi Daniel Kim") == 1
    # Take the refund out again: the reply is the dispute macro alone.
    panel.parts.view.setCurrentIndex(parts.index(1, 0))
    panel.parts.remove_button.click()
    assert panel.ids == (DISPUTE,) and "re_3OkF2aLkdIwHu7ix0abcDEF1" not in panel.text()
    panel.parts.remove_button.click()  # a reply keeps its last macro
    assert panel.ids == (DISPUTE,)


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # a popup menu, offscreen
def test_ctrl_shift_a_offers_the_suggestions_to_add(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, REFUND_AND_DISPUTE)
    suggested = row_ids(window.macro_list)
    select_macro(qtbot, window, suggested[0])
    qtbot.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    titles = [a.text() for a in menu.actions()]
    assert titles == [window.engine.get(i).title for i in suggested[1:]]  # the one in the reply is not offered
    menu.actions()[0].trigger()
    menu.close()
    assert window.macro_panel.ids == (suggested[0], suggested[1])


def test_a_composed_reply_is_recorded_as_each_macro_copied_with_what_was_left_unfilled(
    qtbot, window: MainWindow
) -> None:
    compose_refund_and_dispute(qtbot, window)
    window.macro_panel.preview.textCursor().insertText("Quick note: ")
    assert window.macro_panel.copy_reply(confirm=False)
    copied = [e for e in events(window) if e.kind == "copied"]
    assert [e.item_id for e in copied] == [REFUND, DISPUTE]
    assert all(e.placeholders == ("deadline_date",) and e.unfilled == 1 for e in copied)
    assert all(0 < e.edit_ratio < 0.05 for e in copied)  # one reply, edited a little: the same ratio for each
    assert row_ids(window.findChild(object, "macroList"))  # the lists still answer
    assert load_settings().recent_macros[:2] == (REFUND, DISPUTE)
    clip = QGuiApplication.clipboard().text()
    assert clip.count("Hi Daniel Kim") == 1 and "{{deadline_date}}" in clip


def test_macro_votes_are_feedback_on_the_macro(qtbot, window: MainWindow) -> None:
    compose_refund_and_dispute(qtbot, window)
    bar = window.macro_panel.parts
    bar.view.setCurrentIndex(bar.model.index(1, 0))
    bar.not_helpful.click()
    bar.view.setCurrentIndex(bar.model.index(0, 0))
    bar.helpful.click()
    votes = [(e.item_id, e.item_kind, e.helpful) for e in events(window) if e.kind == "feedback"]
    assert votes == [(DISPUTE, "macro", False), (REFUND, "macro", True)]
    assert "macro was not helpful" in window.status.currentMessage() or window.status.currentMessage() == (
        "Thanks for the feedback."
    )


def test_the_first_start_asks_for_the_name_and_fills_agent_name(qtbot, bundled_index: Path) -> None:
    w = make_window(qtbot, BUNDLED_KB, bundled_index, Settings())
    qtbot.waitUntil(lambda: w.first_start.dialog is not None and w.first_start.dialog.isVisible())
    dialog = w.first_start.dialog
    assert isinstance(dialog, AgentNameDialog) and dialog.name.text() == account_name()
    dialog.name.setText("Alex Moreno")
    dialog.signature.setPlainText("Alex Moreno\nPayments Support")
    dialog.accept()
    assert load_settings().agent_name == "Alex Moreno"
    paste_case(qtbot, w, REFUND_AND_DISPUTE)
    w.composer.show_macro(w.engine.get(DISPUTE), "suggestion")
    assert "Alex Moreno" in w.macro_panel.text() and "{{agent_name}}" not in w.macro_panel.text()
    w.close()
    w.engine.close()
    again = make_window(qtbot, BUNDLED_KB, bundled_index, load_settings())
    assert again.first_start.dialog is None  # asked once
    again.close()
    again.engine.close()


def test_the_name_offered_is_the_accounts_full_name_else_its_login() -> None:
    assert default_agent_name("Robin Meyer", "rmeyer") == "Robin Meyer"
    assert default_agent_name("", "robin.park") == "Robin Park"
    assert default_agent_name("  ", "sofia_rossi") == "Sofia Rossi"
    assert default_agent_name("", "rp2") == "rp2"


def test_the_whole_reply_by_keyboard_alone(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    QGuiApplication.clipboard().setText(REFUND_NO_IDS)
    window.case_input.setFocus()
    with qtbot.waitSignal(window.suggest.suggestionsReady, timeout=20_000):
        qtbot.keyClick(window.case_input, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.case_input, Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.macro_list
    row = row_ids(window.macro_list).index(REFUND)
    qtbot.keyClick(window.macro_list, Qt.Key.Key_Home)
    for _ in range(row):
        qtbot.keyClick(window.macro_list, Qt.Key.Key_Down)
    assert window.macro_panel.ids == (REFUND,)
    qtbot.keyClick(window.macro_list, Qt.Key.Key_Tab)
    assert QApplication.focusWidget().objectName() == "placeholder_refund_id"
    qtbot.keyClicks(QApplication.focusWidget(), "re_3Abc123")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert "refund re_3Abc123 for $80.00" in window.macro_panel.text()
    assert QApplication.focusWidget().objectName() == "placeholder_date"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    editor = window.macro_panel.preview
    assert QApplication.focusWidget() is editor
    qtbot.keyClick(editor, Qt.Key.Key_F8)
    assert editor.textCursor().selectedText() == "{{date}}"
    qtbot.keyClicks(editor, "March 3, 2026")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.macro_panel.copy_button
    QGuiApplication.clipboard().setText("")
    qtbot.keyClick(window.macro_panel.copy_button, Qt.Key.Key_Space)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Hi Maria Lopez,") and "refund re_3Abc123 for $80.00 was issued on March 3, 2026" in copied
    assert "{{" not in copied and copied.rstrip().endswith("Robin Park")


def test_fills_are_undoable_and_edits_are_kept_per_macro_for_the_case(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, REFUND_NO_IDS)
    panel, editor = window.macro_panel, window.macro_panel.preview
    select_macro(qtbot, window, REFUND)
    panel.set_field("refund_id", "re_3Abc123")
    assert "re_3Abc123" in panel.text()
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "{{refund_id}}" in panel.text()  # the fill was one undoable step
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert "re_3Abc123" in panel.text()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClick(editor, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Tab types a tab
    qtbot.keyClicks(editor, "P.S. I checked it myself.")
    assert panel.text().endswith("\tP.S. I checked it myself.") and QApplication.focusWidget() is editor
    other = next(i for i in row_ids(window.macro_list) if i != REFUND)
    select_macro(qtbot, window, other)
    assert "P.S. I checked it myself." not in panel.text()
    select_macro(qtbot, window, REFUND)
    assert panel.text().endswith("P.S. I checked it myself.")  # back to the macro: the edits are there
    window.new_case()
    paste_case(qtbot, window, REFUND_NO_IDS)
    select_macro(qtbot, window, REFUND)
    assert "P.S." not in panel.text() and "{{refund_id}}" in panel.text()  # a new case starts afresh


def test_a_live_key_or_card_number_in_the_case_shows_a_banner_and_is_never_stored(qtbot, window: MainWindow) -> None:
    banner = window.findChild(object, "secretsBanner")
    assert not banner.isVisible()
    key = "sk_live_51HxyzABCDEFGHijklmnop1234"
    case = f"Our payments fail. Key: {key}. The customer's card is 4242 4242 4242 4242. Help!"
    paste_case(qtbot, window, case)
    assert banner.isVisible()
    text = banner.text()
    assert "live secret key" in text and "sk_live_…1234" in text and "roll" in text.lower()
    assert "card number" in text and "last four digits" in text and "•••• 4242" in text
    assert key not in text and "4242 4242 4242 4242" not in text
    window.recorder.flush()
    stored = b"".join(p.read_bytes() for p in paths.usage_db().parent.glob("usage.sqlite3*"))
    assert key.encode() not in stored and b"51HxyzABCDEFGH" not in stored and b"4242 4242" not in stored
    window.new_case()
    assert not banner.isVisible()


def test_the_case_language_picks_the_macro_variant_and_the_associate_can_switch(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, GERMAN_REFUND)
    window.composer.show_macro(window.engine.get(REFUND), "suggestion")
    combo = window.findChild(object, "replyLanguage")
    assert combo.currentData() == "de" and combo.isVisible()
    text = window.macro_panel.text()
    assert "1.250,00\u00a0€" in text and text.startswith("Guten Tag Jonas Weber")
    combo.setCurrentIndex(combo.findData("en"))
    combo.activated.emit(combo.currentIndex())
    text = window.macro_panel.text()
    assert "€1,250.00" in text and text.startswith("Hi Jonas Weber")
    window.macro_panel.set_field("date", "2026-03-03")
    assert "was issued on March 3, 2026" in window.macro_panel.text()
    combo.setCurrentIndex(combo.findData("de"))
    combo.activated.emit(combo.currentIndex())
    assert "am 3. März 2026 veranlasst" in window.macro_panel.text()  # the typed date follows the language


def test_an_article_with_a_public_page_is_linked_from_the_reply(qtbot, mini_kb: Path) -> None:
    meta = front_matter(
        id="refunds-refund-timeline-public",
        title="How long a refund takes",
        product="refunds",
        tags="[]",
        owner="refunds-content",
        reviewed="2026-05-01",
        url="https://support.example.com/refund-timeline",
    )
    write(mini_kb / "articles/refunds/refund-timeline-public.md", f"{meta}Refunds take 5-10 business days.\n")
    body = "Hi {{customer_name|there}},\n\nIt takes 5-10 days.\n\nBest,\n{{agent_name}}"
    macro(mini_kb, "refunds", "refund-eta", "Refund ETA", body, "[]")
    w = make_window(qtbot, mini_kb)
    w.composer.show_macro(w.engine.get("macro-refunds-refund-eta"), "suggestion")
    button = w.findChild(object, "insertLinkButton")
    w.article_pane.show_item(w.engine.get("refunds-refund-timeline-public"))
    assert button.isEnabled()
    editor = w.macro_panel.preview
    cursor = editor.textCursor()
    cursor.setPosition(editor.toPlainText().index("It takes 5-10 days.") + len("It takes 5-10 days."))
    editor.setTextCursor(cursor)
    button.click()
    link = "[How long a refund takes](https://support.example.com/refund-timeline)"
    assert f"It takes 5-10 days.{link}" in w.macro_panel.text()
    w.macro_panel.copy_reply(confirm=False)
    mime = QGuiApplication.clipboard().mimeData()
    assert "How long a refund takes (https://support.example.com/refund-timeline)" in mime.text()
    assert '<a href="https://support.example.com/refund-timeline">How long a refund takes</a>' in mime.html()
    other = next(i for i in w.engine.items() if i.kind == "article" and not getattr(i, "url", ""))
    w.article_pane.show_item(other)
    assert not button.isEnabled()  # no public page, nothing to link
    w.close()
    w.engine.close()


def test_the_parts_model_moves_and_removes_as_a_qt_model_should(qtmodeltester) -> None:
    from kbassist.search.replies import ReplyPart
    from kbassist.ui.reply_parts import ReplyPartsModel

    model = ReplyPartsModel()
    model.set_parts([ReplyPart("a", "Refund", "en"), ReplyPart("b", "Dispute", "en"), ReplyPart("c", "Fee", "en")])
    qtmodeltester.check(model)
    assert model.move(0, 1) and model.ids == ("b", "a", "c")
    assert model.move(2, -1) and model.ids == ("b", "c", "a")
    assert not model.move(0, -1) and not model.move(2, 1)  # the ends stay put
    assert model.remove(1) and model.ids == ("b", "a")
    assert not model.append(ReplyPart("a", "Refund", "en"))  # a macro is in a reply once
    assert model.remove(0) and not model.remove(0) and model.ids == ("a",)
    qtmodeltester.check(model)


def test_a_macro_found_by_typed_search_becomes_the_reply(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.searcher.resultsReady, timeout=10_000):
        qtbot.keyClicks(window.search_bar.box, "dispute received next steps")
    found = row_ids(window.search_list)
    assert DISPUTE in found
    window.search_list.setCurrentIndex(window.search_list.model().index(found.index(DISPUTE), 0))
    qtbot.keyClick(window.search_list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.macro_panel.ids == (DISPUTE,))
    assert window.macro_panel.text().rstrip().endswith("Robin Park")


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # a popup menu, offscreen
def test_a_second_suggestion_is_added_from_its_row_menu(qtbot, window: MainWindow) -> None:
    from PySide6.QtTest import QTest

    paste_case(qtbot, window, REFUND_AND_DISPUTE)
    suggested = row_ids(window.macro_list)
    select_macro(qtbot, window, suggested[0])
    view = window.macro_list
    second = view.visualRect(view.model().index(1, 0)).center()
    QTest.mousePress(view.viewport(), Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, second)
    assert window.macro_panel.ids == (suggested[0],)  # the right press did not make the row the reply
    view.customContextMenuRequested.emit(second)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    assert [a.text() for a in menu.actions()] == ["Add to reply"]
    menu.actions()[0].trigger()
    menu.close()
    assert window.macro_panel.ids == (suggested[0], suggested[1])
