"""The command line end to end, as another program would run it, on the bundled KB."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BUNDLED_KB, article

CASE = """\
Subject: chargeback on order 5521

Hi, this is Daniel Kim from Northwind Outfitters. We just got an email that a customer disputed
a payment (dp_1OkF2aLkdIwHu7ix0Qm3Zt9X) for $212.40 as fraudulent. What do I need to send and by when?
"""


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kbassist", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One home for the module so the bundled KB is indexed once, by the first command."""
    return {"KBASSIST_HOME": str(tmp_path_factory.mktemp("cli-home"))}


def test_index_then_incremental(cli_home: dict[str, str]) -> None:
    first = json.loads(run("index", "--json", env=cli_home).stdout)
    assert first["documents"] >= 160 and first["problems"] == []
    second = json.loads(run("index", "--json", env=cli_home).stdout)
    assert second["added"] == second["changed"] == second["removed"] == 0
    assert second["unchanged"] == first["documents"]


def test_suggest_json_contract(cli_home: dict[str, str], tmp_path: Path) -> None:
    case = tmp_path / "case.txt"
    case.write_text(CASE)
    result = run("suggest", str(case), "--json", env=cli_home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"case", "articles", "macros"}
    assert {"products", "entities"} <= set(data["case"])
    assert "disputes" in data["case"]["products"]
    assert data["case"]["entities"]["customer_name"] == "Daniel Kim"
    assert 1 <= len(data["articles"]) <= 10 and 1 <= len(data["macros"]) <= 5
    for item in data["articles"]:
        assert set(item) == {"id", "title", "product", "score", "why"}
    for item in data["macros"]:
        assert set(item) == {"id", "title", "product", "score", "why", "filled", "unfilled"}
    scores = [a["score"] for a in data["articles"]]
    assert scores == sorted(scores, reverse=True)
    assert data["articles"][0]["product"] == "disputes"
    top_macro = data["macros"][0]
    assert top_macro["product"] == "disputes"
    assert "{{dispute_id}}" not in top_macro["filled"]
    assert "Daniel Kim" in top_macro["filled"]


def test_suggest_from_stdin(cli_home: dict[str, str]) -> None:
    result = run("suggest", "-", "--json", stdin="my payout po_1NvXq2LkdIwHu7ixq8pVbR4s never arrived", env=cli_home)
    data = json.loads(result.stdout)
    assert data["case"]["products"][0] == "payouts"
    assert data["articles"][0]["product"] == "payouts"


def test_suggest_warns_about_a_pasted_key_and_never_prints_it(cli_home: dict[str, str]) -> None:
    key = "sk_live_51HxQ2eZvKYlo2C0aB9cD8eF7gH6f3a9"
    case = f"My API key {key} stopped working after I pasted it in a mail. Card ending in 4242."
    text = run("suggest", "-", stdin=case, env=cli_home).stdout
    assert "WARNING: A live secret key is in the case (sk_live_…f3a9). Tell the merchant to roll" in text
    assert "Cards: •••• 4242" in text and key not in text
    data = json.loads(run("suggest", "-", "--json", stdin=case, env=cli_home).stdout)
    assert data["case"]["warnings"][0]["masked"] == "sk_live_…f3a9" and data["case"]["entities"]["last4"] == ["4242"]


def test_search_show_macro(cli_home: dict[str, str], tmp_path: Path) -> None:
    hits = json.loads(run("search", "card", "reader", "offline", "--json", env=cli_home).stdout)["results"]
    assert hits[0]["product"] == "terminal"
    shown = json.loads(run("show", hits[0]["id"], "--json", env=cli_home).stdout)
    assert (shown["id"] == hits[0]["id"] and shown["body"].startswith("\n# ")) or shown["body"].startswith("# ")
    text = run("show", hits[0]["id"], env=cli_home).stdout
    assert hits[0]["title"] in text
    macros = json.loads(run("search", "dispute", "--kind", "macro", "--json", env=cli_home).stdout)["results"]
    case = tmp_path / "case.txt"
    case.write_text(CASE)
    filled = json.loads(
        run("macro", macros[0]["id"], "--case", str(case), "--agent", "Robin", "--json", env=cli_home).stdout
    )
    assert "Robin" in filled["text"]
    assert "agent_name" not in filled["unfilled"]


def test_did_you_mean(cli_home: dict[str, str]) -> None:
    data = json.loads(run("search", "chargbeack", "evidnce", "--json", env=cli_home).stdout)
    assert data["did_you_mean"] is not None
    assert "evidence" in data["did_you_mean"]
    # The results are for the corrected words, and the words as typed stay one option away.
    assert data["showing_results_for"] == data["did_you_mean"] and data["query"] == "chargbeack evidnce"
    assert data["results"][0]["id"] == "disputes-submitting-evidence"
    text = run("search", "chargbeack", "evidnce", env=cli_home).stdout
    assert text.startswith(f"Showing results for: {data['did_you_mean']}") and "No results" not in text
    exact = json.loads(run("search", "--exact", "chargbeack", "evidnce", "--json", env=cli_home).stdout)
    assert exact["showing_results_for"] == "chargbeack evidnce" and exact["results"] == []


COMPOSED_CASE = """Subject: a refund and a chargeback

Hi, this is Daniel Kim. A customer disputed a payment (dp_1OkF2aLkdIwHu7ix0Qm3Zt9X) for $212.40, and another
asks where her refund re_3PqAbCdEfGh12345 is; it was issued on Feb 25 to her card ending 4242.
The dispute says respond by March 3, 2026.
"""


def test_macro_composes_several_macros_into_one_reply(cli_home: dict[str, str], tmp_path: Path) -> None:
    case = tmp_path / "case.txt"
    case.write_text(COMPOSED_CASE)
    ids = ["macro-refunds-refund-issued-timeline", "macro-disputes-dispute-received-next-steps"]
    result = run("macro", *ids, "--case", str(case), "--agent", "Robin", "--json", env=cli_home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"ids", "lang", "text", "html", "filled", "unfilled"}
    assert data["ids"] == ids and data["lang"] == "en" and data["unfilled"] == []
    text = data["text"]
    assert text.startswith("Hi Daniel Kim,") and text.count("Best regards") == 1 and text.endswith("Robin")
    assert text.index("re_3PqAbCdEfGh12345") < text.index("dp_1OkF2aLkdIwHu7ix0Qm3Zt9X")
    assert "The deadline to respond is March 3, 2026." in text and "**" not in text
    assert data["filled"]["deadline_date"] == "March 3, 2026" and "<strong>" in data["html"]
    plain = run("macro", *ids, "--case", str(case), "--agent", "Robin", env=cli_home)
    assert plain.stdout.strip() == text and plain.stderr == ""


def test_macro_plain_text_drops_markdown(cli_home: dict[str, str]) -> None:
    result = run("macro", "macro-refunds-partial-refund-how-to", "--agent", "Robin", env=cli_home)
    assert "with an amount in the smallest currency unit" in result.stdout and "`" not in result.stdout
    assert "unfilled placeholders: customer_name" not in result.stderr  # it has a default
    assert "charge_id" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["macro", "no-such-macro", "refunds-refund-timeline"],
            "no macro with id 'no-such-macro'; 'refunds-refund-timeline' is an article, not a macro",
        ),
        (
            ["macro", "macro-refunds-refund-issued-timeline", "--lang", "ja"],
            "no 'ja' version of macro-refunds-refund-issued-timeline; the reply can be written in: en",
        ),
        (["macro", "macro-refunds-refund-issued-timeline", "--lang", "german"], "unknown language code 'german'"),
        (["macro", "macro-refunds-refund-issued-timeline", "--set", "amount"], "--set takes NAME=VALUE"),
        (["macro"], "the following arguments are required: ID"),
    ],
)
def test_macro_errors_say_what_is_wrong(args: list[str], message: str, cli_home: dict[str, str]) -> None:
    result = run(*args, env=cli_home)
    assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr


def test_lint_exit_codes(tmp_path: Path, cli_home: dict[str, str]) -> None:
    ok = run("lint", "--kb", str(BUNDLED_KB), env=cli_home)
    assert ok.returncode == 0, ok.stdout
    kb = tmp_path / "kb"
    article(kb, "refunds", "good", "Good", "Refunds take time.")
    (kb / "articles/refunds/bad.md").write_text("---\nid: [oops\n---\n")
    bad = run("lint", "--kb", str(kb), "--json", env=cli_home)
    assert bad.returncode == 1
    problems = json.loads(bad.stdout)["problems"]
    assert problems[0]["file"] == "articles/refunds/bad.md" and "bad YAML" in problems[0]["reason"]
    indexed = json.loads(run("index", "--kb", str(kb), "--json", env=cli_home).stdout)
    assert indexed["documents"] == 1 and indexed["problems"][0]["file"] == "articles/refunds/bad.md"


def test_kb_from_environment(tmp_path: Path, cli_home: dict[str, str]) -> None:
    kb = tmp_path / "kb"
    article(kb, "tax", "only", "Only article", "VAT reverse charge.")
    data = json.loads(run("search", "vat", "--json", env={**cli_home, "KBASSIST_KB": str(kb)}).stdout)
    assert [r["id"] for r in data["results"]] == ["tax-only"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["frobnicate"], "invalid choice"),
        (["show"], "the following arguments are required: id"),
        (["show", "no-such-id"], "no article or macro with id 'no-such-id'"),
        (["suggest", "/no/such/case.txt"], "case file not found"),
        (["search", "x", "--kb", "/no/such/kb"], "KB folder not found"),
        (["macro", "no-such-macro"], "no macro with id 'no-such-macro'"),
    ],
)
def test_bad_command_lines_give_a_message_not_a_traceback(
    args: list[str], message: str, cli_home: dict[str, str]
) -> None:
    result = run(*args, env=cli_home)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_no_display_gives_one_line_not_an_abort(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [sys.executable, "-m", "kbassist"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "no display" in result.stderr and "kbassist suggest" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_never_sends_terminal_escapes(cli_home: dict[str, str], tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    article(kb, "refunds", "esc", "Refund title", "Body \x1b]0;owned\x07 \x1b[2J\x1b[31mred\x1b[0m text")
    result = run("show", "refunds-esc", "--kb", str(kb), env=cli_home)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "red" in result.stdout and "text" in result.stdout


def test_json_output_escapes_c1_controls(cli_home: dict[str, str], tmp_path: Path) -> None:
    """U+009B is CSI to a terminal; before, --json printed it raw."""
    kb = tmp_path / "kb"
    article(kb, "refunds", "csi", "Refund title", "Body \x9b2J \x9b31mred\x7f text")
    result = run("show", "refunds-csi", "--json", "--kb", str(kb), env=cli_home)
    assert result.returncode == 0, result.stderr
    assert not any("\x7f" <= ch <= "\x9f" for ch in result.stdout)
    shown = json.loads(result.stdout)
    assert "\x9b2J" in json.dumps(shown, ensure_ascii=False)  # the value is kept, only its printing is escaped


def test_eval_outside_a_checkout_says_where_the_cases_are(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An installed package has no tests/ folder; before, `kbassist eval` failed on a path inside it."""
    from kbassist import cli, eval_command

    monkeypatch.setattr(eval_command, "DEFAULT_CASES", tmp_path / "site-packages" / "tests" / "eval" / "cases.yaml")
    assert cli.main(["eval"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "source checkout" in err and "--cases FILE" in err
    assert cli.main(["eval", "--cases", str(tmp_path / "mine.yaml")]) == 2
    assert "evaluation cases not found" in capsys.readouterr().err
