"""Macro placeholders: ``{{name}}`` or ``{{name|default}}``, found and filled.

Kept pure so the CLI, the window and tests fill replies the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*(?:\|([^{}]*))?\}\}")

FieldType = Literal["amount", "date", "object_id", "email", "number", "text"]


@dataclass(frozen=True, slots=True)
class FilledText:
    text: str
    filled: dict[str, str]  # name -> value used (from the case, the agent, or a default)
    unfilled: tuple[str, ...]  # names with no value and no default, in order of first use


def placeholder_names(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def defaults(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for match in PLACEHOLDER.finditer(text):
        if match.group(2) is not None:
            out.setdefault(match.group(1), match.group(2).strip())
    return out


def fill(template: str, values: Mapping[str, str]) -> FilledText:
    """Replace placeholders with values; a missing value falls back to the default, else stays as-is.

    Unfilled placeholders are left in the text verbatim (``{{last4}}``) so they stay visible and can be
    filled later; they are also listed so callers can warn before the reply is sent.
    """
    filled: dict[str, str] = {}
    unfilled: dict[str, None] = {}

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = values.get(name, "")
        if value:
            filled[name] = value
            return value
        if default is not None and default.strip():
            filled.setdefault(name, default.strip())
            return default.strip()
        unfilled.setdefault(name, None)
        return "{{" + name + "}}"

    text = PLACEHOLDER.sub(replace, template)
    return FilledText(text=text, filled=filled, unfilled=tuple(unfilled))


def field_type(name: str) -> FieldType:
    """What kind of value a placeholder wants, from its name: the window picks an editor by it."""
    if name in ("amount", "fee", "total") or name.endswith(("_amount", "_fee")):
        return "amount"
    if name in ("date", "deadline_date") or name.endswith(("_date", "_on")):
        return "date"
    if name.endswith("_id") or name in ("tax_code",):
        return "object_id"
    if name.endswith("email"):
        return "email"
    if name in ("last4", "business_days") or name.endswith(("_days", "_count")):
        return "number"
    return "text"


def label(name: str) -> str:
    """A human label for a placeholder name: ``dispute_id`` -> ``Dispute ID``."""
    words = name.split("_")
    nice = {"id": "ID", "url": "URL", "last4": "Last 4 digits"}
    return " ".join(nice.get(w, w.capitalize() if i == 0 else w) for i, w in enumerate(words))
