"""Every command of the window in one table: it builds the actions, their shortcuts, the toolbar, the menus
and the keyboard-shortcuts dialog, so none of them can miss a command (the hand-kept dialog list had lost
Ctrl+Q)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QToolBar, QWidget

from kbassist.ui.theme import icon


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # the key of its QAction, and the window's method it runs unless the window names another slot
    text: str  # on the toolbar and in menus
    icon: str = ""
    keys: str = ""  # the first is shown in menus; "; " separates others (Ctrl++ where + needs Shift)
    # How the shortcuts dialog lists it; a command with no `listed` text is listed by the one before it
    # ("Next / previous article" covers both), or not at all.
    listed: str = ""
    listed_keys: str = ""


COMMANDS: tuple[Command, ...] = (
    Command("new_case", "New case", "new-case", "Ctrl+N", "New case (clear and start over)"),
    Command("paste_case", "Paste case from clipboard", "new-case", "Ctrl+Shift+V",
            "Replace the case with the clipboard's text and search"),
    Command("focus_case", "Focus case", "new-case", "Ctrl+L", "Focus the case"),
    Command("focus_search", "Focus search", "search", "Ctrl+K", "Focus search"),
    Command("next_article", "Next article", "forward", "Alt+Down", "Next / previous article", "Alt+Down / Alt+Up"),
    Command("previous_article", "Previous article", "back", "Alt+Up"),
    Command("next_macro", "Next macro", "forward", "Alt+Shift+Down", "Next / previous macro",
            "Alt+Shift+Down / Alt+Shift+Up"),
    Command("previous_macro", "Previous macro", "back", "Alt+Shift+Up"),
    *(Command(f"macro_{n}", f"Macro {n}", "copy", f"Ctrl+{n}", "Select macro 1–5" if n == 1 else "",
              "Ctrl+1 … Ctrl+5" if n == 1 else "") for n in range(1, 6)),
    Command("copy_reply", "Copy reply", "copy", "Ctrl+Shift+C", "Copy the reply"),
    Command("add_macro", "Add macro to reply", "add", "Ctrl+Shift+A", "Add a suggested macro to the reply"),
    Command("next_placeholder", "Next placeholder", "forward", "F8", "Next / previous empty placeholder in the reply",
            "F8 / Shift+F8"),
    Command("previous_placeholder", "Previous placeholder", "back", "Shift+F8"),
    Command("toggle_favorite", "Favorite macro", "star", "Ctrl+D", "Favorite / unfavorite the macro"),
    Command("find_in_article", "Find in article", "find", "Ctrl+F", "Find in article"),
    Command("go_back", "Back", "back", "Alt+Left", "Back / forward between articles", "Alt+Left / Alt+Right"),
    Command("go_forward", "Forward", "forward", "Alt+Right"),
    Command("mark_none_fit", "None of these fit", "none-fit", "Ctrl+Shift+N", "None of these fit"),
    Command("index_update", "Re-index KB", "refresh", "F5", "Re-index the KB now"),
    Command("show_stats", "Usage and content health", "stats", "Ctrl+Shift+S", "Usage and content health (KB editors)"),
    Command("text_bigger", "Larger text", keys="Ctrl+=; Ctrl++", listed="Larger / smaller text (case, article, reply)",
            listed_keys="Ctrl+= / Ctrl+-"),
    Command("text_smaller", "Smaller text", keys="Ctrl+-"),
    Command("text_reset", "Normal text size", keys="Ctrl+0", listed="Normal text size"),
    Command("open_settings", "Settings", "settings", "Ctrl+,", "Settings"),
    Command("show_shortcuts", "Keyboard shortcuts", "help", "F1", "Keyboard shortcuts"),
    Command("quit", "Quit", keys="Ctrl+Q", listed="Quit"),
    Command("about", "About KB Assist"),
)  # fmt: skip

SEARCH_BOX = "search box"  # where the toolbar holds the search box
TOOLBAR: tuple[str, ...] = ("new_case", SEARCH_BOX, "show_stats", "index_update", "open_settings", "show_shortcuts")
SEPARATOR = "-"
MENUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("&File", ("new_case", "paste_case", "index_update", "show_stats", "open_settings", SEPARATOR, "quit")),
    ("&View", ("text_bigger", "text_smaller", "text_reset")),
    ("&Help", ("show_shortcuts", "about")),
)

# Keys that belong to one widget rather than the window, listed after the command they follow.
WIDGET_KEYS: dict[str, tuple[str, str]] = {
    "focus_search": ("Clear search, back to suggestions", "Esc (in search)"),
    "macro_1": ("Open the selected article", "Enter"),
    "previous_placeholder": ("Type a tab in the reply (Tab moves on to Copy)", "Ctrl+Tab"),
}


def shortcut_rows(commands: tuple[Command, ...] = COMMANDS) -> list[tuple[str, str]]:
    """(what it does, keys) for the shortcuts dialog, in table order."""
    rows: list[tuple[str, str]] = []
    for command in commands:
        if command.listed:
            rows.append((command.listed, command.listed_keys or command.keys))
        if command.name in WIDGET_KEYS:
            rows.append(WIDGET_KEYS[command.name])
    return rows


def build_actions(
    window: QMainWindow, slots: Mapping[str, Callable[[], object]], search_box: QWidget
) -> dict[str, QAction]:
    """A QAction per command, its shortcut active anywhere in the window, on the toolbar and in the menus.

    A command runs ``slots[name]``, or else the window's method of that name."""
    actions: dict[str, QAction] = {}
    for command in COMMANDS:
        act = QAction(icon(command.icon), command.text, window) if command.icon else QAction(command.text, window)
        if command.keys:
            act.setShortcuts(QKeySequence.listFromString(command.keys))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        slot = slots.get(command.name) or getattr(window, command.name)
        act.triggered.connect(lambda _checked=False, slot=slot: slot())
        window.addAction(act)
        actions[command.name] = act
    toolbar = QToolBar("Main", window)
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    window.addToolBar(toolbar)
    for name in TOOLBAR:
        if name == SEARCH_BOX:
            toolbar.addWidget(search_box)
        else:
            toolbar.addAction(actions[name])
    for title, names in MENUS:
        menu = window.menuBar().addMenu(title)
        for name in names:
            if name == SEPARATOR:
                menu.addSeparator()
            else:
                menu.addAction(actions[name])
    return actions
