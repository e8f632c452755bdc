"""A segment's compound file read with ``pread`` where it lies: the same bytes as Whoosh's copy of each part,
no map that a file cut short could turn into a crash, and damage met while reading rebuilt like any other."""

import os
import pickle
import struct
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.structfile import StructFile
from whoosh.reading import SegmentReader

from conftest import BUNDLED_KB
from kbassist.search.engine import SearchEngine
from kbassist.search.segment_files import HAS_PREAD, PreadFile, open_segment

pytestmark = pytest.mark.skipif(not HAS_PREAD, reason="no os.pread here: Whoosh's own reading is kept")


def _file(tmp_path: Path) -> tuple[Path, bytes, bytes]:
    """A file of 64 header bytes, a pickle, two text lines and 4,000 counting bytes; (path, pickle, all)."""
    pickled = pickle.dumps({"offset": 12, "words": ["refund", "payout"]}, protocol=0)  # text opcodes: readline
    data = bytes(range(64)) + pickled + b"first line\nsecond\n" + bytes(i % 251 for i in range(4000))
    path = tmp_path / "part.bin"
    path.write_bytes(data)
    return path, pickled, data


def test_a_part_reads_the_bytes_it_stands_for(tmp_path: Path) -> None:
    path, pickled, data = _file(tmp_path)
    whole = PreadFile.open(str(path))
    assert whole.read() == data and whole.tell() == len(data)
    start = 64 + len(pickled)
    part = whole.subset(start, 18 + 4000, name="part")
    assert part.readline() == b"first line\n"
    assert part.readline() == b"second\n"
    assert part.read(3) == data[start + 18 : start + 21]
    assert part.get(5, 4) == data[start + 5 : start + 9]
    assert part.get_int(30) == struct.unpack(">i", data[start + 30 : start + 34])[0]
    assert part.seek(-2, os.SEEK_END) == 18 + 3998 and part.read(10) == data[-2:]  # short at the part's end
    assert part.read(10) == b""
    buffer = bytearray(6)
    part.seek(0)
    assert part.readinto(buffer) == 6 and bytes(buffer) == data[start : start + 6]
    assert pickle.load(whole.subset(64, len(pickled))) == {"offset": 12, "words": ["refund", "payout"]}
    part.close()
    assert whole.get(0, 4) == data[:4]  # the part shares the descriptor: closing it leaves the file open
    whole.close()
    with pytest.raises(OSError):
        part.get(0, 4)  # the file's descriptor is closed with the file


def test_a_file_cut_short_after_opening_is_a_read_error(tmp_path: Path) -> None:
    path, _pickled, data = _file(tmp_path)
    whole = PreadFile.open(str(path))
    part = whole.subset(1000, 2000)
    with path.open("r+b") as f:
        f.truncate(1500)
    assert part.get(0, 100) == data[1000:1100]
    with pytest.raises(OSError, match="cut short"):
        part.get(400, 200)
    whole.close()


def test_parts_are_read_from_several_threads_at_once(tmp_path: Path) -> None:
    """No shared position: Whoosh's own sub-files seek and read one file object, which two threads would mix."""
    path, _pickled, data = _file(tmp_path)
    whole = PreadFile.open(str(path))
    wrong: list[tuple[int, int]] = []

    def read_part(start: int) -> None:
        part = whole.subset(start, 1000)
        for i in range(2000):
            at = (i * 37) % 990
            part.seek(at)
            if part.read(10) != data[start + at : start + at + 10]:
                wrong.append((start, at))

    threads = [threading.Thread(target=read_part, args=(start,)) for start in (100, 1100, 2100, 3100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    whole.close()
    assert wrong == []


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled KB's index, its generation's folder."""
    root = tmp_path_factory.mktemp("index")
    engine = SearchEngine(BUNDLED_KB, index_root=root, embedder=False)
    engine.update()
    engine.close()
    return next(p for p in root.glob("gen-*") if p.is_dir())


def _everything(reader: SegmentReader) -> tuple[list[Any], list[Any], list[Any]]:
    """A segment as its reader gives it: every term with its postings (ids and weights), every document's stored
    fields, every column's values."""
    postings = []
    for fieldname, text in reader.all_terms():
        matcher = reader.postings(fieldname, text)
        postings.append((fieldname, text, list(matcher.all_items())))
    stored = [reader.stored_fields(docnum) for docnum in range(reader.doc_count_all())]
    columns = []
    for fieldname in sorted(reader.schema.names()):
        if reader.has_column(fieldname):
            columns.append((fieldname, list(reader.column_reader(fieldname))))
    return postings, stored, columns


def test_segments_read_where_they_lie_answer_as_whooshs_own_copies(built: Path) -> None:
    ix = whoosh_index.open_dir(str(built))
    segments = ix._segments()
    assert any(segment.is_compound() for segment in segments)
    for segment in segments:
        ours = open_segment(ix.storage, ix.schema, segment)
        theirs = SegmentReader(ix.storage, ix.schema, segment)
        try:
            assert _everything(ours) == _everything(theirs)
        finally:
            ours.close()
            theirs.close()
    ix.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_no_segment_file_is_mapped_while_the_app_reads_it(tmp_path: Path) -> None:
    """A mapped file cut short kills the process that reads past its new end (SIGBUS); a read error does not."""
    engine = SearchEngine(BUNDLED_KB, index_root=tmp_path / "index", embedder=False)
    engine.update()
    found = engine.suggest("my refund has not arrived after 10 days").articles
    assert found and engine.get(found[0].id) is not None  # postings and stored fields read
    mapped = [line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()]
    assert any(path.startswith(str(tmp_path / "index")) for path in mapped)  # the kept scoring arrays are
    assert not [path for path in mapped if path.endswith(".seg")]
    engine.close()


def test_a_segment_cut_short_while_the_app_runs_is_rebuilt(tmp_path: Path) -> None:
    engine = SearchEngine(BUNDLED_KB, index_root=tmp_path / "index", embedder=False)
    engine.update()
    ids = [item.id for item in engine.summaries()]
    assert engine.suggest("payout failed because the bank account was closed").articles
    generation = next(p for p in (tmp_path / "index").glob("gen-*") if p.is_dir())
    segment = max(generation.glob("*.seg"), key=lambda p: p.stat().st_size)
    with segment.open("rb") as f:  # where its documents' stored fields lie (the parts' order varies)
        parts = CompoundStorage(StructFile(f))._dir
    stored = next(info for name, info in parts.items() if name.endswith("_stored.col"))
    with segment.open("r+b") as f:  # cut in the middle of them, as a disk that fills up would leave it
        f.truncate(stored["offset"] + stored["length"] // 2)
    items = [engine.get(item_id) for item_id in ids]  # each item's Markdown is read from the stored fields
    assert all(item is not None and item.id == item_id for item, item_id in zip(items, ids, strict=True))
    assert any("damaged" in m and "rebuil" in m for m in engine.index.messages), engine.index.messages
    assert engine.suggest("payout failed because the bank account was closed").articles
    engine.close()
