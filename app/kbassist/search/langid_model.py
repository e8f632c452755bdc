"""py3langid's model, kept unpacked in the cache folder so a fresh process does not decompress it.

py3langid ships its model as an LZMA-compressed npz (4.4 MiB) and unpacks all of it in every process that
detects a language: 0.55 s alone and 1.1 s on a loaded machine, the largest single cost of a fresh
``kbassist suggest`` (1.6-2.0 s before this cache). The first process writes the model's arrays, already cut
down to the languages we detect, to one file of arrays (``array_file.py``) that later ones map in a few
milliseconds. The arrays are the very ones py3langid would hold, so the detected language and its
probability do not change.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from kbassist import paths
from kbassist.search import array_file

MAGIC = b"KBLANGID"
SUFFIX = ".arrays"


def _model_file() -> Path:
    return Path(MODEL_DIR, MODEL_FILE)


def _cache_file(languages: tuple[str, ...]) -> Path:
    """Named after py3langid's version, its model file and the languages: any change reads the model anew."""
    stat = _model_file().stat()
    key = f"{version('py3langid')}|{stat.st_size}|{stat.st_mtime_ns}|{','.join(languages)}"
    return paths.cache_dir() / "langid" / f"model-{hashlib.sha1(key.encode()).hexdigest()[:16]}{SUFFIX}"


def _from_cache(path: Path, languages: tuple[str, ...]) -> LanguageIdentifier | None:
    """The identifier over the cached arrays, mapped: its 38 MiB automaton is read only where a case's bytes
    lead it (py3langid indexes it item by item, which a memoryview over the mapping answers as fast as the
    stdlib array it builds itself). Copying it into an array had been 40 ms and 38 MiB of every process."""
    try:
        found = array_file.read(path, MAGIC)
        if found is None:
            return None
        header, data = found
        identifier = LanguageIdentifier(
            np.array(data["ptc"]).reshape(header["ptc_shape"]),
            np.array(data["pc"]),
            list(header["classes"]),
            data["nextmove"].data,
            data["out_feat"].data,
            norm_probs=True,
            tk_row=data["nextmove_row"].data,
        )
    except (OSError, ValueError, KeyError, TypeError):  # cut short, damaged, another layout
        return None
    identifier.set_languages(list(languages))
    return identifier


def _write_cache(path: Path, identifier: LanguageIdentifier) -> None:
    """Written to a temporary file and renamed, so a reader never sees half of it; a read-only cache folder
    only means the next process unpacks the model again."""
    arrays = {
        "ptc": np.asarray(identifier.nb_ptc).ravel(),
        "pc": np.asarray(identifier.nb_pc),
        "nextmove": np.frombuffer(identifier.tk_nextmove, dtype=f"u{identifier.tk_nextmove.itemsize}"),
        "nextmove_row": np.frombuffer(identifier.tk_row, dtype=f"u{identifier.tk_row.itemsize}"),
        "out_feat": np.array(identifier.tk_output, dtype=np.int64),
    }
    array_file.write(
        path, MAGIC, {"classes": list(identifier.nb_classes), "ptc_shape": list(np.shape(identifier.nb_ptc))}, arrays
    )


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
