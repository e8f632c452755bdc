"""Turn one KB Markdown file into an Article or a Macro, or say exactly why it can't be used.

Parsing is strict about what the rest of the app relies on (ids, products, dates) and forgiving about
prose: a file with a problem becomes a Problem record and is skipped, never an exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from kbassist.content.blocks import Blocks, full_blocks, lean_blocks
from kbassist.content.inline_text import inline_text
from kbassist.content.kb_files import kind_of
from kbassist.content.model import PRODUCTS, Article, ItemKind, KbItem, Macro, Problem
from kbassist.content.placeholders import placeholder_names
from kbassist.content.stripe import CODE_IN_TEXT, normalise_code

MAX_FILE_BYTES = 256 * 1024
MAX_FRONT_MATTER_BYTES = 16 * 1024  # the largest in the bundled KB is under 1 KiB
MAX_NESTING = 8  # front matter is a mapping of scalars and lists of scalars: two levels are used
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,120}$")
ARTICLE_FIELDS = ("id", "title", "product", "tags", "owner", "reviewed")
MACRO_FIELDS = ("id", "title", "product", "tags", "articles")


class KbFileError(ValueError):
    """A file that cannot be used; the message is what editors see."""


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML without aliases: `*alias` lets a few hundred bytes expand into billions of strings
    ("billion laughs"), which hung every command of a team sharing the KB. Front matter never needs them."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        # Nesting is bounded too: 5,000 opening brackets overflowed Python's stack and crashed `lint`.
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_NESTING:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_NESTING} levels", event.start_mark)
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth


def markdown() -> MarkdownIt:
    """The one Markdown dialect of the KB: CommonMark plus tables and front matter, no raw HTML."""
    return MarkdownIt("commonmark", {"html": False}).enable("table").use(front_matter_plugin)


# What the index reads of a file whose Markdown the lean reading leaves (``blocks.py``): markdown-it's block
# rules, its inline parser run block by block (``inline_text``) as its core's inline rule would.
_MD = markdown().disable("inline")


def parse_file(path: Path, kb_root: Path) -> KbItem | Problem:
    """Read ``path`` (an article or macro under ``kb_root``) into a record, or a Problem."""
    rel = path.relative_to(kb_root).as_posix()
    try:
        return parse_bytes(read_inside(path, kb_root), path, kb_root)
    except KbFileError as exc:
        return Problem(rel, str(exc))


def read_inside(path: Path, kb_root: Path) -> bytes:
    """The bytes of a KB file, never of a file a link leads to outside the KB folder."""
    try:
        if not path.resolve().is_relative_to(Path(kb_root).resolve()):
            raise KbFileError("is a link to a file outside the KB folder; not read")
        return path.read_bytes()
    except OSError as exc:
        raise KbFileError(f"cannot read file: {exc.strerror or exc}") from None


def read_markdown(raw: bytes) -> tuple[dict[str, Any], str, Blocks]:
    """A KB file's front matter, its body and its blocks; KbFileError for what cannot be used."""
    if len(raw) > MAX_FILE_BYTES:
        raise KbFileError(f"file is too large ({len(raw) // 1024} KiB; the limit is {MAX_FILE_BYTES // 1024} KiB)")
    if b"\x00" in raw:
        raise KbFileError("binary file (contains NUL bytes), not Markdown text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KbFileError(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    blocks = lean_blocks(text) or full_blocks(_MD, text)
    if blocks.front_matter is None:
        raise KbFileError("missing YAML front matter (the file must start with a '---' block)")
    return _load_front_matter(blocks.front_matter), _body_after_front_matter(text), blocks


def parse_bytes(raw: bytes, path: Path, kb_root: Path) -> KbItem:
    rel = path.relative_to(kb_root).as_posix()
    meta, body, blocks = read_markdown(raw)
    kind = kind_of(rel)
    if kind is None:
        raise KbFileError("not in articles/<product>/ or macros/<product>/")
    fields = ARTICLE_FIELDS if kind is ItemKind.ARTICLE else MACRO_FIELDS
    missing = [f for f in fields if meta.get(f) in (None, "")]
    if missing:
        raise KbFileError(f"missing front-matter field(s): {', '.join(missing)}")
    item_id = str(meta["id"]).strip()
    if not ID_RE.match(item_id):
        raise KbFileError(f"invalid id {item_id!r} (use lowercase letters, digits, '-', '.', '_')")
    product = str(meta["product"]).strip()
    if product not in PRODUCTS:
        raise KbFileError(f"unknown product {product!r}")
    headings, plain, links, code_tokens, symptoms = _walk(blocks)
    common: dict[str, Any] = {
        "id": item_id,
        "title": _text_field(meta, "title"),
        "product": product,
        "tags": _str_list(meta, "tags"),
        "body": body,
        "path": path,
        "rel_path": rel,
        "headings": tuple(headings),
        "plain_text": plain,
        "symptoms": symptoms,
        "links": tuple(links),
        "signature": hashlib.sha1(raw).hexdigest(),
    }
    codes = {c for c in (normalise_code(t) for t in (*code_tokens, *common["tags"])) if c}
    codes |= {c for c in (normalise_code(m) for m in CODE_IN_TEXT.findall(plain)) if c}
    common["codes"] = tuple(sorted(codes))
    if kind is ItemKind.ARTICLE:
        owner, reviewed = _text_field(meta, "owner"), _date(meta["reviewed"])
        url = _text_field(meta, "url") if meta.get("url") not in (None, "") else ""
        return Article(kind=ItemKind.ARTICLE, owner=owner, reviewed=reviewed, url=url, **common)
    return Macro(
        kind=ItemKind.MACRO,
        articles=_str_list(meta, "articles"),
        placeholders=tuple(placeholder_names(body)),
        greeting=_flag(meta, "greeting"),
        closing=_flag(meta, "closing"),
        **common,
    )


def _load_front_matter(source: str) -> dict[str, Any]:
    if len(source.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise KbFileError(f"front matter is too large (the limit is {MAX_FRONT_MATTER_BYTES // 1024} KiB)")
    try:
        meta = _fast_load(source)
        if meta is None:
            meta = yaml.load(source, Loader=_FrontMatterLoader)  # a SafeLoader that refuses aliases
    except ValueError as exc:  # an impossible date such as 2026-02-30 fails in the date constructor
        raise KbFileError(f"bad value in YAML front matter ({exc}); dates look like 2026-03-31") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise KbFileError(f"bad YAML front matter{where}: {problem}") from None
    if not isinstance(meta, dict):
        raise KbFileError("front matter is not a YAML mapping of fields")
    return meta


# libyaml's loader (PyYAML's C extension): the same constructor and resolver as the safe loader, a third of the
# time of parsing a KB file in pure Python. Its composer cannot be told to refuse aliases or deep nesting, so it
# reads only front matter that can hold neither; anything it refuses or finds deep is read again by
# ``_FrontMatterLoader``, which says what is wrong exactly as before.
_C_LOADER: type | None = getattr(yaml, "CSafeLoader", None)


def _fast_load(source: str) -> Any:
    """The front matter read by libyaml, or None when it must be read by ``_FrontMatterLoader``."""
    if _C_LOADER is None or "*" in source or source.count("[") + source.count("{") > MAX_NESTING:
        return None
    try:
        meta = yaml.load(source, Loader=_C_LOADER)  # libyaml's SafeLoader
    except (ValueError, yaml.YAMLError):
        return None
    return meta if isinstance(meta, dict) and _depth(meta) < MAX_NESTING else None


def _depth(value: object) -> int:
    """Levels of YAML nodes in a loaded value (a scalar is one)."""
    if isinstance(value, dict):
        return 1 + max((max(_depth(k), _depth(v)) for k, v in value.items()), default=0)
    if isinstance(value, list | tuple):
        return 1 + max((_depth(v) for v in value), default=0)
    return 1


def _body_after_front_matter(text: str) -> str:
    match = re.match(r"^---[^\n]*\n.*?\n---[^\n]*(?:\n|$)", text, re.S)
    return text[match.end() :] if match else text


def _text_field(meta: dict[str, Any], key: str) -> str:
    value = meta[key]
    if not isinstance(value, str | int | float):
        raise KbFileError(f"field {key!r} must be text")
    return str(value).strip()


def _flag(meta: dict[str, Any], key: str) -> bool | None:
    """An optional yes/no field: None when absent."""
    value = meta.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise KbFileError(f"field {key!r} must be true or false, not {value!r}")


def _str_list(meta: dict[str, Any], key: str) -> tuple[str, ...]:
    value = meta[key]
    if isinstance(value, str):
        value = list(re.split(r"[,\n]", value))
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise KbFileError(f"field {key!r} must be a list of text values")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise KbFileError(f"field 'reviewed' must be a date like 2026-03-31, not {value!r}") from None


SYMPTOM_HEADING = re.compile(r"how (users|customers|merchants) describe|symptom|what (users|customers) say", re.I)


def _walk(blocks: Blocks) -> tuple[list[str], str, list[str], list[str], str]:
    """Headings, plain text, link targets, inline-code tokens and the symptoms section of a parsed body."""
    links: list[str] = []
    code: list[str] = []
    texts = (
        (
            block.kind,
            block.content if block.kind == "code" else inline_text(_MD, block.content, blocks.env, links, code),
        )
        for block in blocks.blocks
    )
    headings, plain, symptoms = sections(texts, code)
    return headings, plain, links, code, symptoms


def sections(texts: Iterable[tuple[str, str]], code: list[str]) -> tuple[list[str], str, str]:
    """Headings, plain text and the symptoms section of a body's blocks as (kind, text), in order; the words of
    its code blocks are added to ``code``."""
    headings: list[str] = []
    lines: list[str] = []
    symptoms: list[str] = []
    in_symptoms = False
    for kind, text in texts:
        if kind == "code":
            lines.append(text)
            code.extend(text.split())
        elif kind == "heading":
            headings.append(text)
            in_symptoms = bool(SYMPTOM_HEADING.search(text))
        else:
            lines.append(text)
            if in_symptoms:
                symptoms.append(text)
    return headings, "\n".join(lines), "\n".join(symptoms)
