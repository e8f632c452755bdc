"""Two-line rows: the title, then product and the reason it is suggested."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from kbassist.content.model import PRODUCT_LABELS
from kbassist.ui.models import Role

PAD = 6


class ResultDelegate(QStyledItemDelegate):
    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        text = option.text
        option.text = ""
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        main = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        muted = main if selected else palette.color(QPalette.ColorRole.PlaceholderText)
        rect = option.rect.adjusted(PAD, PAD // 2, -PAD, -PAD // 2)
        bold = QFont(option.font)
        bold.setBold(True)
        line = QFontMetrics(bold).height()
        painter.save()
        painter.setFont(bold)
        painter.setPen(main)
        title = QFontMetrics(bold).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), line), Qt.AlignmentFlag.AlignLeft, title)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1))
        painter.setFont(small)
        painter.setPen(muted)
        product = PRODUCT_LABELS.get(index.data(Role.Product) or "", index.data(Role.Product) or "")
        why = index.data(Role.Why) or ""
        detail = f"{product} · {why}" if why else product
        detail = QFontMetrics(small).elidedText(detail, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(
            QRect(rect.left(), rect.top() + line + 1, rect.width(), line), Qt.AlignmentFlag.AlignLeft, detail
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        line = QFontMetrics(option.font).height()
        return QSize(200, 2 * line + PAD + 4)
