"""The associate's window, driven offscreen as an associate would drive it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import BUNDLED_KB, article

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QPalette, QTextCharFormat
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QListView, QMessageBox, QPlainTextEdit

from kbassist import paths
from kbassist.search.engine import SearchEngine
from kbassist.settings import Settings
from kbassist.ui.app import services
from kbassist.ui.macro_panel import MacroPanel
from kbassist.ui.main_window import MainWindow
from kbassist.usage import UsageRecorder, UsageStore

pytestmark = pytest.mark.gui

DISPUTE_CASE = """\
Subject: Chargeback on order #5521 - what do I do??

Hi, this is Daniel Kim from Northwind Outfitters. We just got an email that a customer disputed
a payment (dp_1OkF2aLkdIwHu7ix0Qm3Zt9X) for $212.40. The bank opened a chargeback and took the money.
What evidence do I need to send you, and what is the deadline to respond?

Thanks,
Daniel Kim
"""

PAYOUT_CASE = """\
Hello, our payout po_1NvXq2LkdIwHu7ixq8pVbR4s of €1.249,50 was supposed to land in our bank on Monday
and it still has not arrived. The dashboard says paid. Where is the money?
Regards,
Sofia Rossi
"""


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index of the bundled KB for all window tests (they never change the bundled KB)."""
    root = tmp_path_factory.mktemp("ui-bundled-index")
    SearchEngine(BUNDLED_KB, index_root=root).update()
    return root


def make_window(
    qtbot, kb: Path, index_root: Path | None = None, settings: Settings | None = None, *, resize: bool = True
) -> MainWindow:
    recorder = UsageRecorder(paths.usage_db(), enabled=True)
    window = MainWindow(
        SearchEngine(kb, index_root=index_root),
        settings or Settings(agent_name="Robin Park"),
        replace(services(recorder), start_check_delay_ms=0),
    )
    qtbot.addWidget(window)
    if resize:
        window.resize(1440, 900)
    window.show()
    qtbot.waitUntil(lambda: not window.index.running and window.index.last_report is not None, timeout=60_000)
    return window


@pytest.fixture
def window(qtbot, bundled_index: Path) -> Iterator[MainWindow]:
    w = make_window(qtbot, BUNDLED_KB, bundled_index)
    yield w
    w.close()
    w.engine.close()
    w.recorder.close()


def paste_case(qtbot, w: MainWindow, text: str) -> None:
    w.case_input.setPlainText(text)
    with qtbot.waitSignal(w.suggest.suggestionsReady, timeout=20_000):
        w.case_input.flush()


def row_ids(view: QListView) -> list[str]:
    model = view.model()
    return [model.index(r, 0).data(Qt.ItemDataRole.UserRole + 1) for r in range(model.rowCount())]


def test_key_widgets_have_names(window: MainWindow) -> None:
    for name in ("caseInput", "searchBox", "articleList", "macroList", "articleView", "macroPreview", "copyButton"):
        widget = window.findChild(object, name)
        assert widget is not None, name
        assert widget.accessibleName(), name


def test_paste_case_shows_expected_article_macro_and_entities(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, DISPUTE_CASE)
    articles = row_ids(window.findChild(QListView, "articleList"))
    macros = row_ids(window.findChild(QListView, "macroList"))
    assert articles[0].startswith("disputes-")
    assert "disputes-dispute-lifecycle-and-deadlines" in articles[:5]
    assert "macro-disputes-dispute-received-next-steps" in macros[:3]
    assert "dp_1OkF2aLkdIwHu7ix0Qm3Zt9X" in window.entities.text()
    assert "Daniel Kim" in window.entities.text()
    assert "$212.40" in window.entities.text()
    # The first article opens by itself, with the case's words highlighted.
    assert window.article_pane.current is not None
    assert (
        "background-color:#ffe58a" in window.article_pane.browser.toHtml().replace(" ", "")
        or "#ffe58a" in window.article_pane.browser.toHtml()
    )


def select_macro(qtbot, w: MainWindow, macro_id: str) -> None:
    view = w.findChild(QListView, "macroList")
    row = row_ids(view).index(macro_id)
    view.setCurrentIndex(view.model().index(row, 0))
    qtbot.waitUntil(lambda: w.macro_panel.macro is not None and w.macro_panel.macro.id == macro_id)


def test_select_macro_fill_placeholder_and_copy_plain_and_html(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, DISPUTE_CASE)
    select_macro(qtbot, window, "macro-disputes-dispute-received-next-steps")
    preview = window.findChild(QPlainTextEdit, "macroPreview")
    text = preview.toPlainText()
    assert text.startswith("Hi Daniel Kim,")
    assert "dp_1OkF2aLkdIwHu7ix0Qm3Zt9X" in text and "$212.40" in text and "Robin Park" in text
    assert window.macro_panel.unfilled() == ["deadline_date"]
    # The date field is typed as a date; setting it fills the reply in place.
    window.macro_panel.set_field("deadline_date", "December 3, 2026")
    assert "December 3, 2026" in preview.toPlainText()
    assert window.macro_panel.unfilled() == []
    window.findChild(object, "copyButton").click()
    mime = QGuiApplication.clipboard().mimeData()
    assert "Hi Daniel Kim," in mime.text() and "December 3, 2026" in mime.text()
    assert "**" not in mime.text()  # Markdown emphasis does not leak into plain text
    assert mime.hasHtml() and "<strong>" in mime.html() and "dp_1OkF2aLkdIwHu7ix0Qm3Zt9X" in mime.html()


def _answer_next_box(button: QMessageBox.StandardButton) -> None:
    def click() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.button(button).click()
        else:
            QTimer.singleShot(50, click)

    QTimer.singleShot(50, click)


def test_copy_with_unfilled_placeholders_warns_first(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, DISPUTE_CASE)
    select_macro(qtbot, window, "macro-disputes-dispute-received-next-steps")
    QGuiApplication.clipboard().setText("untouched")
    _answer_next_box(QMessageBox.StandardButton.No)
    assert window.macro_panel.copy_reply() is False
    assert QGuiApplication.clipboard().text() == "untouched"
    _answer_next_box(QMessageBox.StandardButton.Yes)
    assert window.macro_panel.copy_reply() is True
    assert "{{deadline_date}}" in QGuiApplication.clipboard().text()
    window.recorder.flush()
    (copied,) = [e for e in UsageStore(paths.usage_db()).events() if e.kind == "copied"]
    assert (copied.unfilled, copied.placeholders) == (1, ("deadline_date",))  # the editors see which was left


def test_edits_before_copy_are_kept(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, PAYOUT_CASE)
    macro_id = row_ids(window.macro_list)[0]
    select_macro(qtbot, window, macro_id)
    preview = window.macro_panel.preview
    preview.setPlainText(preview.toPlainText() + "\nP.S. I checked with our payouts team myself.")
    for name in list(window.macro_panel.unfilled()):
        window.macro_panel.set_field(name, "3" if name == "business_days" else "x_value")
    window.macro_panel.copy_reply(confirm=False)
    assert "P.S. I checked with our payouts team myself." in QGuiApplication.clipboard().text()


def test_search_as_you_type_product_filter_and_did_you_mean(qtbot, window: MainWindow) -> None:
    box = window.findChild(QLineEdit, "searchBox")
    with qtbot.waitSignal(window.searcher.resultsReady, timeout=10_000):
        qtbot.keyClicks(box, "reader offline")
    results = row_ids(window.search_list)
    assert results and results[0].startswith("terminal-")
    assert window.lists.currentIndex() == 1
    index = window.search_bar.product.findData("webhooks")
    with qtbot.waitSignal(window.searcher.resultsReady, timeout=10_000):
        window.search_bar.product.setCurrentIndex(index)
    assert all(i.startswith(("webhooks-", "macro-webhooks-")) for i in row_ids(window.search_list))
    window.search_bar.product.setCurrentIndex(0)
    box.clear()
    with qtbot.waitSignal(window.searcher.resultsReady, timeout=10_000):
        qtbot.keyClicks(box, "chargbeack evidnce")
    qtbot.waitUntil(window.search_bar.did_you_mean.isVisible)
    assert "evidence" in window.search_bar.did_you_mean.text()
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert window.lists.currentIndex() == 0


def test_article_links_navigate_inside_with_back_and_forward(qtbot, window: MainWindow) -> None:
    item = window.engine.get("refunds-refund-timeline")
    window.article_pane.show_item(item, "search")
    link = next(h for h in item.links if h.endswith(".md"))
    window.article_pane._link_clicked(QUrl(link))
    second = window.article_pane.current
    assert second is not None and second.id != "refunds-refund-timeline"
    window.article_pane.go_back()
    assert window.article_pane.current.id == "refunds-refund-timeline"
    window.article_pane.go_forward()
    assert window.article_pane.current.id == second.id
    window.article_pane._link_clicked(QUrl("javascript:alert(1)"))
    window.article_pane._link_clicked(QUrl("file:///etc/passwd"))
    assert window.article_pane.current.id == second.id


def test_find_in_page(qtbot, window: MainWindow) -> None:
    window.article_pane.show_item(window.engine.get("refunds-refund-timeline"), "search")
    window.article_pane.show_find()
    window.article_pane.find_box.setText("business days")
    assert window.article_pane.find_next(backward=False)
    assert window.article_pane.browser.textCursor().selectedText().lower() == "business days"
    window.article_pane.find_box.setText("zzzz-not-there")
    assert window.article_pane.find_status.text() == "Not found"


def test_raw_html_in_kb_is_not_rendered(qtbot, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    article(
        kb,
        "radar",
        "html",
        "HTML test",
        "Before <script>alert(1)</script> <b>bold?</b> after\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode here\n```",
    )
    w = make_window(qtbot, kb)
    w.article_pane.show_item(w.engine.get("radar-html"), "search")
    plain = w.article_pane.browser.toPlainText()
    assert "<script>alert(1)</script>" in plain and "<b>bold?</b>" in plain
    assert "code here" in plain
    html = w.article_pane.browser.toHtml()
    assert "<table" in html
    w.close()
    w.engine.close()


def test_favorites_and_recent_are_one_click_away(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, PAYOUT_CASE)
    macro_id = row_ids(window.macro_list)[0]
    select_macro(qtbot, window, macro_id)
    window.macro_panel.favorite.click()
    assert macro_id in window.settings.favorites
    window.macro_panel.copy_reply(confirm=False)
    window.macro_tabs.setCurrentIndex(1)
    assert row_ids(window.macro_list) == [macro_id]
    window.macro_tabs.setCurrentIndex(2)
    assert row_ids(window.macro_list)[0] == macro_id
    from kbassist.settings import load_settings

    saved = load_settings()
    assert macro_id in saved.favorites and saved.recent_macros[0] == macro_id


def test_stale_result_never_overwrites_newer(qtbot, window: MainWindow) -> None:
    received: list[str] = []
    window.suggest.suggestionsReady.connect(lambda _r, text: received.append(text))
    window.suggest.request(DISPUTE_CASE)
    window.suggest.request(PAYOUT_CASE)  # the newer text, while the first may still be running
    qtbot.waitUntil(lambda: received == [PAYOUT_CASE], timeout=20_000)
    assert window.suggest.runner.wait(10_000)
    qtbot.wait(100)
    assert received == [PAYOUT_CASE]
    assert window.suggest.dropped == 1
    assert row_ids(window.article_list)[0].startswith("payouts-")


def test_drop_eml_file_onto_case(qtbot, window: MainWindow, tmp_path: Path) -> None:
    eml = tmp_path / "case.eml"
    eml.write_bytes(
        b"From: Lena Vogel <lena@example.de>\r\nSubject: Reader offline\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Our card reader tmr_FdXbq8uWqkJnX2 shows offline since this morning.\r\n"
    )
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(eml))])
    drop = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(window.suggest.suggestionsReady, timeout=20_000):
        window.case_input.dropEvent(drop)
    assert "Subject: Reader offline" in window.case_input.toPlainText()
    assert row_ids(window.article_list)[0].startswith("terminal-")
    assert "Lena Vogel" in window.entities.text()


def test_edited_kb_file_becomes_searchable_without_restart(qtbot, mini_kb: Path) -> None:
    w = make_window(qtbot, mini_kb)
    with qtbot.waitSignal(w.index.updated, timeout=20_000):
        article(mini_kb, "terminal", "bluetooth", "Reader will not pair over bluetooth", "Forget the reader first.")
    assert w.engine.search("bluetooth")[0].id == "terminal-bluetooth"
    timeline = mini_kb / "articles/refunds/refund-timeline.md"
    with qtbot.waitSignal(w.index.updated, timeout=20_000):
        timeline.write_text(timeline.read_text().replace("5-10 business days", "ten working days, ask for the ARN"))
    assert w.engine.search("ARN")[0].id == "refunds-refund-timeline"
    w.close()
    w.engine.close()


def test_file_saved_into_a_new_product_folder_is_indexed(qtbot, mini_kb: Path) -> None:
    """The watcher follows the folders the core lists: one created empty is watched before a file lands in it."""
    w = make_window(qtbot, mini_kb)
    with qtbot.waitSignal(w.index.updated, timeout=20_000):
        (mini_kb / "articles" / "terminal").mkdir()
    with qtbot.waitSignal(w.index.updated, timeout=20_000):
        article(mini_kb, "terminal", "pairing", "Reader will not pair over bluetooth", "Forget the reader first.")
    assert w.engine.search("bluetooth")[0].id == "terminal-pairing"
    w.close()
    w.engine.close()


def test_broken_kb_file_is_listed_and_the_rest_works(qtbot, mini_kb: Path) -> None:
    (mini_kb / "articles/refunds/broken.md").write_text("---\nid: [nope\n---\n")
    w = make_window(qtbot, mini_kb)
    assert w.problems_button.isVisible()
    assert "1 KB problem" in w.problems_button.text()
    assert w.problems[0].rel_path == "articles/refunds/broken.md"
    assert "articles" in w.kb_label.text() and "3 articles" in w.kb_label.text()
    paste_case(qtbot, w, "My refund has not shown up on my statement yet")
    assert row_ids(w.article_list)[0] == "refunds-refund-timeline"
    w.close()
    w.engine.close()


def test_window_state_is_remembered(qtbot, bundled_index: Path) -> None:
    w = make_window(qtbot, BUNDLED_KB, bundled_index)
    w.resize(760, 560)  # within the offscreen screen (800x600), so the platform does not clamp it
    w.splitter.setSizes([330, 220, 190])
    w.close()
    again = make_window(qtbot, BUNDLED_KB, bundled_index, resize=False)
    assert (again.size().width(), again.size().height()) == (760, 560)
    assert abs(again.splitter.sizes()[0] - w.splitter.sizes()[0]) <= 2
    again.close()
    for win in (w, again):
        win.engine.close()


def test_usage_events_recorded_by_driving_the_window(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, DISPUTE_CASE)
    select_macro(qtbot, window, "macro-disputes-dispute-received-next-steps")
    window.macro_panel.set_field("deadline_date", "December 3, 2026")
    window.macro_panel.copy_reply()
    window.article_pane.feedbackGiven.emit("disputes-dispute-lifecycle-and-deadlines", False)
    window.mark_none_fit()
    with qtbot.waitSignal(window.searcher.resultsReady, timeout=10_000):
        qtbot.keyClicks(window.search_bar.box, "qqqxxz card 4242 4242 4242 4242")
    window.clear_search()
    window.recorder.flush()
    events = list(UsageStore(paths.usage_db()).events())
    kinds = [e.kind for e in events]
    for kind in ("session", "shown", "opened", "previewed", "copied", "feedback", "none_fit", "search"):
        assert kind in kinds, kind
    # Nobody clicked an article: the one open is the window's own, of its confident top suggestion.
    assert [e.source for e in events if e.kind == "opened"] == ["auto"]
    assert all(e.product == "disputes" for e in events if e.kind == "shown" and e.rank == 1)
    copied = next(e for e in events if e.kind == "copied")
    assert copied.item_id == "macro-disputes-dispute-received-next-steps"
    assert copied.unfilled == 0 and copied.edit_ratio == 0.0 and copied.placeholders == ()
    # Every event about an item says its product, so the team's figures group by it; a vote says its kind.
    about_items = [e for e in events if e.kind in ("opened", "previewed", "copied", "feedback")]
    assert {(e.kind, e.product) for e in about_items} == {
        ("opened", "disputes"),
        ("previewed", "disputes"),
        ("copied", "disputes"),
        ("feedback", "disputes"),
    }
    assert next(e for e in events if e.kind == "feedback").item_kind == "article"
    search = next(e for e in events if e.kind == "search")
    assert "4242" not in " ".join(search.terms) and "[card]" in " ".join(search.terms)
    stored = paths.usage_db().read_bytes() + b"".join(
        p.read_bytes() for p in paths.usage_db().parent.glob("usage.sqlite3-*")
    )
    assert b"Northwind" not in stored and b"Daniel Kim" not in stored


def test_kb_copy_from_bundled_runs_clean(tmp_path: Path) -> None:
    """A user KB folder (often a git checkout) works the same as the bundled one."""
    kb = tmp_path / "team-kb"
    shutil.copytree(BUNDLED_KB, kb)
    engine = SearchEngine(kb)
    report = engine.update()
    assert report.problems == [] and engine.index.doc_count() >= 160
    engine.close()


def test_keyboard_first(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, DISPUTE_CASE)
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.search_bar.box
    qtbot.keyClick(window.search_bar.box, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is window.case_input
    first = window.article_pane.current.id
    qtbot.keyClick(window, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert window.article_pane.current.id == row_ids(window.article_list)[1] != first
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.macro_panel.macro.id == row_ids(window.macro_list)[1]
    QGuiApplication.clipboard().setText("")
    for name in list(window.macro_panel.unfilled()):
        window.macro_panel.set_field(name, "1")
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text().startswith("Hi Daniel Kim,")
    names = {keys for _action, keys in __import__("kbassist.ui.main_window", fromlist=["SHORTCUTS"]).SHORTCUTS}
    assert "Ctrl+Shift+C" in names and "Ctrl+K" in names


def test_settings_name_fills_agent_placeholder(qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    from kbassist.settings import load_settings
    from kbassist.ui.dialogs import SettingsDialog

    paste_case(qtbot, window, DISPUTE_CASE)
    select_macro(qtbot, window, "macro-disputes-dispute-received-next-steps")

    def fill_and_accept() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SettingsDialog):
            QTimer.singleShot(50, fill_and_accept)
            return
        dialog.name.setText("Alex Moreno")
        dialog.accept()

    QTimer.singleShot(50, fill_and_accept)
    window.open_settings()
    assert "Alex Moreno" in window.macro_panel.text()
    assert load_settings().agent_name == "Alex Moreno"


def test_dark_palette_follows_the_system(qtbot, window: MainWindow) -> None:
    from PySide6.QtGui import QPalette

    from kbassist.ui.theme import follow_system_scheme

    app = QApplication.instance()
    hints = QGuiApplication.styleHints()
    follow_system_scheme(app)
    try:
        # The offscreen platform has no system theme to switch, so send the change notification it would.
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert app.palette().color(QPalette.ColorRole.Base).lightness() < 80
        assert app.palette().color(QPalette.ColorRole.Text).lightness() > 180
        window.grab().save(str(Path(paths.cache_dir()) / "dark.png"))
    finally:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert app.palette().color(QPalette.ColorRole.Base).lightness() > 200


def test_stats_view_shows_what_the_window_recorded(qtbot, window: MainWindow, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QTableView

    paste_case(qtbot, window, DISPUTE_CASE)
    select_macro(qtbot, window, "macro-disputes-dispute-received-next-steps")
    window.macro_panel.set_field("deadline_date", "December 3, 2026")
    window.macro_panel.copy_reply()
    with qtbot.waitSignal(window.searcher.resultsReady, timeout=10_000):
        qtbot.keyClicks(window.search_bar.box, "zqxj crypto custody")
    window.clear_search()
    window.show_stats()
    view = window.stats_view
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.stats is not None and view.stats.events > 0, timeout=20_000)
    macros = view.findChild(QTableView, "macrosTable").model()
    titles = [macros.index(r, 0).data() for r in range(macros.rowCount())]
    row = titles.index(window.engine.get("macro-disputes-dispute-received-next-steps").title)
    assert macros.index(row, 3).data() == "1"  # copied once
    gaps = view.findChild(QTableView, "gapsTable").model()
    about = [gaps.index(r, 0).data() for r in range(gaps.rowCount())]
    assert "crypto, custody, zqxj" in about  # the search's words, cleaned and sorted
    stale = view.findChild(QTableView, "staleTable").model()
    assert stale.rowCount() > 0  # the bundled KB has articles last reviewed more than a year ago
    out = tmp_path / "macros.csv"
    view.export_csv(out, "macros")
    header, *rows = out.read_text().splitlines()
    assert header.startswith("id,title,product,suggested")
    assert any(r.startswith("macro-disputes-dispute-received-next-steps,") for r in rows)
    view.export_csv(tmp_path / "gaps.csv", "gaps")
    assert "crypto custody" in (tmp_path / "gaps.csv").read_text()
    assert view.top_chart.chart().series()  # the copied macro is charted
    # Sorting is numeric, not alphabetical: sort by "Suggested" descending, the first row has the most.
    table = view.findChild(QTableView, "macrosTable")
    table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    values = [int(table.model().index(r, 2).data()) for r in range(table.model().rowCount())]
    assert values == sorted(values, reverse=True)
    view.close()


def test_customer_name_typed_into_search_is_not_stored(qtbot, window: MainWindow) -> None:
    paste_case(qtbot, window, DISPUTE_CASE)
    with qtbot.waitSignal(window.searcher.resultsReady, timeout=10_000):
        qtbot.keyClicks(window.search_bar.box, "dispute Daniel Kim")
    window.clear_search()
    window.recorder.flush()
    search = next(e for e in UsageStore(paths.usage_db()).events() if e.kind == "search")
    assert search.terms == ("dispute [name]",)


def test_case_nothing_fits_is_shown_as_low_confidence_not_answered(qtbot, window: MainWindow) -> None:
    paste_case(
        qtbot,
        window,
        "Hi team, our office manager is leaving and I need to change the standing catering "
        "order for the Thursday lunch meetings, 14 people, two vegetarian. Who do I talk to?\nThanks, Priya",
    )
    assert window.confidence.isVisible()
    assert "Low confidence" in window.confidence.text()
    assert window.article_pane.current is None  # nothing is opened as if it were the answer
    assert window.macro_panel.macro is None
    assert window.none_fit_button.isEnabled()


def test_reply_preview_shows_emphasis_and_unfilled_placeholders(qtbot) -> None:
    panel = MacroPanel()
    qtbot.addWidget(panel)
    panel.preview.setPlainText("Please check **Reports → Balance** and *today* {{deadline_date}}.")
    block = panel.preview.document().firstBlock()
    panel._highlighter.rehighlightBlock(block)
    text = block.text()

    formats = block.layout().formats()

    def fmt_at(index: int) -> QTextCharFormat:
        ranges = [r.format for r in formats if r.start <= index < r.start + r.length]
        return QTextCharFormat(ranges[-1]) if ranges else QTextCharFormat()

    assert fmt_at(text.index("Reports")).fontWeight() == 700
    assert fmt_at(text.index("**")).foreground().color() == panel.palette().color(QPalette.ColorRole.PlaceholderText)
    assert fmt_at(text.index("today")).fontItalic()
    assert fmt_at(text.index("deadline")).background().color().name() == "#ffd0d0"
    assert fmt_at(text.index("Please")).fontWeight() != 700
    # What is copied is unchanged by the highlighting: markers are still there to be rendered or dropped.
    assert panel.preview.toPlainText().count("**") == 2


def test_weekly_trend_gives_each_product_its_own_colour(qtbot, window: MainWindow) -> None:
    macros = {}
    for item in window.engine.index.all_items():
        if item.kind == "macro":
            macros.setdefault(item.product, item.id)
    session = window.recorder.new_session()
    for macro_id in list(macros.values())[:7]:
        window.recorder.macro_copied(session, macro_id, 0.0, 0, "suggestion")
    window.recorder.flush()
    window.show_stats()
    view = window.stats_view
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.stats is not None and len({t.product for t in view.stats.trend}) >= 7, timeout=20_000)
    qtbot.waitUntil(lambda: len(view.trend_chart.chart().series()) == 6, timeout=5_000)
    colours = [s.pen().color().name() for s in view.trend_chart.chart().series()]
    assert len(set(colours)) == 6, colours
    view.close()


def test_usage_that_cannot_be_saved_is_said_in_the_status_bar(qtbot, bundled_index: Path, kbassist_home: Path) -> None:
    data = paths.usage_db().parent
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("a file where the data folder should be")  # the usage database cannot be created
    window = make_window(qtbot, BUNDLED_KB, bundled_index)
    warning = window.findChild(QLabel, "usageWarning")
    assert warning is not None and warning.isHidden()
    paste_case(qtbot, window, DISPUTE_CASE)  # records a session and what was shown
    qtbot.waitUntil(warning.isVisible, timeout=20_000)
    assert "not being saved" in warning.text()
    data.unlink()  # the disk comes back: the next saved batch clears it
    window.mark_none_fit()
    qtbot.waitUntil(warning.isHidden, timeout=20_000)
    window.close()
    window.engine.close()
    window.recorder.close()


def test_people_the_case_names_never_reach_the_stored_search(qtbot, window: MainWindow) -> None:
    """Before: only the writer's name was removed; a colleague named in the case and typed into the search
    box ("refund Szczepanska") was stored as typed."""
    paste_case(
        qtbot,
        window,
        "Hello, my colleague Oluwaseun Adebayo-Okafor refunded order 5521 but our accountant Mrs. Szczepanska "
        "sees the refund twice in the payout report. Why?\nThanks, Priya",
    )
    with qtbot.waitSignal(window.searcher.resultsReady, timeout=10_000):
        qtbot.keyClicks(window.search_bar.box, "refund twice Szczepanska Adebayo-Okafor")
    window.clear_search()
    window.recorder.flush()
    stored = next(e for e in UsageStore(paths.usage_db()).events() if e.kind == "search")
    assert stored.terms and "refund twice" in stored.terms[0]
    for word in ("szczepanska", "adebayo", "okafor"):
        assert word not in stored.terms[0].lower(), stored.terms


def test_the_shortcuts_dialog_lists_every_window_shortcut(qtbot, window: MainWindow) -> None:
    """Before, the dialog read a hand-kept list that had lost Ctrl+Q."""
    from kbassist.ui.main_window import SHORTCUTS

    listed = " / ".join(keys for _what, keys in SHORTCUTS)
    bound = {a.shortcut().toString() for a in window.actions() if not a.shortcut().isEmpty()}
    assert "Ctrl+Q" in bound and "Ctrl+Q" in listed
    for keys in bound:
        if keys.startswith("Ctrl+") and keys[5:].isdigit():
            assert "Ctrl+1 … Ctrl+5" in listed
        else:
            assert keys in listed, keys
    file_menu = window.menuBar().actions()[0].menu()
    assert [a.text() for a in file_menu.actions() if not a.isSeparator()][-1] == "Quit"


def test_tab_goes_from_the_case_to_the_articles_then_the_macros(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    window.case_input.setFocus()
    chain = []
    for _ in range(3):
        chain.append(QApplication.focusWidget().objectName())
        window.focusNextChild()
    assert chain == ["caseInput", "articleList", "macroList"]


def test_switching_kb_keeps_the_window_wired_to_the_new_one(qtbot, mini_kb: Path, tmp_path: Path) -> None:
    """Settings → KB folder: the engine, its controllers and the status bar follow; a missing folder changes nothing."""
    w = make_window(qtbot, mini_kb)
    other = tmp_path / "other-kb"
    article(other, "payouts", "payout-late", "Payout has not arrived", "Payouts reach the bank in 2 business days.")
    with qtbot.waitSignal(w.kb.updated, timeout=60_000):
        w.switch_kb(other.resolve())
    assert w.engine.kb_root == other.resolve()
    assert "other-kb" in w.kb_label.text() and "1 articles" in w.kb_label.text()
    paste_case(qtbot, w, "Hello, my payout has not arrived in my bank account yet. Where is it?")
    assert row_ids(w.article_list) == ["payouts-payout-late"]
    with qtbot.waitSignal(w.searcher.resultsReady, timeout=10_000):
        qtbot.keyClicks(w.search_bar.box, "payout")
    assert row_ids(w.search_list) == ["payouts-payout-late"]
    _answer_next_box(QMessageBox.StandardButton.Ok)
    w.switch_kb(tmp_path / "no-such-kb")
    assert w.engine.kb_root == other.resolve() and not w.engine.index.stopping()
    w.close()
    w.engine.close()


@pytest.mark.parametrize("delay", [60_000, 300])
def test_a_case_pasted_as_the_window_opens_is_answered_before_the_index_is_checked(
    qtbot, bundled_index: Path, delay: int
) -> None:
    """On an index that holds documents the KB folder is checked only after ``start_check_delay_ms``: the
    first case has the index and the CPU to itself. An empty index is built at once (``make_window``)."""
    recorder = UsageRecorder(paths.usage_db(), enabled=True)
    engine = SearchEngine(BUNDLED_KB, index_root=bundled_index)
    w = MainWindow(engine, Settings(agent_name="Robin Park"), replace(services(recorder), start_check_delay_ms=delay))
    qtbot.addWidget(w)
    w.show()
    w.case_input.setPlainText("My refund has not shown up on my statement yet")
    with qtbot.waitSignal(w.suggest.suggestionsReady, timeout=20_000):
        w.case_input.flush()
    assert row_ids(w.article_list)[0] == "refunds-refund-timeline"
    if delay > 20_000:
        assert w.index.last_report is None and not w.index.running  # the check has not started
    else:
        qtbot.waitUntil(lambda: w.index.last_report is not None and not w.index.running, timeout=60_000)
        assert w.kb.items and w.index.last_report.unchanged == len(w.kb.items)
    w.close()
    engine.close()
    recorder.close()
