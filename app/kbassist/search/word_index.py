"""One segment's words for "did you mean" as sorted arrays, kept beside the index and mapped at the next start.

"Did you mean" (``spelling.py``) stores every KB word worth correcting under each of its one-letter
deletions (a symmetric-delete index, as in SymSpell). Built as Python dicts, that index of a KB of 15,000
documents (45,000 words, 360,000 deletions) took 0.5 s and 90 MiB at every start, after 1.2 s counting the
words again from Whoosh's column, and nearly every case needs it (a name or a typo the KB does not know).
Here the words and their deletions are arrays: each word and each deletion under a 64-bit hash of its text,
sorted, so a lookup is a binary search (``np.searchsorted``, all of a word's probes at once), and a match is
checked against the word itself, so a hash that collides finds nothing it should not. A segment never
changes, so its arrays are written once beside its scoring table (``scoring/<segment>.words``) and mapped
at every later start: a few milliseconds, and memory only for the pages a lookup touches.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kbassist.search import array_file

log = logging.getLogger(__name__)

MAGIC = b"KBWORDS1"
VERSION = 1
SUFFIX = ".words"
HEAD_BYTES = 8  # a word's first bytes, as one 64-bit number, find the completions of a prefix this long


def text_hash(text: str) -> int:
    """A 64-bit hash of ``text`` that is the same in every process (Python's own ``hash`` is salted)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def text_hashes(texts: Iterable[str]) -> np.ndarray:
    return np.fromiter((text_hash(t) for t in texts), dtype=np.uint64)


def deletes(word: str) -> set[str]:
    """The word with one letter left out, each way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def correctable(word: str) -> bool:
    """A word a typo may become: three letters or more, letters only."""
    return len(word) >= 3 and word.isalpha()


class _Words(Sequence[bytes]):
    """The sorted words, each as its UTF-8 bytes (whose order is the words' order), read from the blob."""

    def __init__(self, blob: np.ndarray, ends: np.ndarray) -> None:
        self._blob = blob
        self._ends = ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> bytes:  # type: ignore[override]  # slices are not needed
        start = int(self._ends[i - 1]) if i else 0
        return self._blob[start : int(self._ends[i])].tobytes()


class WordIndex:
    """Words with their document frequencies; those worth correcting also findable by their one-letter
    deletions."""

    def __init__(self, words: Iterable[tuple[str, int]] = (), arrays: dict[str, np.ndarray] | None = None) -> None:
        """``words``: (word, document frequency) pairs; or ``arrays``, as ``save`` wrote them."""
        self.arrays = arrays if arrays is not None else _build(words)
        self._words = _Words(self.arrays["words.blob"], self.arrays["words.ends"])
        self._heads: np.ndarray | None = None  # ``_word_heads``, made at the first completion asked for

    def __len__(self) -> int:
        return len(self._words)

    def word(self, i: int) -> str:
        return self._words[i].decode("utf-8")

    def _find(self, word: str, hashed: int) -> int | None:
        """The position of ``word`` among the sorted words, or None."""
        hashes, order = self.arrays["words.hash"], self.arrays["words.order"]
        at = int(np.searchsorted(hashes, np.uint64(hashed)))
        encoded = word.encode("utf-8")
        while at < len(hashes) and int(hashes[at]) == hashed:
            if self._words[int(order[at])] == encoded:
                return int(order[at])
            at += 1
        return None

    def count(self, word: str) -> int:
        """The number of documents holding ``word`` (0: none), whatever the word."""
        found = self._find(word, text_hash(word))
        return 0 if found is None else int(self.arrays["words.counts"][found])

    def frequency(self, word: str) -> int:
        """As ``count``, for the words a typo may become; 0 for the others."""
        found = self._find(word, text_hash(word))
        if found is None or not self.arrays["words.correctable"][found]:
            return 0
        return int(self.arrays["words.counts"][found])

    def knows(self, word: str) -> bool:
        return self.frequency(word) > 0

    def candidates(self, probes: Sequence[str], hashes: np.ndarray) -> set[str]:
        """The words a typo may become that are among ``probes`` or have one of them as a one-letter deletion
        (``hashes``: the probes' ``text_hash``). Only the probes whose hash is found are looked at in Python:
        a word of 8 letters has about 40 probes, and a loop over all of them in each segment's index made
        spelling a tenth of a case met for the first time."""
        found = self._known(probes, hashes)
        keys, owners = self.arrays["deletes.hash"], self.arrays["deletes.word"]
        starts = np.searchsorted(keys, hashes, side="left")
        ends = np.searchsorted(keys, hashes, side="right")
        for at in np.flatnonzero(ends > starts).tolist():
            probe = probes[at]
            for owner in owners[starts[at] : ends[at]].tolist():
                word = self.word(owner)
                if len(word) == len(probe) + 1 and probe in deletes(word):
                    found.add(word)
        return found

    def _known(self, probes: Sequence[str], hashes: np.ndarray) -> set[str]:
        """The probes that are words a typo may become."""
        keys, order, fixable = self.arrays["words.hash"], self.arrays["words.order"], self.arrays["words.correctable"]
        starts = np.searchsorted(keys, hashes, side="left")
        ends = np.searchsorted(keys, hashes, side="right")
        found = set()
        for at in np.flatnonzero(ends > starts).tolist():
            probe = probes[at]
            for i in order[starts[at] : ends[at]].tolist():
                if fixable[i] and self._words[i] == probe.encode("utf-8"):
                    found.add(probe)
        return found

    def starting_with(self, prefix: str) -> list[tuple[str, int]]:
        """The words that start with ``prefix``, each with its document count.

        A prefix of up to eight bytes is a range of the words' heads (``_word_heads``), found by two binary
        searches in numpy; a longer one is narrowed further among the words themselves. Found by Python's
        ``bisect`` over the words, then each looked up again by hash for its count, a word's completions
        took 0.86-1.18 ms at 10,000 articles (nine segments' parts, machine at load 6); 0.12-0.27 ms so,
        the two alternating in one process. Making the heads costs about 0.5 ms per 5,000 words, once."""
        encoded = prefix.encode("utf-8")
        head = encoded[:HEAD_BYTES]
        heads = self._word_heads()
        low = np.uint64(int.from_bytes(head.ljust(HEAD_BYTES, b"\x00"), "big"))
        high = np.uint64(int.from_bytes(head.ljust(HEAD_BYTES, b"\xff"), "big"))
        start, end = int(np.searchsorted(heads, low, "left")), int(np.searchsorted(heads, high, "right"))
        if len(encoded) > HEAD_BYTES:  # every word with the prefix sorts before the prefix and 0xFF (never UTF-8)
            start = bisect.bisect_left(self._words, encoded, start, end)
            end = bisect.bisect_left(self._words, encoded + b"\xff", start, end)
        counts = self.arrays["words.counts"][start:end].tolist()
        return [(self.word(i), count) for i, count in zip(range(start, end), counts, strict=True)]

    def _word_heads(self) -> np.ndarray:
        """Each word's first ``HEAD_BYTES`` bytes as one big-endian number, a shorter word padded with zero
        bytes (which UTF-8 text never holds): in the words' order, as the words are sorted by their bytes."""
        if self._heads is None:
            blob, ends = self.arrays["words.blob"], self.arrays["words.ends"].astype(np.int64)
            starts = np.concatenate([np.zeros(1, dtype=np.int64), ends[:-1]])[: len(ends)]
            heads = np.zeros(len(ends), dtype=np.uint64)
            for i in range(HEAD_BYTES):
                at = starts + i
                byte = np.where(at < ends, blob.take(np.minimum(at, max(len(blob) - 1, 0)), mode="clip"), 0)
                heads |= byte.astype(np.uint64) << np.uint64(8 * (HEAD_BYTES - 1 - i))
            self._heads = heads
        return self._heads


def _build(words: Iterable[tuple[str, int]]) -> dict[str, np.ndarray]:
    pairs = sorted(words)
    texts = [w for w, _n in pairs]
    blob = array_file.strings_blob([w.encode("utf-8") for w in texts])
    hashes = text_hashes(texts)
    order = np.argsort(hashes, kind="stable").astype(np.int32)
    fixable = np.array([correctable(w) for w in texts], dtype=bool)
    deleted = [(d, i) for i, w in enumerate(texts) if fixable[i] for d in deletes(w)]
    delete_hashes = text_hashes(d for d, _i in deleted)
    delete_order = np.argsort(delete_hashes, kind="stable")
    return {
        "words.blob": blob["blob"],
        "words.ends": blob["ends"],
        "words.counts": np.array([n for _w, n in pairs], dtype=np.int64),
        "words.correctable": fixable,
        "words.hash": hashes[order],
        "words.order": order,
        "deletes.hash": delete_hashes[delete_order],
        "deletes.word": np.array([i for _d, i in deleted], dtype=np.int32)[delete_order],
    }


def words_path(folder: Path, key: str) -> Path:
    return folder / array_file.FOLDER / f"{key}{SUFFIX}"


def save(index: WordIndex, folder: Path, key: str, doc_count: int) -> Path | None:
    """Keep segment ``key``'s word index in ``folder`` (an index generation); None when it cannot be written."""
    header = {"version": VERSION, "key": key, "doc_count": doc_count}
    return array_file.write(words_path(folder, key), MAGIC, header, index.arrays)


def load(folder: Path, key: str, doc_count: int) -> WordIndex | None:
    """Segment ``key``'s word index mapped from ``folder``, or None when there is none that fits."""
    path = words_path(folder, key)
    try:
        found = array_file.read(path, MAGIC)
        if found is None:
            return None
        header, arrays = found
        if (header["version"], header["key"], header["doc_count"]) != (VERSION, key, doc_count):
            return None
        return WordIndex(arrays=arrays)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("word index %s unreadable (%s); counting the segment's words again", path.name, exc)
        return None


def of_segment(
    reader: Any, folder: Path | None, word_counts: Callable[[Any, Path | None], Sequence[tuple[str, int]]]
) -> WordIndex:
    """One segment's words for "did you mean": mapped from the file kept beside the generation ``folder``,
    else built from ``word_counts(reader, folder)`` (and kept, for the next start)."""
    key, count = str(reader.segment().segment_id()), reader.doc_count_all()
    found = load(folder, key, count) if folder is not None else None
    if found is None:
        found = WordIndex(word_counts(reader, folder))
        if folder is not None:
            save(found, folder, key, count)
    return found


def remove_others(folder: Path, keep: set[str]) -> None:
    """Delete the word indexes of segments a merge removed."""
    array_file.remove_others(folder / array_file.FOLDER, SUFFIX, keep)
