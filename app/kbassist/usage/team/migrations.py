"""The team database's schema, one version at a time (as ``usage/schema.py`` is the local file's).

``kbassist.schema_version`` holds one row per step applied. ``kbassist team init`` applies the missing steps
in order, each in its own transaction under one advisory lock, so two administrators running it at once
never both apply a step (``admin.init_schema``). Never edit a released step: append the next one, in a module
of its own, to ``MIGRATIONS``.
"""

from __future__ import annotations

from typing import Final

from kbassist.usage.team.rollups import V2
from kbassist.usage.team.schema import V1

# Index i holds the statements that take the database from version i to version i + 1.
# v2: the editors' rollups (``rollups.py``), filled from the events already uploaded.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (V1, V2)
SCHEMA_VERSION: Final = len(MIGRATIONS)

# The oldest version whose events table takes every column this app uploads. Uploads need no more than that:
# an associate whose app is newer than the team's schema keeps working until an administrator runs team init.
# Raise it with a step that adds a column the app writes.
UPLOAD_NEEDS: Final = 1
