"""Team mode: every associate's usage in one PostgreSQL database, for the KB editors. No Qt here.

The local SQLite file stays the store every event is committed to first (the outbox); ``TeamSync`` uploads
it. ``admin`` sets a database up (``kbassist team init``, ``add-associate``, ``add-editor``); ``schema`` and
``migrations`` are its versioned SQL; ``connection`` says which database and how to reach it; ``errors``
turns every failure into a message without secrets.
"""

from kbassist.usage.team.connection import redact_url
from kbassist.usage.team.errors import (
    NOT_CONFIGURED,
    TeamConfigError,
    TeamError,
    TeamLocalError,
    TeamLoginError,
    TeamOfflineError,
    TeamRightsError,
    TeamSchemaError,
    explain,
)
from kbassist.usage.team.migrations import SCHEMA_VERSION
from kbassist.usage.team.state import Phase, SyncResult, SyncState
from kbassist.usage.team.sync import TeamSync

__all__ = [
    "NOT_CONFIGURED",
    "SCHEMA_VERSION",
    "Phase",
    "SyncResult",
    "SyncState",
    "TeamConfigError",
    "TeamError",
    "TeamLocalError",
    "TeamLoginError",
    "TeamOfflineError",
    "TeamRightsError",
    "TeamSchemaError",
    "TeamSync",
    "explain",
    "redact_url",
]
