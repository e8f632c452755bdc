"""The Whoosh schema: one document per article or macro.

Bump SCHEMA_VERSION whenever a field changes; an index built with another version is rebuilt.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from whoosh.columns import PickleColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

from kbassist.content.model import Article, ItemKind, KbItem, Macro
from kbassist.search.records import RECORD, WORDS, record_of
from kbassist.search.spelling import spell_words
from kbassist.search.text import ANALYZER

# 7: an article's public url, a macro's greeting and closing flags; 8: the record column; 9: "did you mean"'s
# words in a column instead of an indexed field
SCHEMA_VERSION = 9

# Field weights for case suggestions and search: a word in the title says more than one in the body.
# Kept mild: strong title boosts let one shared word in a title outrank an article whose body describes
# the case (measured with `kbassist eval`: title 3 / tags 2.5 / headings 1.5 cost 3 points of recall@3).
# The symptoms section ("How users describe it") is worded the way cases are: it weighs most.
FIELD_BOOSTS: dict[str, float] = {"title": 1.2, "tags": 1.2, "headings": 1.1, "body": 1.0, "symptoms": 1.5}


def build_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        product=ID(stored=True),
        path=ID(stored=True, unique=True),
        title=TEXT(stored=True, analyzer=ANALYZER),
        headings=TEXT(analyzer=ANALYZER),
        body=TEXT(analyzer=ANALYZER),
        symptoms=TEXT(analyzer=ANALYZER),
        tags=TEXT(stored=True, analyzer=ANALYZER),
        codes=KEYWORD(stored=True, lowercase=True, commas=True, scorable=True),
        markdown=STORED(),
        meta=STORED(),  # the rest of the record, to rebuild it without re-reading the file
        # What the file was when indexed: stored only, nothing searches by them (the records carry them too).
        signature=STORED(),
        mtime_ns=STORED(),
        size=STORED(),
        # The stored fields but the Markdown, in a column that reads without it (records.py).
        record=COLUMN(PickleColumn(VarBytesColumn())),
        # Unstemmed words for "did you mean" and completions (a corrector must suggest real words, not stems):
        # each document's distinct words in a column, counted per segment. As an indexed field they took a
        # quarter of an index build, for postings and positions nothing searched.
        words=COLUMN(VarBytesColumn()),
    )


def to_document(item: KbItem, mtime_ns: int, size: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "tags": list(item.tags),
        "headings": list(item.headings),
        "links": list(item.links),
        "codes": list(item.codes),
    }
    if isinstance(item, Article):
        meta |= {
            "owner": item.owner,
            "reviewed": item.reviewed.isoformat() if item.reviewed else None,
            "url": item.url,
        }
    if isinstance(item, Macro):
        meta |= {
            "articles": list(item.articles),
            "placeholders": list(item.placeholders),
            "greeting": item.greeting,
            "closing": item.closing,
        }
    document: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind.value,  # the plain string: Whoosh pickles stored values
        "product": item.product,
        "path": item.rel_path,
        "title": item.title,
        "headings": "\n".join(item.headings),
        "body": item.plain_text,
        "symptoms": item.symptoms,
        "tags": " , ".join(item.tags),
        "codes": ",".join(item.codes),
        "markdown": item.body,
        "meta": meta,
        "signature": item.signature,
        "mtime_ns": mtime_ns,
        "size": size,
    }
    document[RECORD] = record_of(document)
    spelled = spell_words(f"{item.title}\n{' '.join(item.tags)}\n{item.plain_text}")
    document[WORDS] = " ".join(sorted(spelled)).encode("utf-8")
    return document


def from_stored(fields: dict[str, Any], kb_root: Any) -> KbItem:
    """Rebuild the record from stored fields (plain text is not stored; it isn't needed for display)."""
    meta = fields.get("meta") or {}
    common: dict[str, Any] = {
        "id": fields["id"],
        "title": fields["title"],
        "product": fields["product"],
        "tags": tuple(meta.get("tags", ())),
        "body": fields.get("markdown", ""),
        "path": kb_root / fields["path"],
        "rel_path": fields["path"],
        "headings": tuple(meta.get("headings", ())),
        "codes": tuple(meta.get("codes", ())),
        "links": tuple(meta.get("links", ())),
        "signature": fields.get("signature", ""),
    }
    if fields["kind"] == ItemKind.MACRO:
        return Macro(
            kind=ItemKind.MACRO,
            articles=tuple(meta.get("articles", ())),
            placeholders=tuple(meta.get("placeholders", ())),
            greeting=meta.get("greeting"),
            closing=meta.get("closing"),
            **common,
        )
    reviewed = meta.get("reviewed")
    return Article(
        kind=ItemKind.ARTICLE,
        owner=meta.get("owner", ""),
        reviewed=dt.date.fromisoformat(reviewed) if reviewed else None,
        url=meta.get("url", ""),
        **common,
    )
