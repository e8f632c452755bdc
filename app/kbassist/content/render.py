"""Markdown to HTML for reading articles and for replies pasted into a ticketing tool.

Raw HTML in KB files is never rendered (markdown-it runs with ``html`` off, so it shows as text).
Highlighting of the case's terms happens on text tokens only, so it can never break markup or links.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it.renderer import RendererHTML
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

_WORD = re.compile(r"\w+(?:\.?\w+)*")
HIGHLIGHT_STYLE = "background-color:#ffe58a;color:#000"


def _highlighter(stems: frozenset[str], stem_fn: Any) -> Any:
    def render_text(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        text = tokens[idx].content
        out: list[str] = []
        pos = 0
        for match in _WORD.finditer(text):
            if stem_fn(match.group(0).lower()) in stems:
                out.append(html.escape(text[pos : match.start()]))
                out.append(f'<span style="{HIGHLIGHT_STYLE}">{html.escape(match.group(0))}</span>')
                pos = match.end()
        out.append(html.escape(text[pos:]))
        return "".join(out)

    return render_text


def article_html(body: str, highlight_stems: Iterable[str] = (), stem_fn: Any = None) -> str:
    """An article body as HTML for the reading pane, with words whose stem is in ``highlight_stems`` marked."""
    md = _markdown_without_images()
    stems = frozenset(highlight_stems)
    if stems and stem_fn is not None:
        md.add_render_rule("text", _highlighter(stems, stem_fn))
    rendered: str = md.render(body)
    # Qt's rich text understands table attributes better than CSS borders.
    return rendered.replace("<table>", '<table border="1" cellspacing="0" cellpadding="5" width="100%">')


def _image_as_text(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """An image is written as its description: a remote <img> in a reply is a tracking pixel in the
    customer's mail, and the reading pane has no business fetching one either."""
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or ())
    return html.escape(f"[{alt}]" if alt else "[image]")


def _markdown_without_images() -> Any:
    # markdown-it (with the parser) is imported when something is first rendered, not with this module: a
    # suggestion fills its reply as plain text, and a fresh process's first case took 45 ms longer.
    from kbassist.content.parser import markdown

    md = markdown()
    md.add_render_rule("image", _image_as_text)
    return md


def reply_html(text: str) -> str:
    """A reply as HTML for rich-text targets (the HTML half of what Copy puts on the clipboard)."""
    rendered: str = _markdown_without_images().render(text)
    return rendered.strip()


# group 1/2: **strong** or __strong__; group 3: *emphasis*. Shared with the reply editor's highlighting.
EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
# `code` and ``code with a ` inside``: the words stay, the backticks go (a customer's mail has no code font).
_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def reply_plain(text: str) -> str:
    """A reply as plain text: emphasis and code markers dropped, links written out, lists and paragraphs kept."""
    text = _CODE.sub(lambda m: m.group(2).strip() or m.group(2), text)
    text = EMPHASIS.sub(lambda m: m.group(2) or m.group(3), text)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text)
    return text.strip() + "\n"


def link_markdown(title: str, url: str) -> str:
    """A link to an article's public page as reply Markdown: a link in the HTML copy, "title (url)" in the
    plain one. Brackets in the title and spaces or parentheses in the URL would end the link early."""
    label = title.replace("[", "(").replace("]", ")").strip()
    target = url.strip().replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{label}]({target})"
