"""Search over all articles and macros as you type, with a product filter and "did you mean"."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from kbassist.content.model import PRODUCT_LABELS, PRODUCTS
from kbassist.ui.debounce import debouncer
from kbassist.ui.theme import icon

TYPING_DEBOUNCE_MS = 150


class SearchBar(QWidget):
    """The query box, the product filter and the spelling suggestion; results are shown elsewhere."""

    queryChanged = Signal(str, str)  # noqa: N815 - (query, product or "")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QLineEdit(self)
        self.box.setObjectName("searchBox")
        self.box.setAccessibleName("Search articles and macros")
        self.box.setPlaceholderText("Search all articles and macros (Ctrl+K)")
        self.box.setClearButtonEnabled(True)
        self.box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.product = QComboBox(self)
        self.product.setObjectName("productFilter")
        self.product.setAccessibleName("Product filter")
        self.product.addItem("All products", "")
        for product in PRODUCTS:
            self.product.addItem(PRODUCT_LABELS[product], product)
        self.did_you_mean = QLabel(self)
        self.did_you_mean.setObjectName("didYouMean")
        self.did_you_mean.setAccessibleName("Did you mean")
        self.did_you_mean.linkActivated.connect(self._accept_correction)
        self.did_you_mean.hide()

        self._timer = debouncer(self, TYPING_DEBOUNCE_MS, self._emit)
        self.box.textChanged.connect(self._timer.start)
        self.product.currentIndexChanged.connect(lambda _i: self._emit())

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box, 3)
        layout.addWidget(self.product, 1)
        layout.addWidget(self.did_you_mean)

    def query(self) -> str:
        return self.box.text().strip()

    def product_filter(self) -> str:
        return str(self.product.currentData() or "")

    def _emit(self) -> None:
        self.queryChanged.emit(self.query(), self.product_filter())

    def flush(self) -> None:
        self._timer.stop()
        self._emit()

    def show_correction(self, corrected: str | None) -> None:
        if corrected:
            self.did_you_mean.setText(f'Did you mean <a href="{corrected}">{corrected}</a>?')
            self.did_you_mean.show()
        else:
            self.did_you_mean.hide()

    def _accept_correction(self, corrected: str) -> None:
        self.box.setText(corrected)
        self.flush()
