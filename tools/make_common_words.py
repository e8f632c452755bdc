"""Regenerate app/kbassist/search/common_words.txt: everyday English words that say little about a case.

A word is "common" when it is among the 2,000 most frequent English words (wordfreq) and is not
markedly more frequent in the bundled KB than in general English (a KB/English frequency ratio under
RATIO). Words like "payout", "refund", "bank" or "declined" stay topical; "guys", "couple", "taking"
do not. The list is data, checked in; wordfreq is needed only to regenerate it:

    python -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq pyyaml
    /tmp/wf/bin/python tools/make_common_words.py
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from wordfreq import top_n_list, word_frequency

REPO = Path(__file__).resolve().parents[1]
RATIO = 4.0
TOP = 2000


def main() -> None:
    counts: Counter[str] = Counter()
    for path in (REPO / "kb").rglob("*.md"):
        counts.update(w.lower() for w in re.findall(r"[A-Za-z']+", path.read_text("utf-8")))
    total = sum(counts.values())
    common = []
    for word in top_n_list("en", TOP):
        if not word.isalpha():
            continue
        kb_freq = counts[word] / total
        if kb_freq < RATIO * word_frequency(word, "en"):
            common.append(word)
    out = REPO / "app/kbassist/search/common_words.txt"
    header = (
        "# Everyday English words that say little about a support case (see tools/make_common_words.py).\n"
        f"# {len(common)} words: top {TOP} English words whose KB frequency is under {RATIO}x their English one.\n"
    )
    out.write_text(header + "\n".join(sorted(common)) + "\n", "utf-8")
    print(f"{len(common)} common words written to {out}")


if __name__ == "__main__":
    main()
