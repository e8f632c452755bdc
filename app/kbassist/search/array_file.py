"""Named numpy arrays in one file, mapped into memory when read: what a segment's files beside the index are.

A segment never changes once written, so what is computed from it (its scoring table, its word index) can be
kept on disk and mapped at the next start in milliseconds instead of computed again in seconds; the operating
system shares the pages between processes and reads them in as they are touched, so a mapped file costs a
process's memory only where it is used.

Layout: an 8-byte magic, the header's length (8 bytes, little-endian), a JSON header (the caller's fields and
each array's name, dtype, length and offset), then the arrays, each 64-byte aligned. Written atomically (a
temporary file renamed over the old one), so a reader sees a whole file or none.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ALIGN = 64
FOLDER = "scoring"  # in an index generation: every file kept per segment (named by the segment's id)
ARRAYS = "arrays"  # the header's key for the arrays' layout


class DamagedFileError(ValueError):
    """The file is not one of ours, or is cut short."""


def write(path: Path, magic: bytes, header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Path | None:
    """Write ``arrays`` with ``header`` to ``path`` atomically (``write_atomic``)."""
    layout = [(name, array.dtype, len(array)) for name, array in arrays.items()]
    return write_pieces(path, magic, header, layout, arrays.values())


Layout = Sequence[tuple[str, "np.dtype[Any]", int]]  # each array's name, dtype and length, in file order


def write_pieces(
    path: Path, magic: bytes, header: Mapping[str, Any], layout: Layout, pieces: Iterable[np.ndarray]
) -> Path | None:
    """``write`` for arrays made a piece at a time: ``pieces`` are the ``layout``'s arrays' contents one after
    another (an array's pieces in order, none crossing into the next array), each written as it comes from
    its own memory. Joining a 50,000-article build's postings whole in memory first took 146 MB more.
    ValueError when the pieces do not fill the layout exactly (no file is left then)."""
    entries = []
    offset = 0
    for name, dtype, count in layout:
        entries.append({"name": name, "dtype": np.dtype(dtype).str, "count": count, "offset": offset})
        offset += _aligned(count * np.dtype(dtype).itemsize)
    encoded = json.dumps({**header, ARRAYS: entries}).encode("utf-8")
    start = _aligned(len(magic) + 8 + len(encoded))
    head = magic + len(encoded).to_bytes(8, "little") + encoded
    return write_atomic(path, head, b"\0" * (start - len(head)), _laid_out(layout, pieces))


def _laid_out(layout: Layout, pieces: Iterable[np.ndarray]) -> Iterator[memoryview]:
    """The pieces' bytes (each piece's own memory, not a copy), each array's padding after its last piece."""
    source = (piece for piece in pieces if len(piece))  # an empty piece holds nothing to place
    for name, dtype, count in layout:
        left = count
        while left:
            piece = next(source, None)
            if piece is None or piece.dtype != dtype or len(piece) > left:
                got = "nothing" if piece is None else f"{len(piece)} {piece.dtype}"
                raise ValueError(f"{name}: {got} where {left} {np.dtype(dtype)} are left")
            left -= len(piece)
            yield np.ascontiguousarray(piece).reshape(-1).view(np.uint8).data
        size = count * np.dtype(dtype).itemsize
        yield memoryview(b"\0" * (_aligned(size) - size))
    if next(source, None) is not None:
        raise ValueError("more pieces than the layout holds")


def write_atomic(path: Path, *parts: bytes | Iterable[memoryview]) -> Path | None:
    """Write ``parts`` (bytes, or iterables of byte views written as they come) to ``path`` through a temporary
    file renamed over it, so a reader sees a whole file or none; None when the folder cannot be written (a
    read-only or full cache: what was computed still serves this process)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as out:
            for part in parts:
                for data in [part] if isinstance(part, bytes) else part:
                    out.write(data)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
        return path
    except OSError as exc:
        log.info("%s not kept (%s)", path.name, exc)
        tmp.unlink(missing_ok=True)
        return None
    except BaseException:  # pieces that did not fill their layout: nothing half written is left
        tmp.unlink(missing_ok=True)
        raise


def read(path: Path, magic: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """(header, arrays mapped read-only) of the file at ``path``; None when there is none. DamagedFileError
    (or a KeyError, TypeError from a header that is not ours) when it cannot be read."""
    try:
        with path.open("rb") as raw:
            mapped = mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # missing, or empty
        return None
    if mapped[: len(magic)] != magic:
        raise DamagedFileError(f"not a {magic.decode('ascii', 'replace')} file")
    size = int.from_bytes(mapped[len(magic) : len(magic) + 8], "little")
    try:
        header = json.loads(mapped[len(magic) + 8 : len(magic) + 8 + size])
    except ValueError as exc:
        raise DamagedFileError("header unreadable") from exc
    start = _aligned(len(magic) + 8 + size)
    arrays: dict[str, np.ndarray] = {}
    for entry in header.pop(ARRAYS):
        dtype = np.dtype(entry["dtype"])
        at, count = start + entry["offset"], entry["count"]
        if at + count * dtype.itemsize > len(mapped):
            raise DamagedFileError("truncated")
        arrays[entry["name"]] = np.frombuffer(mapped, dtype=dtype, count=count, offset=at)
    return header, arrays


def strings_blob(strings: list[bytes]) -> dict[str, np.ndarray]:
    """``strings`` as one byte blob and each one's end offset (``blob``, ``ends``): one array for thousands."""
    return {
        "blob": np.frombuffer(b"".join(strings), dtype=np.uint8),
        "ends": np.cumsum([len(s) for s in strings], dtype=np.int64),
    }


def remove_others(folder: Path, suffix: str, keep: set[str]) -> None:
    """Delete the files ``<key><suffix>`` in ``folder`` whose key is not in ``keep`` (segments a merge
    removed; a reader that mapped one keeps its mapping)."""
    for path in folder.glob(f"*{suffix}"):
        if path.name[: -len(suffix)] not in keep:
            path.unlink(missing_ok=True)


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN
