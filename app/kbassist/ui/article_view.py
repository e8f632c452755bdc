"""The reading pane: a rendered article with in-app links, back/forward, find in page and feedback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTextBrowser,
    QToolButton,
    QWidget,
)

from kbassist.content.kb_files import resolve_link
from kbassist.content.model import PRODUCT_LABELS, Article, KbItem, Macro
from kbassist.content.render import article_html
from kbassist.search.text import stem
from kbassist.settings import Settings
from kbassist.ui.theme import OVERDUE_COLORS, scheme_of
from kbassist.ui.widgets import column, title_block, title_label, tool_button
from kbassist.usage import Source

Resolver = Callable[[str], KbItem | None]  # KB-relative path -> item
STALE_AFTER_DAYS = Settings().stale_after_days  # until the window hands in what Settings say


class ArticleBrowser(QTextBrowser):
    """QTextBrowser that never loads anything itself: the pane decides what a link does."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("articleView")
        self.setAccessibleName("Article")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)

    def loadResource(self, type: int, name: QUrl | str) -> object:
        return None  # no remote images or files: articles are text


class ArticlePane(QWidget):
    """Shows one article (or macro source) at a time; links between articles stay inside the app."""

    # (item id, its Source's value; "" when the associate went back or forward, or the KB refreshed it: not an open)
    articleShown = Signal(str, str)  # noqa: N815
    feedbackGiven = Signal(str, bool)  # noqa: N815 - (item id, helpful)
    linkRequested = Signal(str, str)  # noqa: N815 - (title, public https address): put a link to it in the reply

    def __init__(
        self, resolve_path: Resolver, resolve_id: Callable[[str], KbItem | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._resolve_path = resolve_path
        self._resolve_id = resolve_id
        self._current: KbItem | None = None
        self.stale_after: Callable[[], int] = lambda: STALE_AFTER_DAYS  # the window hands in Settings' value
        self._highlight: frozenset[str] = frozenset()
        self._back: list[str] = []
        self._forward: list[str] = []

        self.back_button = self._tool("back", "Back (Alt+Left)", self.go_back)
        self.forward_button = self._tool("forward", "Forward (Alt+Right)", self.go_forward)
        self.title = title_label("No article open", "articleTitle", grow=2)
        self.meta = QLabel("")
        self.meta.setObjectName("articleMeta")
        self.meta.setTextFormat(Qt.TextFormat.RichText)  # "Review overdue" stands out
        self.meta.setWordWrap(True)  # owner and review state make it long: it wraps rather than widen the pane
        self.helpful = self._tool("thumbs-up", "This article helped", lambda: self._feedback(True))
        self.not_helpful = self._tool(
            "thumbs-down", "This article was wrong or misleading", lambda: self._feedback(False)
        )
        self.find_button = self._tool("find", "Find in article (Ctrl+F)", self.show_find)
        self.link_button = self._tool("link", "Insert a link to this article's public page into the reply", self._link)
        self.link_button.setObjectName("insertLinkButton")

        self.browser = ArticleBrowser(self)
        self.browser.anchorClicked.connect(self._link_clicked)
        self._build_find_bar()

        header = QHBoxLayout()
        header.addWidget(self.back_button)
        header.addWidget(self.forward_button)
        header.addLayout(title_block(self.title, self.meta), 1)
        for button in (self.link_button, self.find_button, self.helpful, self.not_helpful):
            header.addWidget(button)
        find_row = QHBoxLayout()
        find_row.addWidget(self.find_box, 1)
        find_row.addWidget(self.find_status)
        column(self, header, (self.browser, 1), find_row)
        self._update_buttons()

    def _build_find_bar(self) -> None:
        """Find in article, under the text: hidden until Ctrl+F; Enter, Shift+Enter and Esc act in it."""
        self.find_box = QLineEdit(self)
        self.find_box.setObjectName("findInArticle")
        self.find_box.setAccessibleName("Find in article")
        self.find_box.setPlaceholderText("Find in article — Enter: next, Shift+Enter: previous, Esc: close")
        self.find_box.setClearButtonEnabled(True)
        self.find_box.returnPressed.connect(lambda: self.find_next(backward=False))
        self.find_box.textChanged.connect(lambda _t: self.find_next(backward=False, restart=True))
        self.find_box.hide()
        QShortcut(QKeySequence("Shift+Return"), self.find_box, lambda: self.find_next(backward=True))
        QShortcut(QKeySequence("Escape"), self.find_box, self.hide_find)
        self.find_status = QLabel("")
        self.find_status.hide()

    def _tool(self, name: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        return tool_button(self, name, tip, slot)

    # ------------------------------------------------------------------ showing
    @property
    def current(self) -> KbItem | None:
        return self._current

    def set_highlight(self, stems: frozenset[str]) -> None:
        """Words of the case to mark in whatever article is shown (by stem, so 'refunds' marks 'refund')."""
        self._highlight = stems
        if self._current is not None:
            self._render(self._current)

    def show_item(
        self, item: KbItem, source: Source | None = Source.SUGGESTION, *, record_history: bool = True
    ) -> None:
        """Show ``item``; ``source`` None is a revisit (history, a refresh), which is not a new open."""
        if record_history and self._current is not None and self._current.id != item.id:
            self._back.append(self._current.id)
            self._forward.clear()
        self._current = item
        self._render(item)
        self._update_buttons()
        self.articleShown.emit(item.id, str(source) if source else "")

    def open_item(self, item: KbItem, source: Source) -> None:
        """Show ``item`` unless it is already on screen (a second click keeps the place and the history)."""
        if self._current is None or self._current.id != item.id:
            self.show_item(item, source)

    def refresh(self) -> None:
        """The KB changed: if the article on screen was edited, show its new text in place."""
        current = self._current
        if current is not None:
            fresh = self._resolve_id(current.id)
            if fresh is not None and fresh.signature != current.signature:
                self.show_item(fresh, None, record_history=False)

    def clear(self) -> None:
        self._current = None
        self.title.setText("No article open")
        self.meta.setText("")
        self.browser.clear()
        self._update_buttons()

    def _render(self, item: KbItem) -> None:
        self.title.setText(item.title)
        label = PRODUCT_LABELS.get(item.product, item.product)
        self.meta.setToolTip("")
        if isinstance(item, Article):
            self.meta.setText(f"{escape(label)} · {escape(item.id)}{self._review_state(item)}")
        elif isinstance(item, Macro):
            self.meta.setText(escape(f"{label} · macro {item.id}"))
        body = item.body
        first = body.lstrip().split("\n", 1)
        if first and first[0].startswith("# "):  # the title is already in the header
            body = first[1] if len(first) > 1 else ""
        html = article_html(body, self._highlight, stem)
        scroll = self.browser.verticalScrollBar().value() if self._current is item else 0
        self.browser.setHtml(html)
        self.browser.verticalScrollBar().setValue(scroll)

    def _review_state(self, article: Article) -> str:
        """Who keeps the article and whether its review is due, so an associate knows how far to trust it
        and whom to tell: "Owner: payouts-content · Reviewed 2026-03-01", or "Review overdue" in red."""
        owner = f" · Owner: {escape(article.owner)}" if article.owner else ""
        if article.reviewed is None:
            return owner
        limit = self.stale_after()
        if (dt.date.today() - article.reviewed).days <= limit:
            return f"{owner} · Reviewed {article.reviewed.isoformat()}"
        self.meta.setToolTip(f"Last reviewed more than {limit} days ago: check with its owner before relying on it")
        overdue = f'<span style="color:{OVERDUE_COLORS[scheme_of(self)]}; font-weight:600">Review overdue</span>'
        return f"{owner} · {overdue} (reviewed {article.reviewed.isoformat()})"

    def _update_buttons(self) -> None:
        self.back_button.setEnabled(bool(self._back))
        self.forward_button.setEnabled(bool(self._forward))
        has = self._current is not None
        for button in (self.helpful, self.not_helpful, self.find_button):
            button.setEnabled(has)
        self.link_button.setEnabled(isinstance(self._current, Article) and bool(self._current.public_url))

    def _link(self) -> None:
        if isinstance(self._current, Article) and self._current.public_url:
            self.linkRequested.emit(self._current.title, self._current.public_url)

    # ------------------------------------------------------------------ navigation
    def _link_clicked(self, url: QUrl) -> None:
        scheme = url.scheme().lower()
        if scheme in ("http", "https"):
            QDesktopServices.openUrl(url)
            return
        if scheme or self._current is None:
            return  # mailto:, file:, javascript: and the like do nothing
        target = resolve_link(self._current.rel_path, url.path())
        if target is None:
            return
        item = self._resolve_path(target)
        if item is not None:
            self.show_item(item, Source.LINK)

    def go_back(self) -> None:
        self._step(self._back, self._forward)

    def go_forward(self) -> None:
        self._step(self._forward, self._back)

    def _step(self, source: list[str], dest: list[str]) -> None:
        while source:
            item = self._resolve_id(source.pop())
            if item is not None:
                if self._current is not None:
                    dest.append(self._current.id)
                self.show_item(item, None, record_history=False)
                return
        self._update_buttons()

    # ------------------------------------------------------------------ find & feedback
    def show_find(self) -> None:
        self.find_box.show()
        self.find_status.show()
        self.find_box.setFocus()
        self.find_box.selectAll()

    def hide_find(self) -> None:
        self.find_box.hide()
        self.find_status.hide()
        self.browser.setFocus()

    def find_next(self, *, backward: bool, restart: bool = False) -> bool:
        text = self.find_box.text()
        if not text:
            self.find_status.setText("")
            return False
        if restart:
            cursor = self.browser.textCursor()
            cursor.setPosition(0)
            self.browser.setTextCursor(cursor)
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        found = self.browser.find(text, flags)
        if not found:  # wrap around
            cursor = self.browser.textCursor()
            cursor.movePosition(cursor.MoveOperation.End if backward else cursor.MoveOperation.Start)
            self.browser.setTextCursor(cursor)
            found = self.browser.find(text, flags)
        self.find_status.setText("" if found else "Not found")
        return found

    def _feedback(self, helpful: bool) -> None:
        if self._current is not None:
            self.feedbackGiven.emit(self._current.id, helpful)
            (self.helpful if helpful else self.not_helpful).setDown(False)
