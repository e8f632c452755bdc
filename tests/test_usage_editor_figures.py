"""What editors read of a macro's votes, its placeholders left unfilled, and an article's opens by an associate
apart from the app's own: recorded through the real recorder into a real usage file, read back as figures,
JSON and the text report."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from conftest import article, macro
from kbassist.content.loader import load_kb
from kbassist.usage import UsageRecorder, UsageStore, compute_stats, write_text

DAY = dt.date(2026, 3, 2)
MACRO = "macro-payouts-delay"
ARTICLE = "payouts-delays"


def _kb(tmp_path: Path) -> list:
    kb = tmp_path / "kb"
    article(kb, "payouts", "delays", "Payout delays", "Why payouts are late.", reviewed="2025-01-10")
    macro(kb, "payouts", "delay", "Payout delayed", "Hi {{customer_name}}, card {{last4}} on {{date}}.", f"[{ARTICLE}]")
    return list(load_kb(kb).items.values())


def test_macro_votes_unfilled_names_and_own_opens(tmp_path: Path) -> None:
    items = _kb(tmp_path)
    db = tmp_path / "usage.sqlite3"
    at = dt.datetime.combine(DAY, dt.time(10)).timestamp()
    with UsageRecorder(db, clock=lambda: at, retention_days=100_000) as rec:
        for _ in range(3):
            case = rec.new_session()
            rec.suggestion_shown(case, MACRO, "macro", 1, 4.0, "payouts")
            rec.suggestion_shown(case, ARTICLE, "article", 1, 5.0, "payouts")
            rec.article_opened(case, ARTICLE, "auto", "payouts")
            rec.macro_copied(case, MACRO, 0.1, ["last4", "date"], "suggestion", "payouts")
        rec.macro_copied(case, MACRO, 0.0, ["last4"], "suggestion", "payouts")
        rec.article_opened(case, ARTICLE, "suggestion", "payouts")
        rec.feedback(case, MACRO, True, "macro", "payouts")
        rec.feedback(case, MACRO, False, "macro", "payouts")
        rec.feedback(case, MACRO, False, "macro", "payouts")
        rec.feedback(case, ARTICLE, True, "article", "payouts")
        rec.flush(timeout=30)
        assert rec.dropped == 0
    with UsageStore(db) as store:
        stats = compute_stats(store, items, DAY, DAY, None, 365, today=DAY)
        assert {e.product for e in store.events() if e.kind == "feedback"} == {"payouts"}

    (row,) = stats.macros
    assert (row.helpful, row.not_helpful, row.copied) == (1, 2, 4)
    assert row.unfilled_placeholders == {"last4": 4, "date": 3}  # most often left first
    (art,) = stats.articles
    assert (art.opened, art.from_auto, art.from_suggestion, art.helpful, art.not_helpful) == (1, 3, 1, 1, 0)
    assert (art.owner, art.reviewed) == ("payouts-content", dt.date(2025, 1, 10))

    data = json.loads(json.dumps(stats.to_json()))
    (macro_json,) = data["macros"]
    assert (macro_json["helpful"], macro_json["not_helpful"]) == (1, 2)
    assert list(macro_json["unfilled_placeholders"].items()) == [("last4", 4), ("date", 3)]
    assert (data["articles"][0]["opened"], data["articles"][0]["from_auto"]) == (1, 3)
    assert data["stale"][0]["owner"] == "payouts-content"

    out = io.StringIO()
    write_text(stats, out)
    report = out.getvalue()
    assert "100% — last4 ×4, date ×3" in report
    assert "opened by the app" in report
