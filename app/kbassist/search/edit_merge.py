"""The small segments edits leave, merged in the background once there are enough of them.

Each saved edit commits a segment of its own, so it is searchable at once. Whoosh's default merge policy
(``MERGE_SMALL``, by Fibonacci sizes) merged in the edit's own commit and also pulled a full build's smaller
segments in: at 10,000 articles every fifth edit took 0.7 to 3.6 s instead of 0.15-0.2 s. Here an edit's
commit never merges; once ``MERGE_EDITS_AT`` edits' segments exist and the index has had no update for
``MERGE_QUIET`` seconds, a thread of the index merges those (and only those) into one. Merging a one-document
segment costs Whoosh about 80 ms (it walks every term of it), so eight are merged at a time: often enough
that a search does not walk many segments, rarely enough that the work stays off the edits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from kbassist.search.segment_cache import segment_readers
from kbassist.search.segment_files import open_segment
from kbassist.search.sync import WRITER_TIMEOUT, UpdateReport

log = logging.getLogger(__name__)

EDIT_SEGMENT_DOCS = 64  # a segment this small was written by edits (a full build's hold 128 documents and more)
MERGE_EDITS_AT = 8  # edits' segments kept apart before they are merged into one
MERGE_QUIET = 5.0  # seconds without an update before the merge runs


def edit_segments(searcher: Searcher) -> int:
    """How many of the searcher's segments were written by edits."""
    return sum(r.doc_count_all() <= EDIT_SEGMENT_DOCS for r in segment_readers(searcher))


def merge_edit_segments(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy (``writer.commit(mergetype=...)``): the edits' small segments into one, never a
    build's; the segments left as they are."""
    small = [s for s in segments if s.doc_count_all() <= EDIT_SEGMENT_DOCS]
    if len(small) < 2:
        return segments
    for segment in small:
        reader = open_segment(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if all(s is not m for m in small)]


def merge_edits(ix: FileIndex | None) -> UpdateReport:
    """Merge the edits' segments of ``ix`` in a commit of their own (the index's build lock held)."""
    if ix is not None:
        ix.writer(timeout=WRITER_TIMEOUT).commit(mergetype=merge_edit_segments)
    return UpdateReport()


class BackgroundMerge:
    """Runs ``merge`` on a thread of its own once the index has been quiet for ``quiet`` seconds (every
    ``request`` restarts the wait: a burst of saves is not slowed by a merge between them); ``close`` drops
    a merge not yet begun and waits for one under way."""

    def __init__(self, merge: Callable[[], None], quiet: float = MERGE_QUIET) -> None:
        self._merge = merge
        self.quiet = quiet
        self._requested = time.monotonic()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def request(self) -> None:
        with self._lock:
            self._requested = time.monotonic()
            if self._closing.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name="kbassist-merge-edits", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (left := self._requested + self.quiet - time.monotonic()) > 0:
            if self._closing.wait(left):
                return
        try:
            self._merge()
        except Exception as exc:  # tidying only: the index stays as it was, every edit in it
            log.warning("merging the edits' segments failed (%s: %s); they stay apart", type(exc).__name__, exc)

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()
