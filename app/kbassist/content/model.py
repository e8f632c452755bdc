"""Records for what a KB holds: articles, macros, and the problems found while reading them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

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


@dataclass(frozen=True, slots=True)
class Article(KbItem):
    owner: str = ""
    reviewed: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Macro(KbItem):
    articles: tuple[str, ...] = ()  # ids of the articles the reply relies on
    placeholders: tuple[str, ...] = field(default=())  # names, in order of first use


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A KB file that could not be used (error: skipped) or that has a flaw (warning: still used)."""

    rel_path: str
    reason: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.rel_path}: {self.severity}: {self.reason}"


def kb_version(items: Iterable[KbItem]) -> str:
    """A short fingerprint of the KB's content (its files' signatures), so usage can be tied to what was shown."""
    digest = hashlib.sha1("".join(sorted(i.signature for i in items)).encode()).hexdigest()
    return digest[:12]
