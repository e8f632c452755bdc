"""Usage events and statistics. No Qt here.

``UsageRecorder`` is what the window calls (it never blocks on disk); ``UsageStore`` is the SQLite file;
``compute_stats`` turns the events into the editors' figures; ``redact`` and ``edit_ratio`` are the two
pieces of judgement the recorder's callers may want on their own. ``EventKind`` and ``Source`` are the
events' vocabularies (``kbassist.content.model.ItemKind`` the items').
"""

from kbassist.usage.events import ARTICLE_SOURCES, MACRO_SOURCES, Event, EventKind, Source
from kbassist.usage.metrics import edit_ratio
from kbassist.usage.recorder import UsageRecorder
from kbassist.usage.redact import find_names, names_to_redact, redact, redact_names
from kbassist.usage.report import MACRO_COLUMNS, write_macros_csv, write_text
from kbassist.usage.schema import SCHEMA_VERSION
from kbassist.usage.stats import compute_stats
from kbassist.usage.stats.records import (
    ArticleStats,
    Gap,
    MacroStats,
    RankingMiss,
    StaleArticle,
    Stats,
    UnusedItem,
    WeekTrend,
)
from kbassist.usage.store import StoreCorruptError, StoreUnavailableError, UsageStore, UsageStoreError

__all__ = [
    "ARTICLE_SOURCES",
    "MACRO_COLUMNS",
    "MACRO_SOURCES",
    "SCHEMA_VERSION",
    "ArticleStats",
    "Event",
    "EventKind",
    "Gap",
    "MacroStats",
    "RankingMiss",
    "Source",
    "StaleArticle",
    "Stats",
    "StoreCorruptError",
    "StoreUnavailableError",
    "UnusedItem",
    "UsageRecorder",
    "UsageStore",
    "UsageStoreError",
    "WeekTrend",
    "compute_stats",
    "edit_ratio",
    "find_names",
    "names_to_redact",
    "redact",
    "redact_names",
    "write_macros_csv",
    "write_text",
]
