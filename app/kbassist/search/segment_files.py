"""A segment's compound file read where it lies, with ``os.pread``: Whoosh copies each part into memory.

Whoosh maps a compound segment file (``.seg``) and opens each of its parts as a ``BufferFile``, which wraps
the mapped bytes in a ``BytesIO``: a copy of every part a reader opens. At 10,000 articles that was about
125 MiB of postings, stored fields and columns copied at open (0.1 s), most of it never read: a case reads
the postings of its own terms and the stored fields of its hits. Read here with ``pread`` on one descriptor
per segment, a part costs nothing until read, and a reader holds no map: a segment file damaged or cut short
while the app runs gives a read error (reported, the index rebuilt), where reading a map past a cut-short
file's end kills the process (SIGBUS).

``pread`` keeps no shared file position, so the parts of one segment may be read from several threads at
once. Where the platform has no ``pread`` (Windows), Whoosh's own way is kept.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from whoosh.filedb.structfile import StructFile
from whoosh.reading import SegmentReader

HAS_PREAD = hasattr(os, "pread")


class PreadFile(StructFile):  # type: ignore[misc]
    """Bytes ``[start, start + length)`` of an open file descriptor, with a position of its own."""

    def __init__(self, fd: int, start: int, length: int, name: str | None, owns_fd: bool) -> None:
        super().__init__(None, name=name)
        self.file = self  # StructFile's read_* methods call self.file.read / readline / seek / tell
        self.is_real = False
        self.is_closed: bool = False
        self._fd = fd
        self._start = start
        self._length = length
        self._pos = 0
        self._owns_fd = owns_fd

    @classmethod
    def open(cls, path: str, name: str | None = None) -> PreadFile:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            length = os.fstat(fd).st_size
        except OSError:
            os.close(fd)
            raise
        return cls(fd, 0, length, name or path, owns_fd=True)

    def get(self, position: int, length: int) -> bytes:
        """``length`` bytes at ``position``; short only at the end of the part (as a file's read)."""
        length = max(0, min(length, self._length - position))
        data = os.pread(self._fd, length, self._start + position)
        if len(data) < length:
            raise OSError(f"{self._name}: the file ends {length - len(data)} bytes early (cut short?)")
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._length - self._pos
        data = self.get(self._pos, size)
        self._pos += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """Up to and including the next newline (pickle's loader reads text opcodes with it)."""
        line = bytearray()
        while size is None or size < 0 or len(line) < size:
            chunk = self.get(self._pos, 256 if size is None or size < 0 else min(256, size - len(line)))
            if not chunk:
                break
            cut = chunk.find(b"\n")
            taken = chunk if cut < 0 else chunk[: cut + 1]
            line += taken
            self._pos += len(taken)
            if cut >= 0:
                break
        return bytes(line)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._length}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def subset(self, offset: int, length: int, name: str | None = None) -> PreadFile:
        """A part of this file, read through the same descriptor (closed with this file, not with the part)."""
        return PreadFile(self._fd, self._start + offset, length, name or self._name, owns_fd=False)

    def close(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        if self._owns_fd:
            os.close(self._fd)


class PreadSegments:
    """A Whoosh storage seen by a segment reader: compound segment files opened as ``PreadFile``s, with
    Whoosh's map turned off; everything else is the storage's own."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage

    @property
    def supports_mmap(self) -> bool:
        return False

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name.endswith(".seg"):
            return PreadFile.open(str(Path(self._storage.folder) / name), name)
        return self._storage.open_file(name, *args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._storage, attribute)


def open_segment(storage: Any, schema: Any, segment: Any, generation: int | None = None) -> SegmentReader:
    """Whoosh's reader of ``segment`` in ``storage``, its compound file read with ``pread`` where it can be."""
    if HAS_PREAD and hasattr(storage, "folder"):
        storage = PreadSegments(storage)
    return SegmentReader(storage, schema, segment, generation=generation)
