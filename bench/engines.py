"""The engines ``bench_search.py`` compares: KB Assist, and tantivy and bm25s answering a plain OR query.

tantivy (Rust, BM25) and bm25s (NumPy/SciPy, BM25) index the same synthetic documents as KB Assist, title
and body of every article and macro (the fields KB Assist scores), and answer the case's words as one OR
query: no key terms, synonyms, codes, products or meaning. Their figures are the floor a richer query is
compared to, not a rival ranking. Both are an optional extra (``pip install -e ".[bench]"``), never a
run-time dependency; an engine whose library is missing is skipped with that line.

Each engine builds in a process of its own (``python bench/engines.py build ENGINE KB INDEX``) so that its
peak RSS is its own (measured inside it), not whatever this process touched before; ``first`` is a fresh process
that opens the persisted index and answers one case read from stdin; ``gui`` (KB Assist only) starts the window
offscreen on that index and pastes the cases read from stdin (a JSON list), one after another.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

ENGINES = ("kbassist", "tantivy", "bm25s")
INSTALL = 'pip install -e ".[bench]"  (or: make bench-deps)'
CASE_LIMIT = 10  # a suggestion lists 10 articles
TYPED_LIMIT = 50  # typed search shows 50 hits
MARKER = "zqxvedited"  # a word no document holds, written into the edited one
# tantivy's writer: one thread and 50 MB of heap keep it to one core of this 2-core machine, as the app's
# builder gets; its default (one thread per core, 128 MB) would build faster by taking the machine.
TANTIVY_HEAP = 50_000_000
GUI_TIMEOUT_MS = 300_000  # the window child gives up (and reports what it has) after five minutes
GUI_CHECK_SECONDS = 3.0  # the window's memory is read once its start-up check has run this long (or ended)
WORD = re.compile(r"[a-z0-9]+")
READ_SECONDS: list[float] = []  # time spent in documents(): reading and parsing the KB


def words(text: str) -> list[str]:
    """The text's distinct lowercase words: the plain OR query both floor engines answer."""
    return list(dict.fromkeys(WORD.findall(text.lower())))


def missing(name: str) -> str | None:
    """Why ``name`` cannot run here (its library is not installed), or None."""
    module = {"tantivy": "tantivy", "bm25s": "bm25s"}.get(name)
    if module and importlib.util.find_spec(module) is None:
        return f"{name} is not installed; skipped. Install the bench extra: {INSTALL}"
    return None


@dataclass(frozen=True)
class Doc:
    id: str
    path: Path
    title: str
    body: str


def documents(kb_root: Path) -> list[Doc]:
    """The KB read with KB Assist's own loader, so every engine indexes the same text. tantivy's and bm25s'
    build times include this reading (the log line after each build says how long it took)."""
    from kbassist.content.loader import load_kb

    started = time.perf_counter()
    kb = load_kb(kb_root)
    READ_SECONDS.append(time.perf_counter() - started)
    return [Doc(i.id, i.path, i.title, i.plain_text) for i in sorted(kb.items.values(), key=lambda i: i.id)]


class Engine(Protocol):
    name: str

    def case(self, text: str) -> list[str]: ...  # ids of the answer to a pasted case

    def typed(self, text: str) -> list[str]: ...  # ids of a typed search's hits

    def edit(self, doc: Doc) -> bool | None: ...  # the edited document found again; None: cannot edit

    def close(self) -> None: ...


# --------------------------------------------------------------------------- KB Assist
class KbAssist:
    name = "kbassist"

    def __init__(self, kb_root: Path, folder: Path) -> None:
        from kbassist.search.engine import SearchEngine

        self.engine = SearchEngine(kb_root, index_root=folder)

    @staticmethod
    def build(kb_root: Path, folder: Path) -> int:
        from kbassist.search.engine import SearchEngine

        with SearchEngine(kb_root, index_root=folder) as engine:
            return engine.update().added

    def case(self, text: str) -> list[str]:
        return [s.id for s in self.engine.suggest(text).articles]

    def typed(self, text: str) -> list[str]:
        return [h.id for h in self.engine.search(text, limit=TYPED_LIMIT)]

    def edit(self, doc: Doc) -> bool:
        """An edit saved in the window: the watcher reports the file, the update reads it."""
        doc.path.write_text(doc.path.read_text("utf-8") + f"\n{MARKER}\n", "utf-8")
        self.engine.update(changed=[doc.path])
        return doc.id in [h.id for h in self.engine.search(MARKER)]

    def close(self) -> None:
        self.engine.close()


# --------------------------------------------------------------------------- tantivy
class Tantivy:
    name = "tantivy"

    def __init__(self, _kb_root: Path, folder: Path) -> None:
        import tantivy

        self.index = tantivy.Index.open(str(folder))
        self.searcher = self.index.searcher()

    @staticmethod
    def build(kb_root: Path, folder: Path) -> int:
        import tantivy

        schema = tantivy.SchemaBuilder()
        schema.add_text_field("id", stored=True, tokenizer_name="raw")
        schema.add_text_field("title")
        schema.add_text_field("body")
        index = tantivy.Index(schema.build(), path=str(folder))
        writer = index.writer(heap_size=TANTIVY_HEAP, num_threads=1)
        docs = documents(kb_root)
        for doc in docs:
            writer.add_document(tantivy.Document(id=doc.id, title=doc.title, body=doc.body))
        writer.commit()
        writer.wait_merging_threads()
        return len(docs)

    def _query(self, text: str, limit: int) -> list[str]:
        terms = words(text)
        if not terms:
            return []
        query = self.index.parse_query(" ".join(terms), ["title", "body"])
        hits = self.searcher.search(query, limit).hits
        return [self.searcher.doc(address)["id"][0] for _score, address in hits]

    def case(self, text: str) -> list[str]:
        return self._query(text, CASE_LIMIT)

    def typed(self, text: str) -> list[str]:
        return self._query(text, TYPED_LIMIT)

    def edit(self, doc: Doc) -> bool:
        """Delete and add the document, commit, reload the searcher (a writer opened for the edit)."""
        import tantivy

        writer = self.index.writer(heap_size=TANTIVY_HEAP, num_threads=1)
        writer.delete_documents("id", doc.id)
        writer.add_document(tantivy.Document(id=doc.id, title=doc.title, body=f"{doc.body}\n{MARKER}"))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        return doc.id in self._query(MARKER, CASE_LIMIT)

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- bm25s
class Bm25s:
    name = "bm25s"

    def __init__(self, _kb_root: Path, folder: Path) -> None:
        import bm25s

        self.retriever = bm25s.BM25.load(str(folder))
        self.ids: list[str] = json.loads((folder / "ids.json").read_text("utf-8"))

    @staticmethod
    def build(kb_root: Path, folder: Path) -> int:
        import bm25s

        docs = documents(kb_root)
        retriever = bm25s.BM25()
        retriever.index([WORD.findall(f"{d.title}\n{d.body}".lower()) for d in docs], show_progress=False)
        retriever.save(str(folder))
        (folder / "ids.json").write_text(json.dumps([d.id for d in docs]), "utf-8")
        return len(docs)

    def _query(self, text: str, limit: int) -> list[str]:
        terms = words(text)
        if not terms:
            return []
        found = self.retriever.retrieve([terms], k=min(limit, len(self.ids)), show_progress=False)
        return [self.ids[i] for i, score in zip(found.documents[0], found.scores[0], strict=True) if score > 0]

    def case(self, text: str) -> list[str]:
        return self._query(text, CASE_LIMIT)

    def typed(self, text: str) -> list[str]:
        return self._query(text, TYPED_LIMIT)

    def edit(self, doc: Doc) -> None:
        """bm25s has no update: an edit is a full rebuild, so there is no figure to give."""
        del doc  # no update in bm25s

    def close(self) -> None:
        pass


KINDS: dict[str, Any] = {"kbassist": KbAssist, "tantivy": Tantivy, "bm25s": Bm25s}


def open_engine(name: str, kb_root: Path, folder: Path) -> Engine:
    engine: Engine = KINDS[name](kb_root, folder)
    return engine


# --------------------------------------------------------------------------- processes of their own
@dataclass(frozen=True)
class ChildRun:
    seconds: float  # wall clock from start to exit, interpreter start and imports included
    report: dict[str, Any]  # what the child printed: its peak RSS, and for a build its documents and seconds


def own_peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM: its own memory since exec, not the parent's it was forked from) or its
    largest child's (KB Assist's index builder), whichever is larger."""
    import resource

    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak_kib = max(peak_kib, int(line.split()[1]))
    return round(peak_kib / 1024, 1)


def run_child(args: list[str], stdin: str = "", spawned: float | None = None) -> ChildRun:
    """This file run in a fresh interpreter. Its peak RSS is measured inside it: ``ru_maxrss`` from ``wait4``
    would start at this (larger) process's RSS at the fork. ``spawned``: the wall clock (``time.time()``) at
    the start, handed to the child so that it can say how long after its start something happened."""
    started = time.perf_counter()
    extra = [repr(spawned)] if spawned is not None else []
    done = subprocess.run([sys.executable, __file__, *args, *extra], input=stdin, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return ChildRun(seconds, json.loads(done.stdout.strip().splitlines()[-1]))


def build_in_child(name: str, kb_root: Path, folder: Path) -> tuple[int, float, float, float]:
    """(documents, build seconds inside the child, of them reading the KB, the child's peak RSS in MiB)."""
    report = run_child(["build", name, str(kb_root), str(folder)]).report
    return report["documents"], report["seconds"], report["read_seconds"], report["peak_rss_mib"]


def first_case_in_child(name: str, kb_root: Path, folder: Path, text: str) -> tuple[float, float]:
    """(seconds from starting the process to its exit, the first case answered; its peak RSS in MiB)."""
    child = run_child(["first", name, str(kb_root), str(folder)], stdin=text)
    if not child.report["found"]:
        raise SystemExit(f"{name}: a fresh process found nothing for the first case")
    return child.seconds, child.report["peak_rss_mib"]


def gui_in_child(kb_root: Path, folder: Path, cases: list[str]) -> dict[str, float]:
    """KB Assist's real window started offscreen in a fresh process on the built index, the first case pasted
    as soon as its event loop runs, then the others one after another: (ms from starting the process to the
    window running, to the first case's suggestions on screen; the window's RSS after the cases, its peak)."""
    spawned = time.time()
    child = run_child(["gui", "kbassist", str(kb_root), str(folder)], stdin=json.dumps(cases), spawned=spawned)
    return child.report


def _gui_main(kb_root: Path, folder: Path, cases: list[str], spawned: float) -> dict[str, Any]:
    """The window as ``kbassist`` opens it (``ui.app.open_window``), its index the one built here (linked where
    the window looks for it); each case pasted (``Summon.paste``: a new case, searched at once) when the last
    one's suggestions are on screen."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kbassist import paths

    where = paths.index_dir(kb_root.resolve())
    if not where.exists():
        where.parent.mkdir(parents=True, exist_ok=True)
        where.symlink_to(folder.resolve(), target_is_directory=True)
    from PySide6.QtCore import QTimer

    from kbassist.ui.plain_import import plain_import

    with plain_import():  # as `kbassist` imports the window (cli.cmd_gui)
        from kbassist.ui.app import make_application, open_window

    app = make_application()
    window = open_window(kb_root)
    marks: dict[str, Any] = {}
    waiting = list(cases)

    def since_start() -> float:
        return round((time.time() - spawned) * 1000, 1)

    checking: list[float] = []  # when the window's start-up check was first seen running

    def measure_when_checked() -> None:
        """The memory figures once the start-up check (which the window delays while the index holds
        documents) has run for ``GUI_CHECK_SECONDS`` or ended: the running app, not only its first moments."""
        if window.index.running and not checking:
            checking.append(time.time())
        done = window.index.last_report is not None and not window.index.running
        if not done and not (checking and time.time() - checking[0] >= GUI_CHECK_SECONDS):
            QTimer.singleShot(100, measure_when_checked)
            return
        marks["rss_mib"] = _status_mib("VmRSS")
        marks["peak_rss_mib"] = _status_mib("VmHWM")
        window.close()
        app.quit()

    def paste_next() -> None:
        if not waiting:
            measure_when_checked()
            return
        window.summon.paste(waiting.pop(0))

    def running() -> None:
        marks["interactive_ms"] = since_start()
        paste_next()

    def answered(_result: object, _text: str) -> None:
        marks.setdefault("first_case_ms", since_start())
        QTimer.singleShot(0, paste_next)  # after the window has shown them

    window.kb.suggestionsReady.connect(answered)
    QTimer.singleShot(0, running)
    QTimer.singleShot(GUI_TIMEOUT_MS, app.quit)
    app.exec()
    window.engine.close()
    return marks


def _status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _child_main(argv: list[str]) -> int:
    command, name, kb_root, folder = argv[0], argv[1], Path(argv[2]), Path(argv[3])
    if command == "gui":
        print(json.dumps(_gui_main(kb_root, folder, json.loads(sys.stdin.read()), float(argv[4]))))
        return 0
    if command == "build":
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        built = KINDS[name].build(kb_root, folder)
        report = {
            "documents": built,
            "seconds": time.perf_counter() - started,
            "read_seconds": sum(READ_SECONDS),
            "peak_rss_mib": own_peak_rss_mib(),
        }
    else:
        engine = open_engine(name, kb_root, folder)
        found = engine.case(sys.stdin.read())
        engine.close()
        report = {"found": bool(found), "peak_rss_mib": own_peak_rss_mib()}
    print(json.dumps(report))
    if command == "first" and name == "kbassist":
        from kbassist.launch import leave_freeing_to_the_system

        leave_freeing_to_the_system()  # as the `kbassist` command ends (launch.command)
    return 0


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1:]))
