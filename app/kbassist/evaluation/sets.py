"""Where the labelled cases are: ``tests/eval`` of the source checkout, the one place that resolves them.

The bundled KB is read from beside ``app/`` in a checkout and from inside the package once installed; the
test folder does not travel with the package, so after ``pip install .`` these files do not exist and
``kbassist eval`` asks for ``--cases FILE``.
"""

from __future__ import annotations

from kbassist import paths

EVAL_DIR = paths.bundled_kb().parent / "tests" / "eval"
DEFAULT_CASES = EVAL_DIR / "cases.yaml"  # the tuning set of tickets: `kbassist eval` without --cases
HOLDOUT_CASES = EVAL_DIR / "holdout.yaml"  # tickets written by people who never saw the KB
FIELD_SET = EVAL_DIR / "field.yaml"  # cases rewritten from real public reports, split into tune and test
