"""The associate's window: composes the case pane, result lists, reading pane and reply panel."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kbassist import __version__, paths
from kbassist.content.model import PRODUCT_LABELS, KbItem, Macro, Problem, kb_version
from kbassist.search.engine import SearchEngine, SearchHit, Suggestions
from kbassist.search.index import UpdateReport
from kbassist.settings import Settings, save_settings
from kbassist.ui.actions import build_actions, shortcut_rows
from kbassist.ui.article_view import ArticlePane
from kbassist.ui.case_input import CaseInput
from kbassist.ui.controllers import IndexController, SearchController, SuggestController
from kbassist.ui.debounce import debouncer
from kbassist.ui.dialogs import ProblemsDialog, SettingsDialog, ShortcutsDialog
from kbassist.ui.macro_lists import MacroLists, list_view
from kbassist.ui.macro_panel import MacroPanel
from kbassist.ui.models import ResultListModel, Row
from kbassist.ui.search_panel import SearchBar
from kbassist.ui.status_bar import WindowStatusBar
from kbassist.ui.theme import icon
from kbassist.ui.usage_session import UsageSession
from kbassist.usage import UsageRecorder

SEARCH_SETTLE_MS = 1500  # a query is recorded once the associate stops typing
HIGHLIGHT_TERMS = 10  # the case's strongest terms are marked in articles; more would mark every line

SHORTCUTS: list[tuple[str, str]] = shortcut_rows()  # built from the one action table (ui/actions.py)


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("class", "sectionTitle")
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class MainWindow(QMainWindow):
    usageProblem = Signal(object)  # noqa: N815 - (problem: str | None), from the usage writer thread

    def __init__(
        self,
        engine: SearchEngine,
        settings: Settings,
        recorder: UsageRecorder,
        engine_factory: Callable[[Path], SearchEngine] | None = None,
        settings_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("KB Assist")
        self.setWindowIcon(icon("app"))
        self.engine = engine
        self.settings = settings
        self.recorder = recorder
        self._engine_factory = engine_factory or SearchEngine
        self._settings_path = settings_path
        self._items_by_path: dict[str, str] = {}
        self._suggestions: Suggestions | None = None
        self.session = UsageSession(recorder, self)
        self.problems: list[Problem] = []

        self._build_widgets()
        self._build_actions()
        self._connect_engine()
        self._restore_state()
        self.index.update()

    # ================================================================== building
    def _build_widgets(self) -> None:
        self.search_bar = SearchBar(self)
        self.case_input = CaseInput(self)
        self.entities = QLabel("")
        self.entities.setObjectName("entitiesBar")
        self.entities.setAccessibleName("Detected in the case")
        self.entities.setWordWrap(True)
        self.entities.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.confidence = QLabel("")
        self.confidence.setObjectName("confidenceBanner")
        self.confidence.setAccessibleName("Suggestion confidence")
        self.confidence.setWordWrap(True)
        self.confidence.hide()
        self.none_fit_button = QPushButton(icon("none-fit"), "None of these fit")
        self.none_fit_button.setObjectName("noneFitButton")
        self.none_fit_button.setToolTip("Tell the KB editors this case found no good article or macro (Ctrl+Shift+N)")
        self.none_fit_button.clicked.connect(self.mark_none_fit)
        self.none_fit_button.setEnabled(False)

        self.article_model = ResultListModel(self)
        self.search_model = ResultListModel(self)
        self.article_list = list_view("articleList", "Suggested articles", self.article_model, self)
        # After the article list: Tab follows creation order, and articles come before macros.
        self.macro_lists = MacroLists(self.engine_get, self)
        self.macro_lists.macroChosen.connect(self._show_macro)
        self.macro_model = self.macro_lists.suggested
        self.macro_list, self.macro_tabs = self.macro_lists.view, self.macro_lists.tabs
        self.search_list = list_view("searchResults", "Search results", self.search_model, self)

        suggestions = QWidget(self)
        s_layout = QVBoxLayout(suggestions)
        s_layout.setContentsMargins(0, 0, 0, 0)
        s_layout.addWidget(_section("Articles"))
        s_layout.addWidget(self.article_list, 3)
        macro_header = QHBoxLayout()
        macro_header.addWidget(_section("Macros"))
        macro_header.addStretch(1)
        macro_header.addWidget(self.macro_tabs)
        s_layout.addLayout(macro_header)
        s_layout.addWidget(self.macro_list, 2)
        searching = QWidget(self)
        r_layout = QVBoxLayout(searching)
        r_layout.setContentsMargins(0, 0, 0, 0)
        self.search_title = _section("Search results")
        r_layout.addWidget(self.search_title)
        r_layout.addWidget(self.search_list, 1)
        self.lists = QStackedWidget(self)
        self.lists.addWidget(suggestions)
        self.lists.addWidget(searching)

        self.left_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.left_splitter.setObjectName("leftSplitter")
        case_box = QWidget(self)
        c_layout = QVBoxLayout(case_box)
        c_layout.setContentsMargins(0, 0, 0, 0)
        c_layout.addWidget(_section("Case"))
        c_layout.addWidget(self.case_input, 1)
        c_layout.addWidget(self.entities)
        row = QHBoxLayout()
        row.addWidget(self.confidence, 1)
        row.addWidget(self.none_fit_button, 0, Qt.AlignmentFlag.AlignTop)
        c_layout.addLayout(row)
        self.left_splitter.addWidget(case_box)
        self.left_splitter.addWidget(self.lists)
        self.left_splitter.setStretchFactor(0, 2)
        self.left_splitter.setStretchFactor(1, 3)

        self.article_pane = ArticlePane(self._item_by_path, self.engine_get, self)
        self.macro_panel = MacroPanel(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.left_splitter)
        self.splitter.addWidget(self.article_pane)
        self.splitter.addWidget(self.macro_panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setStretchFactor(2, 3)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.addWidget(self.splitter)
        self.setCentralWidget(central)

        # status bar: KB size, index state with progress, problems, usage not being saved
        self.status = WindowStatusBar(self)
        self.setStatusBar(self.status)
        self.status.problemsClicked.connect(self.show_problems)
        self.kb_label, self.index_label = self.status.kb_label, self.status.index_label
        self.progress, self.problems_button = self.status.progress, self.status.problems_button
        self.usage_warning = self.status.usage_warning
        self.usageProblem.connect(self.status.show_usage_problem)
        self.recorder.on_problem = self.usageProblem.emit  # called on the writer thread, delivered queued

        # wiring between widgets
        self.case_input.caseChanged.connect(self._case_changed)
        self.case_input.fileRejected.connect(lambda msg: self.status.say(msg, 6000))
        self.search_bar.queryChanged.connect(self._query_changed)
        self.article_list.activated.connect(lambda i: self._open_row(self.article_model, i, "suggestion"))
        self.article_list.clicked.connect(lambda i: self._open_row(self.article_model, i, "suggestion"))
        self.search_list.activated.connect(lambda i: self._open_row(self.search_model, i, "search"))
        self.search_list.clicked.connect(lambda i: self._open_row(self.search_model, i, "search"))
        self.article_pane.articleShown.connect(self.session.article_opened)
        self.article_pane.feedbackGiven.connect(self._feedback)
        self.macro_panel.copied.connect(self._macro_copied)
        self.macro_panel.previewed.connect(self.session.macro_previewed)
        self.macro_panel.favoriteToggled.connect(self._favorite_toggled)
        self._search_settle = debouncer(self, SEARCH_SETTLE_MS, self._record_search)
        self._pending_search: tuple[str, int] | None = None

    def _build_actions(self) -> None:
        step = self._step
        slots: dict[str, Callable[[], object]] = {
            "new_case": self.new_case,
            "focus_case": self.case_input.setFocus,
            "focus_search": self.focus_search,
            "next_article": partial(step, self.article_list, 1, open_it=True),
            "previous_article": partial(step, self.article_list, -1, open_it=True),
            "next_macro": partial(step, self.macro_list, 1),
            "previous_macro": partial(step, self.macro_list, -1),
            **{f"macro_{n}": partial(self._select, self.macro_list, n - 1) for n in range(1, 6)},
            "copy_reply": self.macro_panel.copy_reply,
            "toggle_favorite": self.macro_panel.favorite.toggle,
            "find_in_article": self.article_pane.show_find,
            "go_back": self.article_pane.go_back,
            "go_forward": self.article_pane.go_forward,
            "mark_none_fit": self.mark_none_fit,
            "index_update": self.index_update,
            "show_stats": self.show_stats,
            "open_settings": self.open_settings,
            "show_shortcuts": self.show_shortcuts,
            "quit": self.close,
            "about": self._about,
        }
        self.actions_by_name = build_actions(self, slots, self.search_bar)
        self.new_case_action = self.actions_by_name["new_case"]
        self.reindex_action = self.actions_by_name["index_update"]
        self.settings_action = self.actions_by_name["open_settings"]
        self.help_action = self.actions_by_name["show_shortcuts"]
        self.stats_action = self.actions_by_name["show_stats"]
        QShortcut(QKeySequence("Escape"), self.search_bar.box, self.clear_search)

    def _connect_engine(self) -> None:
        self.suggest = SuggestController(self.engine, self.settings.agent_values, self)
        self.suggest.suggestionsReady.connect(self._suggestions_ready)
        self.suggest.cleared.connect(self._suggestions_cleared)
        self.suggest.failed.connect(lambda msg: self.status.say(msg, 8000))
        self.searcher = SearchController(self.engine, self)
        self.searcher.resultsReady.connect(self._search_ready)
        self.searcher.cleared.connect(self._search_cleared)
        self.index = IndexController(self.engine, self)
        self.index.progress.connect(self.status.show_progress)
        self.index.stateChanged.connect(self.status.show_index_state)
        self.index.updated.connect(self._index_updated)
        self.status.show_kb(self.engine.kb_root.name, str(self.engine.kb_root))
        for message in self.engine.index.messages:
            self.status.say(message, 10_000)

    # ================================================================== lookups
    def engine_get(self, item_id: str) -> KbItem | None:
        return self.engine.get(item_id)

    def _item_by_path(self, rel_path: str) -> KbItem | None:
        item_id = self._items_by_path.get(rel_path)
        return self.engine.get(item_id) if item_id else None

    # ================================================================== case & suggestions
    def new_case(self) -> None:
        self.case_input.clear()
        self.case_input.flush()
        self.clear_search()
        self.article_pane.clear()
        self.macro_panel.clear()
        self.case_input.setFocus()

    def _case_changed(self, text: str) -> None:
        self.session.case_changed(text)
        self.suggest.request(text)

    def _suggestions_ready(self, result: Suggestions, _case_text: str) -> None:
        self._suggestions = result
        self.article_model.set_rows(Row(s.id, "article", s.title, s.product, s.why, s.score) for s in result.articles)
        self.macro_lists.show_suggested(Row(s.id, "macro", s.title, s.product, s.why, s.score) for s in result.macros)
        self._show_entities(result)
        self._show_confidence(result)
        self.none_fit_button.setEnabled(True)
        stems = frozenset(s for k in result.key_terms[:HIGHLIGHT_TERMS] for s in k.phrase)
        self.article_pane.set_highlight(stems)
        values = self.engine.placeholder_values(result.case, self.settings.agent_values())
        if self.macro_panel.macro is not None:
            self.macro_panel.update_values(values)
        self.session.shown(result)
        if result.confidence != "high":
            return  # a weak match is listed for the associate to judge, never opened as if it were the answer
        if self.macro_lists.on_suggested_tab() and result.macros and not self.macro_list.currentIndex().isValid():
            self._select(self.macro_list, 0)
        if result.articles and self.article_pane.current is None:
            self._select(self.article_list, 0, open_it=True)

    def _suggestions_cleared(self) -> None:
        self._suggestions = None
        self.article_model.set_rows([])
        self.macro_lists.show_suggested([])
        self.entities.setText("")
        self.confidence.hide()
        self.none_fit_button.setEnabled(False)
        self.article_pane.set_highlight(frozenset())

    def _show_entities(self, result: Suggestions) -> None:
        e = result.case.entities
        parts: list[str] = []
        if e.customer_name:
            parts.append(f"<b>Customer</b> {html.escape(e.customer_name)}")
        parts += [f"<b>{html.escape(f.type)}</b> <code>{html.escape(f.value)}</code>" for f in e.ids[:6]]
        parts += [f"<b>code</b> <code>{html.escape(c)}</code>" for c in e.codes[:4]]
        parts += [f"<b>amount</b> {html.escape(a.display)}" for a in e.amounts[:3]]
        parts += [f"<b>email</b> {html.escape(m)}" for m in e.emails[:2]]
        if result.products:
            labels = ", ".join(PRODUCT_LABELS.get(p, p) for p in result.products[:3])
            parts.append(f"<b>Product</b> {html.escape(labels)}")
        language = result.case.language
        if not language.is_english:  # English is the KB's language; anything else is news to the associate
            parts.append(f"<b>Language</b> {html.escape(language.name)}")
        self.entities.setText(" · ".join(parts) if parts else "<i>No IDs, codes or amounts found in the case.</i>")

    def _show_confidence(self, result: Suggestions) -> None:
        if result.confidence == "high":
            self.confidence.hide()
            return
        if result.confidence == "none":
            self.confidence.setText(
                "No article matches this case. Try the search box, or tell the editors with “None of these fit”."
            )
        else:
            self.confidence.setText(
                "Low confidence: none of these is a clear match for the case. Check before "
                "using them, try the search box, or mark “None of these fit”."
            )
        self.confidence.show()

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

    def _query_changed(self, query: str, product: str) -> None:
        self.searcher.request(query, product)

    def _search_ready(self, hits: list[SearchHit], correction: str | None, query: str) -> None:
        self.search_model.set_rows(
            Row(
                h.id,
                h.kind,
                ("▤ " if h.kind == "macro" else "") + h.title,
                h.product,
                "macro" if h.kind == "macro" else "article",
                h.score,
            )
            for h in hits
        )
        self.search_title.setText(f"Search results for “{query}”: {len(hits)}" if hits else f"No results for “{query}”")
        self.search_bar.show_correction(correction)
        self.lists.setCurrentIndex(1)
        self._pending_search = (query, len(hits))
        self._search_settle.start()

    def _search_cleared(self) -> None:
        self._record_search()
        self.search_model.set_rows([])
        self.search_bar.show_correction(None)
        self.lists.setCurrentIndex(0)

    def _record_search(self) -> None:
        if self._pending_search is not None:
            query, count = self._pending_search
            self._pending_search = None
            self.session.search(query, count, self._suggestions)

    # ================================================================== opening items
    def _step(self, view: QListView, delta: int, *, open_it: bool = False) -> None:
        current = view.currentIndex().row() if view.currentIndex().isValid() else -1
        self._select(view, max(0, current + delta), open_it=open_it)

    def _select(self, view: QListView, row: int, *, open_it: bool = False) -> None:
        model = view.model()
        if not 0 <= row < model.rowCount():
            return
        index = model.index(row, 0)
        view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        view.scrollTo(index)
        if open_it and view is self.article_list:
            self._open_row(self.article_model, index, "suggestion")

    def _open_row(self, model: ResultListModel, index: QModelIndex, source: str) -> None:
        row = model.row_at(index.row())
        if row is None:
            return
        item = self.engine.get(row.id)
        if item is None:
            self.status.say(f"{row.id} is no longer in the KB", 5000)
            return
        if isinstance(item, Macro):
            self._show_macro(item, source)
        elif self.article_pane.current is None or self.article_pane.current.id != item.id:
            self.article_pane.show_item(item, source)

    def _show_macro(self, macro: Macro, source: str) -> None:
        if self.macro_panel.macro is not None and self.macro_panel.macro.id == macro.id:
            return
        self.session.macro_source = source
        values = (
            self.engine.placeholder_values(self._suggestions.case, self.settings.agent_values())
            if self._suggestions
            else self.settings.agent_values()
        )
        self.macro_panel.show_macro(macro, values, source, favorite=macro.id in self.settings.favorites)

    # ================================================================== usage events
    def _macro_copied(self, macro_id: str, ratio: float, unfilled: int) -> None:
        self.session.macro_copied(macro_id, ratio, unfilled)
        self.settings = replace(self.settings, recent_macros=self.macro_lists.copied(macro_id))
        self._save_settings()

    def _feedback(self, item_id: str, helpful: bool) -> None:
        self.session.feedback(item_id, helpful)
        self.status.say(
            "Thanks for the feedback." if helpful else "Thanks: the KB editors will see this article was not helpful.",
            5000,
        )

    def _favorite_toggled(self, macro_id: str, on: bool) -> None:
        self.settings = replace(self.settings, favorites=self.macro_lists.favorite(macro_id, on))
        self._save_settings()

    # ================================================================== index state
    def index_update(self) -> None:
        self.index.update()

    def _index_updated(self, report: UpdateReport) -> None:
        self.status.hide_progress()
        items = self.engine.index.all_items()
        self._items_by_path = {i.rel_path: i.id for i in items}
        articles = sum(i.kind == "article" for i in items)
        self.status.show_kb(self.engine.kb_root.name, str(self.engine.kb_root), articles, len(items) - articles)
        self.problems = list(report.problems)
        self.status.show_problems(self.problems)
        for message in report.messages:
            self.status.say(message)
        if report.touched:
            # Content changed: refresh what is on screen.
            self.suggest.request(self.case_input.toPlainText())
            if self.search_bar.query():
                self.search_bar.flush()
            current = self.article_pane.current
            if current is not None:
                fresh = self.engine.get(current.id)
                if fresh is not None and fresh.signature != current.signature:
                    self.article_pane.show_item(fresh, "history", record_history=False)
        self.recorder.kb_version = kb_version(items)

    def show_stats(self) -> None:
        from kbassist.ui.stats_view import StatsView  # QtCharts loads only when an editor opens the view

        self.recorder.flush()
        self.stats_view = StatsView(paths.usage_db(), self.engine.index.all_items, self.settings.stale_after_days, self)
        self.stats_view.show()

    def show_problems(self) -> None:
        ProblemsDialog(self.problems, str(self.engine.kb_root), self).exec()

    # ================================================================== settings & state
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        new = dialog.result_settings()
        kb_changed = new.kb_folder != self.settings.kb_folder
        self.settings = new
        self.recorder.enabled = new.usage_enabled
        self._save_settings()
        if kb_changed:
            self.switch_kb(paths.resolve_kb(new.kb_folder or None))
        elif self._suggestions is not None:
            self.macro_panel.update_values(self.engine.placeholder_values(self._suggestions.case, new.agent_values()))

    def switch_kb(self, kb_root: Path) -> None:
        if not kb_root.is_dir():
            QMessageBox.warning(self, "KB folder not found", f"{kb_root} does not exist; keeping the current KB.")
            return
        self.shutdown_workers()
        self.engine.close()
        self.engine = self._engine_factory(kb_root)
        for controller in (self.suggest, self.searcher, self.index):
            controller.deleteLater()
        self.article_pane.clear()
        self.macro_panel.clear()
        self._suggestions_cleared()
        self._connect_engine()
        self.index.update()
        self.suggest.request(self.case_input.toPlainText())

    def _save_settings(self) -> None:
        save_settings(self.settings, self._settings_path)

    def _qsettings(self) -> QSettings:
        return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_state(self) -> None:
        self.macro_lists.set_saved(self.settings.favorites, self.settings.recent_macros)
        state = self._qsettings()
        geometry = state.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        for key, splitter in (("mainSplitter", self.splitter), ("leftSplitter", self.left_splitter)):
            value = state.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                splitter.restoreState(value)
            elif splitter is self.splitter:
                splitter.setSizes([430, 560, 450])
            else:
                splitter.setSizes([300, 500])

    def save_state(self) -> None:
        state = self._qsettings()
        state.setValue("geometry", self.saveGeometry())
        state.setValue("mainSplitter", self.splitter.saveState())
        state.setValue("leftSplitter", self.left_splitter.saveState())
        state.sync()

    def shutdown_workers(self) -> None:
        """Stop background work before the core closes: no new jobs, a running index build ends early."""
        self.index.stop()
        for controller in (self.suggest, self.searcher):
            controller.cancel()
            controller.runner.close()
        for runner in (self.suggest.runner, self.searcher.runner, self.index.runner):
            runner.wait(30_000)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._record_search()
        self.save_state()
        self.shutdown_workers()
        self.recorder.flush()
        self.recorder.on_problem = None
        super().closeEvent(event)

    # ================================================================== dialogs
    def show_shortcuts(self) -> None:
        ShortcutsDialog(SHORTCUTS, self).exec()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About KB Assist",
            f"KB Assist {__version__}\nKnowledge base: {self.engine.kb_root}\nData: {paths.data_dir()}",
        )
