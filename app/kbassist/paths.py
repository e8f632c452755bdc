"""Every folder KB Assist reads or writes, in one place.

Index cache, usage data and settings come from platformdirs, except when ``KBASSIST_HOME`` is set:
then all of them live under that folder, which is how tests (and portable installs) keep away from
the user's real folders. The knowledge base itself is chosen by ``--kb``, then ``KBASSIST_KB``, then
the copy bundled with the package.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs

APP_NAME = "kbassist"
APP_AUTHOR = "kbassist"
HOME_ENV = "KBASSIST_HOME"
KB_ENV = "KBASSIST_KB"

_PACKAGE_DIR = Path(__file__).resolve().parent


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


def cache_dir() -> Path:
    """Where rebuildable data (the search index) lives."""
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


def data_dir() -> Path:
    """Where data that must survive (usage events) lives."""
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def config_dir() -> Path:
    """Where settings live."""
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def log_dir() -> Path:
    home = _home()
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def _bundled(name: str) -> Path:
    # Installed wheel: kbassist/_bundled/<name>; source checkout: <repo>/<name> beside app/.
    installed = _PACKAGE_DIR / "_bundled" / name
    return installed if installed.is_dir() else _PACKAGE_DIR.parents[1] / name


def bundled_kb() -> Path:
    return _bundled("kb")


def resources_dir() -> Path:
    return _bundled("resources")


def resolve_kb(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The knowledge-base folder to use: an explicit choice, then KBASSIST_KB, then the bundled KB."""
    chosen = explicit or os.environ.get(KB_ENV, "").strip() or None
    return Path(chosen).expanduser().resolve() if chosen else bundled_kb()


def index_dir(kb_root: Path) -> Path:
    """One index per KB folder, keyed by the folder's absolute path."""
    resolved = str(Path(kb_root).resolve())
    key = hashlib.sha1(resolved.encode("utf-8")).hexdigest()[:16]
    return cache_dir() / "index" / f"{Path(resolved).name or 'kb'}-{key}"


def usage_db() -> Path:
    return data_dir() / "usage.sqlite3"


def settings_file() -> Path:
    return config_dir() / "settings.json"
