"""The builder's coordinator: hands an update's files to the worker processes and decides, in plan order, what
they write.

The plan's files go out in chunks (``CHUNK`` files), each to the worker with the least parsing queued, so both
stay busy. A worker answers a chunk with its files' ids and signatures or problems; the coordinator takes the
chunks in plan order and runs the serial update's rules on them (``sync.admit``: broken files reported and
skipped, which file keeps an id two files carry, what a changed file replaces), deletes what goes in its own
writer (which holds the index's lock) and tells the worker which of the chunk's files to write. Only ``WINDOW``
chunks are out beyond the first one not decided, which bounds what the workers hold parsed.

Commits come in growing batches (``FIRST_COMMIT`` documents, then ``GROWTH`` times what came before): each worker
finishes its segment (and decodes its scoring table), and the coordinator lists them, nothing merged. A first
build's first articles are searchable within seconds, and 15,000 files end in four commits of two segments each.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from whoosh.writing import SegmentWriter

from kbassist.content.model import Problem
from kbassist.search.build_worker import Parsed, worker_main
from kbassist.search.records import FileState
from kbassist.search.sync import WRITER_TIMEOUT, IdClaims, SyncPlan, Todo, UpdateReport, admit
from kbassist.search.whoosh_segments import commit_segments

WORKERS = 2  # worker processes, one per core of the 2-core machines the app runs on
CHUNK = 32  # files per message to a worker: enough to make a message's cost small, few enough to balance
AHEAD = 2  # chunks queued per worker, so it never waits for the next
WINDOW = 12  # chunks out beyond the first one not decided: what the workers hold parsed stays small
FIRST_COMMIT = 512  # documents of a first build searchable early (the builder's job carries it)
GROWTH = 3  # each later batch holds this many times what was committed before it
PROGRESS_EVERY = 0.25  # seconds between progress messages
POLL = 0.25  # seconds between looks at the caller's "stop" and the workers' health while waiting


class WorkerFailedError(RuntimeError):
    """A worker process failed or ended."""


@dataclass(slots=True)
class Link:
    """The coordinator's end of one worker: its process, its inbox and how many chunks it has to parse."""

    process: Any
    inbox: Any
    queued: int = 0


class DeletingWriter:
    """The parent writer of a batch: holds the index's lock, deletes what goes, commits the workers' segments."""

    def __init__(self, ix: Any) -> None:
        self.writer: SegmentWriter = ix.writer(timeout=WRITER_TIMEOUT)
        self.deleted = 0

    def delete(self, rel: str) -> None:
        self.deleted += self.writer.delete_by_term("path", rel)

    def replace(self, item_id: str, rel: str) -> None:
        """Delete the documents a new version of ``rel`` replaces (Whoosh's ``update_document`` by its unique
        fields; the worker adds the new one)."""
        self.deleted += self.writer.delete_by_term("path", rel) + self.writer.delete_by_term("id", item_id)


class Coordinator:
    def __init__(self, ix: Any, conn: Connection, job: Any, report: UpdateReport) -> None:
        self.ix, self.conn, self.report = ix, conn, report
        self.plan: SyncPlan = job.plan
        self.indexed: dict[str, FileState] = job.indexed
        self.first_commit: int = job.first_commit
        self.claims: IdClaims = self.plan.claims
        self.chunks = [self.plan.todo[i : i + CHUNK] for i in range(0, len(self.plan.todo), CHUNK)]
        self.owner: dict[int, int] = {}  # chunk -> worker
        self.answers: dict[int, list[Parsed | Problem]] = {}
        self.sent = self.decided = 0  # chunks
        self.done = len(self.plan.removed)  # files
        self.pending = self.committed = 0  # documents written in this batch, in those before it
        self.told = time.perf_counter()
        self.links: list[Link] = []
        self.outbox: Any = None
        self.writer = DeletingWriter(ix)

    # ----------------------------------------------------------------- workers
    def start(self, context: Any, index_dir: str, kb_root: str) -> None:
        self.outbox = context.Queue()
        for number in range(WORKERS):
            inbox = context.Queue()
            process = context.Process(
                target=worker_main,
                args=(number, index_dir, kb_root, inbox, self.outbox),
                name=f"kbassist-build-{number}",
                daemon=True,
            )
            process.start()
            self.links.append(Link(process, inbox))

    def close(self) -> None:
        for link in self.links:
            link.inbox.put(("quit",))
        for link in self.links:
            link.process.join(5)
            if link.process.is_alive():
                link.process.terminate()

    def cancel(self) -> None:
        for link in self.links:
            if link.process.is_alive():
                link.process.terminate()
        if not self.writer.writer.is_closed:
            self.writer.writer.cancel()

    # ----------------------------------------------------------------- the update
    def run(self, stopping: Callable[[], bool]) -> None:
        for rel in self.plan.removed:
            self.writer.delete(rel)
            self.report.removed += 1
        while self.decided < len(self.chunks):
            if stopping():
                self.report.stopped = True
                break
            self._send()
            self._take(self._receive())
            self._decide()
        self._commit(decode=not self.report.stopped, last=True)
        self.conn.send(("progress", (self.plan.total, self.plan.total, "")))

    def _send(self) -> None:
        while self.sent < len(self.chunks) and self.sent - self.decided < WINDOW:
            link = min(self.links, key=lambda candidate: candidate.queued)
            if link.queued >= AHEAD:
                return
            link.inbox.put(("parse", self.sent, self.chunks[self.sent]))
            link.queued += 1
            self.owner[self.sent] = self.links.index(link)
            self.sent += 1

    def _receive(self) -> tuple[Any, ...] | None:
        """The next answer of a worker; None after ``POLL`` seconds without one."""
        try:
            message: tuple[Any, ...] = self.outbox.get(timeout=POLL)
        except queue.Empty:
            for number, link in enumerate(self.links):
                if not link.process.is_alive():
                    raise WorkerFailedError(
                        f"index worker {number} ended (exit code {link.process.exitcode})"
                    ) from None
            return None
        if message[0] == "error":
            raise WorkerFailedError(f"index worker {message[1]}: {message[2]}")
        return message

    def _take(self, message: tuple[Any, ...] | None) -> None:
        if message is not None and message[0] == "parsed":
            _kind, worker, chunk, answers = message
            self.links[worker].queued -= 1
            self.answers[chunk] = answers

    def _decide(self) -> None:
        """Decide every chunk whose answer is in, in plan order; commit when a batch is full."""
        while self.decided in self.answers:
            chunk = self.decided
            todos, answers = self.chunks[chunk], self.answers.pop(chunk)
            pairs = enumerate(zip(todos, answers, strict=True))
            positions = [i for i, (todo, answer) in pairs if self._admit(todo, answer)]
            self.links[self.owner.pop(chunk)].inbox.put(("write", chunk, positions))
            self.pending += len(positions)
            self.decided += 1
            self.done += len(todos)
            self._progress(todos[-1].rel)
            if self.pending >= max(self.first_commit, GROWTH * self.committed) and self.decided < len(self.chunks):
                self._commit(decode=True, last=False)

    def _admit(self, todo: Todo, answer: Parsed | Problem) -> bool:
        known = self.indexed.get(todo.rel)
        if not admit(self.writer, todo, answer, known, self.claims, self.report):
            return False
        if known is not None:
            assert isinstance(answer, Parsed)
            self.writer.replace(answer.id, todo.rel)
        return True

    def _progress(self, rel: str) -> None:
        if time.perf_counter() - self.told >= PROGRESS_EVERY:
            self.conn.send(("progress", (self.done, self.plan.total, rel)))
            self.told = time.perf_counter()

    def _commit(self, *, decode: bool, last: bool) -> None:
        """The workers' segments of this batch committed with the deletions; a new batch unless ``last``."""
        for link in self.links:
            link.inbox.put(("finish", decode))
        segments: dict[int, Any] = {}
        while len(segments) < len(self.links):
            message = self._receive()
            if message is not None and message[0] == "segment":
                segments[message[1]] = message[2]
            else:
                self._take(message)
        found = [segments[number] for number in sorted(segments) if segments[number] is not None]
        if found or self.writer.deleted:
            commit_segments(self.writer.writer, found)
            self.conn.send(("commit", None))
        else:
            self.writer.writer.cancel()
        self.committed += self.pending
        self.pending = 0
        if not last:  # before any worker opens its next segment: see whoosh_segments
            self.writer = DeletingWriter(self.ix)
