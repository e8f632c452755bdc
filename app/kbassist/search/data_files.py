"""The search's own YAML data files (synonyms.yaml, glossary.yaml), read through libyaml.

They ship with the package and are read at every start: PyYAML's pure-Python loader took about 60 ms of a
fresh process for the synonym list alone; libyaml's safe loader (PyYAML's C extension, the same resolver and
constructor) reads both in a few milliseconds. Where PyYAML was built without libyaml, the Python loader reads
them as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """The file's YAML, or None for an empty file."""
    return yaml.load(path.read_text("utf-8"), Loader=_LOADER)
