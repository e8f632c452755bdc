"""Index, case analysis and ranking. No Qt here."""

from kbassist.search.engine import SearchEngine, SearchHit, Suggestion, Suggestions
from kbassist.search.index import KbIndex, UpdateReport

__all__ = ["KbIndex", "SearchEngine", "SearchHit", "Suggestion", "Suggestions", "UpdateReport"]
