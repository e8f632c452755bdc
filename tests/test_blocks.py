"""What the index reads of a KB file (``content/blocks.py``) is exactly what markdown-it's full parse gives.

The reference is the reading the index used before: markdown-it's whole token pass (block and inline rules,
text_join) walked for headings, plain text, link targets, inline code and the symptoms section. The lean
line-by-line reading, and markdown-it's block rules with its inline parser run block by block where the lean
one gives up, must give the same, for every bundled file, hand-written tricky Markdown and generated bodies.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it.common.utils import mdTrim
from markdown_it.token import Token

from kbassist.content.blocks import full_blocks, lean_blocks
from kbassist.content.inline_text import inline_text
from kbassist.content.model import KbItem
from kbassist.content.parser import _walk, markdown, parse_file, read_markdown, sections

KB = Path(__file__).resolve().parents[1] / "kb"
FULL = markdown()
Reading = tuple[str | None, tuple[list[str], str, list[str], list[str], str] | None]


def full_parse(text: str) -> Reading:
    """Front matter and (headings, plain text, links, inline code, symptoms) from markdown-it's full parse."""
    tokens = FULL.parse(text)
    if not tokens or tokens[0].type != "front_matter":
        return None, None
    links: list[str] = []
    code: list[str] = []
    headings, plain, symptoms = sections(_full_texts(tokens[1:], links, code), code)
    return tokens[0].content, (headings, plain, links, code, symptoms)


def _full_texts(tokens: list[Token], links: list[str], code: list[str]) -> Iterator[tuple[str, str]]:
    """(kind, text) of each heading, paragraph, cell and code block of the full token stream."""
    in_heading = False
    for tok in tokens:
        if tok.type in ("heading_open", "heading_close"):
            in_heading = tok.type == "heading_open"
        elif tok.type in ("fence", "code_block"):
            yield "code", tok.content
        elif tok.type == "inline":
            yield ("heading" if in_heading else "inline"), _children_text(tok.children or [], links, code)


def _children_text(children: list[Token], links: list[str], code: list[str]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
            if child.type == "code_inline":
                code.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open" and child.attrs.get("href"):
            links.append(str(child.attrs["href"]))
    return "".join(parts)


def index_reading(text: str) -> tuple[Reading, bool]:
    """What the parser reads for the index, and whether the lean reading did it."""
    lean = lean_blocks(text)
    blocks = lean or full_blocks(markdown().disable("inline"), text)
    walked = _walk(blocks) if blocks.front_matter is not None else None
    if lean is not None:  # where the lean reading applies, markdown-it's block rules give the same blocks
        assert full_blocks(markdown().disable("inline"), text).blocks == lean.blocks
    return (blocks.front_matter, walked), lean is not None


def body(markdown_body: str) -> str:
    return f"---\nid: x\ntitle: T\n---\n{markdown_body}"


def test_every_bundled_file_reads_as_the_full_parse() -> None:
    files = sorted(KB.rglob("*.md"))
    assert len(files) > 300
    lean = 0
    for path in files:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
        reading, was_lean = index_reading(text)
        assert reading == full_parse(text), path
        lean += was_lean
    assert lean >= len(files) - 5  # the bundled KB is plain Markdown: nearly every file is read the lean way


def test_parsed_records_of_the_bundled_kb_keep_the_full_parse_text() -> None:
    for path in sorted((KB / "articles/payments").glob("*.md")):
        item = parse_file(path, KB)
        _, walked = full_parse(path.read_text("utf-8"))
        assert walked is not None and not isinstance(item, str)
        headings, plain, links, _code, symptoms = walked
        assert (item.headings, item.plain_text, item.links, item.symptoms) == (
            tuple(headings),
            plain,
            tuple(links),
            symptoms,
        )


TRICKY = {
    "code blocks": "Intro\n```py\nx = `a` ** 2\n\n  # not a heading\n```\nafter\n~~~\n- not a list\n~~~~\n",
    "a fence left open": "text\n```\ncode\n",
    "indented code": "para\n\n    code line\n    more\n\ntext\n",
    "a backtick fence with a backtick in its info": "``` `x`\ncode\n```\n",
    "tables": "| a | b |\n|:--|--:|\n| `x \\| y` | **z** |\n| only |\n| 1 | 2 | 3 |\nlazy row\n\nafter\n",
    "a table interrupting a paragraph": "text\n| a | b |\n|---|---|\n| c | d |\n- item ends it\n",
    "not a table": "a | b\n|---|---|---|\nc\n\n-|-\n| x |\n",
    "a table in a list": "- item\n  | a | b |\n  |---|---|\n",
    "HTML": '<div class="x">\n*inside*\n</div>\n\n<b>bold</b> &amp; <span>x</span> <https://a.example/p> <me@a.b>\n',
    "nested lists": "- one\n  - two\n    - three\n      deeper\n  back to two\n- one again\n1. a\n2. b\n   - c\n",
    "lazy and loose lists": "- a\ncontinued lazily\n\n  second paragraph\n\n- b\n\n   - c\n      d\n",
    "list interruptions": "para\n2. not a list\n1. a list\n+ other marker\n* and another\n\n3) start\n4) next\n",
    "deep nesting": "- 1\n  - 2\n    - 3\n      - 4\n        - 5\n          - 6\n",
    "empty items": "- \n- x\n-\n\n  after\n",
    "items that start other blocks": "- # heading\n- > quote\n- ```\n  code\n  ```\n- - nested\n",
    "links": "[a](one.md) [b][ref] ![img](p.png) [c]\n\n[ref]: two.md 'title'\n[c]: <three.md>\n",
    "plain links": "[a](b.md) [c](../d/e.md#f) [g](b&amp;c) [h](%zz) [i](javascript:alert) [ j ](HTTP://Ex.COM/ü)\n"
    "![k](x.png) [l](y.md)(z) [m](//host/p) [n]( o ) [p](<q>) [r]() [](s) x]\n",
    "links across lines": "see [the\nguide](guide.md) and `code\nspan` and *em\nphasis*\n",
    "code spans": "`` a ` b `` and ` ` and `  ` and ``x` and `a\n  b` and `x`  \nnext `\nx`\n`<a>` `[b]` `\\`\n",
    "code spans beside other syntax": "\\`not code` `code`_after_ *`x`* [`y`](y.md) <http://a`b>` &amp;`z`\n",
    "unclosed code spans": "``` a `` b ` c ``` d\n`` e ` f\n",
    "emphasis": "**bold** *it* _under_ snake_case_word ***both*** **unclosed *nested*\n",
    "escapes and breaks": "a\\*b\\\nnext  \nhard break\\\n\\# not heading &copy; &#35;\n",
    "headings": "# One #\n## Two ##   \n###### Six\n####### seven\n#no space\n  ## indented\n#\nSetext\n===\nOr\n---\n",
    "thematic breaks and quotes": "a\n\n***\n\n> quoted\n> - list\nlazy\n\n_ _ _\n",
    "symptoms": '## How users describe it\n- "refund never arrived"\n- it\'s `pending`\n## Why\ntext\n',
    "unicode whitespace": "a\u00a0\n\u00a0b\u2003\n\u2028c\n",
    "tabs": "-\tone\n\tcode\n\ttext\n",
    "trailing spaces": "one \ntwo   \nthree\n",
    "a marker then five spaces": "-     code?\n1.      also\n",
    "numbers": "2020. was a year\n\n1234567890. too long\n",
}


def test_the_lean_reading_reads_plain_kb_markdown_and_leaves_the_rest() -> None:
    for name in ("code blocks", "tables", "nested lists", "lazy and loose lists", "list interruptions", "emphasis"):
        assert index_reading(body(TRICKY[name]))[1], name
    for name in ("a fence left open", "indented code", "thematic breaks and quotes", "links", "tabs", "empty items"):
        assert not index_reading(body(TRICKY[name]))[1], name


FRONT_MATTERS = {
    "plain": "---\nid: x\n---\nbody\n",
    "bom and crlf are removed before": "---\nid: x\n---\r\nbody\r\n",
    "a yaml end marker": "---\nid: x\n...\nbody\n",
    "an indented end marker": "---\nid: x\n  ---\nbody\n",
    "a longer end marker": "---\nid: x\n-----\nbody\n",
    "an opening with text after": "---yaml\nid: x\n---\nbody\n",
    "empty": "---\n---\nbody\n",
    "unclosed": "---\nid: x\nbody\n",
    "no front matter": "# Title\nbody\n",
    "a blank first line": "\n---\nid: x\n---\nbody\n",
    "a list in the front matter": "---\ntags:\n- a\n- b\n---\n- item\n",
    "a rule right after": "---\nid: x\n---\n---\nbody\n",
    "nothing after": "---\nid: x\n---",
}


EDGE_CASES = {name: body(text) for name, text in TRICKY.items()} | FRONT_MATTERS


@pytest.mark.parametrize("name", EDGE_CASES)
def test_tricky_markdown_and_front_matter_read_as_the_full_parse(name: str) -> None:
    assert index_reading(EDGE_CASES[name])[0] == full_parse(EDGE_CASES[name])


def test_read_markdown_finds_the_front_matter_the_full_parse_finds() -> None:
    meta, rest, _blocks = read_markdown(b"---\nid: x\ntags: [a]\n---\n# H\ntext\n")
    assert meta == {"id": "x", "tags": ["a"]} and rest == "# H\ntext\n"


LINES = [
    *("# Heading", "## How users describe it", "### Why ###", "#", "#nospace", "####### seven"),
    *("- item", "  - nested", "   - three", "1. one", "2) two", "10. ten", "* star", "+ plus", "2020. year"),
    *("text line", "  indented text", "  continuation", " lazy", "trailing  ", "trailing ", "a\u00a0b", "", "", ""),
    *("| a | b |", "|---|---|", "|:-|-:|", "a | b", "-|-", "line with | pipe", "| x \\| y | z |", "- a | b", "  | c |"),
    *("```", "~~~", "```py", "~~~~", "````", "``` `x`", "+++", "[x]", "- [Doc](d.md)", "  text under item"),
    *("text with **bold** and `code`", "[link](a.md) and ![img](x.png)", "\\escaped", "&amp; entity", "<http://x.y>"),
    *("*a* b", "**c**d", "a**b**", "_x_ y_z_ __w__", "***t***", "**u*", "*v**", "* a *", "**`x`**", "*[a](b.md)*"),
    *("*em", "em*", "_em_", "text\\", "`open code", "close` code", "**", "- **Bold:** item", "1. **Step** `x`"),
    *("[a](b.md) and [c](d/e.md#f)", "![i](x.png) [l](y.md)", "[a](b&amp;c) [h](%zz)", "[j](javascript:x)"),
    *("foo [bar", "baz](u.md)", "4. four", "a `b", "c` d ``e`` `", "``x` y`` `z`  ", "`a\\` b `` ` ``"),
]
LEFT_TO_MARKDOWN_IT = [
    *("> quote", "---", "***", "===", "[ref]: /url", "-", "- ", "1.", "    code-indented", "      deep"),
    *("- # heading in item", "- ```", "-     five spaces", "- - x", "1. - y", "   ```", "  # indented heading"),
]


@pytest.mark.parametrize(("seed", "pool"), [(1, LINES), (2, LINES + LEFT_TO_MARKDOWN_IT)])
def test_generated_bodies_read_as_the_full_parse(seed: int, pool: list[str]) -> None:
    """Bodies of random lines of every kind the lean reading decides about (thousands of combinations)."""
    rng = random.Random(seed)
    lean = 0
    for _ in range(1500):
        text = body("\n".join(rng.choice(pool) for _ in range(rng.randint(1, 14))) + rng.choice(["", "\n"]))
        reading, was_lean = index_reading(text)
        assert reading == full_parse(text), text
        lean += was_lean
    assert lean > 150  # both readings are compared, not only markdown-it's with itself


PIECES = ["*", "*", "_", "_", "a", "b", " ", " ", "`", "``", "\n", ".", "[a](b.md)", "é", "!", "(", ")", "x_y", "**"]
PIECES += ["__", "\u00a0", "-", '"', "[x]", "]", "&amp;", "\\", "<a>"]


def test_generated_inline_text_reads_as_markdown_its_inline_parser() -> None:
    """Emphasis, code spans and links in every arrangement: the text, links and inline code are markdown-it's."""
    md = markdown()
    rng = random.Random(3)
    for _ in range(4000):
        source = mdTrim("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25))))
        expected_links: list[str] = []
        expected_code: list[str] = []
        tokens = md.inline.parse(source, md, {}, [])
        expected = "".join(t.content for t in tokens if t.type in ("text", "text_special", "code_inline"))
        expected_links = [str(t.attrs["href"]) for t in tokens if t.type == "link_open" and t.attrs.get("href")]
        expected_code = [t.content for t in tokens if t.type == "code_inline"]
        breaks = [t for t in tokens if t.type in ("softbreak", "hardbreak")]
        links: list[str] = []
        code: list[str] = []
        text_ = inline_text(md, source, {}, links, code)
        assert text_.replace("\n", "") == expected and text_.count("\n") == len(breaks), source
        assert (links, code) == (expected_links, expected_code), source


def test_snake_case_words_are_found_as_by_the_backtracking_pattern() -> None:
    """``CODE_IN_TEXT`` never gives characters back (possessive runs): it finds what the plain pattern finds."""
    import re

    from kbassist.content.stripe import CODE_IN_TEXT

    plain = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
    texts = ["ab_cdE a_b_ _a_b x1_2y card_declined.x do_not_honor_ éa_b a_bé A_b a__b a_b__c 9a_b"]
    items = [parse_file(path, KB) for path in sorted(KB.glob("articles/*/*.md"))]
    texts += [item.plain_text for item in items if isinstance(item, KbItem)]
    assert len(texts) > 150
    for text_ in texts:
        assert CODE_IN_TEXT.findall(text_) == plain.findall(text_)
