"""Merge the field-case files of the case writers (tests/eval/field/part*.yaml, removed once merged) into
tests/eval/field.yaml, and split it once.

The split is drawn with a fixed seed over the case ids sorted, stratified by product area so every product
has cases on both sides: about 60 % `tune` (the only cases ranking and confidence may be tuned on) and
40 % `test` (measured at the end; its figures are the honest ones). Run once, before the first
measurement; a case added later keeps the split of those already in the file.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

import yaml

SEED = 20261201
TUNE_SHARE = 0.6
ORDER = (
    "id",
    "split",
    "source",
    "language",
    "style",
    "products",
    "out_of_scope",
    "articles",
    "macros",
    "kb_gap",
    "name",
    "text",
)


class _Literal(str):
    pass


def _literal(dumper: yaml.Dumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")


def write_set(cases: list[dict], out: Path) -> None:
    """Write the set in a fixed key order, texts as literal blocks, under the header."""
    yaml.add_representer(_Literal, _literal)
    ordered = []
    for case in sorted(cases, key=lambda c: c["id"]):
        row = {k: case[k] for k in ORDER if k in case}
        row.update({k: v for k, v in case.items() if k not in row})
        row["text"] = _Literal(str(row["text"]).rstrip() + "\n")
        ordered.append(row)
    header = (Path(__file__).with_name("field_header.txt")).read_text("utf-8")
    out.write_text(header + yaml.dump(ordered, allow_unicode=True, sort_keys=False, width=110), "utf-8")


def main(parts_dir: Path, out: Path) -> int:
    cases = []
    seen_sources: set[str] = set()
    for part in sorted(parts_dir.glob("part*.yaml")):
        for case in yaml.safe_load(part.read_text("utf-8")) or []:
            # Two writers sometimes rewrote the same report; one rewrite is kept, so tune and test never share one.
            if case["source"] not in seen_sources:
                seen_sources.add(case["source"])
                cases.append(case)
    existing = {c["id"]: c.get("split") for c in (yaml.safe_load(out.read_text("utf-8")) or [])} if out.exists() else {}
    by_group: dict[str, list[dict]] = defaultdict(list)
    for case in sorted(cases, key=lambda c: c["id"]):
        group = "out-of-scope" if case.get("out_of_scope") else (case.get("products") or ["?"])[0]
        by_group[group].append(case)
    rng = random.Random(SEED)
    for group in sorted(by_group):
        members = [c for c in by_group[group] if c["id"] not in existing]
        rng.shuffle(members)
        n_tune = round(len(members) * TUNE_SHARE)
        for i, case in enumerate(members):
            case["split"] = "tune" if i < n_tune else "test"
    for case in cases:
        if case["id"] in existing:
            case["split"] = existing[case["id"]]
    write_set(cases, out)
    print(f"{len(cases)} cases -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from kbassist.evaluation.sets import EVAL_DIR, FIELD_SET

    sys.exit(main(EVAL_DIR / "field", FIELD_SET))
