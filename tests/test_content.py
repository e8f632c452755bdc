"""Reading KB files: good files load, each kind of bad file is reported with its reason and skipped."""

from pathlib import Path

from conftest import article, macro, write
from kbassist.content.kb_files import (
    iter_kb_files,
    iter_kb_folders,
    iter_translation_files,
    kb_files,
    markdown_files_under,
)
from kbassist.content.lint import lint, lint_folder
from kbassist.content.loader import load_kb
from kbassist.content.model import Article, Macro


def reasons(problems) -> dict[str, str]:
    return {p.rel_path: p.reason for p in problems}


def test_mini_kb_loads(mini_kb: Path) -> None:
    content = load_kb(mini_kb)
    assert not content.problems
    assert {a.id for a in content.articles} == {
        "refunds-refund-timeline",
        "refunds-refund-failed",
        "disputes-dispute-fee",
    }
    timeline = content.items["refunds-refund-timeline"]
    assert isinstance(timeline, Article)
    assert timeline.headings == ("Refund not on the statement yet", "How to check")
    assert "re_" in timeline.codes
    assert timeline.links == ("refund-failed.md",)
    assert timeline.reviewed is not None and timeline.reviewed.year == 2026
    assert "`" not in timeline.plain_text and "##" not in timeline.plain_text
    refund_macro = content.items["macro-refunds-refund-issued"]
    assert isinstance(refund_macro, Macro)
    assert refund_macro.articles == ("refunds-refund-timeline",)
    assert refund_macro.placeholders == ("customer_name", "amount", "refund_id", "business_days", "agent_name")
    assert lint(content) == []


def test_each_kind_of_bad_file_is_reported_and_skipped(mini_kb: Path) -> None:
    write(mini_kb / "articles/payments/bad-yaml.md", "---\nid: x\ntitle: [unclosed\n---\nbody\n")
    write(
        mini_kb / "articles/payments/no-owner.md",
        "---\nid: payments-no-owner\ntitle: T\nproduct: payments\ntags: [a]\nreviewed: 2026-01-01\n---\nbody\n",
    )
    article(mini_kb, "payments", "unknown-product", "T", "body")
    path = mini_kb / "articles/payments/unknown-product.md"
    path.write_text(path.read_text().replace("product: payments", "product: crypto"))
    article(mini_kb, "tax", "dupe", "T", "body")  # sorts after refunds/: the earlier file keeps the id
    dupe = mini_kb / "articles/tax/dupe.md"
    dupe.write_text(dupe.read_text().replace("id: tax-dupe", "id: refunds-refund-timeline"))
    (mini_kb / "articles/payments/latin1.md").write_bytes(b"---\nid: payments-latin1\ntitle: Caf\xe9\n---\n")
    (mini_kb / "articles/payments/binary.md").write_bytes(b"\x89PNG\r\n\x00\x00\x00")
    (mini_kb / "articles/payments/huge.md").write_bytes(b"---\nid: a\n---\n" + b"x" * 300_000)
    write(mini_kb / "articles/payments/no-front-matter.md", "# Just a heading\n")
    write(mini_kb / "articles/stray.md", "---\nid: stray\n---\n")

    content = load_kb(mini_kb)
    found = reasons(content.problems)
    assert "bad YAML" in found["articles/payments/bad-yaml.md"]
    assert "missing front-matter field(s): owner" in found["articles/payments/no-owner.md"]
    assert "unknown product 'crypto'" in found["articles/payments/unknown-product.md"]
    assert "duplicate id 'refunds-refund-timeline'" in found["articles/tax/dupe.md"]
    assert "not UTF-8" in found["articles/payments/latin1.md"]
    assert "binary" in found["articles/payments/binary.md"]
    assert "too large" in found["articles/payments/huge.md"]
    assert "missing YAML front matter" in found["articles/payments/no-front-matter.md"]
    assert "not in articles/<product>/" in found["articles/stray.md"]
    # The good files are all still there, and the original owner of the duplicated id keeps it.
    assert len(content.articles) == 3 and len(content.macros) == 2
    assert content.items["refunds-refund-timeline"].rel_path == "articles/refunds/refund-timeline.md"


def test_cross_file_warnings(mini_kb: Path) -> None:
    macro(mini_kb, "refunds", "orphan", "Orphan", "Hi {{customer_name}} {{favourite_colour}}", "[refunds-nope]")
    article(mini_kb, "refunds", "linky", "Links", "[gone](missing.md) [web](https://stripe.com) [up](../../x.md)")
    wrong = article(mini_kb, "refunds", "wrong-folder", "Wrong", "text")
    wrong.write_text(wrong.read_text().replace("product: refunds", "product: payments"))
    _content, problems = lint_folder(mini_kb)
    found = {(p.rel_path, p.reason, p.severity) for p in problems}
    assert ("macros/refunds/orphan.md", "refers to unknown article id 'refunds-nope'", "warning") in found
    assert any("unknown placeholder {{favourite_colour}}" in r for _p, r, _s in found)
    assert ("articles/refunds/linky.md", "broken link to 'missing.md'", "warning") in found
    assert not any("stripe.com" in r for _p, r, _s in found)
    assert any(p == "articles/refunds/wrong-folder.md" and "does not match its folder" in r for p, r, _s in found)


def test_missing_kb_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    content = load_kb(tmp_path / "nowhere")
    assert content.items == {}
    assert "does not exist" in content.problems[0].reason


def test_bundled_kb_is_complete_and_clean() -> None:
    from conftest import BUNDLED_KB
    from kbassist.content.model import PRODUCTS

    content, problems = lint_folder(BUNDLED_KB)
    assert problems == [], "\n".join(map(str, problems))
    assert len(content.articles) >= 100
    assert len(content.macros) >= 60
    for product in PRODUCTS:
        assert sum(a.product == product for a in content.articles) >= 4, product
        assert sum(m.product == product for m in content.macros) >= 2, product
    for m in content.macros:
        assert m.articles, m.id


GOOD = "---\nid: refunds-{slug}\ntitle: T\nproduct: refunds\ntags: [a]\nowner: x\nreviewed: {date}\n---\n# T\nbody\n"


def test_hostile_front_matter_is_refused_and_the_rest_still_loads(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    write(kb / "articles/refunds/ok.md", GOOD.format(slug="ok", date="2026-01-02"))
    laughs = "\n".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10))
    write(kb / "articles/refunds/bomb.md", f'---\nl0: &l0 ["lol"]\n{laughs}\nid: *l9\n---\nx\n')
    write(kb / "articles/refunds/date.md", GOOD.format(slug="date", date="2026-02-30"))
    nul = GOOD.format(slug="nul", date="2026-01-02") + "x" * 9000 + "\x00"
    write(kb / "articles/refunds/nul.md", nul)
    content = load_kb(kb)
    assert set(content.items) == {"refunds-ok"}
    found = reasons(content.problems)
    assert "aliases" in found["articles/refunds/bomb.md"]
    assert "2026-03-31" in found["articles/refunds/date.md"]
    assert "NUL" in found["articles/refunds/nul.md"]


def test_a_link_to_a_file_outside_the_kb_is_never_read(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    write(kb / "articles/refunds/ok.md", GOOD.format(slug="ok", date="2026-01-02"))
    secret = write(tmp_path / "elsewhere" / "secret.md", GOOD.format(slug="secret", date="2026-01-02"))
    (kb / "articles/refunds/link.md").symlink_to(secret)
    content = load_kb(kb)
    assert set(content.items) == {"refunds-ok"}
    assert "outside the KB" in reasons(content.problems)["articles/refunds/link.md"]


def test_malformed_placeholders_are_reported(mini_kb: Path) -> None:
    body = "Hi {{customer_name, thanks for writing.\n\nRefund {{refund_idd} went out on {{date}}.\n"
    macro(mini_kb, "refunds", "broken", "Broken", body, "[refunds-refund-timeline]")
    _content, problems = lint_folder(mini_kb)
    found = [p.reason for p in problems if p.rel_path == "macros/refunds/broken.md"]
    assert any("malformed placeholder '{{customer_name, thanks" in r for r in found)
    assert any("malformed placeholder '{{refund_idd}" in r for r in found)
    assert not any("{{date}}" in r and "malformed" in r for r in found)


def test_links_that_leave_the_kb_are_reported_not_looked_up(mini_kb: Path) -> None:
    article(
        mini_kb, "refunds", "escape", "Escape", "[pw](/etc/passwd) [up](../../../outside.md) [ok](refund-failed.md)"
    )
    _content, problems = lint_folder(mini_kb)
    found = [p.reason for p in problems if p.rel_path == "articles/refunds/escape.md"]
    assert any("'/etc/passwd' points outside the KB" in r for r in found)
    assert any("'../../../outside.md' points outside the KB" in r for r in found)
    assert not any("refund-failed.md" in r for r in found)


def test_images_never_reach_a_reply_or_the_reading_pane() -> None:
    from kbassist.content.render import article_html, reply_html

    reply = reply_html("Hi there ![logo](https://track.example/pixel.gif?u=1), thanks")
    assert "<img" not in reply and "track.example" not in reply and "[logo]" in reply
    assert "<img" not in article_html("# T\n\n![diagram](https://example.com/d.png)\n")


def test_an_article_may_name_its_public_page(mini_kb: Path, tmp_path: Path) -> None:
    from kbassist.search.engine import SearchEngine

    meta = "---\nid: refunds-{slug}\ntitle: T\nproduct: refunds\ntags: []\nowner: o\nreviewed: 2026-05-01\n"
    meta += "url: {url}\n---\n"
    write(mini_kb / "articles/refunds/public.md", meta.format(slug="public", url="https://support.example.com/r") + "x")
    write(mini_kb / "articles/refunds/plain.md", meta.format(slug="plain", url="http://support.example.com/r") + "x")
    write(mini_kb / "articles/refunds/wrong.md", meta.format(slug="wrong", url="[a, list]") + "x")
    content, problems = lint_folder(mini_kb)
    public, plain = content.items["refunds-public"], content.items["refunds-plain"]
    assert isinstance(public, Article) and public.public_url == "https://support.example.com/r"
    assert isinstance(plain, Article) and plain.url == "http://support.example.com/r" and plain.public_url == ""
    found = reasons(problems)
    assert "is not an https address" in found["articles/refunds/plain.md"]
    assert "field 'url' must be text" in found["articles/refunds/wrong.md"]
    assert content.items["refunds-refund-timeline"].url == ""  # type: ignore[attr-defined]
    with SearchEngine(mini_kb, index_root=tmp_path / "ix", embedder=False) as engine:
        engine.update()
        indexed = engine.get("refunds-public")
        assert isinstance(indexed, Article) and indexed.public_url == "https://support.example.com/r"


def test_the_kb_walk_finds_the_files_and_folders_rglob_finds_in_the_same_order(tmp_path: Path) -> None:
    """Hidden files and folders skipped, a linked folder not followed, a linked file and a folder named like
    a Markdown file handled as ``rglob`` handles them, paths ordered folder by folder ("a/b" before "a-b")."""
    kb = tmp_path / "kb"
    for rel in (
        "articles/refunds/a.md",
        "articles/refunds/sub/deep.md",
        "articles/refunds-extra/b.md",
        "articles/refunds/.hidden.md",
        "articles/.git/x.md",
        "articles/refunds/notes.txt",
        "macros/refunds/m.md",
        "macros/refunds/m.de.md",
        "outside/o.md",
    ):
        write(kb / rel, "x")
    (kb / "articles/refunds/dir.md").mkdir()
    (kb / "articles/linked").symlink_to(kb / "articles/refunds", target_is_directory=True)
    (kb / "articles/refunds/link.md").symlink_to(kb / "macros/refunds/m.md")

    def plain(base: Path) -> list[Path]:
        return sorted(
            p
            for p in base.rglob("*.md")
            if not any(part.startswith(".") for part in p.relative_to(base).parts) and p.is_file()
        )

    expected = [p for top in ("articles", "macros") for p in plain(kb / top)]
    assert [*iter_kb_files(kb), *iter_translation_files(kb)] == [
        p for p in expected if not p.name.endswith(".de.md")
    ] + [p for p in expected if p.name.endswith(".de.md")]
    assert list(kb_files(kb)) == [p.relative_to(kb).as_posix() for p in iter_kb_files(kb)]
    assert "articles/refunds/sub/deep.md" in kb_files(kb) and "articles/linked/a.md" not in kb_files(kb)
    folders = [
        p
        for top in ("articles", "macros")
        for p in [
            kb / top,
            *sorted(
                p
                for p in (kb / top).rglob("*")
                if not any(part.startswith(".") for part in p.relative_to(kb / top).parts) and p.is_dir()
            ),
        ]
    ]
    assert list(iter_kb_folders(kb)) == folders
    assert kb / "articles/linked" in folders and kb / "articles/refunds/dir.md" in folders
    assert sorted(markdown_files_under(kb, "articles/refunds")) == sorted(
        p.relative_to(kb).as_posix() for p in plain(kb / "articles/refunds")
    )
    assert markdown_files_under(kb, "articles/refunds/a.md") == [] == markdown_files_under(kb, "articles/gone")
