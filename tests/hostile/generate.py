"""A corpus of hostile KB files and pastes: what an attacker, a broken editor or a careless copy produces.

Each KB file says what must happen to it (``refused``: reported by lint and by indexing, never indexed;
``indexed``: accepted, with what is dangerous in it made harmless; ``ignored``: never read at all), so the
suite checks the whole class of problem, not one file. Pastes say nothing: any of them must give an
answer and never raise.

``python tests/hostile/generate.py OUT`` writes the corpus to ``OUT/kb``, ``OUT/outside`` and
``OUT/pastes`` to try by hand (``kbassist lint --kb OUT/kb``, ``kbassist suggest OUT/pastes/…``).
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Fate = Literal["refused", "indexed", "ignored"]
SEED = 20261201


@dataclass(frozen=True, slots=True)
class HostileFile:
    name: str  # what it tries
    rel_path: str  # inside the KB folder
    content: bytes
    fate: Fate
    symlink_to: str | None = None  # a path relative to the corpus root: the file is a link to it


@dataclass(frozen=True, slots=True)
class HostilePaste:
    name: str
    content: bytes


def _front(fields: dict[str, str]) -> str:
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in fields.items()) + "---\n"


def _article(slug: str, body: str = "Refunds take 5-10 business days.", **over: str) -> str:
    fields = {
        "id": f"refunds-{slug}",
        "title": f"Hostile {slug}",
        "product": "refunds",
        "tags": "[refund]",
        "owner": "refunds-content",
        "reviewed": "2026-05-01",
    }
    fields.update(over)
    return _front(fields) + f"# Hostile {slug}\n\n{body}\n"


def _macro(slug: str, body: str) -> str:
    fields = {
        "id": f"macro-refunds-{slug}",
        "title": f"Hostile macro {slug}",
        "product": "refunds",
        "tags": "[reply]",
        "articles": "[refunds-good-0]",
    }
    return _front(fields) + body + "\n"


def good_files(count: int = 12) -> list[HostileFile]:
    """Ordinary articles: every one must be indexed whatever the hostile files beside them do."""
    topics = ["refund timing", "failed refund", "partial refund", "refund to a closed card", "refund fees"]
    out = []
    for i in range(count):
        topic = topics[i % len(topics)]
        body = f"How {topic} works, case {i}. Find the refund in the Dashboard and check its status."
        out.append(
            HostileFile(f"good {i}", f"articles/refunds/good-{i}.md", _article(f"good-{i}", body).encode(), "indexed")
        )
    return out


def hostile_files() -> list[HostileFile]:
    rng = random.Random(SEED)
    laughs = 'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"l{i}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
        f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
        for i in range(8)
    )
    files: list[tuple[str, str, bytes | str, Fate]] = [
        # front matter that makes a parser do unbounded work or run code
        (
            "billion laughs in id",
            "articles/refunds/laughs-id.md",
            "---\n" + laughs + "id: *i\ntitle: x\nproduct: refunds\n---\nx\n",
            "refused",
        ),
        (
            "billion laughs in product",
            "articles/refunds/laughs-product.md",
            "---\n" + laughs + "id: refunds-laughs-p\ntitle: x\nproduct: *i\n---\nx\n",
            "refused",
        ),
        (
            "alias in reviewed",
            "articles/refunds/alias-date.md",
            "---\nd: &d 2026-05-01\nid: refunds-alias-date\ntitle: x\nproduct: refunds\nreviewed: *d\n---\nx\n",
            "refused",
        ),
        (
            "python object tag",
            "articles/refunds/python-tag.md",
            '---\nid: !!python/object/apply:os.system ["touch /tmp/kbassist-owned"]\n'
            "title: x\nproduct: refunds\n---\nx\n",
            "refused",
        ),
        (
            "deeply nested lists",
            "articles/refunds/nested.md",
            "---\nid: refunds-nested\ntitle: x\nproduct: refunds\ntags: " + "[" * 5000 + "]" * 5000 + "\n---\nx\n",
            "refused",
        ),
        (
            "front matter over 16 KiB",
            "articles/refunds/huge-front.md",
            _article("huge-front", tags="[" + ", ".join(f"t{i}" for i in range(6000)) + "]"),
            "refused",
        ),
        (
            "front matter never closed",
            "articles/refunds/unclosed.md",
            "---\nid: refunds-unclosed\ntitle: x\nproduct: refunds\n# body without the closing line\n",
            "refused",
        ),
        # values of the wrong kind
        ("impossible date", "articles/refunds/feb-30.md", _article("feb-30", reviewed="2026-02-30"), "refused"),
        ("id as a list", "articles/refunds/id-list.md", _article("id-list", id="[a, b]"), "refused"),
        (
            "product as a mapping",
            "articles/refunds/product-map.md",
            _article("product-map", product="{x: 1}"),
            "refused",
        ),
        (
            "unknown product",
            "articles/refunds/no-product.md",
            _article("no-product", product="bitcoin-mining"),
            "refused",
        ),
        ("empty title", "articles/refunds/empty-title.md", _article("empty-title", title='""'), "refused"),
        # bytes that are not text
        (
            "NUL after 8 KiB",
            "articles/refunds/nul-late.md",
            _article("nul-late", "x " * 5000 + "\x00 hidden"),
            "refused",
        ),
        ("NUL at the start", "articles/refunds/nul-early.md", "\x00" + _article("nul-early"), "refused"),
        (
            "invalid UTF-8",
            "articles/refunds/latin1.md",
            _article("latin1", "Rückerstattung").encode("latin-1"),
            "refused",
        ),
        ("random bytes", "articles/refunds/random.md", bytes(rng.randrange(256) for _ in range(4096)), "refused"),
        ("empty file", "articles/refunds/empty.md", b"", "refused"),
        ("only front matter markers", "articles/refunds/markers.md", "---\n---\n", "refused"),
        # accepted, with what is dangerous made harmless
        (
            "terminal escapes in the body",
            "articles/refunds/escapes.md",
            _article("escapes", "Body \x1b]0;owned\x07 \x1b[2J\x1b[31mred\x1b[0m."),
            "indexed",
        ),
        (
            "C1 controls in the body",
            "articles/refunds/c1.md",
            _article("c1", "Body \x9b2J \x9b31mred\x7f text."),
            "indexed",
        ),
        (
            "script and event handlers",
            "articles/refunds/script.md",
            _article("script", "<script>alert(1)</script> <b onmouseover=alert(1)>x</b> [x](javascript:alert(1))"),
            "indexed",
        ),
        (
            "remote image in a macro",
            "macros/refunds/pixel.md",
            _macro("pixel", "Hi {{customer_name}}, ![t](https://tracker.example/p.gif?u=1) thanks."),
            "indexed",
        ),
        (
            "BOM and CRLF",
            "articles/refunds/bom-crlf.md",
            ("\ufeff" + _article("bom-crlf")).replace("\n", "\r\n"),
            "indexed",
        ),
        ("one 200 KB line", "articles/refunds/long-line.md", _article("long-line", "refund " * 28_000), "indexed"),
        ("a 1 MB file", "articles/refunds/huge.md", _article("huge", "refund fee\n" * 100_000), "refused"),
        (
            "right-to-left override",
            "articles/refunds/rtl.md",
            _article("rtl", "Refund \u202egnp.exe\u202c works."),
            "indexed",
        ),
        (
            "emoji and combining marks",
            "articles/refunds/emoji.md",
            _article("emoji", "Refund 💸 ok. Z\u0351\u0352\u0353algo t\u0300\u0301ext."),
            "indexed",
        ),
        (
            "link to /etc/passwd",
            "articles/refunds/abs-link.md",
            _article("abs-link", "See [x](/etc/passwd) and [y](../../../../etc/shadow)."),
            "indexed",
        ),
        (
            "malformed placeholders",
            "macros/refunds/bad-holders.md",
            _macro("bad-holders", "Hi {{customer_name, your {{refund_idd} is {{ }} done."),
            "indexed",
        ),
        # in the wrong place, or a second holder of an id
        ("article in the macros folder", "macros/refunds/an-article.md", _article("an-article"), "refused"),
        ("file outside articles and macros", "notes/stray.md", _article("stray"), "ignored"),
        (
            "a second file with an id in use",
            "articles/refunds/zz-duplicate.md",
            _article("good-0", "Newer copy."),
            "refused",
        ),
        # never read
        ("not a Markdown file", "articles/refunds/readme.txt", _article("txt"), "ignored"),
        ("hidden file", "articles/refunds/.hidden.md", _article("hidden"), "ignored"),
    ]
    out = [HostileFile(n, r, c.encode() if isinstance(c, str) else c, f) for n, r, c, f in files]
    out.append(
        HostileFile(
            "symlink to a file outside the KB", "articles/refunds/outside.md", b"", "refused", "outside/secret.md"
        )
    )
    out.append(HostileFile("symlinked folder looping back", "articles/refunds/loop", b"", "ignored", "kb/articles"))
    return out


OUTSIDE_SECRET = _article("outside-secret", "This file lives outside the KB and must never be read.").encode()


def write_kb(root: Path) -> tuple[Path, list[HostileFile]]:
    """``root/kb`` with the good and hostile files, ``root/outside`` with what the symlinks point at."""
    files = good_files() + hostile_files()
    (root / "outside").mkdir(parents=True, exist_ok=True)
    (root / "outside" / "secret.md").write_bytes(OUTSIDE_SECRET)
    kb = root / "kb"
    for f in files:
        path = kb / f.rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        if f.symlink_to:
            path.symlink_to(root / f.symlink_to)
        else:
            path.write_bytes(f.content)
    # The duplicate must be the newer file; everything else gets one fixed time, so order is by path.
    for f in files:
        path = kb / f.rel_path
        if not path.is_symlink():
            stamp = 1_780_000_000 + (100 if "duplicate" in f.name else 0)
            os.utime(path, (stamp, stamp))
    return kb, files


def pastes(size: int = 2_000_000) -> Iterator[HostilePaste]:
    """Pastes that made patterns quadratic or parsers slow, plus shapes no real case has; ``size`` bytes each."""
    rng = random.Random(SEED)

    def fill(unit: str) -> bytes:
        return (unit * (size // max(1, len(unit)) + 1))[:size].encode()

    yield HostilePaste("digit run", fill("4"))
    yield HostilePaste("digits and spaces", fill("4242 "))
    yield HostilePaste("dotted words", fill("a.b."))
    yield HostilePaste("email-like run", fill("a@b"))
    yield HostilePaste("at signs and dots", fill("x@x.x@"))
    yield HostilePaste("phone-like run", fill("+1 (415) "))
    yield HostilePaste("IBAN-like run", fill("DE89 "))
    yield HostilePaste("Stripe-ID-like run", fill("ch_3Pq"))
    yield HostilePaste("titles and names", fill("Mr. "))
    yield HostilePaste("street-like run", fill("1 Aaaa Bbbb Cccc "))
    yield HostilePaste("one long word", fill("refund"))
    yield HostilePaste("one header line", b"Subject: " + fill("x")[: size - 9])
    yield HostilePaste("many headers", fill("X-Header: value\n"))
    yield HostilePaste("nested quotes", fill("> "))
    yield HostilePaste("HTML soup", fill("<div><b>"))
    yield HostilePaste("base64 attachment", b"Content-Type: multipart/mixed; boundary=b\n\n--b\n" + fill("QUJD"))
    yield HostilePaste("NUL bytes", fill("\x00"))
    yield HostilePaste("terminal escapes", fill("\x1b[2J"))
    yield HostilePaste("invalid UTF-8", bytes(rng.randrange(128, 256) for _ in range(min(size, 200_000))))
    yield HostilePaste("lone surrogates in UTF-8", b"\xed\xb0\x80" * (size // 3))
    yield HostilePaste("right-to-left overrides", fill("\u202e refund \u202c"))
    yield HostilePaste("combining marks", fill("a\u0300\u0301\u0302"))
    yield HostilePaste("emoji", fill("💸🔥"))
    yield HostilePaste("whitespace only", fill(" \t\n"))
    yield HostilePaste(
        "a real case then junk", b"My refund re_3PqRsT2eZvKYlo2C has not arrived after 12 days.\n" + fill("#")
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python tests/hostile/generate.py OUT\n")
        return 2
    out = Path(argv[1])
    write_kb(out)
    (out / "pastes").mkdir(parents=True, exist_ok=True)
    for paste in pastes():
        (out / "pastes" / (paste.name.replace(" ", "-") + ".txt")).write_bytes(paste.content)
    print(f"wrote {out}/kb, {out}/outside and {out}/pastes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
