"""The KB editors' view: which macros work, which mislead, what is stale and what is missing.

Figures come from ``kbassist.usage.compute_stats``, of this desktop's usage file, or with the Team switch of
the whole team's database (``usage.team.figures``); either is computed on a worker thread (about a second
for a team's 10 million events). This module only lays them out as charts and sortable tables.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kbassist.content.model import PRODUCT_LABELS, PRODUCTS, KbItem
from kbassist.content.review import ReviewError, find_article, mark_reviewed
from kbassist.ui.record_table import RecordTableModel, table_view
from kbassist.ui.stats_columns import (
    ARTICLE_COLUMNS,
    ARTICLE_FORMATS,
    GAP_COLUMNS,
    GAP_FORMATS,
    MACRO_COLUMNS,
    MACRO_FORMATS,
    MISSED_COLUMNS,
    STALE_COLUMNS,
    STALE_FORMATS,
    UNUSED_COLUMNS,
)
from kbassist.ui.tasks import TaskRunner
from kbassist.ui.theme import OVERDUE_COLORS, scheme_of
from kbassist.usage import Stats, UsageStore, compute_stats, write_macros_csv

# One colour per product line, distinct for colour-blind readers too (Okabe-Ito, without the yellow that
# vanishes on white). Qt's default theme repeats its colours from the sixth series on.
TREND_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
# Column widths at most: a title column shows about 60 characters, any other about 45 (a macro's unfilled
# placeholders, the macros relying on an article); at 1366 px the macros' first eight columns stay in view.
MAX_TITLE_PX = 420
MAX_COLUMN_PX = 320


class StatsView(QDialog):
    """Charts and sortable tables of usage, filtered by period and product, exportable to CSV."""

    def __init__(self, db_path: Path, items: Callable[[], list[KbItem]], stale_after_days: int = 365,
                 parent: QWidget | None = None, *, team_db: Callable[[], str | None] = lambda: None) -> None:
        """``team_db``: the team database's URL (KBASSIST_TEAM_DB, then Settings) or None, asked at each
        refresh; with one, the Team switch reads the whole team's figures from it."""
        super().__init__(parent)
        self.setObjectName("statsView")
        self.setWindowTitle("KB usage and content health")
        self.resize(1280, 820)
        self.db_path = db_path
        self._items = items
        self._team_db = team_db
        self.stale_after_days = stale_after_days
        self.runner = TaskRunner(1, self, latest=True)  # switching Team or the period: the newest answer wins
        self.stats: Stats | None = None

        filters = self._build_filters()
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("statsSummary")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self._build_charts())
        split.addWidget(self._build_tables())
        split.setSizes([300, 480])
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

        for signal in (
            self.since.dateChanged, self.until.dateChanged, self.product.currentIndexChanged, self.team.toggled
        ):
            signal.connect(lambda *_a: self.refresh())
        self.refresh()

    def _build_filters(self) -> QHBoxLayout:
        """The period (the last 90 days at first), the product, Refresh and Export, in one row."""
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-90))
        self.since.setObjectName("statsSince")
        self.until = QDateEdit(today)
        self.until.setObjectName("statsUntil")
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.product = QComboBox()
        self.product.setObjectName("statsProduct")
        self.product.addItem("All products", "")
        for product in PRODUCTS:
            self.product.addItem(PRODUCT_LABELS[product], product)
        self.team = QCheckBox("Team")
        self.team.setObjectName("statsTeam")
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("exportCsv")
        self.export_button.clicked.connect(self._export_dialog)
        filters = QHBoxLayout()
        for label, widget in (("From", self.since), ("to", self.until), ("Product", self.product)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(self.team)
        filters.addWidget(refresh)
        filters.addStretch(1)
        filters.addWidget(self.export_button)
        return filters

    def _build_charts(self) -> QSplitter:
        self.top_chart = QChartView()
        self.top_chart.setObjectName("topMacrosChart")
        self.trend_chart = QChartView()
        self.trend_chart.setObjectName("trendChart")
        for view in (self.top_chart, self.trend_chart):
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumHeight(240)
        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.top_chart)
        charts.addWidget(self.trend_chart)
        return charts

    def _build_tables(self) -> QTabWidget:
        """One sortable table per figure set, a tab each."""
        self.models: dict[str, RecordTableModel] = {
            "macros": RecordTableModel(MACRO_COLUMNS, MACRO_FORMATS, self),
            "articles": RecordTableModel(ARTICLE_COLUMNS, ARTICLE_FORMATS, self),
            "missed": RecordTableModel(MISSED_COLUMNS, parent=self),
            "gaps": RecordTableModel(GAP_COLUMNS, GAP_FORMATS, self),
            "stale": RecordTableModel(STALE_COLUMNS, STALE_FORMATS, self),
            "unused": RecordTableModel(UNUSED_COLUMNS, parent=self),
        }
        titles = {
            "macros": "Macros", "articles": "Articles", "missed": "Used but not suggested",
            "gaps": "Content gaps", "stale": "Stale articles", "unused": "Never used",
        }
        self.tabs = QTabWidget()
        self.tabs.setObjectName("statsTabs")
        self.tables: dict[str, QTableView] = {}
        for key, model in self.models.items():
            self.tables[key] = table_view(f"{key}Table", model, self)
            self.tabs.addTab(self._stale_tab() if key == "stale" else self.tables[key], titles[key])
        return self.tabs

    def _stale_tab(self) -> QWidget:
        """The stale table with "Mark reviewed" under it, for the article selected (or a double-click)."""
        self.mark_reviewed = QPushButton("Mark reviewed")
        self.mark_reviewed.setObjectName("markReviewed")
        self.mark_reviewed.setToolTip("Set the selected article's review date to today, in its Markdown file")
        self.mark_reviewed.setEnabled(False)
        self.mark_reviewed.clicked.connect(self.review_selected)
        table = self.tables["stale"]
        table.selectionModel().selectionChanged.connect(
            lambda *_a: self.mark_reviewed.setEnabled(bool(table.selectionModel().selectedRows()))
        )
        table.doubleClicked.connect(lambda *_a: self.review_selected())
        self.review_note = QLabel("")
        self.review_note.setObjectName("reviewNote")
        row = QHBoxLayout()
        row.addWidget(self.review_note, 1)
        row.addWidget(self.mark_reviewed)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(table, 1)
        layout.addLayout(row)
        return tab

    # ------------------------------------------------------------------ data
    def refresh(self) -> None:
        since: dt.date = self.since.date().toPython()  # type: ignore[assignment]  # (stubs say object)
        until: dt.date = self.until.date().toPython()  # type: ignore[assignment]
        product = str(self.product.currentData() or "") or None
        items = self._items()
        stale = self.stale_after_days
        url = self._offer_team()
        if url and self.team.isChecked():
            def work() -> Stats:
                from kbassist.usage.team.figures import team_stats  # the database driver loads only now

                return team_stats(url, items, since, until, product, stale)

            failed = "Could not read the team's figures"
        else:
            path = self.db_path

            def work() -> Stats:  # no usage file yet: no figures of use, but the stale articles all the same
                with UsageStore(path) if path.is_file() else UsageStore(":memory:") as store:
                    return compute_stats(store, items, since, until, product, stale)

            failed = "Could not read usage"
        self.summary.setText("Computing…")
        self.runner.submit(work, self.show_stats, lambda exc: self.summary.setText(f"{failed}: {exc}"))

    def _offer_team(self) -> str | None:
        """The team database's URL, with the switch enabled to match (off and explained without one)."""
        url = self._team_db()
        self.team.setEnabled(url is not None)
        self.team.setToolTip(
            "The whole team's figures, from the team database (needs an editor's login)"
            if url
            else "Set a team database in Settings (or KBASSIST_TEAM_DB) to see the whole team's figures"
        )
        if url is None and self.team.isChecked():
            self.team.blockSignals(True)
            self.team.setChecked(False)
            self.team.blockSignals(False)
        return url

    def show_stats(self, stats: Stats) -> None:
        self.stats = stats
        for key, model in self.models.items():
            model.set_records(getattr(stats, key))
        for table in self.tables.values():
            table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the core's order: worst first
            table.resizeColumnsToContents()
            for column in range(table.model().columnCount()):  # a long cell wraps or scrolls, not the table
                table.setColumnWidth(column, min(table.columnWidth(column), MAX_COLUMN_PX if column else MAX_TITLE_PX))
        self.mark_reviewed.setEnabled(False)
        copies = sum(m.copied for m in stats.macros)
        people = f"{stats.associates} associate" + ("" if stats.associates == 1 else "s")
        who = f"The team: {people} · " if self.team.isChecked() else ""
        self.summary.setText(
            f"{who}{stats.sessions} case sessions · {stats.events} events · {copies} replies copied · "
            f"{len(stats.gaps)} content gaps · {len(stats.stale)} stale articles · {len(stats.missed)} ranking misses"
        )
        self.summary.setToolTip(
            f"{stats.gaps_hidden} searches and marks with nothing to act on (only names, IDs, numbers) are not listed"
            if stats.gaps_hidden
            else ""
        )
        self._draw_top_macros(stats)
        self._draw_trend(stats)

    def _chart(self) -> QChart:
        """A chart in the window's scheme: Qt's charts are light by default, a white block in a dark window."""
        chart = QChart()
        if scheme_of(self) == "dark":
            chart.setTheme(QChart.ChartTheme.ChartThemeDark)
            chart.setBackgroundBrush(self.palette().color(QPalette.ColorRole.Base))
        return chart

    def _draw_top_macros(self, stats: Stats) -> None:
        top = sorted((m for m in stats.macros if m.copied), key=lambda m: (-m.copied, m.id))[:10][::-1]
        chart = self._chart()
        chart.setTitle("Most copied macros")
        chart.legend().hide()
        if top:
            bars = QBarSet("Copied")
            bars.append([float(m.copied) for m in top])
            series = QHorizontalBarSeries()
            series.append(bars)
            chart.addSeries(series)
            axis_y = QBarCategoryAxis()
            axis_y.append([m.title[:34] + ("…" if len(m.title) > 34 else "") for m in top])
            axis_y.setTruncateLabels(False)
            chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
            series.attachAxis(axis_y)
            axis_x = QValueAxis()
            axis_x.setLabelFormat("%d")
            axis_x.setRange(0, max(m.copied for m in top))
            axis_x.applyNiceNumbers()
            chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
            series.attachAxis(axis_x)
        self.top_chart.setChart(chart)

    def _draw_trend(self, stats: Stats) -> None:
        chart = self._chart()
        chart.setTitle("Replies copied per week, by product")
        weeks = sorted({t.week for t in stats.trend})
        per_product: dict[str, dict[str, int]] = defaultdict(dict)
        for t in stats.trend:
            per_product[t.product][t.week] = t.copies
        leaders = sorted(per_product, key=lambda p: -sum(per_product[p].values()))[:6]
        if weeks and leaders:
            axis_x = QBarCategoryAxis()
            axis_x.append([w.split("-")[1] for w in weeks])
            axis_y = QValueAxis()
            axis_y.setLabelFormat("%d")
            top = max((max(per_product[p].values(), default=0) for p in leaders), default=1)
            axis_y.setRange(0, max(top, 1))
            axis_y.applyNiceNumbers()
            chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
            chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
            for product, color in zip(leaders, TREND_COLORS, strict=False):
                line = QLineSeries()
                line.setName(PRODUCT_LABELS.get(product, product))
                line.setPen(QPen(QColor(color), 2))
                for i, week in enumerate(weeks):
                    line.append(float(i), float(per_product[product].get(week, 0)))
                chart.addSeries(line)
                line.attachAxis(axis_x)
                line.attachAxis(axis_y)
        self.trend_chart.setChart(chart)

    # ------------------------------------------------------------------ review
    def review_selected(self) -> bool:
        """Mark the selected stale article reviewed today, in its file; its row goes (the index, watching the
        KB, picks the new date up for the next refresh). A file that cannot be written is said, and kept."""
        table = self.tables["stale"]
        rows = table.selectionModel().selectedRows()
        if not rows or self.stats is None:
            return False
        model = self.models["stale"]
        stale = model.records[table.model().mapToSource(rows[0]).row()]  # type: ignore[attr-defined]
        today = dt.date.today()
        try:
            mark_reviewed(find_article(self._items(), stale.id).path, today)
        except ReviewError as exc:
            self.review_note.setStyleSheet(f"color: {OVERDUE_COLORS[scheme_of(self)]}; font-weight: 600;")
            self.review_note.setText(f"Not marked reviewed: {exc}")
            return False
        self.stats.stale = [s for s in self.stats.stale if s.id != stale.id]
        for article in self.stats.articles:
            if article.id == stale.id:
                article.reviewed = today
        model.set_records(self.stats.stale)
        self.models["articles"].set_records(self.stats.articles)
        self.review_note.setStyleSheet("")
        self.review_note.setText(f"{stale.title}: marked reviewed {today.isoformat()}")
        return True

    # ------------------------------------------------------------------ export
    def current_key(self) -> str:
        return list(self.models)[self.tabs.currentIndex()]

    def export_csv(self, path: Path, key: str | None = None) -> None:
        key = key or self.current_key()
        if key == "macros" and self.stats is not None:
            with path.open("w", newline="", encoding="utf-8") as out:
                write_macros_csv(self.stats, out)  # the same columns as `kbassist stats --csv`
        else:
            self.models[key].write_csv(path)

    def _export_dialog(self) -> None:
        key = self.current_key()
        name, _ = QFileDialog.getSaveFileName(self, "Export CSV", f"kbassist-{key}.csv", "CSV files (*.csv)")
        if name:
            self.export_csv(Path(name), key)

