"""The associate's text size for what they read and write all day (the case, the article, the reply), as a
share of the desktop's font: Ctrl+= / Ctrl+- / Ctrl+0 and the Settings dialog, kept in ``settings.json``.

Only those three panes follow it: lists, buttons and titles keep the desktop's size, which the desktop's own
scaling already sets, so a larger reading text never pushes the window past a small screen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QSpinBox, QWidget

from kbassist.settings import Settings

NORMAL = 100  # percent of the desktop's font
STEP = 10  # one key press: 9 pt becomes 9.9 pt, a step the eye notices without a jump
SMALLEST = 70  # below this a 9 pt desktop font gives 6 pt, unreadable
LARGEST = 200  # twice the desktop's font; more leaves a reply pane at 1366 px only a few words a line


def clamp(percent: int) -> int:
    return max(SMALLEST, min(LARGEST, percent))


def spin_box(percent: int) -> QSpinBox:
    """The Settings dialog's field, in the steps the keys take."""
    box = QSpinBox()
    box.setObjectName("textSize")
    box.setRange(SMALLEST, LARGEST)
    box.setSingleStep(STEP)
    box.setSuffix(" %")
    box.setToolTip("Case, article and reply text, as a share of the desktop's font (Ctrl+= / Ctrl+- / Ctrl+0)")
    box.setValue(clamp(percent))
    return box


class TextSize(QObject):
    def __init__(
        self,
        widgets: Sequence[QWidget],
        settings: Callable[[], Settings],
        keep: Callable[[Settings], object],
        parent: QObject | None = None,
    ) -> None:
        """``settings`` gives the window's settings now; ``keep`` stores changed ones (``settings.json``)."""
        super().__init__(parent)
        self._widgets = list(widgets)
        self._settings = settings
        self._keep = keep
        self.percent = clamp(settings().text_size)
        self._apply()

    def refresh(self) -> None:
        """Follow the settings after the Settings dialog changed them."""
        self.set(self._settings().text_size)

    def point_size(self) -> float:
        return QApplication.font().pointSizeF() * self.percent / 100

    def set(self, percent: int) -> None:
        percent = clamp(percent)
        if percent == self.percent:
            return
        self.percent = percent
        self._apply()
        if self._settings().text_size != percent:
            self._keep(replace(self._settings(), text_size=percent))

    def bigger(self) -> None:
        self.set(self.percent + STEP)

    def smaller(self) -> None:
        self.set(self.percent - STEP)

    def reset(self) -> None:
        self.set(NORMAL)

    def slots(self) -> dict[str, Callable[[], object]]:
        """The commands of ``ui/actions.py`` this object runs."""
        return {"text_bigger": self.bigger, "text_smaller": self.smaller, "text_reset": self.reset}

    def _apply(self) -> None:
        size = self.point_size()
        for widget in self._widgets:
            font = widget.font()
            font.setPointSizeF(size)
            widget.setFont(font)
