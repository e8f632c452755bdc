"""What one case's session records: the window says what the associate did, this turns it into usage events.

A session starts with the first text of a case and ends when the case is cleared; its id is random. Each
event about an item carries the item's product as the KB says now (``resolve``), so the team's figures group
by product, and a vote its kind (an article's or a macro's). Every text kept (typed searches, the key terms
of a case nobody could answer) is stripped of the names the case gives (``usage.names_to_redact``) before
the recorder redacts the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject

from kbassist.content.model import KbItem
from kbassist.search.engine import Suggestions
from kbassist.usage import Source, UsageRecorder, names_to_redact, redact_names


class UsageSession(QObject):
    def __init__(
        self,
        recorder: UsageRecorder,
        parent: QObject | None = None,
        resolve: Callable[[str], KbItem | None] = lambda _id: None,
    ) -> None:
        """``resolve``: the KB's item of an id (None when it is no longer in the KB)."""
        super().__init__(parent)
        self.recorder = recorder
        self._resolve = resolve
        self.id: str | None = None
        self.macro_source = Source.SUGGESTION  # where the macro on screen came from: suggestion, favorite, recent
        self.sources: dict[str, Source] = {}  # where each macro of the reply came from
        self._shown: set[str] = set()  # "id@rank" already recorded in this session
        self._names_for: object = None  # the case whose names are in _names
        self._names: list[str] = []

    def case_changed(self, text: str) -> None:
        if text.strip() and self.id is None:
            self.id = self.recorder.new_session()
            self._shown = set()
        elif not text.strip():
            self.id = None

    def shown(self, result: Suggestions) -> None:
        if self.id is None:
            return
        for items in (result.articles, result.macros):
            for rank, item in enumerate(items, 1):
                key = f"{item.id}@{rank}"
                if key not in self._shown:
                    self._shown.add(key)
                    self.recorder.suggestion_shown(self.id, item.id, item.kind, rank, item.score, product=item.product)

    def none_fit(self, result: Suggestions) -> bool:
        """Record that nothing fits this case; False when there is no case to say it of."""
        if self.id is None:
            return False
        names = self.names(result)
        terms = [redact_names(k.surface, names) for k in result.key_terms]
        self.recorder.none_fit(self.id, [t for t in terms if "[name]" not in t])
        return True

    def search(self, query: str, count: int, result: Suggestions | None) -> None:
        self.recorder.search(self.id or "", redact_names(query, self.names(result)), count)

    def article_opened(self, item_id: str, source: str) -> None:
        """``source`` is a ``Source`` value, or "" for a revisit (back, forward, a refresh), which is not recorded."""
        if source:
            self.recorder.article_opened(self.id or "", item_id, source, self._product(item_id))

    def macro_previewed(self, macro_id: str) -> None:
        self.recorder.macro_previewed(self.id or "", macro_id, self.macro_source, self._product(macro_id))

    def reply_copied(self, macro_ids: Sequence[str], ratio: float, unfilled: Sequence[str]) -> None:
        """Each macro of a copied reply counts as copied, with the whole reply's edit ratio and the names of
        the placeholders it left unfilled (a composed reply is edited and sent as one)."""
        for macro_id in macro_ids:
            source = self.sources.get(macro_id, self.macro_source)
            product = self._product(macro_id)
            self.recorder.macro_copied(self.id or "", macro_id, ratio, list(unfilled), source, product)

    def feedback(self, item_id: str, helpful: bool, kind: str | None = None) -> None:
        """A vote on an article or a macro: which, the KB says; ``kind`` only for an item gone from it since."""
        item = self._resolve(item_id)
        kind = item.kind if item is not None else kind
        self.recorder.feedback(self.id or "", item_id, helpful, kind, item.product if item is not None else None)

    def _product(self, item_id: str) -> str | None:
        item = self._resolve(item_id)
        return item.product if item is not None else None

    def names(self, result: Suggestions | None) -> list[str]:
        """The names this case gives, worked out once per case (it runs on the UI thread)."""
        if result is None:
            return []
        case = result.case
        if self._names_for is not case:
            text = " ".join((case.subject, case.main, case.quoted, case.signature))
            self._names_for = case
            self._names = names_to_redact(case.entities.customer_name, case.entities.emails, text)
        return self._names
