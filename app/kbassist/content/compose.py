"""A reply made of several macros: one greeting, the macros' bodies in order, one closing.

A macro's greeting is its first paragraph when that paragraph holds a ``{{customer_name…}}`` placeholder; its
closing is its last paragraph when that holds ``{{agent_name}}`` or ``{{agent_signature}}``. Front matter
``greeting: false`` / ``closing: false`` says a macro has none (``true`` says the first / last paragraph is
one whatever it holds). Paragraphs are separated by a blank line, as Markdown has them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kbassist.content.placeholders import placeholder_names

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
GREETING_NAMES = frozenset({"customer_name"})
CLOSING_NAMES = frozenset({"agent_name", "agent_signature"})


@dataclass(frozen=True, slots=True)
class Pieces:
    """A macro's text cut into its greeting, its body and its closing (either may be empty)."""

    greeting: str
    body: str
    closing: str


def paragraphs(text: str) -> list[str]:
    return [p for p in _BLANK_LINE.split(text.strip()) if p.strip()]


def is_greeting(paragraph: str) -> bool:
    return bool(GREETING_NAMES & set(placeholder_names(paragraph)))


def is_closing(paragraph: str) -> bool:
    return bool(CLOSING_NAMES & set(placeholder_names(paragraph)))


def cut(text: str, greeting: bool | None = None, closing: bool | None = None) -> Pieces:
    """``text`` as greeting, body and closing; ``greeting``/``closing`` are the macro's front matter flags."""
    parts = paragraphs(text)
    head = ""
    if parts and (greeting or (greeting is None and is_greeting(parts[0]))):
        head = parts.pop(0)
    tail = ""
    if parts and (closing or (closing is None and is_closing(parts[-1]))):
        tail = parts.pop()
    return Pieces(head, "\n\n".join(parts), tail)


def join(pieces: Sequence[Pieces]) -> str:
    """One reply: the first greeting any part has, every body in order, the last closing any part has."""
    greeting = next((p.greeting for p in pieces if p.greeting), "")
    closing = next((p.closing for p in reversed(pieces) if p.closing), "")
    bodies = [p.body for p in pieces if p.body]
    blocks = [greeting, *bodies[:1], *(_starts_a_sentence(b) for b in bodies[1:]), closing]
    return "\n\n".join(block for block in blocks if block)


def _starts_a_sentence(body: str) -> str:
    """A body that no longer comes right after the greeting begins with a capital: a German letter goes on in
    lower case after "Guten Tag …,", which is wrong once another part stands between them."""
    return body[:1].upper() + body[1:] if body[:1].islower() else body
