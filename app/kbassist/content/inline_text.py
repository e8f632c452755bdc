"""A block's inline text as markdown-it's inline parser gives it (``text`` and code spans, a line break for a
break), with the block's link targets and inline code.

Most of a KB's inline text has no inline syntax, or only code spans (`payment_intent.succeeded`): 45,000 and
13,000 of 74,000 blocks of a generated KB. markdown-it's inline parser walks such text a character run at a
time and makes tokens of it: here the text is cut at its code spans by markdown-it's own rule (a run of
backticks closed by the next run of the same length) and joined as its newline rule joins lines. Anything else
(emphasis, links, escapes, entities, autolinks) is parsed by markdown-it, so its result is exactly
markdown-it's; ``tests/test_blocks.py`` compares both with the full parse.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

# Where markdown-it's inline rules other than code spans can start: escapes, emphasis, entities, autolinks,
# links and images (an image is `![`). Outside code spans, text with none of these is plain text.
_OTHER_SYNTAX = re.compile(r"[\\*_&<\[]")


def inline_text(md: MarkdownIt, source: str, env: dict[str, Any], links: list[str], code: list[str]) -> str:
    """A block's text as markdown-it's inline parser gives it, with its link targets and inline code added."""
    if "`" not in source:
        if not _OTHER_SYNTAX.search(source):
            return _lines(source)
    else:
        pieces = _code_spans(source)
        if pieces is not None:
            return _join(pieces, code)
    return children_text(md.inline.parse(source, md, env, []), links, code)


def _lines(text: str) -> str:
    """Text between tokens as markdown-it's newline rule leaves it: a line's trailing spaces go (a hard break's
    too), the next line's leading spaces and tabs are skipped; a break is a line break in the text."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    inner = (line.lstrip(" \t").rstrip(" ") for line in lines[1:-1])
    return "\n".join((lines[0].rstrip(" "), *inner, lines[-1].lstrip(" \t")))


def _code_spans(source: str) -> list[tuple[str, bool]] | None:
    """The source cut into text and code spans (True) as markdown-it's backtick rule cuts it, or None when the
    text outside the code spans has other inline syntax."""
    pieces: list[tuple[str, bool]] = []
    last = _last_runs(source)
    text_start = pos = 0
    while (start := source.find("`", pos)) != -1:
        end = _run_end(source, start)
        close = _closing_run(source, end, end - start) if last.get(end - start, -1) >= end else -1
        if close < 0:  # no closing run: the backticks are text
            pos = end
            continue
        pieces += [(source[text_start:start], False), (source[end:close], True)]
        pos = text_start = close + end - start
    pieces.append((source[text_start:], False))
    if any(not is_code and _OTHER_SYNTAX.search(text) for text, is_code in pieces):
        return None
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


def _join(pieces: list[tuple[str, bool]], code: list[str]) -> str:
    parts: list[str] = []
    for text, is_code in pieces:
        if not is_code:
            parts.append(_lines(text))
            continue
        content = text.replace("\n", " ")  # a code span's content, as markdown-it's backtick rule gives it
        if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
            content = content[1:-1]
        parts.append(content)
        code.append(content)
    return "".join(parts)


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
