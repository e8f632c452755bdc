"""The associate's settings: who they are (for {{agent_name}}), which KB, whether usage is recorded.

A small JSON file in the config folder. Unknown keys are ignored and missing ones take defaults, so an
older or newer settings file never stops the app; a damaged one is set aside and defaults are used.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from kbassist import paths

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Settings:
    agent_name: str = ""
    agent_signature: str = ""
    kb_folder: str = ""  # empty: KBASSIST_KB or the bundled KB
    usage_enabled: bool = True
    retention_days: int = 180
    stale_after_days: int = 365
    favorites: tuple[str, ...] = ()
    recent_macros: tuple[str, ...] = ()

    @property
    def needs_agent_name(self) -> bool:
        """No name yet (a first start): the window asks for it, so {{agent_name}} is always filled."""
        return not self.agent_name.strip()

    def agent_values(self) -> dict[str, str]:
        """Placeholder values that come from the associate rather than the case."""
        signature = self.agent_signature or self.agent_name
        return {k: v for k, v in (("agent_name", self.agent_name), ("agent_signature", signature)) if v}


def os_full_name() -> str:
    """The signed-in account's full name ("Robin Meyer"), to prefill the first-start question; "" when the
    system keeps none (many Linux accounts) or it cannot be read."""
    try:
        if sys.platform == "win32":
            size = ctypes.c_ulong(256)
            buffer = ctypes.create_unicode_buffer(size.value)
            name_display = 3  # EXTENDED_NAME_FORMAT.NameDisplay
            secur32 = ctypes.WinDLL("secur32")  # type: ignore[attr-defined,unused-ignore]
            return str(buffer.value).strip() if secur32.GetUserNameExW(name_display, buffer, ctypes.byref(size)) else ""
        import pwd  # POSIX only (Windows has no such module)

        return pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()  # macOS and Linux keep it in GECOS
    except (OSError, KeyError, AttributeError):
        return ""


def load_settings(path: Path | None = None) -> Settings:
    path = path or paths.settings_file()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("settings file %s is unreadable (%s); using defaults", path, exc)
        with contextlib.suppress(OSError):
            path.replace(path.with_suffix(".broken.json"))
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    known = {f.name: f for f in fields(Settings)}
    clean: dict[str, object] = {}
    defaults = Settings()
    for key, value in data.items():
        if key not in known:
            continue
        default = getattr(defaults, key)
        if isinstance(default, tuple) and isinstance(value, list):
            clean[key] = tuple(str(v) for v in value)
        elif (
            (isinstance(default, bool) and isinstance(value, bool))
            or (isinstance(default, int) and not isinstance(default, bool) and isinstance(value, int))
            or (isinstance(default, str) and isinstance(value, str))
        ):
            clean[key] = value
    return Settings(**clean)  # type: ignore[arg-type]


def save_settings(settings: Settings, path: Path | None = None) -> bool:
    """Write ``settings``; False (with a warning) when the config folder cannot be written: a read-only
    home must not crash the window each time a favourite is starred."""
    path = path or paths.settings_file()
    data = asdict(settings)
    data["favorites"] = list(settings.favorites)
    data["recent_macros"] = list(settings.recent_macros)
    tmp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, indent=2), "utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.warning("settings not saved to %s: %s", path, exc.strerror or exc)
        return False
    return True


def choose_kb(explicit: str | os.PathLike[str] | None, settings: Settings) -> Path:
    """The KB folder both faces open: ``--kb``, then ``KBASSIST_KB``, then the last KB in the settings, then
    the bundled KB. Whether it exists is the face's business (the CLI stops, the window falls back)."""
    if explicit or os.environ.get(paths.KB_ENV, "").strip():
        return paths.resolve_kb(explicit or None)
    return paths.resolve_kb(settings.kb_folder or None)
