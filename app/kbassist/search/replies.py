"""A reply as the associate sends it: one or more macros composed in one language, filled from the case.

``compose_reply`` is pure: the macros (with their translations), the values the case and the associate give,
the language and the date. ``SearchEngine.compose`` finds the macros and reads the case; the window keeps the
``Reply`` and calls ``refill`` as the associate types into its fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kbassist.content.compose import cut, join
from kbassist.content.locale_format import format_date
from kbassist.content.model import BASE_LANGUAGE, Macro
from kbassist.content.placeholders import (
    TODAY,
    FieldType,
    FilledText,
    field_hint,
    field_type,
    fill,
    label,
    placeholder_names,
)
from kbassist.content.render import reply_html, reply_plain
from kbassist.search.entities import Entities


class UnknownMacrosError(KeyError):
    """Ids that name no macro (or name an article)."""

    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(", ".join(ids))
        self.ids = tuple(ids)


class LanguageUnavailableError(ValueError):
    """A language asked for that not every macro of the reply is written in."""

    def __init__(self, lang: str, missing: Sequence[str], available: Sequence[str]) -> None:
        super().__init__(
            f"no {lang!r} version of {', '.join(missing)}; the reply can be written in: {', '.join(available)}"
        )
        self.lang = lang
        self.missing = tuple(missing)  # the macros without that language
        self.available = tuple(available)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A value the case offers for a field the reply could not fill by itself (several dates, several cards)."""

    value: str  # what the field takes: an ISO date, four digits
    label: str  # how the window lists it: "February 25, 2026 (“Feb 25” in the case)"


@dataclass(frozen=True, slots=True)
class ReplyField:
    """One placeholder of the reply, once however many parts use it."""

    name: str
    label: str
    type: FieldType
    hint: str  # an example in the reply's language; an object's real ID prefix ("re_…")
    value: str  # what the reply holds for it now; "" while unfilled
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplyPart:
    id: str
    title: str  # in the reply's language
    lang: str


@dataclass(frozen=True, slots=True)
class Reply:
    parts: tuple[ReplyPart, ...]
    lang: str
    languages: tuple[str, ...]  # the languages every part is written in: what the associate may switch to
    template: str  # the composed Markdown with its placeholders
    values: Mapping[str, str]  # from the case, the associate's settings and what was set by hand
    filled: FilledText
    fields: tuple[ReplyField, ...]
    today: dt.date
    entities: Entities = field(default_factory=Entities)

    @property
    def ids(self) -> tuple[str, ...]:
        """The macros in the reply, in order: usage records each as copied."""
        return tuple(p.id for p in self.parts)

    @property
    def text(self) -> str:
        """The filled reply as Markdown (what the editor shows)."""
        return self.filled.text

    @property
    def unfilled(self) -> tuple[str, ...]:
        return self.filled.unfilled

    @property
    def plain(self) -> str:
        return reply_plain(self.filled.text)

    @property
    def html(self) -> str:
        return reply_html(self.filled.text)

    def refill(self, typed: Mapping[str, str]) -> Reply:
        """The same reply with values the associate typed (empty ones ignored) over the case's."""
        values = {**self.values, **{k: v for k, v in typed.items() if v}}
        return _assemble(
            self.parts, self.lang, self.languages, self.template, values, today=self.today, entities=self.entities
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ids": list(self.ids),
            "lang": self.lang,
            "text": self.plain.rstrip("\n"),
            "html": self.html,
            "filled": self.filled.filled,
            "unfilled": list(self.unfilled),
        }


def common_languages(macros: Sequence[Macro]) -> tuple[str, ...]:
    """The languages every macro is written in, English first."""
    shared = set.intersection(*(set(m.languages) for m in macros)) if macros else {BASE_LANGUAGE}
    return (BASE_LANGUAGE, *sorted(shared - {BASE_LANGUAGE}))


def choose_language(macros: Sequence[Macro], wanted: str | None, case_language: str) -> tuple[str, tuple[str, ...]]:
    """The reply's language: ``wanted`` (LanguageUnavailableError when a part lacks it), else the case's
    language when every part has it, else English. With the languages the associate may switch to."""
    available = common_languages(macros)
    if wanted:
        if wanted not in available:
            raise LanguageUnavailableError(wanted, [m.id for m in macros if wanted not in m.languages], available)
        return wanted, available
    return (case_language if case_language in available else BASE_LANGUAGE), available


def compose_reply(
    macros: Sequence[Macro],
    values: Mapping[str, str],
    lang: str,
    today: dt.date,
    entities: Entities | None = None,
) -> Reply:
    """The macros joined in order (one greeting, one closing) in ``lang``, filled with ``values``."""
    texts = [m.text(lang) for m in macros]
    template = join([cut(t.body, m.greeting, m.closing) for m, t in zip(macros, texts, strict=True)])
    parts = tuple(ReplyPart(m.id, t.title, t.lang) for m, t in zip(macros, texts, strict=True))
    languages = common_languages(macros)
    return _assemble(parts, lang, languages, template, values, today=today, entities=entities or Entities())


def _assemble(
    parts: tuple[ReplyPart, ...],
    lang: str,
    languages: tuple[str, ...],
    template: str,
    values: Mapping[str, str],
    *,
    today: dt.date,
    entities: Entities,
) -> Reply:
    filled = fill(template, values, lang, today)
    fields = tuple(
        ReplyField(
            name,
            label(name),
            field_type(name),
            field_hint(name, lang, today),
            filled.filled.get(name, ""),
            _candidates(name, entities, lang),
        )
        for name in _names(template)
    )
    return Reply(parts, lang, languages, template, dict(values), filled, fields, today, entities)


def _names(template: str) -> list[str]:
    return [name for name in placeholder_names(template) if name != TODAY]


def _candidates(name: str, entities: Entities, lang: str) -> tuple[Candidate, ...]:
    """What the case offers for a field: every date it names for a date, every card's last four digits."""
    if field_type(name) == "date":
        return tuple(
            Candidate(d.iso, f"{format_date(d.day, lang)} (“{d.text}” in the case{', deadline' * d.deadline})")
            for d in entities.dates
        )
    if name == "last4":
        return tuple(Candidate(last4, f"•••• {last4}") for last4 in entities.last4s)
    return ()
