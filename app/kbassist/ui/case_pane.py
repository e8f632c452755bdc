"""The case side of the window: the pasted case, what was found in it, how sure the suggestions are, and
the "None of these fit" button. It shows what it is given; the window decides what happens."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from kbassist.content.model import PRODUCT_LABELS
from kbassist.search.engine import Suggestions
from kbassist.ui.case_input import CaseInput
from kbassist.ui.theme import icon
from kbassist.ui.widgets import column, section_title

NO_MATCH = "No article matches this case. Try the search box, or tell the editors with “None of these fit”."
LOW_CONFIDENCE = (
    "Low confidence: none of these is a clear match for the case. Check before "
    "using them, try the search box, or mark “None of these fit”."
)


def entities_text(result: Suggestions) -> str:
    """What the case gave (IDs, codes, amounts, emails, products, a language other than English), as HTML."""
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
    return " · ".join(parts) if parts else "<i>No IDs, codes or amounts found in the case.</i>"


class CasePane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.none_fit_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.confidence, 1)
        row.addWidget(self.none_fit_button, 0, Qt.AlignmentFlag.AlignTop)
        column(self, section_title("Case"), (self.case_input, 1), self.entities, row)

    def minimumSizeHint(self) -> QSize:
        """Tall enough for the case's lines and for what was found wrapped at the pane's narrowest: a splitter
        asks only this, never the wrapped lines' height, and squeezed the case under the IDs at 1366x768."""
        hint = super().minimumSizeHint()
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth():
            hint.setHeight(max(hint.height(), layout.minimumHeightForWidth(hint.width())))
        return hint

    def show_result(self, result: Suggestions) -> None:
        self.entities.setText(entities_text(result))
        self._show_confidence(result)
        self.none_fit_button.setEnabled(True)

    def clear_result(self) -> None:
        self.entities.setText("")
        self.confidence.hide()
        self.none_fit_button.setEnabled(False)

    def _show_confidence(self, result: Suggestions) -> None:
        if result.confidence == "high":
            self.confidence.hide()
            return
        self.confidence.setText(NO_MATCH if result.confidence == "none" else LOW_CONFIDENCE)
        self.confidence.show()
