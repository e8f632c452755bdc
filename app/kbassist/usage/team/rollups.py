"""The team database's second schema step: the editors' rollups, kept by a trigger that runs ``rollup_sql``.

Every upload is one ``INSERT … ON CONFLICT DO NOTHING`` statement (``ingest.py``); an ``AFTER INSERT …
FOR EACH STATEMENT`` trigger sees the rows that were new in its transition table (a re-sent duplicate is not
there) and runs the very statements the local writer runs (``rollup_sql.AFTER_INSERT``).

* Concurrency: two uploads of one case (a second instance, a retry racing the first) would each read the
  case's events without the other's. The trigger first takes an advisory lock per affected case, in sorted
  order, so they serialise; in READ COMMITTED each later statement then sees what the other committed. The
  day tables are updated in key order, so two uploads of different cases meet on a row in the same order.
  A deadlock is still possible on rows freed of zeros; the upload fails whole and the sync retries it.
* Rights: associates may only insert events. The trigger runs as the schema's owner (SECURITY DEFINER) with a
  fixed search_path; its work tables are temporary, and a session's own temporary table of the same name (a
  way to run code as the owner) stops the upload rather than being used.
* Plans: an upload touches a few cases of a table of millions of events, so every join is a nested loop
  over an index (hash and merge joins are off in the trigger; the rows of the transition table, which has no
  index, are copied to ``batch``, which has). Left to the planner, a temporary table it has no statistics
  for, joined to events whose statistics lagged behind their growth, was hashed against a scan of every
  event: 1.9 s per upload at 0.4 M events, 4.5 s at 1 M. JIT is off too: the planner's guesses for those
  tables priced the loads above its threshold, and compiling them took 30 of an upload's 56 ms.
* Editors may read the rollup tables, nothing else of them.

The step also indexes events by case (the trigger reads a case's events) and fills the tables from the events
already uploaded.
"""

from __future__ import annotations

from typing import Final

from kbassist.usage import rollup_sql
from kbassist.usage.team.schema import EDITORS_GROUP

# pg_advisory_xact_lock(ROLLUP_LOCK, hashtext(session)): the first key keeps these apart from other locks.
ROLLUP_LOCK: Final = 0x6B62726C  # "kbrl"

_WORK_NAMES: Final = ("affected", "batch", *rollup_sql.WORK_TABLES)
_FOREIGN_WORK_TABLE: Final = (
    "SELECT 1 FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
    f"AND relname IN ({', '.join(repr(name) for name in _WORK_NAMES)}) "
    "AND (relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) OR relkind <> 'r' "
    "OR relhastriggers OR relhasrules)"
)
_WORK: Final = ";\n        ".join(rollup_sql.work_tables("uuid", " ON COMMIT DELETE ROWS"))
_MAINTENANCE: Final = ";\n    ".join(rollup_sql.AFTER_INSERT)

FUNCTION: Final = f"""
CREATE FUNCTION kbassist.roll_up_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = kbassist, pg_temp
SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $roll_up$
DECLARE
    one text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'events are uploaded in READ COMMITTED transactions only'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'The editors'' rollups read what concurrent uploads of a case have committed.';
    END IF;
    IF to_regclass('pg_temp.case_events') IS NULL THEN
        {_WORK};
    END IF;
    IF EXISTS ({_FOREIGN_WORK_TABLE}) THEN
        RAISE EXCEPTION 'a temporary table of this session has the name of a rollup work table'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM batch;
    INSERT INTO batch (event_id, session) SELECT event_id, session FROM new_events;
    FOR one IN SELECT DISTINCT session FROM batch WHERE session <> '' ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock({ROLLUP_LOCK}, hashtext(one));
    END LOOP;
    {_MAINTENANCE};
    RETURN NULL;
END $roll_up$
"""

V2: Final[tuple[str, ...]] = (
    "SET LOCAL search_path = kbassist, pg_temp",
    "CREATE INDEX events_session ON kbassist.events (session)",
    *(table.create() for table in rollup_sql.DAY_TABLES),
    f"CREATE VIEW kbassist.rollup_events AS SELECT {rollup_sql.EVENT_COLUMNS}, associate FROM kbassist.events",
    FUNCTION,
    "CREATE TRIGGER events_roll_up AFTER INSERT ON kbassist.events REFERENCING NEW TABLE AS new_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION kbassist.roll_up_events()",
    "REVOKE ALL ON ALL TABLES IN SCHEMA kbassist FROM PUBLIC",
    "REVOKE ALL ON FUNCTION kbassist.roll_up_events() FROM PUBLIC",
    f"GRANT SELECT ON {', '.join(f'kbassist.{t.name}' for t in rollup_sql.DAY_TABLES)} TO {EDITORS_GROUP}",
    *rollup_sql.work_tables("uuid", " ON COMMIT DELETE ROWS"),
    *rollup_sql.FILL,
)
