"""A builder's worker process: parses its share of an update's files and writes them into a segment of its own.

Parsing a KB file takes about as long as writing it into Whoosh; when one process parsed and two wrote, the
writers waited for it and every document was pickled between processes. Here each worker reads, parses and
writes its files, so both cores do all of the work and only file names and small verdicts travel.

Which parsed file is written is still decided in plan order by the coordinator (``build_coordinator.py``): a
worker answers each chunk it parsed with what that needs (each file's id and signature, or its problem), keeps
the parsed files, and writes those the coordinator's verdict names. Messages in its inbox, in order:

* ``("parse", chunk, todos)``: parse them; answer ``("parsed", worker, chunk, [Parsed | Problem, ...])``;
* ``("write", chunk, positions)``: write those files of the chunk (the rest are forgotten);
* ``("finish", decode)``: finish the segment (and decode its scoring table); answer ``("segment", worker,
  segment or None)``;
* ``("quit",)``: end.

Anything that goes wrong is answered ``("error", worker, text)`` and ends the worker; so does the builder's end.
"""

from __future__ import annotations

import multiprocessing
import queue
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from kbassist.content.model import KbItem, Problem
from kbassist.search.schema import to_document
from kbassist.search.sync import Todo, parse_todo
from kbassist.search.whoosh_segments import drop_segment, finish_and_decode, finish_segment, segment_writer

PARENT_POLL = 1.0  # seconds between looks at whether the builder still lives, while the inbox is empty


@dataclass(frozen=True, slots=True)
class Parsed:
    """What the coordinator needs of a parsed file to decide whether it is written (``sync.admit``)."""

    id: str
    signature: str


def summary(result: KbItem | Problem) -> Parsed | Problem:
    return result if isinstance(result, Problem) else Parsed(result.id, result.signature)


def worker_main(number: int, index_dir: str, kb_root: str, inbox: Any, outbox: Any) -> None:
    """A worker process's life: answer its inbox until told to quit or the builder is gone."""
    worker = Worker(number, index_dir, Path(kb_root), outbox)
    try:
        worker.serve(inbox)
    except BaseException as exc:  # the coordinator reports it; the caller repairs or writes in its own process
        worker.drop()
        outbox.put(("error", number, f"{type(exc).__name__}: {exc}"))


class Worker:
    def __init__(self, number: int, index_dir: str, kb_root: Path, outbox: Any) -> None:
        self.number = number
        self.ix = whoosh_index.open_dir(index_dir)
        self.kb_root = kb_root
        self.outbox = outbox
        self.parsed: dict[int, list[tuple[Todo, KbItem | Problem]]] = {}
        self.writer: SegmentWriter | None = None

    def serve(self, inbox: Any) -> None:
        parent = multiprocessing.parent_process()
        while True:
            try:
                message = inbox.get(timeout=PARENT_POLL)
            except queue.Empty:
                if parent is not None and not parent.is_alive():
                    return
                continue
            kind = message[0]
            if kind == "parse":
                self.parse(message[1], message[2])
            elif kind == "write":
                self.write(message[1], message[2])
            elif kind == "finish":
                self.outbox.put(("segment", self.number, self.finish(decode=message[1])))
            else:
                self.drop()
                return

    def parse(self, chunk: int, todos: list[Todo]) -> None:
        results = [parse_todo(todo, self.kb_root) for todo in todos]
        self.parsed[chunk] = list(zip(todos, results, strict=True))
        self.outbox.put(("parsed", self.number, chunk, [summary(r) for r in results]))

    def write(self, chunk: int, positions: list[int]) -> None:
        files = self.parsed.pop(chunk)
        for position in positions:
            todo, item = files[position]
            assert not isinstance(item, Problem)  # the coordinator writes only what parsed
            if self.writer is None:  # opened only now: after the parent's writer of this batch (whoosh_segments)
                self.writer = segment_writer(self.ix)
            self.writer.add_document(**to_document(item, todo.stat.st_mtime_ns, todo.stat.st_size))

    def finish(self, *, decode: bool) -> Any:
        writer, self.writer = self.writer, None
        if writer is None:
            return None
        return finish_and_decode(writer) if decode else finish_segment(writer)

    def drop(self) -> None:
        if self.writer is not None:
            drop_segment(self.writer)
            self.writer = None
