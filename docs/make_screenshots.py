"""Regenerate the README screenshots from the real window, offscreen, on the bundled KB.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py

Uses a throw-away KBASSIST_HOME so nothing touches the user's folders.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KBASSIST_HOME"] = tempfile.mkdtemp(prefix="kbassist-shots-")

from PySide6.QtCore import QEventLoop, QTimer

from kbassist.settings import Settings, save_settings
from kbassist.ui.app import build_window, make_application

DOCS = Path(__file__).resolve().parent
CASE = """\
From: Daniel Kim <daniel@northwind-outfitters.com>
Subject: Chargeback on order #5521 - what do I do??

Hi, this is Daniel Kim from Northwind Outfitters. We just got an email that a customer disputed
a payment (dp_1OkF2aLkdIwHu7ix0Qm3Zt9X) for $212.40 and the bank already took the money back.
The order was delivered with tracking. What evidence do I need to send, and what's the deadline?
Do we lose the fee too?

Thanks,
Daniel Kim
Northwind Outfitters | +1 415 555 0142
"""

TWO_QUESTIONS = """\
From: Daniel Kim <daniel@northwind-outfitters.com>
Subject: Re: order #5521 - refund missing, and a chargeback on top

Hello again. The refund re_3OkF2aLkdIwHu7ix0abcDEF1 ($212.40, sent on March 3) has still not reached our
customer, and this morning they opened a chargeback too: dp_1OkF2aLkdIwHu7ix0Qm3Zt9X. How do we handle both?

Daniel Kim
Northwind Outfitters
"""


def spin(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def simulate_history(window: object, weeks: int = 10, seed: int = 7) -> None:
    """Record a plausible history (the eval cases replayed over some weeks) for the Stats screenshot."""
    import random
    import time

    from kbassist import paths
    from kbassist.evaluation.tickets import load_cases
    from kbassist.usage import UsageRecorder

    rng = random.Random(seed)
    cases = load_cases(DOCS.parent / "tests/eval/cases.yaml")
    now = time.time()
    clock_value = [now - weeks * 7 * 86400]
    recorder = UsageRecorder(paths.usage_db(), clock=lambda: clock_value[0])
    engine = window.engine
    for _ in range(weeks * 25):
        clock_value[0] += weeks * 7 * 86400 / (weeks * 25)
        case = rng.choice(cases)
        result = engine.suggest(case.text)
        session = recorder.new_session()
        for rank, item in enumerate(result.articles[:5], 1):
            recorder.suggestion_shown(session, item.id, "article", rank, item.score, item.product)
        for rank, item in enumerate(result.macros, 1):
            recorder.suggestion_shown(session, item.id, "macro", rank, item.score, item.product)
        if not case.articles:
            recorder.none_fit(session, [k.surface for k in result.key_terms[:5]])
            continue
        if result.articles:
            top = result.articles[0]
            recorder.article_opened(session, top.id, "auto" if rng.random() < 0.4 else "suggestion", top.product)
            if rng.random() < 0.08:
                recorder.feedback(session, top.id, False, "article", top.product)
        chosen = next((m for m in result.macros[:3] if m.id in case.macros), None)
        if chosen and rng.random() < 0.8:
            _copy(recorder, session, chosen, engine.get(chosen.id), rng)
        elif case.macros and rng.random() < 0.5:
            recorder.search(session, rng.choice(["refund", "payout late", "dispute fee"]), 6)
            recorder.macro_copied(session, case.macros[0], round(rng.random() * 0.5, 3), [], "search")
        elif rng.random() < 0.3:
            query = rng.choice(["klarna refund", "crypto custody", "apple pay on web", "Crypto custody?", "ord_88127"])
            recorder.search(session, query, 0)
    recorder.close()


def _copy(recorder: Any, session: str, chosen: Any, macro: Any, rng: Any) -> None:
    """A suggested macro previewed and copied, now and then with a placeholder left, now and then voted on."""
    recorder.macro_previewed(session, chosen.id, "suggestion", chosen.product)
    left = rng.sample(list(macro.placeholders), k=1) if macro.placeholders and rng.random() < 0.15 else []
    recorder.macro_copied(session, chosen.id, round(rng.random() * 0.3, 3), left, "suggestion", chosen.product)
    if rng.random() < 0.1:
        recorder.feedback(session, chosen.id, rng.random() < 0.7, "macro", chosen.product)


def main() -> int:
    save_settings(Settings(agent_name="Robin Park"))
    make_application()
    window = build_window()
    window.resize(1440, 900)
    window.show()
    while window.index.running or window.index.last_report is None:
        spin(50)
    window.case_input.setPlainText(CASE)
    window.case_input.flush()
    spin(1200)
    macro_id = "macro-disputes-dispute-received-next-steps"
    ids = [r.id for r in window.macro_model.rows()]
    if macro_id in ids:
        window.lists.select(window.macro_list, ids.index(macro_id))
    spin(300)
    window.grab().save(str(DOCS / "screenshot-main.png"))

    window.article_pane.show_item(window.engine.get("disputes-submitting-evidence"), "suggestion")
    window.article_pane.show_find()
    window.article_pane.find_box.setText("deadline")
    spin(300)
    window.grab().save(str(DOCS / "screenshot-article.png"))
    window.article_pane.hide_find()

    window.macro_panel.set_field("deadline_date", "December 3, 2026")
    window.macro_panel.preview.setFocus()
    spin(300)
    window.macro_panel.grab().save(str(DOCS / "screenshot-macro.png"))

    # A reply composed of two macros for a case that asks two things.
    window.new_case()
    window.case_input.setPlainText(TWO_QUESTIONS)
    window.case_input.flush()
    spin(1500)
    window.composer.show_macro(window.engine.get("macro-refunds-refund-issued-timeline"), "suggestion")
    window.composer.add_macro(window.engine.get("macro-disputes-dispute-received-next-steps"))
    spin(300)
    window.macro_panel.grab().save(str(DOCS / "screenshot-reply.png"))

    simulate_history(window)
    window.show_stats()
    view = window.stats_view
    view.resize(1360, 860)
    while view.stats is None or view.stats.events == 0:
        spin(100)
    spin(400)
    view.grab().save(str(DOCS / "screenshot-stats.png"))
    view.close()
    window.close()
    print(f"screenshots written to {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
