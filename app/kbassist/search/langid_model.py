"""py3langid's model, kept unpacked in the cache folder so a fresh process does not decompress it.

py3langid ships its model as an LZMA-compressed npz (4.4 MiB) and unpacks all of it in every process that
detects a language: 0.55 s alone and 1.1 s on a loaded machine, the largest single cost of a fresh
``kbassist suggest`` (1.6-2.0 s before this cache). The first process writes the model's arrays, already cut
down to the languages we detect, to an uncompressed npz; later ones read that in about 30 ms. The arrays are
the very ones py3langid would hold, so the detected language and its probability do not change.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from array import array
from importlib.metadata import version
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from kbassist import paths

_TYPECODES = {2: "H", 4: "I", 8: "L"}  # py3langid's stdlib arrays for its automaton, by item size


def _model_file() -> Path:
    return Path(MODEL_DIR, MODEL_FILE)


def _cache_file(languages: tuple[str, ...]) -> Path:
    """Named after py3langid's version, its model file and the languages: any change reads the model anew."""
    stat = _model_file().stat()
    key = f"{version('py3langid')}|{stat.st_size}|{stat.st_mtime_ns}|{','.join(languages)}"
    return paths.cache_dir() / "langid" / f"model-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"


def _to_array(values: np.ndarray) -> array:  # type: ignore[type-arg]
    out = array(_TYPECODES[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).data.cast("B"))
    return out


def _from_cache(path: Path, languages: tuple[str, ...]) -> LanguageIdentifier | None:
    try:
        with path.open("rb") as file, np.load(file, allow_pickle=False) as data:
            identifier = LanguageIdentifier(
                data["ptc"],
                data["pc"],
                data["classes"].tolist(),
                _to_array(data["nextmove"]),
                data["out_feat"].tolist(),
                norm_probs=True,
                tk_row=_to_array(data["nextmove_row"]),
            )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # missing, cut short, another layout
        return None
    identifier.set_languages(list(languages))
    return identifier


def _write_cache(path: Path, identifier: LanguageIdentifier) -> None:
    """Written to a temporary file and renamed, so a reader never sees half of it; a read-only cache folder
    only means the next process unpacks the model again."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    ptc=identifier.nb_ptc,
                    pc=identifier.nb_pc,
                    classes=np.array(identifier.nb_classes),
                    nextmove=np.frombuffer(identifier.tk_nextmove, dtype=f"u{identifier.tk_nextmove.itemsize}"),
                    nextmove_row=np.frombuffer(identifier.tk_row, dtype=f"u{identifier.tk_row.itemsize}"),
                    out_feat=np.array(identifier.tk_output, dtype=np.int64),
                )
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)


def load_identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    """py3langid's identifier restricted to ``languages``, with normalised probabilities."""
    path = _cache_file(languages)
    cached = _from_cache(path, languages)
    if cached is not None:
        return cached
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    _write_cache(path, identifier)
    return identifier
