"""The blocks of a KB file that the index reads (headings, paragraphs and table cells, code), found in one pass
over its lines instead of markdown-it's full token pass, with exactly the text markdown-it gives.

What the index needs of a file's Markdown is little: each heading's, paragraph's and table cell's inline text,
each code block, the links and inline code. markdown-it builds a token for every list, item, paragraph, row
and cell, tries its eleven block rules on every line and parses every paragraph's inline syntax character by
character: 3.1 ms of a 4.5 ms parse of a generated KB file, a third of a build worker's time. The Markdown KB
editors write is plain: ATX headings, lists (nested by indentation), paragraphs, GFM tables, fenced code.
``lean_blocks`` reads exactly that, line by line, with markdown-it's rules for where each block ends, and gives
up (``None``) on anything else: block quotes, thematic breaks, setext headings, reference definitions, tabs,
indented code, empty list items, headings or fences or tables inside lists, deep nesting. Those files are read
by markdown-it's block rules (``full_blocks``); the blocks' inline text is read by ``inline_text.py``.
``tests/test_blocks.py`` compares both readings with markdown-it's full parse on every bundled
file, a generated KB and hand-written tricky Markdown.

Rendering (``render.py``) still parses the whole file with markdown-it: this is only what the index reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.rules_block.table import escapedSplit

BlockKind = Literal["heading", "inline", "code"]

# Lines that make a body something the lean reading leaves to markdown-it: a block quote (`>`), a line of only
# `-`, `*`, `_` or `=` (a thematic break or a setext underline, and an empty `-` item), `]:` (a link reference
# definition can be anywhere in a paragraph's first lines), tabs and carriage returns (column arithmetic).
_NOT_LEAN = re.compile(r"^ *(?:>|[-*_=][-*_= ]*$)|\]:|[\t\r]", re.M)
_MARKER = re.compile(r"(?:([*+-])|([0-9]{1,9})([.)]))(?= |$)")
_HEADING = re.compile(r"(#{1,6})(?: |$)")
_FENCE = re.compile(r"```|~~~")
_DELIMITER_ROW = re.compile(r" *[-:|][-:| ]*$")
_TABLE_ALIGN = re.compile(r"^:?-+:?$")
MAX_LEAN_NESTING = 4  # lists in lists; markdown-it stops reading at 20 levels of tokens, far beyond this


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    content: str  # inline source of a heading, paragraph or cell; the text of a code block


@dataclass(slots=True)
class Blocks:
    front_matter: str | None  # None: the file does not start with a front matter block
    blocks: list[Block]
    env: dict[str, Any] = field(default_factory=dict)  # markdown-it's environment (link references)


class _NotLeanError(Exception):
    """Markdown the lean reading does not follow: markdown-it reads the file."""


@dataclass(slots=True)
class _Item:
    """An open list item: its list's kind and marker, and the column its content starts at."""

    ordered: bool
    char: str
    column: int


@dataclass(frozen=True, slots=True)
class _Marker:
    ordered: bool
    char: str
    value: int
    column: int  # where the item's content starts
    content: str
    spaces: int  # after the marker


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _marker(line: str, indent: int) -> _Marker | None:
    match = _MARKER.match(line, indent)
    if match is None:
        return None
    after = line[match.end() :]
    content = after.lstrip(" ")
    spaces = len(after) - len(content)
    ordered = match[1] is None
    char = match[3] if ordered else match[1]
    return _Marker(ordered, char, int(match[2]) if ordered else 0, match.end() + spaces, content, spaces)


def _is_fence(rest: str) -> bool:
    """markdown-it's fence rule in validation mode (the line without its indentation)."""
    if not _FENCE.match(rest):
        return False
    marker = rest[0]
    return not (marker == "`" and "`" in rest.lstrip("`"))


def _table_header(header: str, delimiter: str) -> list[str] | None:
    """The header cells when two lines at column 0 start a GFM table (markdown-it's table rule), else None."""
    if len(delimiter) < 2 or delimiter[0] not in "|-:" or (delimiter[0] == "-" and delimiter[1] == " "):
        return None
    if not _DELIMITER_ROW.match(delimiter):
        return None
    columns = delimiter.split("|")
    aligns = 0
    for number, column in enumerate(columns):
        text = mdTrim(column)
        if not text:
            if number in (0, len(columns) - 1):
                continue
            return None
        if not _TABLE_ALIGN.search(text):
            return None
        aligns += 1
    cells = _cells(mdTrim(header))
    return cells if "|" in header and cells and len(cells) == aligns else None


def _cells(text: str) -> list[str]:
    cells = escapedSplit(text)
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return cells


class _LeanReader:
    """markdown-it's block structure for plain KB Markdown, one line at a time (see the module's docstring)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.blocks: list[Block] = []
        self.items: list[_Item] = []
        self.paragraph: list[str] | None = None
        self.paragraph_column = 0  # markdown-it's blkIndent for the open paragraph
        self.list_column = -1  # and its listIndent

    def read(self) -> list[Block]:
        number = 0
        while number < len(self.lines):
            line = self.lines[number]
            indent = _indent(line)
            if indent == len(line):
                self._close_paragraph()
                number += 1
            elif self.paragraph is not None and self._continues(number, line, indent):
                self.paragraph.append(line[min(indent, self.paragraph_column) :])
                number += 1
            else:
                self._close_paragraph()
                number = self._start(number, line, indent)
        self._close_paragraph()
        return self.blocks

    def _close_paragraph(self) -> None:
        if self.paragraph is not None:
            self.blocks.append(Block("inline", mdTrim("\n".join(self.paragraph))))
            self.paragraph = None

    def _continues(self, number: int, line: str, indent: int) -> bool:
        """Whether a line goes on the open paragraph: markdown-it's paragraph rule and its terminators."""
        column = self.paragraph_column
        if indent - column > 3:
            return True
        rest = line[indent:]
        if self._table_at(number) is not None or _is_fence(rest) or _HEADING.match(rest):
            return False
        marker = _marker(line, indent)
        if marker is None:
            return True
        if self.list_column >= 0 and indent - self.list_column >= 4 and indent < column:
            return True
        interrupting = indent >= column
        return interrupting and ((marker.value != 1 and marker.ordered) or not marker.content)

    def _start(self, number: int, line: str, indent: int) -> int:
        """Read the block starting at a line (no paragraph open); the number of the line after it."""
        sibling = self._leave_items(line, indent)
        if sibling is not None:
            self._open_item(number, sibling)
            return number + 1
        column = self.items[-1].column if self.items else 0
        if indent - column >= 4:
            raise _NotLeanError("indented code")
        header = self._table_at(number)
        if header is not None:
            return self._table(number, header)
        rest = line[indent:]
        if _is_fence(rest):
            return self._fence(number, line)
        marker = _marker(line, indent)
        if marker is not None:
            self._open_item(number, marker)
            return number + 1
        heading = _HEADING.match(rest)
        if heading:
            if self.items or indent:
                raise _NotLeanError("heading inside a list or indented")
            self.blocks.append(Block("heading", _heading_text(rest, len(heading[1]))))
            return number + 1
        self.paragraph, self.paragraph_column = [line[min(indent, column) :]], column
        self.list_column = self.items[-2].column if len(self.items) > 1 else (0 if self.items else -1)
        return number + 1

    def _leave_items(self, line: str, indent: int) -> _Marker | None:
        """Close the list items a line is outside of; the marker when it starts the next item of a list."""
        while self.items and indent < self.items[-1].column:
            item = self.items.pop()
            parent = self.items[-1].column if self.items else 0
            if indent < parent:
                continue
            if indent - parent >= 4:
                raise _NotLeanError("indented code after a list")
            marker = _marker(line, indent)
            if marker is not None and marker.ordered == item.ordered and marker.char == item.char:
                return marker
            break  # the list ends; the line is a block of the item around it (or of the body)
        return None

    def _open_item(self, number: int, marker: _Marker) -> None:
        rest = marker.content
        if not rest or marker.spaces > 4 or len(self.items) >= MAX_LEAN_NESTING:
            raise _NotLeanError("empty item, code in an item or deep nesting")
        if rest[0] in "#>" or _is_fence(rest) or _marker(rest, 0) is not None or self._delimiter_row(number + 1):
            raise _NotLeanError("a block other than a paragraph starts an item")
        self.items.append(_Item(marker.ordered, marker.char, marker.column))
        self.paragraph, self.paragraph_column = [rest], marker.column
        self.list_column = self.items[-2].column if len(self.items) > 1 else 0

    def _delimiter_row(self, number: int) -> bool:
        return number < len(self.lines) and _DELIMITER_ROW.match(self.lines[number]) is not None

    def _table_at(self, number: int) -> list[str] | None:
        """The header cells when a table starts at this line (markdown-it's table rule), else None."""
        if not self._delimiter_row(number + 1):
            return None
        header, delimiter = self.lines[number], self.lines[number + 1]
        if self.items or _indent(header) or _indent(delimiter):
            raise _NotLeanError("a table inside a list or indented")
        return _table_header(header, delimiter)

    def _table(self, number: int, header: list[str]) -> int:
        self.blocks.extend(Block("inline", mdTrim(cell)) for cell in header)
        autocompleted = 0
        number += 2
        while number < len(self.lines):
            line = self.lines[number]
            indent = _indent(line)
            rest = line[indent:]
            if indent < 4 and (_is_fence(rest) or _marker(line, indent) or _HEADING.match(rest)):
                break
            text = mdTrim(rest)
            if not text or indent >= 4:
                break
            cells = _cells(text)
            autocompleted += len(header) - len(cells)
            if autocompleted > 0x10000:  # markdown-it's MAX_AUTOCOMPLETED_CELLS
                break
            cells += [""] * (len(header) - len(cells))
            self.blocks.extend(Block("inline", mdTrim(cell) if cell else "") for cell in cells[: len(header)])
            number += 1
        return number

    def _fence(self, number: int, line: str) -> int:
        if self.items or line[0] == " ":
            raise _NotLeanError("a fence inside a list or indented")
        marker = line[0]
        length = len(line) - len(line.lstrip(marker))
        for end in range(number + 1, len(self.lines)):
            candidate = self.lines[end]
            indent = _indent(candidate)
            run = candidate[indent:]
            closing = run.lstrip(marker)
            if indent < 4 and len(run) - len(closing) >= length and not closing.strip(" "):
                self.blocks.append(Block("code", "".join(f"{text}\n" for text in self.lines[number + 1 : end])))
                return end + 1
        raise _NotLeanError("a fence left open")


def _heading_text(rest: str, level: int) -> str:
    """An ATX heading's inline source: markdown-it's heading rule (a closing run of `#` after a space goes)."""
    text = rest[level:].rstrip(" ")
    without = text.rstrip("#")
    if without and without[-1] == " ":
        text = without
    return mdTrim(text)


def _front_matter(text: str) -> tuple[str, str] | None:
    """The front matter and the body when the file starts with a plain `---` block, else None."""
    if not text.startswith("---\n") or "\r" in text or "\x00" in text:  # markdown-it rewrites both
        return None
    lines = text.split("\n", 64)  # the closing line is found long before
    for number in range(1, len(lines) - 1):
        line = lines[number]
        if line.startswith("...") or line.lstrip(" ").startswith("---"):
            if line != "---" or number == 1:
                return None
            return "\n".join(lines[1:number]), "\n".join(lines[number + 1 :])
    return None


def lean_blocks(text: str) -> Blocks | None:
    """The front matter and blocks of a KB file read line by line, or None when markdown-it must read it."""
    split = _front_matter(text)
    if split is None or _NOT_LEAN.search(split[1]):
        return None
    try:
        return Blocks(split[0], _LeanReader(split[1].split("\n")).read())
    except _NotLeanError:
        return None


def full_blocks(md: MarkdownIt, text: str) -> Blocks:
    """The front matter and blocks of a KB file as markdown-it's block rules read them (inline left unparsed)."""
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    front_matter = tokens[0].content if tokens and tokens[0].type == "front_matter" else None
    blocks: list[Block] = []
    heading = False
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            heading = token.type == "heading_open"
        elif token.type == "inline":
            blocks.append(Block("heading" if heading else "inline", token.content))
        elif token.type in ("fence", "code_block"):
            blocks.append(Block("code", token.content))
    return Blocks(front_matter, blocks, env)
