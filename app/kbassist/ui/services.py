"""What the window is handed besides the engine and the settings: built once in ``ui/app.py``.

The window and its panes reach the core only through these, the ``SearchEngine`` and ``Settings``: no
widget asks ``paths`` where a file lives (the theme's icons and the settings dialog's "bundled KB" hint
still do: they name what ships with the package, not the associate's folders). A test builds its own,
with every folder under its temporary home.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kbassist.search.engine import SearchEngine
from kbassist.usage import UsageRecorder


@dataclass(frozen=True, slots=True)
class Services:
    recorder: UsageRecorder  # usage events; never blocks
    engine_factory: Callable[[Path], SearchEngine]  # the engine on another KB folder (Settings → KB folder)
    resolve_kb: Callable[[str | None], Path]  # a KB folder setting → the folder ("": KBASSIST_KB, then bundled)
    settings_file: Path  # where the associate's settings are saved
    usage_db: Path  # what the Stats view reads
    config_dir: Path  # window.ini: geometry and splitters
    data_dir: Path  # named in About
    # How long a window on an index that already holds documents waits before checking the KB folder against
    # it (an empty index is built at once). A case pasted as the window opens is answered first, alone: at
    # 10,000 articles the check (listing 15,000 files, then the item list) held the index and half the CPU
    # for about a second, and the first case's suggestions came 1.8 s after start instead of about 1.1 s.
    start_check_delay_ms: int = 1500
