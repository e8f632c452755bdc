"""The small surface the CLI and the window use: update the index, suggest for a case, search, fill."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from whoosh.query import And, Term

from kbassist.content.kb_files import iter_kb_files, iter_kb_folders
from kbassist.content.model import ItemKind, ItemSummary, KbItem, Macro
from kbassist.content.translations import TranslationReader
from kbassist.search.case import CaseAnalysis, analyse_case, case_text_for_embedding
from kbassist.search.case_query import KeyTerm
from kbassist.search.confidence import decide
from kbassist.search.dense import (
    DenseScores,
    DenseTable,
    DenseUnavailableError,
    Embedder,
    build_table,
    cache_file,
    missing_count,
)
from kbassist.search.index import KbIndex, Progress, UpdateReport
from kbassist.search.language import prepare_language_model
from kbassist.search.ranking import MacroRef, Ranked, RankingContext, filed_reliance, rank_case
from kbassist.search.records import LiveLookup
from kbassist.search.replies import Reply, UnknownMacrosError, choose_language, compose_reply
from kbassist.search.results import SearchHit, Suggestion, Suggestions, TypedResults
from kbassist.search.synonyms import Synonyms, load_synonyms
from kbassist.search.text import tokenize
from kbassist.search.typed import COMPLETIONS, FEW_HITS, collect_words, search_word_queries, sure_correction

__all__ = ["SearchEngine", "SearchHit", "Suggestion", "Suggestions", "TypedResults"]  # what the faces import here

log = logging.getLogger(__name__)
T = TypeVar("T")

MIN_EMBED_WORDS = 3
_EMBEDDER_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kbassist-embed")
# Documents a suggestion may embed itself before answering (about 30 ms each): an edited article or two.
INLINE_EMBED_LIMIT = 32


def _as_counter(progress: Progress | None) -> Callable[[int, int], None] | None:
    """The index's progress callback (done, total, file) fed by the embedding's (done, total)."""
    if progress is None:
        return None
    return lambda done, total: progress(done, total, "embedding")


class SearchEngine:
    """One KB folder's index plus the ranking that uses it; safe to call from worker threads."""

    def __init__(
        self,
        kb_root: Path,
        index_root: Path | None = None,
        synonyms: Synonyms | None = None,
        embedder: Embedder | Literal[False] | None = None,
    ) -> None:
        """``embedder``: the sentence-embedding model (default: the bundled one); ``False`` ranks lexically only."""
        self.kb_root = Path(kb_root).resolve()
        self.index = KbIndex(self.kb_root, index_root)
        self.synonyms = synonyms or load_synonyms()
        self.embedder: Embedder | None = None if embedder is False else (embedder or Embedder())
        self._dense_lock = threading.Lock()
        self._dense: tuple[object, DenseTable] | None = None  # (the commit's stored documents, their vectors)
        # The commit's stored documents when too many of them lacked vectors to embed inline: counting them
        # again took 14 ms of every suggestion at 10,000 articles until ``prepare_dense`` ran.
        self._too_many_missing: object = None
        self.translations = TranslationReader(self.kb_root)
        # Each segment's macros filed by the articles they rely on (``ranking.filed_reliance``).
        self._relied_on = self.index.segment_cache(lambda reader: filed_reliance(self.index.records.briefs.get(reader)))

    def close(self) -> None:
        self.index.close()

    @property
    def closed(self) -> bool:
        return self.index.closed

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def update(self, progress: Progress | None = None, changed: Iterable[str | Path] | None = None) -> UpdateReport:
        """Bring the index in line with the KB folder; ``changed``: the files and folders a watcher saw change
        (None: look at every file)."""
        return self.index.update(progress, changed)

    def rebuild(self, progress: Progress | None = None) -> UpdateReport:
        return self.index.rebuild(progress)

    def stop_updates(self) -> None:
        """End a running index update early (keeping its work) and skip later ones: the app is quitting."""
        self.index.stop()

    def get(self, item_id: str) -> KbItem | None:
        """The article or macro with this id; a macro with the translations beside its file. Its Markdown
        is read from the index's stored fields, which may be where damage is first met."""
        item = self._reading(lambda: self.index.get(item_id))
        return self.translations.with_translations(item) if isinstance(item, Macro) else item

    # ------------------------------------------------------------------ the KB as indexed, and its files
    def items(self) -> list[KbItem]:
        """Every indexed article and macro, sorted by kind, product and title."""
        return self.index.all_items()

    def summaries(self) -> list[ItemSummary]:
        """Every indexed article and macro in brief (``ItemSummary``): what the window keeps of each."""
        return self.index.derived("summaries", self.index.records.summaries)

    def doc_count(self) -> int:
        return self.index.doc_count()

    @property
    def messages(self) -> list[str]:
        """What the index or the embedding model has to tell the associate (a rebuild, keyword-only ranking)."""
        return list(self.index.messages)

    def kb_files(self) -> list[Path]:
        """The KB's Markdown files, as the index reads them (``content.loader``: hidden files are not content)."""
        return list(iter_kb_files(self.kb_root))

    def kb_folders(self) -> list[Path]:
        """articles/, macros/ and the folders below them: where a KB file can appear (the window watches them)."""
        return list(iter_kb_folders(self.kb_root))

    def check(self) -> str | None:
        """Read the whole index; None when all of it reads, else what failed (``KbIndex.check``)."""
        return self.index.check()

    def recover(self, reason: str) -> UpdateReport:
        """Damage was found: take another process's newer index or rebuild (``KbIndex.recover``)."""
        return self.index.recover(reason)

    # ------------------------------------------------------------------ dense vectors
    def dense_table(self, wait: bool = False, progress: Progress | None = None) -> DenseTable | None:
        """The KB's vectors for the current commit, embedding only documents not seen before.

        Built outside the search lock, once per commit, from the last commit's table: an edit looks up or
        embeds only its own files. A suggestion does not wait for more than ``INLINE_EMBED_LIMIT`` documents
        to be embedded (a first run on a large KB takes minutes): it ranks lexically meanwhile, and
        ``prepare_dense()`` (run after indexing by the window and `kbassist index`) fills the cache. None
        when the model cannot be used.
        """
        embedder = self.embedder
        if embedder is None:
            return None
        if not wait and self._dense is None and self._too_much_to_embed(embedder):
            return None
        records = self.index.derived("live_briefs", lambda s: [r for _d, r in self.index.records.live_briefs(s)])
        cached = self._dense_for(records)
        if cached is not None or (not wait and records is self._too_many_missing):
            return cached
        # A suggestion never waits for an embedding under way in another thread: it ranks by words meanwhile.
        if not self._dense_lock.acquire(blocking=wait):
            return None
        try:
            cached = self._dense_for(records)
            return cached if cached is not None else self._embed_kb(records, embedder, wait, progress)
        finally:
            self._dense_lock.release()

    def _too_much_to_embed(self, embedder: Embedder) -> bool:
        """No vectors yet, none cached and more documents than a suggestion embeds itself: what ``_embed_kb``
        would find after reading every document's brief, known from the document count alone."""
        return not cache_file(embedder.version).exists() and self.index.doc_count() > INLINE_EMBED_LIMIT

    def _dense_for(self, records: object) -> DenseTable | None:
        """The vectors already built for this commit's records, if any."""
        current = self._dense
        return current[1] if current is not None and current[0] is records else None

    def _embed_kb(
        self, records: list[dict[str, Any]], embedder: Embedder, wait: bool, progress: Progress | None
    ) -> DenseTable | None:
        """Embed what the last commit's table and the cache lack (under the dense lock); None when that is too
        much to wait for, or the model cannot run (then ranking stays lexical for good, and the associate is
        told)."""
        previous = self._dense[1] if self._dense is not None else None
        try:
            if not wait and missing_count(records, embedder, previous) > INLINE_EMBED_LIMIT:
                self._too_many_missing = records
                return None
            table = build_table(
                records, embedder, self.index.stopping, _as_counter(progress), previous, self._whole_document
            )
        except DenseUnavailableError as exc:
            log.warning("%s; suggestions use keyword matching only", exc)
            self.index.messages.append(f"{exc}; suggestions use keyword matching only.")
            self.embedder = None
            return None
        if len(table.ids) == len(records):  # an embedding stopped early (quitting) is not kept
            self._dense = (records, table)
        return table

    def _whole_document(self, record: dict[str, Any]) -> dict[str, Any]:
        """A document's stored fields, Markdown included (what it is embedded from), by its record."""
        with self.index.searcher() as searcher:
            fields = searcher.document(path=record["path"])
        return dict(fields) if fields else record

    def prepare_dense(self, progress: Progress | None = None) -> bool:
        """Embed whatever the KB's vectors lack (run off the UI thread); False when the model is unavailable."""
        return self.dense_table(wait=True, progress=progress) is not None

    def embed_case(self, case: CaseAnalysis) -> np.ndarray | None:
        text = case_text_for_embedding(case)
        if self.embedder is None or sum(w.isalpha() for w in text.split()) < MIN_EMBED_WORDS:
            return None  # an ID or a greeting alone has no meaning for the model to compare
        try:
            vector: np.ndarray = self.embedder.embed([text])[0]
            return vector
        except DenseUnavailableError:
            return None

    # ------------------------------------------------------------------ cases
    def rank(
        self, case_text: str | bytes, article_limit: int = 10, macro_limit: int = 5
    ) -> tuple[CaseAnalysis, list[Ranked], list[Ranked], list[KeyTerm]]:
        """The case read, and its articles and macros ranked with the evidence behind each (no filling)."""
        case = analyse_case(case_text, self.synonyms)
        speller = self.index.speller()
        dense = self.dense_table()
        # The model runs in native code without the GIL: embedding the case while the lexical side ranks
        # uses the second core (bundled KB, field set: p95 136 -> see bench/bench_suggest_bundled.py).
        vector = _EMBEDDER_POOL.submit(self.embed_case, case) if dense is not None else None

        def similarities() -> DenseScores | None:
            embedded = vector.result() if vector is not None else None
            return (
                DenseScores(dense, dense.similarities(embedded)) if dense is not None and embedded is not None else None
            )

        with self.index.searcher() as searcher:
            reliance = self._reliance()
            cache = self.index.scoring()
            context = RankingContext(searcher, self.synonyms, speller, reliance, cache)
            articles, macros, keys = rank_case(
                context, case, similarities if dense is not None else None, article_limit, macro_limit
            )
        return case, articles, macros, keys

    def _reliance(self) -> Mapping[str, list[MacroRef]]:
        return self.index.derived("macro_reliance", lambda s: LiveLookup(s, self._relied_on))

    def warm_up(self) -> None:
        """Read now what a first suggestion reads (scoring table, briefs, links, ids, words, language and, with
        vectors, embedding models): the window does as it opens, so the first case pasted does not wait."""

        def work() -> None:
            self.index.speller()
            self.index.scoring()
            self.index.derived("docnums", self.index.records.docnums)
            self._reliance()
            prepare_language_model()
            if self.dense_table() is not None:
                self.embed_case(analyse_case("Where is the refund for my customer's order?", self.synonyms))

        self._reading(work)

    def suggest(
        self,
        case_text: str | bytes,
        agent: Mapping[str, str] | None = None,
        article_limit: int = 10,
        macro_limit: int = 5,
    ) -> Suggestions:
        case, articles, macros, keys = self._reading(lambda: self.rank(case_text, article_limit, macro_limit))
        products = list(case.products)
        result_confidence = decide(articles, products, len(keys), case.language.is_english)
        if articles and articles[0].product not in products and result_confidence == "high":
            products.append(articles[0].product)
        result = Suggestions(case, products, key_terms=keys)
        result.articles = [self._suggestion(r) for r in articles]
        for ranked in macros:
            suggestion = self._suggestion(ranked)
            item = self.get(ranked.id)
            if isinstance(item, Macro):
                reply = self.compose([item], case, agent)
                suggestion.filled, suggestion.unfilled, suggestion.lang = reply.text, reply.unfilled, reply.lang
            result.macros.append(suggestion)
        result.confidence = result_confidence
        return result

    @staticmethod
    def _suggestion(ranked: Ranked) -> Suggestion:
        return Suggestion(ranked.id, ranked.kind, ranked.title, ranked.product, ranked.score, ranked.why)

    # ------------------------------------------------------------------ replies
    def compose(
        self,
        ids: Sequence[str | Macro],
        case: CaseAnalysis | str | bytes | None = None,
        agent: Mapping[str, str] | None = None,
        lang: str | None = None,
        extra: Mapping[str, str] | None = None,
        today: dt.date | None = None,
    ) -> Reply:
        """One reply of the macros ``ids`` (ids, or macros already read) in order, filled from ``case`` (its
        text or its analysis), the associate's ``agent`` values and ``extra`` (set by hand). ``lang``: the
        language asked for; by default the case's, when every macro has it. UnknownMacrosError names every id
        that is not a macro; LanguageUnavailableError when a macro has no version in ``lang``."""
        found: dict[str, KbItem | None] = {}  # each macro once, in order
        for wanted in ids:
            if isinstance(wanted, Macro):
                found.setdefault(wanted.id, wanted)
            elif wanted not in found:
                found[wanted] = self.get(wanted)
        unknown = [i for i, item in found.items() if not isinstance(item, Macro)]
        if unknown or not found:
            raise UnknownMacrosError(unknown)
        macros = [item for item in found.values() if isinstance(item, Macro)]
        today = today or dt.date.today()
        analysis = case if isinstance(case, CaseAnalysis) else analyse_case(case or "", self.synonyms, today)
        chosen, _available = choose_language(macros, lang, analysis.language.code)
        values = analysis.entities.placeholder_values(chosen)  # amounts written for the language, dates ISO
        values.update({k: v for given in (agent, extra) for k, v in (given or {}).items() if v})
        return compose_reply(macros, values, chosen, today, analysis.entities)

    # ------------------------------------------------------------------ typed search
    def search(
        self, text: str, product: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[SearchHit]:
        return self._reading(lambda: self._search(text, product, kind, limit))

    def search_typed(
        self, text: str, product: str | None = None, kind: str | None = None, limit: int = 50, exact: bool = False
    ) -> TypedResults:
        """A typed query answered. When its unknown words are sure typos (``typed.sure_correction``) and the
        corrected words find something, the results are theirs; a less sure correction is only offered, when
        the words as typed find little. ``exact``: the words as typed, no correction."""
        correction = None if exact else self.did_you_mean(text)
        if correction and sure_correction(tokenize(text), correction.split(" ")):
            fixed = self.search(correction, product, kind, limit)
            if fixed:
                return TypedResults(text, fixed, correction, correction)
        hits = self.search(text, product, kind, limit)
        return TypedResults(text, hits, text, correction if len(hits) < FEW_HITS else None)

    def _search(self, text: str, product: str | None, kind: str | None, limit: int) -> list[SearchHit]:
        filters = [Term(name, value) for name, value in (("product", product), ("kind", kind)) if value]
        with self.index.searcher() as searcher:
            speller = self.index.speller()
            words = search_word_queries(text, self.synonyms, lambda prefix: speller.completions(prefix, COMPLETIONS))
            if not words:
                return []
            allowed = set(searcher.docs_for_query(And(filters))) if filters else None
            cache = self.index.scoring()
            hits = collect_words(searcher, words, limit, cache, allowed)
            return [SearchHit(h["id"], ItemKind(h["kind"]), h["title"], h["product"], h.score) for h in hits]

    def _reading(self, work: Callable[[], T]) -> T:
        """Run a read of the index; damage found while reading (Whoosh raises anything from a bare
        Exception("Block tag error") to struct.error) rebuilds the index, with a message, and reads again.

        Damage in the middle of a segment is not seen when the index opens; before, every search or
        suggestion that touched it failed until the cache was deleted by hand. A second failure after the
        rebuild is not damage and is raised.
        """
        try:
            return work()
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:
            if self.index.stopping():
                raise
            log.warning("search index read failed: %s: %s", type(exc).__name__, exc)
            reason = f"{type(exc).__name__}: {str(exc)[:80]}"
        self.index.recover(reason)
        return work()

    def did_you_mean(self, text: str) -> str | None:
        """A corrected query when some words are unknown to the KB but close to known ones.

        The last word is left alone while it is the start of a KB word: it is still being typed
        ("refund statem" is not a typo of "refund state")."""
        words = tokenize(text)
        if not words:
            return None
        speller = self.index.speller()
        out = [(speller.correct(w) if len(w) >= 4 and w.isalpha() else None) or w for w in words]
        if out[-1] != words[-1] and speller.completions(words[-1], 1):
            out[-1] = words[-1]
        return " ".join(out) if out != words else None
