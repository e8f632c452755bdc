"""``kbassist stats`` end to end, as a separate process on the bundled KB with usage recorded beforehand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbassist import paths
from kbassist.usage import UsageRecorder

PRICE = "macro-payment-links-change-price"
REACTIVATE = "macro-payment-links-reactivate-link"
EXPORT = "macro-reporting-how-to-export-transactions"
ARTICLE = "payment-links-quantity-and-pricing"
LINKS = "payment-links"  # their product, recorded with each suggestion as the window records it
TODAY = dt.date.today()
EARLY = TODAY - dt.timedelta(days=10)
LATE = TODAY - dt.timedelta(days=2)


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kbassist", "stats", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "KBASSIST_HOME": str(home)},
    )


def _noon(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(12)).timestamp()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home with three recorded cases; the bundled KB gets indexed by the first command."""
    home = tmp_path_factory.mktemp("stats-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KBASSIST_HOME", str(home))
        db = paths.usage_db()
    now = [_noon(EARLY)]
    with UsageRecorder(db, clock=lambda: now[0]) as rec:
        first = rec.new_session()
        rec.suggestion_shown(first, ARTICLE, "article", 1, 9.0, LINKS)
        rec.suggestion_shown(first, PRICE, "macro", 1, 8.0, LINKS)
        rec.suggestion_shown(first, REACTIVATE, "macro", 2, 6.0, LINKS)
        rec.macro_copied(first, PRICE, 0.2, 1, "suggestion")
        rec.search(first, "bnpl 4242 4242 4242 4242", 0)
        now[0] = _noon(LATE)
        second = rec.new_session()
        rec.suggestion_shown(second, ARTICLE, "article", 1, 9.0, LINKS)
        rec.suggestion_shown(second, PRICE, "macro", 1, 8.0, LINKS)
        rec.suggestion_shown(second, REACTIVATE, "macro", 2, 6.0, LINKS)
        rec.macro_copied(second, PRICE, 0.0, 0, "suggestion")
        rec.article_opened(second, ARTICLE, "suggestion")
        rec.feedback(second, ARTICLE, False)
        rec.macro_copied(second, EXPORT, 0.5, 0, "search")
        rec.none_fit(rec.new_session(), ["crypto"])
    yield home


def test_json(home: Path) -> None:
    result = run(home, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"macros", "gaps", "stale", "unused"} <= set(data)
    macros = {m["id"]: m for m in data["macros"]}
    price = macros[PRICE]
    assert (price["suggested"], price["copied"], price["copy_rate"], price["median_edit_ratio"]) == (2, 2, 1.0, 0.1)
    assert price["last_used"] == LATE.isoformat() and price["unfilled_share"] == 0.5
    assert (macros[REACTIVATE]["suggested"], macros[REACTIVATE]["copied"], macros[REACTIVATE]["copy_rate"]) == (2, 0, 0)
    assert [m["id"] for m in data["missed"]] == [EXPORT]
    gaps = {(g["product"], g["terms"]): (g["searches"], g["none_fit"], g["examples"]) for g in data["gaps"]}
    assert gaps == {(LINKS, "bnpl"): (1, 0, ["bnpl [card]"]), ("", "crypto"): (0, 1, ["crypto"])}
    article = next(a for a in data["articles"] if a["id"] == ARTICLE)
    assert (article["opened"], article["not_helpful"]) == (1, 1)
    unused = {u["id"] for u in data["unused"]}
    assert PRICE not in unused and REACTIVATE in unused and ARTICLE not in unused
    assert len(unused) > 150  # the rest of the bundled KB
    assert all("macros" in s and "reviewed" in s for s in data["stale"])
    assert "4242" not in result.stdout


def test_json_with_filters(home: Path) -> None:
    data = json.loads(run(home, "--json", "--since", (EARLY + dt.timedelta(days=1)).isoformat()).stdout)
    assert {m["id"]: m["copied"] for m in data["macros"]}[PRICE] == 1
    assert {g["terms"] for g in data["gaps"]} == {"crypto"}
    data = json.loads(run(home, "--json", "--product", "payment-links", "--until", EARLY.isoformat()).stdout)
    assert {m["id"] for m in data["macros"]} == {PRICE, REACTIVATE}
    assert [g["terms"] for g in data["gaps"]] == ["bnpl"]
    assert {u["product"] for u in data["unused"]} == {"payment-links"}


def test_csv(home: Path) -> None:
    result = run(home, "--csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {PRICE, REACTIVATE, EXPORT}
    assert (by_id[PRICE]["copied"], by_id[PRICE]["copy_rate"], by_id[PRICE]["median_edit_ratio"]) == ("2", "1", "0.1")
    assert by_id[PRICE]["last_used"] == LATE.isoformat()
    assert by_id[REACTIVATE]["median_edit_ratio"] == "" and by_id[REACTIVATE]["copy_rate"] == "0"


def test_plain_text(home: Path) -> None:
    result = run(home)
    assert result.returncode == 0, result.stderr
    titles = [line for line in result.stdout.splitlines() if line.endswith(")") and "first" in line]
    assert [t.split(",")[0] for t in titles[:2]] == ["Macros", "Articles"] and titles[0].endswith("(3)")
    assert PRICE in result.stdout and "Content gaps, the most asked first (2)" in result.stdout
    assert "bnpl [card]" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "not a date"),
        (["--until", "yesterday"], "not a date"),
        (["--since", "2026-05-02", "--until", "2026-05-01"], "is after"),
        (["--json", "--csv"], "one of --json and --csv"),
        (["--product", "bitcoin"], "unknown product"),
    ],
)
def test_bad_input_is_a_message(home: Path, args: list[str], message: str) -> None:
    result = run(home, *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_no_usage_yet_creates_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["macros"] == [] and data["gaps"] == [] and data["sessions"] == 0
    assert not (tmp_path / "data").exists()


def test_a_damaged_database_is_reported_and_left_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "data" / "usage.sqlite3"
    db.parent.mkdir(parents=True)
    damaged = b"SQLite format 3\x00" + b"\xff" * 8192
    db.write_bytes(damaged)
    result = run(tmp_path, "--json")
    assert result.returncode == 1
    assert "cannot read usage data" in result.stderr and "left as it is" in result.stderr
    assert db.read_bytes() == damaged
    assert sorted(p.name for p in db.parent.iterdir()) == ["usage.sqlite3"]  # nothing moved aside or created


def test_two_processes_opening_a_new_database_at_once_both_get_the_schema(tmp_path: Path) -> None:
    """The version is read inside the migration's own transaction: before, one of two writers racing on a
    new file died on 'table events already exists' in 5 of 12 runs."""
    script = (
        "import sys, time; from kbassist.usage.store import UsageStore\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # all start together\n"
        "s = UsageStore(sys.argv[1]); print(s.schema_version); s.close()\n"
    )
    for round_ in range(6):
        db = tmp_path / f"race-{round_}.sqlite3"
        start = str(time.time() + 2.0)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(db), start],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = [p.communicate(timeout=60) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err for _out, err in outputs]
        assert len({out.strip() for out, _err in outputs}) == 1
