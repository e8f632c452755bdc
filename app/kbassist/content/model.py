"""Records for what a KB holds: articles, macros, and the problems found while reading them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

PRODUCTS: tuple[str, ...] = (
    "payments",
    "refunds",
    "disputes",
    "payouts",
    "connect",
    "billing",
    "invoicing",
    "checkout",
    "payment-links",
    "radar",
    "terminal",
    "identity",
    "tax",
    "issuing",
    "treasury",
    "account",
    "api",
    "webhooks",
    "authentication",
    "reporting",
)

PRODUCT_LABELS: dict[str, str] = {p: p.replace("-", " ").title() for p in PRODUCTS} | {
    "api": "API",
    "payment-links": "Payment Links",
}


BASE_LANGUAGE = "en"  # the language the KB's articles and macros are written in; translations sit beside them


class ItemKind(StrEnum):
    """What a KB item is. A member is its plain value wherever it goes: the index, usage events, JSON, CSV."""

    ARTICLE = "article"
    MACRO = "macro"


@dataclass(frozen=True, slots=True)
class KbItem:
    """What articles and macros share: identity, placement and searchable text."""

    id: str
    kind: ItemKind
    title: str
    product: str
    tags: tuple[str, ...]
    body: str  # Markdown without front matter
    path: Path  # absolute
    rel_path: str  # relative to the KB root, with forward slashes
    headings: tuple[str, ...] = ()
    plain_text: str = ""  # body as plain text (no Markdown syntax)
    codes: tuple[str, ...] = ()  # error/decline codes and ID prefixes named in the text
    symptoms: str = ""  # the "How users describe it" section: cases are matched against it first
    links: tuple[str, ...] = ()  # relative link targets as written
    signature: str = ""  # sha1 of the file's bytes; what incremental indexing compares


def is_public_url(url: str) -> bool:
    """An https address with a host: the only kind of link a reply may carry to a customer."""
    parts = urlsplit(url.strip())
    return parts.scheme == "https" and bool(parts.hostname)


@dataclass(frozen=True, slots=True)
class Article(KbItem):
    owner: str = ""
    reviewed: dt.date | None = None
    url: str = ""  # the article's public page (front matter ``url:``), as written

    @property
    def public_url(self) -> str:
        """The address a reply may link to: ``url`` when it is https, else nothing."""
        return self.url.strip() if is_public_url(self.url) else ""


@dataclass(frozen=True, slots=True)
class MacroText:
    """One language's wording of a macro: ``<slug>.<lang>.md`` beside the macro's own file."""

    lang: str  # ISO 639-1
    title: str
    body: str  # Markdown without front matter, with the base macro's placeholders
    rel_path: str
    placeholders: tuple[str, ...] = ()
    item_id: str = ""  # the front matter's id, as written (lint compares it with the base macro's)


@dataclass(frozen=True, slots=True)
class Macro(KbItem):
    articles: tuple[str, ...] = ()  # ids of the articles the reply relies on
    placeholders: tuple[str, ...] = field(default=())  # names, in order of first use
    # Front matter ``greeting:``/``closing:``; None: by convention (see ``content/compose.py``).
    greeting: bool | None = None
    closing: bool | None = None
    # Translations by language code. Not part of the macro's identity: usage and stats count the macro
    # whichever language was sent.
    translations: Mapping[str, MacroText] = field(default_factory=dict, compare=False, hash=False)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this macro can be sent in: English (the KB's own) first, then its translations."""
        return (BASE_LANGUAGE, *sorted(self.translations))

    def text(self, lang: str) -> MacroText:
        """The macro in ``lang``; its own English text when it has no such translation."""
        found = self.translations.get(lang)
        if found is not None:
            return found
        return MacroText(BASE_LANGUAGE, self.title, self.body, self.rel_path, self.placeholders, self.id)


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A KB file that could not be used (error: skipped) or that has a flaw (warning: still used)."""

    rel_path: str
    reason: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.rel_path}: {self.severity}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ItemSummary:
    """What the window keeps of every item: enough to count them, fingerprint the KB and follow a link by its
    path. Made from the index's briefs (``search/briefs.py``), which every search has read already: the full
    items (15,000 at 10,000 articles) took 0.4 s and 88 MiB of the window's start-up check to make."""

    id: str
    kind: ItemKind
    product: str
    title: str
    rel_path: str
    signature: str


class Signed(Protocol):
    """An item, or its summary: anything with the signature of the file it was read from."""

    @property
    def signature(self) -> str: ...


def kb_version(items: Iterable[Signed]) -> str:
    """A short fingerprint of the KB's content (its files' signatures), so usage can be tied to what was shown."""
    digest = hashlib.sha1("".join(sorted(i.signature for i in items)).encode()).hexdigest()
    return digest[:12]
