"""Look and feel: Fusion style, light or dark palette following the system, tinted SVG icons."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QWidget

from kbassist import paths


def is_dark(scheme: Qt.ColorScheme | None = None) -> bool:
    if scheme is None:
        scheme = QGuiApplication.styleHints().colorScheme()
    return scheme == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1e1f22"), QColor("#2b2d31"), QColor("#e6e6e6")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#26282c"))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, window)
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.Highlight, QColor("#635bff"))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        p.setColor(group, QPalette.ColorRole.ToolTipBase, base)
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#8a8d93"))
        p.setColor(group, QPalette.ColorRole.Link, QColor("#9d98ff"))
        p.setColor(group, QPalette.ColorRole.Mid, QColor("#44464c"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#777"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#777"))
    return p


def light_palette() -> QPalette:
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.ColorRole.Highlight, QColor("#635bff"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, QColor("#4b44d6"))
    return p


# Red for what is overdue or refused, readable on the window's colour: 4.9:1 on the light one (#efefef),
# 5.5:1 on the dark one (#2b2d31); one red for both would be 4.4:1 and 3.1:1 at best.
OVERDUE_COLORS = {"light": "#c62828", "dark": "#ff7b72"}


def scheme_of(widget: QWidget) -> str:
    """ "dark" or "light": the palette the widget is drawn with now (the system's scheme can change)."""
    return "dark" if widget.palette().color(QPalette.ColorRole.Window).lightness() < 128 else "light"


def apply_theme(app: QApplication, scheme: Qt.ColorScheme | None = None) -> None:
    """Fusion plus a palette for the system's colour scheme; re-applied when the scheme changes."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if is_dark(scheme) else light_palette())
    sheet = paths.resources_dir() / "app.qss"
    if sheet.is_file():
        app.setStyleSheet(sheet.read_text("utf-8"))
    icon.cache_clear()


def follow_system_scheme(app: QApplication) -> None:
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda scheme: apply_theme(app, scheme))


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons, with ``currentColor`` drawn in the palette's text colour."""
    path = paths.resources_dir() / "icons" / f"{name}.svg"
    if not path.is_file():
        return QIcon()
    colour = QApplication.palette().color(QPalette.ColorRole.WindowText).name() if QApplication.instance() else "#333"
    svg = path.read_text("utf-8").replace("currentColor", colour)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    for size in (16, 20, 24, 32, 48, 64):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result
