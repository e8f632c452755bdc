"""The associate's settings: who they are (for {{agent_name}}), which KB, whether usage is recorded, and the
team database their usage goes to.

A small JSON file in the config folder. Unknown keys are ignored and missing ones take defaults, so an
older or newer settings file never stops the app; a damaged one is set aside and defaults are used. A team
database's password is never written to it (``without_password``): libpq finds it in ``KBASSIST_TEAM_DB``'s
URL, ``PGPASSWORD`` or ``~/.pgpass``.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import re
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
    team_db: str = ""  # the team's PostgreSQL URL, without its password; KBASSIST_TEAM_DB wins over it
    show_name_to_editors: bool = False  # editors see agent_name beside this associate's pseudonym
    text_size: int = 100  # percent of the desktop's font for the case, article and reply (ui/text_size.py)

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
    data["team_db"] = without_password(settings.team_db)
    tmp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, indent=2), "utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.warning("settings not saved to %s: %s", path, exc.strerror or exc)
        return False
    return True


TEAM_DB_ENV = "KBASSIST_TEAM_DB"


def team_url(settings_value: str | None) -> str | None:
    """The team database to use: ``KBASSIST_TEAM_DB``, else the Settings field, else None (no team mode). Here,
    not in ``usage.team``, so a window without a team database never loads the database driver."""
    return os.environ.get(TEAM_DB_ENV, "").strip() or (settings_value or "").strip() or None


def choose_kb(explicit: str | os.PathLike[str] | None, settings: Settings) -> Path:
    """The KB folder both faces open: ``--kb``, then ``KBASSIST_KB``, then the last KB in the settings, then
    the bundled KB. Whether it exists is the face's business (the CLI stops, the window falls back)."""
    if explicit or os.environ.get(paths.KB_ENV, "").strip():
        return paths.resolve_kb(explicit or None)
    return paths.resolve_kb(settings.kb_folder or None)


# The password of a libpq "keyword=value" string, bare or quoted (password='it\\'s secret'), and the spaces after it.
_KEYWORD_PASSWORD = re.compile(r"(?<!\S)password\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S*)\s*")


def without_password(conninfo: str) -> str:
    """``conninfo`` (a ``postgresql://`` URL or libpq's ``key=value`` form) with any password taken out, for
    saving: a settings file is read by backup tools and sent along with bug reports."""
    text = conninfo.strip()
    if "://" not in text:
        return _KEYWORD_PASSWORD.sub("", text).strip()
    parts = urlsplit(text)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hosts = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{hosts}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))
