"""An ``Event`` as a row of the ``events`` table and back, derived from the dataclass itself.

Each field of ``Event`` is the column of the same name (the migrations in ``schema.py`` create them), so a
new field is one change here, through the dataclass, plus the migration that adds its column. A field SQLite
cannot hold as it is has a ``Codec``: a vocabulary is stored as its plain value, ``helpful`` as 0 or 1, the
terms and placeholder names as JSON lists (NULL when empty). Every other field is stored and read unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import Enum, StrEnum
from typing import Any, Final

from kbassist.content.model import ItemKind
from kbassist.usage.events import Event, EventKind, Source


@dataclass(frozen=True, slots=True)
class Codec:
    encode: Callable[[Any], Any]  # field value -> what SQLite stores
    decode: Callable[[Any], Any]  # what SQLite returns -> field value


def _vocabulary(enum: type[StrEnum]) -> Codec:
    """Stored as the member's plain value, never its repr. Read back as the member; a value this version does
    not know (a newer app's file, which is read as is) stays the plain string, which no figure counts."""
    members = {member.value: member for member in enum}
    return Codec(
        encode=lambda value: value.value if isinstance(value, Enum) else value,
        decode=lambda value: members.get(value, value),
    )


def _terms_decoded(text: str | None) -> tuple[str, ...]:
    decoded = json.loads(text) if text else ()
    return tuple(str(t) for t in decoded) if isinstance(decoded, list) else ()


_JSON_LIST: Final = Codec(
    encode=lambda terms: json.dumps(list(terms), ensure_ascii=False) if terms else None,
    decode=_terms_decoded,
)

CODECS: Final[dict[str, Codec]] = {
    "kind": _vocabulary(EventKind),
    "item_kind": _vocabulary(ItemKind),
    "source": _vocabulary(Source),
    "helpful": Codec(
        encode=lambda value: None if value is None else int(value),
        decode=lambda value: None if value is None else bool(value),
    ),
    "terms": _JSON_LIST,
    "placeholders": _JSON_LIST,
}

# Columns the store keeps about a row that are not part of the event: its local number, and whether the team
# database has it yet (this file is a team's outbox).
STORE_COLUMNS: Final = ("id", "uploaded")

# The columns an event is written with and read from, in the dataclass's order (all exist from schema v3 on).
COLUMNS: Final[tuple[str, ...]] = tuple(f.name for f in fields(Event))
INSERT: Final = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
SELECT: Final = f"SELECT {', '.join(COLUMNS)} FROM events"

# (position, codec) of the columns that need one: only those cost a call per row.
_CODED: Final = tuple((n, CODECS[name]) for n, name in enumerate(COLUMNS) if name in CODECS)


def to_row(event: Event) -> tuple[Any, ...]:
    """The values of ``INSERT``'s placeholders for ``event``."""
    values = [getattr(event, name) for name in COLUMNS]
    for n, codec in _CODED:
        values[n] = codec.encode(values[n])
    return tuple(values)


def from_row(row: tuple[Any, ...]) -> Event:
    """An event from a row of ``SELECT`` (plain tuples: reading 100k events stays well under a second)."""
    values = list(row)
    for n, codec in _CODED:
        values[n] = codec.decode(values[n])
    return Event(*values)
