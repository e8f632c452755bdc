"""A block's inline text as markdown-it's inline parser gives it (``text`` and code spans, a line break for a
break), with the block's link targets and inline code.

Most of a KB's inline text has no inline syntax, or only code spans (`payment_intent.succeeded`), plain links
(`[Payout schedule](../payouts/payout-schedule.md)`) and emphasis (`**Merchant:**`): 45,000, 13,000, 7,000 and
7,000 of 74,000 blocks of a generated KB. markdown-it's inline parser walks such text a character run at a time
and makes tokens of it. Here the text is cut at its code spans by markdown-it's own rule (a run of backticks
closed by the next run of the same length), then at links whose text and target hold no syntax (the target
normalised and checked by markdown-it's ``normalizeLink`` and ``validateLink``); the `*` and `_` runs left are
paired by markdown-it's own ``scanDelims`` and ``processDelimiters`` (a paired one is emphasis, not text), and
the text is joined as its newline rule joins lines. Anything else (images, escapes, entities, autolinks, other
links) is parsed by markdown-it, so the result is exactly markdown-it's; ``tests/test_blocks.py`` compares
both with the full parse.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.rules_inline.balance_pairs import processDelimiters
from markdown_it.rules_inline.state_inline import Delimiter, StateInline
from markdown_it.token import Token

# Where markdown-it's inline rules other than code spans and emphasis can start: escapes, entities, autolinks,
# links and images (an image is `![`). Outside code spans, text with none of these is text and emphasis.
_OTHER_SYNTAX = re.compile(r"[\\&<\[]")
_EMPHASIS = re.compile(r"\*+|_+")
# A link markdown-it's link rule reads as written: text without syntax, a target without spaces, parentheses,
# angle brackets, escapes, entities or control characters, no title.
_PLAIN_LINK = re.compile(r"\[([^\[\]\\`*_&<\n]+)\]\(([^\s()<>\\`&\x00-\x1f\x7f]+)\)")


class _Piece(NamedTuple):
    start: int  # where its text starts in the block's source
    text: str
    kind: str = "text"  # "text", "code" (a code span's content as written) or "link" (its text)
    href: str = ""


def inline_text(md: MarkdownIt, source: str, env: dict[str, Any], links: list[str], code: list[str]) -> str:
    """A block's text as markdown-it's inline parser gives it, with its link targets and inline code added."""
    if "`" not in source and "*" not in source and "_" not in source and not _OTHER_SYNTAX.search(source):
        return _lines(source)
    pieces = _pieces(md, source)
    if pieces is None:
        return children_text(md.inline.parse(source, md, env, []), links, code)
    paired = _paired_emphasis(md, source, pieces, env)
    return _join(pieces, paired, links, code)


def _lines(text: str) -> str:
    """Text between tokens as markdown-it's newline rule leaves it: a line's trailing spaces go (a hard break's
    too), the next line's leading spaces and tabs are skipped; a break is a line break in the text."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    inner = (line.lstrip(" \t").rstrip(" ") for line in lines[1:-1])
    return "\n".join((lines[0].rstrip(" "), *inner, lines[-1].lstrip(" \t")))


def _pieces(md: MarkdownIt, source: str) -> list[_Piece] | None:
    """The source cut into text, code spans and plain links, or None when it has other inline syntax."""
    pieces: list[_Piece] = []
    for piece in _code_spans(source):
        if piece.kind == "code" or "[" not in piece.text:
            pieces.append(piece)
            continue
        linked = _plain_links(md, piece)
        if linked is None:
            return None
        pieces += linked
    if any(piece.kind == "text" and _OTHER_SYNTAX.search(piece.text) for piece in pieces):
        return None
    return pieces


def _plain_links(md: MarkdownIt, piece: _Piece) -> list[_Piece] | None:
    """Text cut at its plain links (markdown-it's link rule for them), or None for an image or a link whose
    target markdown-it refuses."""
    text, start = piece.text, piece.start
    if "![" in text:
        return None
    pieces: list[_Piece] = []
    pos = 0
    for match in _PLAIN_LINK.finditer(text):
        href = md.normalizeLink(match[2])
        if not md.validateLink(href):
            return None
        link = _Piece(start + match.start(1), match[1], "link", href)
        pieces += [_Piece(start + pos, text[pos : match.start()]), link]
        pos = match.end()
    pieces.append(_Piece(start + pos, text[pos:]))
    return pieces


def _code_spans(source: str) -> list[_Piece]:
    """The source cut into text and code spans as markdown-it's backtick rule cuts it."""
    pieces: list[_Piece] = []
    if "`" not in source:
        return [_Piece(0, source)]
    last = _last_runs(source)
    text_start = pos = 0
    while (start := source.find("`", pos)) != -1:
        end = _run_end(source, start)
        close = _closing_run(source, end, end - start) if last.get(end - start, -1) >= end else -1
        if close < 0:  # no closing run: the backticks are text
            pos = end
            continue
        pieces += [_Piece(text_start, source[text_start:start]), _Piece(end, source[end:close], "code")]
        pos = text_start = close + end - start
    pieces.append(_Piece(text_start, source[text_start:]))
    return pieces


def _run_end(source: str, start: int) -> int:
    end = start + 1
    while end < len(source) and source[end] == "`":
        end += 1
    return end


def _last_runs(source: str) -> dict[int, int]:
    """Where the last run of backticks of each length starts (markdown-it's cache: no closer after it)."""
    last: dict[int, int] = {}
    pos = 0
    while (start := source.find("`", pos)) != -1:
        pos = _run_end(source, start)
        last[pos - start] = start
    return last


def _closing_run(source: str, pos: int, length: int) -> int:
    """Where the next run of exactly ``length`` backticks starts, or -1."""
    while (start := source.find("`", pos)) != -1:
        pos = _run_end(source, start)
        if pos - start == length:
            return start
    return -1


def _paired_emphasis(md: MarkdownIt, source: str, pieces: list[_Piece], env: dict[str, Any]) -> set[int]:
    """Where the `*` and `_` markdown-it pairs into emphasis are in the source: its emphasis rule's delimiters
    (one per character, flanking by ``scanDelims`` on the whole source), paired by its ``processDelimiters``.
    A delimiter's token number is its position: a run's characters follow each other, runs never touch."""
    runs = [(piece.start + m.start(), m.end() - m.start()) for piece in pieces if piece.kind == "text"
            for m in _EMPHASIS.finditer(piece.text)]  # fmt: skip
    if not runs:
        return set()
    state = StateInline(source, md, env, [])
    delimiters: list[Delimiter] = []
    for start, _length in runs:
        marker = source[start]
        scanned = state.scanDelims(start, marker == "*")
        delimiters += [
            Delimiter(ord(marker), scanned.length, start + n, -1, scanned.can_open, scanned.can_close)
            for n in range(scanned.length)
        ]
    processDelimiters(state, delimiters)
    return {position for d in delimiters if d.end >= 0 for position in (d.token, delimiters[d.end].token)}


def _join(pieces: list[_Piece], paired: set[int], links: list[str], code: list[str]) -> str:
    parts: list[str] = []
    ordered = sorted(paired)
    for start, text, kind, href in pieces:
        if kind == "code":
            content = text.replace("\n", " ")  # a code span's content, as markdown-it's backtick rule gives it
            if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
                content = content[1:-1]
            parts.append(content)
            code.append(content)
            continue
        parts.append(_lines(_without(text, start, ordered) if paired else text))
        if href:
            links.append(href)
    return "".join(parts)


def _without(text: str, start: int, paired: list[int]) -> str:
    """A text piece (at ``start`` in the source) without the emphasis characters paired in it (sorted)."""
    cuts = [n - start for n in paired[bisect_left(paired, start) : bisect_left(paired, start + len(text))]]
    kept = [text[begin + 1 : end] for begin, end in zip([-1, *cuts], [*cuts, len(text)], strict=True)]
    return "".join(kept)


def children_text(children: list[Token], links: list[str], code: list[str]) -> str:
    """The text of markdown-it's inline tokens (text_join's ``text_special`` is text) and their links and code."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
            if child.type == "code_inline":
                code.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            if href:
                links.append(href)
    return "".join(parts)
