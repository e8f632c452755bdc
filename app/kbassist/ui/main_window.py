"""The associate's window: composes the case pane, the result lists, the reading pane and the reply panel,
and wires them to the core through what it is handed (the engine, the settings and ``ui/services.py``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from kbassist.content.model import Problem, kb_version
from kbassist.search.engine import SearchEngine, SearchHit, Suggestions
from kbassist.search.index import UpdateReport
from kbassist.settings import Settings, save_settings
from kbassist.ui.actions import build_actions, shortcut_rows
from kbassist.ui.article_view import ArticlePane
from kbassist.ui.case_pane import CasePane
from kbassist.ui.composer import ReplyComposer
from kbassist.ui.dialogs import ProblemsDialog, SettingsDialog, ShortcutsDialog, show_about, stats_window
from kbassist.ui.first_run import FirstStart
from kbassist.ui.kb_switcher import KbSwitcher
from kbassist.ui.macro_panel import MacroPanel
from kbassist.ui.results_pane import ResultsPane
from kbassist.ui.search_panel import SearchBar
from kbassist.ui.services import Services
from kbassist.ui.status_bar import WindowStatusBar
from kbassist.ui.summon import Summon
from kbassist.ui.team_link import TeamLink
from kbassist.ui.text_size import TextSize
from kbassist.ui.theme import icon
from kbassist.ui.usage_session import UsageSession
from kbassist.ui.widgets import column, splitter
from kbassist.ui.window_state import WindowState
from kbassist.usage import UsageRecorder

HIGHLIGHT_TERMS = 10  # the case's strongest terms are marked in articles; more would mark every line

SHORTCUTS: list[tuple[str, str]] = shortcut_rows()  # built from the one action table (ui/actions.py)


class MainWindow(QMainWindow):
    def __init__(self, engine: SearchEngine, settings: Settings, services: Services) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("KB Assist")
        self.setWindowIcon(icon("app"))
        self.settings = settings
        self.services = services
        self.recorder: UsageRecorder = services.recorder
        self._suggestions: Suggestions | None = None
        self.problems: list[Problem] = []
        agent = lambda: self.settings.agent_values()  # noqa: E731, PLW0108 - read when used: Settings are replaced
        self.kb = KbSwitcher(engine, services.engine_factory, agent, self)
        self.session = UsageSession(services.recorder, self, self.kb.get)

        self._build_widgets()
        self.composer = ReplyComposer(
            self.macro_panel, self.session, self.kb, self.macro_lists, lambda: self.settings, self._keep_settings
        )
        self.first_start = FirstStart(self, lambda: self.settings, self.composer.name_given)  # asks for the name
        self._build_actions()
        self._wire()
        self.team.apply(settings)
        self._kb_opened()
        self.macro_lists.set_saved(settings.favorites, settings.recent_macros)
        splitters = [(self.splitter, [430, 560, 450]), (self.left_splitter, [300, 500])]
        self.window_state = WindowState(services.config_dir, self, splitters)
        self.window_state.restore()
        # The index is checked once the event loop runs, an index that holds documents only after a moment: the
        # window shows and takes a case first (search and suggestions work on the index as it is meanwhile).
        self.index.warm_up()
        delay = services.start_check_delay_ms if engine.doc_count() else 0
        QTimer.singleShot(delay, self.index, self.index.update)  # dropped if the window goes before it fires

    # ================================================================== building
    def _build_widgets(self) -> None:
        self.search_bar = SearchBar(self)
        self.case_pane = CasePane(self)
        self.case_input, self.entities = self.case_pane.case_input, self.case_pane.entities
        self.confidence, self.none_fit_button = self.case_pane.confidence, self.case_pane.none_fit_button
        self.lists = ResultsPane(self.kb.get, self)
        self.article_model, self.article_list = self.lists.article_model, self.lists.article_list
        self.macro_lists = self.lists.macro_lists
        self.macro_model = self.macro_lists.suggested
        self.macro_list, self.macro_tabs = self.macro_lists.view, self.macro_lists.tabs
        self.search_results, self.search_list = self.lists.search, self.lists.search.view
        self.article_pane = ArticlePane(self.kb.item_by_path, self.kb.get, self)
        self.article_pane.stale_after = lambda: self.settings.stale_after_days
        self.macro_panel = MacroPanel(parent=self)
        # Tab: case, articles, macros, each placeholder field, the reply, Copy; then search results and
        # "None of these fit" (which has Ctrl+Shift+N).
        self.macro_panel.set_tab_start(self.macro_list)
        QWidget.setTabOrder(self.macro_panel.copy_button, self.search_list)
        QWidget.setTabOrder(self.search_list, self.none_fit_button)
        vertical, horizontal = Qt.Orientation.Vertical, Qt.Orientation.Horizontal
        self.left_splitter = splitter("leftSplitter", vertical, [self.case_pane, self.lists], (2, 3), self)
        panes = [self.left_splitter, self.article_pane, self.macro_panel]
        self.splitter = splitter("mainSplitter", horizontal, panes, (3, 4, 3), self)
        central = QWidget(self)
        column(central, self.splitter).setContentsMargins(8, 6, 8, 4)
        self.setCentralWidget(central)
        self.status = WindowStatusBar(self)
        self.setStatusBar(self.status)
        self.team = TeamLink(self.services.recorder, self.services.usage_db, self)
        self.kb_label, self.problems_button = self.status.kb_label, self.status.problems_button
        self.summon = Summon(self)  # kbassist paste, a second start, the tray icon, Ctrl+Shift+V
        reading = (self.case_input, self.article_pane.browser, self.macro_panel.preview)
        self.text_size = TextSize(reading, lambda: self.settings, self._keep_settings, self)  # Ctrl+= / Ctrl+-

    def _build_actions(self) -> None:
        step = self.lists.step
        slots: dict[str, Callable[[], object]] = {
            "focus_case": self.case_input.setFocus,
            "next_article": partial(step, self.article_list, 1, open_it=True),
            "previous_article": partial(step, self.article_list, -1, open_it=True),
            "next_macro": partial(step, self.macro_list, 1),
            "previous_macro": partial(step, self.macro_list, -1),
            **{f"macro_{n}": partial(self.lists.select, self.macro_list, n - 1) for n in range(1, 6)},
            "copy_reply": self.macro_panel.copy_reply,
            "add_macro": self.composer.add_macro,
            "next_placeholder": self.macro_panel.preview.jump_to_placeholder,
            "previous_placeholder": partial(self.macro_panel.preview.jump_to_placeholder, backward=True),
            "toggle_favorite": self.macro_panel.favorite.toggle,
            "find_in_article": self.article_pane.show_find,
            "go_back": self.article_pane.go_back,
            "go_forward": self.article_pane.go_forward,
            "quit": self.close,
            "show_shortcuts": lambda: ShortcutsDialog(SHORTCUTS, self).exec(),
            "about": lambda: show_about(self, self.engine.kb_root, self.services.data_dir),
            **self.text_size.slots(),
            **self.summon.slots(),
        }
        self.actions_by_name = build_actions(self, slots, self.search_bar)  # the rest run the window's methods
        QShortcut(QKeySequence("Escape"), self.search_bar.box, self.clear_search)

    def _wire(self) -> None:
        self.status.problemsClicked.connect(
            lambda: ProblemsDialog(self.problems, str(self.engine.kb_root), self).exec()
        )
        self.team.stateChanged.connect(self.status.show_team)
        self.recorder.on_problem = self.status.usageProblem.emit  # called on the writer thread, delivered queued
        self.case_input.caseChanged.connect(self._case_changed)
        self.case_input.fileRejected.connect(lambda msg: self.status.say(msg, 6000))
        self.none_fit_button.clicked.connect(self.mark_none_fit)
        self.search_bar.queryChanged.connect(self.kb.search)
        self.lists.articleChosen.connect(self.article_pane.open_item)
        self.lists.macroChosen.connect(self.composer.show_macro)  # from the macro tabs or typed search
        self.lists.missing.connect(lambda item_id: self.status.say(f"{item_id} is no longer in the KB", 5000))
        self.search_results.searchSettled.connect(lambda query, n: self.session.search(query, n, self._suggestions))
        self.article_pane.articleShown.connect(self.session.article_opened)
        self.article_pane.feedbackGiven.connect(self._feedback)
        self.article_pane.linkRequested.connect(self.macro_panel.insert_link)
        self.composer.said.connect(self.status.say)
        self.kb.suggestionsReady.connect(self._suggestions_ready)
        self.kb.suggestionsCleared.connect(self._suggestions_cleared)
        self.kb.suggestFailed.connect(lambda msg: self.status.say(msg, 8000))
        self.kb.resultsReady.connect(self._search_ready)
        self.kb.searchCleared.connect(self._search_cleared)
        self.kb.progress.connect(self.status.show_progress)
        self.kb.stateChanged.connect(self.status.show_index_state)
        self.kb.updated.connect(self._index_updated)

    def _kb_opened(self) -> None:
        """Handles on the KB open now (app.py and the tests reach them), and what its index had to say."""
        kb = self.kb
        self.engine, self.suggest, self.searcher, self.index = kb.engine, kb.suggest, kb.searcher, kb.index
        self.status.show_opened(self.engine.kb_root, self.engine.messages)

    # ================================================================== case & suggestions
    def new_case(self) -> None:
        self.case_input.clear()
        self.case_input.flush()
        self.clear_search()
        self.article_pane.clear()
        self.composer.new_case()
        self.case_input.setFocus()

    def _case_changed(self, text: str) -> None:
        self.session.case_changed(text)
        if not text.strip():
            self.macro_panel.new_case()  # edits kept for this case are forgotten with it
        self.suggest.request(text)

    def _suggestions_ready(self, result: Suggestions, _case_text: str) -> None:
        self._suggestions = result
        self.lists.show_suggestions(result)
        self.case_pane.show_result(result)
        stems = frozenset(s for k in result.key_terms[:HIGHLIGHT_TERMS] for s in k.phrase)
        self.article_pane.set_highlight(stems)
        self.composer.case_shown(result)
        self.session.shown(result)
        if result.confidence != "high":
            return  # a weak match is listed for the associate to judge, never opened as if it were the answer
        self.lists.open_first(result, article_open=self.article_pane.current is not None)

    def _suggestions_cleared(self) -> None:
        self._suggestions = None
        self.lists.show_suggestions(None)
        self.case_pane.clear_result()
        self.article_pane.set_highlight(frozenset())
        self.composer.case_shown(None)

    def mark_none_fit(self) -> None:
        if self._suggestions is None or not self.session.none_fit(self._suggestions):
            return
        self.none_fit_button.setEnabled(False)
        self.status.say("Thanks: recorded that no suggestion fits this case.", 5000)

    # ================================================================== search
    def focus_search(self) -> None:
        self.search_bar.box.setFocus()
        self.search_bar.box.selectAll()

    def clear_search(self) -> None:
        self.search_bar.box.clear()
        self.search_bar.flush()
        self.case_input.setFocus()

    def _search_ready(self, hits: list[SearchHit], correction: str | None, query: str) -> None:
        self.lists.show_search(hits, query)
        self.search_bar.show_correction(correction)

    def _search_cleared(self) -> None:
        self.lists.end_search()
        self.search_bar.show_correction(None)

    # ================================================================== the reply, and usage events
    def _feedback(self, item_id: str, helpful: bool) -> None:
        self.session.feedback(item_id, helpful)
        unhelpful = "Thanks: the KB editors will see this article was not helpful."
        self.status.say("Thanks for the feedback." if helpful else unhelpful, 5000)

    # ================================================================== index state
    def index_update(self) -> None:
        self.index.update()

    def _index_updated(self, report: UpdateReport) -> None:
        self.status.show_update(self.engine.kb_root, self.kb.items, report)
        self.problems = list(report.problems)
        if report.touched:
            # Content changed: refresh what is on screen.
            self.suggest.request(self.case_input.toPlainText())
            if self.search_bar.query():
                self.search_bar.flush()
            self.article_pane.refresh()
        self.recorder.kb_version = kb_version(self.kb.items)

    def show_stats(self) -> None:
        self.recorder.flush()
        self.stats_view = stats_window(self.services.usage_db, self.engine.items, lambda: self.settings, self)

    # ================================================================== settings & state
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        new = dialog.result_settings()
        kb_changed = new.kb_folder != self.settings.kb_folder
        self.recorder.enabled = new.usage_enabled
        self._keep_settings(new)
        self.text_size.refresh()
        self.team.apply(new)
        if kb_changed:
            self.switch_kb(self.services.resolve_kb(new.kb_folder or None))
        else:
            self.macro_panel.refresh()

    def switch_kb(self, kb_root: Path) -> None:
        if not self.kb.switch(kb_root):
            QMessageBox.warning(self, "KB folder not found", f"{kb_root} does not exist; keeping the current KB.")
            return
        self.article_pane.clear()
        self.composer.new_case()
        self._suggestions_cleared()
        self._kb_opened()
        self.index.update()
        self.suggest.request(self.case_input.toPlainText())

    def _keep_settings(self, settings: Settings) -> None:
        self.settings = settings
        save_settings(settings, self.services.settings_file)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.search_results.record()
        self.window_state.save()
        self.kb.shutdown()
        self.recorder.flush()
        self.recorder.on_problem = None
        self.team.close(upload_first=True)  # a last bounded upload; what is left goes up at the next start
        super().closeEvent(event)
