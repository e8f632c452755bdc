"""Between the reply panel and the rest of the window: it composes replies through the engine for the case
on screen and the associate's own values, tells the panel what the case warns of and which macros it may
add, and turns what the associate does with the reply into usage events (each macro of a copied reply, the
votes on macros)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from kbassist.content.model import Macro
from kbassist.search.engine import Suggestions
from kbassist.search.replies import Reply
from kbassist.settings import Settings
from kbassist.ui.kb_switcher import KbSwitcher
from kbassist.ui.macro_lists import MacroLists
from kbassist.ui.macro_panel import MacroPanel
from kbassist.ui.usage_session import UsageSession
from kbassist.usage import Source


class ReplyComposer(QObject):
    """``settings`` reads the associate's settings as they are now; ``save`` keeps new ones (favorites,
    recent macros)."""

    said = Signal(str, int)  # a message for the status bar, and for how long (ms)

    def __init__(
        self,
        panel: MacroPanel,
        session: UsageSession,
        kb: KbSwitcher,
        lists: MacroLists,
        settings: Callable[[], Settings],
        save: Callable[[Settings], None],
    ) -> None:
        super().__init__(panel)
        self.panel, self.session, self.kb, self.lists = panel, session, kb, lists
        self.settings, self.save = settings, save
        self.suggestions: Suggestions | None = None
        panel.set_compose(self.compose)
        panel.voted.connect(self._voted)
        panel.copied.connect(self._copied)
        panel.previewed.connect(session.macro_previewed)
        panel.favoriteToggled.connect(self._favorite_toggled)
        lists.macroAdded.connect(self.add_macro)

    @property
    def favorites(self) -> tuple[str, ...]:
        return self.settings().favorites

    def compose(self, parts: Sequence[str | Macro], lang: str | None, typed: Mapping[str, str]) -> Reply:
        case = self.suggestions.case if self.suggestions is not None else None
        return self.kb.engine.compose(parts, case, self.settings().agent_values(), lang, typed)

    def show_macro(self, macro: Macro, source: Source) -> None:
        """A macro picked in the lists: it becomes the reply (unless it is the reply already)."""
        if self.panel.ids == (macro.id,):
            return
        self.session.macro_source = source
        self.session.sources[macro.id] = source
        self.panel.show_macro(macro, favorite=macro.id in self.favorites)

    def add_macro(self, macro: Macro | None = None, source: Source = Source.SUGGESTION) -> None:
        """Add a macro to the reply: ``macro``, or the one the associate picks from the suggestions."""
        if macro is not None:
            self.session.sources.setdefault(macro.id, source)
        self.panel.add_macro(macro)

    def case_shown(self, result: Suggestions | None) -> None:
        """New suggestions (or none): the reply fills again, the banner says what the case must not pass on."""
        self.suggestions = result
        self.panel.show_warnings(result.case.warnings if result is not None else [])
        self.panel.set_offers(self.offers())
        self.panel.refresh()

    def name_given(self, settings: Settings) -> None:
        """The associate said who they are (the first start): kept, and the reply signed with it."""
        self.save(settings)
        self.panel.refresh()

    def new_case(self) -> None:
        self.panel.new_case()
        self.panel.clear()
        self.session.sources.clear()

    def offers(self) -> list[Macro]:
        """What "Add macro" lists: the case's suggested macros, then the associate's favorites."""
        ids = [s.id for s in self.suggestions.macros] if self.suggestions is not None else []
        found = (self.kb.get(i) for i in dict.fromkeys([*ids, *self.favorites]))
        return [m for m in found if isinstance(m, Macro)]

    def _voted(self, macro_id: str, helpful: bool) -> None:
        self.session.feedback(macro_id, helpful, "macro")
        unhelpful = "Thanks: the KB editors will see this macro was not helpful."
        self.said.emit("Thanks for the feedback." if helpful else unhelpful, 5000)

    def _copied(self, macro_ids: tuple[str, ...], ratio: float, unfilled: list[str]) -> None:
        """Each macro of the reply counts as copied and heads the Recent tab, the reply's first on top."""
        self.session.reply_copied(macro_ids, ratio, unfilled)
        recent = self.settings().recent_macros
        for macro_id in reversed(macro_ids):
            recent = self.lists.copied(macro_id)
        self.save(replace(self.settings(), recent_macros=recent))

    def _favorite_toggled(self, macro_id: str, on: bool) -> None:
        self.save(replace(self.settings(), favorites=self.lists.favorite(macro_id, on)))
