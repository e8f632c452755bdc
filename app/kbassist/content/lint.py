"""Checks across files that a single file's parse can't see: links, macro references, placement."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from kbassist.content.compose import is_closing, is_greeting, paragraphs
from kbassist.content.kb_files import leaves_kb, resolve_link
from kbassist.content.loader import KbContent, load_kb
from kbassist.content.model import Article, KbItem, Macro, Problem, is_public_url
from kbassist.content.placeholders import PLACEHOLDER, TODAY

# Placeholder names the app can fill (from the case or the associate's settings) or asks for by hand.
KNOWN_PLACEHOLDERS = frozenset(
    {
        "customer_name",
        "customer_email",
        "charge_id",
        "payment_intent_id",
        "refund_id",
        "dispute_id",
        "payout_id",
        "invoice_id",
        "subscription_id",
        "customer_id",
        "account_id",
        "event_id",
        "webhook_endpoint_id",
        "transfer_id",
        "payment_method_id",
        "setup_intent_id",
        "checkout_session_id",
        "payment_link_id",
        "reader_id",
        "verification_session_id",
        "authorization_id",
        "issuing_card_id",
        "price_id",
        "product_id",
        "balance_transaction_id",
        "amount",
        "currency",
        "decline_code",
        "error_code",
        "agent_name",
        "agent_signature",
        "date",
        "deadline_date",
        "last4",
        "business_days",
        "url",
        TODAY,
    }
)


def lint(content: KbContent) -> list[Problem]:
    """All problems: those found while reading plus cross-file warnings, sorted by file."""
    problems = list(content.problems)
    for item in content.items.values():
        problems.extend(check_item(item, content))
    return sorted(problems, key=lambda p: (p.rel_path, p.reason))


def lint_folder(kb_root: Path) -> tuple[KbContent, list[Problem]]:
    content = load_kb(kb_root)
    return content, lint(content)


def check_item(item: KbItem, content: KbContent) -> list[Problem]:
    """Warnings for one item: its placement, its links and, for a macro, its articles and placeholders."""
    reasons = [*_placement_problems(item), *_link_problems(item, content)]
    if isinstance(item, Macro):
        reasons += [*_macro_problems(item, content), *_reply_shape_problems(item)]
    if isinstance(item, Article) and item.url and not is_public_url(item.url):
        reasons.append(f"url {item.url!r} is not an https address: replies link only to public https pages")
    return [Problem(item.rel_path, reason, "warning") for reason in reasons]


def _placement_problems(item: KbItem) -> Iterator[str]:
    folder = item.rel_path.split("/")[1]
    if folder != item.product:
        yield f"product {item.product!r} does not match its folder {folder!r}"


def _link_problems(item: KbItem, content: KbContent) -> Iterator[str]:
    for href in item.links:
        if leaves_kb(item.rel_path, href):
            yield f"link to {href!r} points outside the KB folder: link articles by a relative path inside it"
            continue
        target = resolve_link(item.rel_path, href)
        if target is not None and not (content.root / target).is_file():
            yield f"broken link to {href!r}"


def _macro_problems(macro: Macro, content: KbContent) -> Iterator[str]:
    if not macro.articles:
        yield "relies on no article: list the article ids the reply is based on in 'articles'"
    for ref in macro.articles:
        if not isinstance(content.items.get(ref), Article):
            yield f"refers to unknown article id {ref!r}"
    for match in PLACEHOLDER.finditer(macro.body):
        if match.group(1) not in KNOWN_PLACEHOLDERS:
            yield f"unknown placeholder {{{{{match.group(1)}}}}}: the app can't fill it from a case"
    for fragment in malformed_placeholders(macro.body):
        yield f"malformed placeholder {fragment!r}: write {{{{name}}}} or {{{{name|default}}}}"


def _reply_shape_problems(macro: Macro) -> Iterator[str]:
    """A macro whose greeting or closing cannot be told apart: composed with others, its "Hi …" or its
    signature would land in the middle of the reply."""
    parts = paragraphs(macro.body)
    if macro.greeting is None and not (parts and is_greeting(parts[0])):
        yield (
            "no greeting: the first paragraph holds no {{customer_name}}; "
            "add one, or 'greeting: false' to the front matter if the reply has none"
        )
    if macro.closing is None and not (parts and is_closing(parts[-1])):
        yield (
            "no closing: the last paragraph holds no {{agent_name}} or {{agent_signature}}; "
            "add one, or 'closing: false' to the front matter if the reply has none"
        )


_OPENING = re.compile(r"\{\{")


def malformed_placeholders(body: str) -> list[str]:
    """Each "{{" that does not start a whole placeholder ("{{customer_name, …", "{{refund_idd}"), shown with
    what follows it; the reply would otherwise go out with raw braces in it."""
    out = []
    for match in _OPENING.finditer(body):
        if not PLACEHOLDER.match(body, match.start()) and (match.start() == 0 or body[match.start() - 1] != "{"):
            out.append(body[match.start() : match.start() + 24].split("\n", maxsplit=1)[0])
    return out
