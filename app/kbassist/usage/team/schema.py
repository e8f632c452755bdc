"""The team database's first schema step: events, associates, the two groups and what each may do.

Everything lives in the schema ``kbassist``. Who wrote an event is decided by the server, never the client:
``kbassist.events.associate`` defaults to ``current_associate()``, the pseudonym of the login role
(``session_user``, which ``SET ROLE`` does not change), and the associates' group may insert every column
but that one and ``received_at``. Role names never reach figures: editors read pseudonyms, and a name only
where its associate opted in (``show_my_name``).

The column types keep each value as the local SQLite file stores it (``day`` ISO text, ``terms`` and
``placeholders`` JSON lists as text), so ``rows.py`` reads a row from either, and SQL written in the subset
both databases share gives the same answer on both; ``helpful`` is a boolean (``WHEN helpful``, not
``helpful = 1``, reads it in both).

A released step is never edited: a change is a new step in ``migrations.py``. A step that adds a table
grants what each group may do with it; nothing here is granted to PUBLIC.
"""

from __future__ import annotations

from typing import Final

ASSOCIATES_GROUP: Final = "kbassist_associate"
EDITORS_GROUP: Final = "kbassist_editor"
SCHEMA: Final = "kbassist"

# The columns an associate may write: every field of an Event (usage/rows.py COLUMNS), nothing the server
# decides. A step that adds an event field adds its column here in a GRANT of its own.
_EVENT_COLUMNS: Final = (
    "event_id, ts, session, kind, item_id, item_kind, source, rank, score, edit_ratio, unfilled, helpful, "
    "terms, result_count, app_version, kb_version, day, product, placeholders"
)


def _create_group(role: str) -> str:
    """Roles belong to the whole server, not one database: a second database (or a second ``team init``
    running at once) finds the group there already."""
    return f"""
    DO $$ BEGIN
        CREATE ROLE {role} NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$
    """


# SECURITY DEFINER functions run as the schema's owner with a fixed search_path, so a caller's own objects
# (a table or function named like ours in a schema of theirs) are never picked up in their place.
_DEFINER: Final = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp"

V1: Final[tuple[str, ...]] = (
    _create_group(ASSOCIATES_GROUP),
    _create_group(EDITORS_GROUP),
    "CREATE SCHEMA kbassist",
    "REVOKE ALL ON SCHEMA kbassist FROM PUBLIC",
    """
    CREATE TABLE kbassist.schema_version (
        version    integer     PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE kbassist.associates (
        role         name        PRIMARY KEY,
        pseudonym    uuid        NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        display_name text        CHECK (length(display_name) <= 100),
        created_at   timestamptz NOT NULL DEFAULT now()
    )
    """,
    # What editors read about associates: never the role (a login name is personal data).
    "CREATE VIEW kbassist.associates_public AS SELECT pseudonym, display_name FROM kbassist.associates",
    f"""
    CREATE FUNCTION kbassist.current_associate() RETURNS uuid
    LANGUAGE plpgsql STABLE {_DEFINER} AS $$
    DECLARE
        found uuid;
    BEGIN
        SELECT pseudonym INTO found FROM kbassist.associates WHERE role = session_user;
        IF found IS NULL THEN
            RAISE EXCEPTION 'role % is not a KB Assist associate', session_user
                USING ERRCODE = 'insufficient_privilege', HINT = 'kbassist team add-associate NAME';
        END IF;
        RETURN found;
    END $$
    """,
    # An associate opts in (a name) or out (NULL or blank) to editors seeing their name. Control characters
    # are dropped: the name is shown in the editors' window and terminal.
    f"""
    CREATE FUNCTION kbassist.show_my_name(display text) RETURNS void
    LANGUAGE plpgsql VOLATILE {_DEFINER} AS $$
    BEGIN
        UPDATE kbassist.associates
           SET display_name = nullif(btrim(left(regexp_replace(display, '[[:cntrl:]]', '', 'g'), 100)), '')
         WHERE role = session_user;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'role % is not a KB Assist associate', session_user
                USING ERRCODE = 'insufficient_privilege', HINT = 'kbassist team add-associate NAME';
        END IF;
    END $$
    """,
    # The version a client checks before uploading; associates may not read the table itself.
    f"""
    CREATE FUNCTION kbassist.current_schema_version() RETURNS integer
    LANGUAGE sql STABLE {_DEFINER} AS $$ SELECT max(version) FROM kbassist.schema_version $$
    """,
    """
    CREATE TABLE kbassist.events (
        event_id     uuid             PRIMARY KEY,
        ts           double precision NOT NULL,
        day          text             NOT NULL,
        session      text             NOT NULL,
        kind         text             NOT NULL,
        item_id      text,
        item_kind    text,
        source       text,
        rank         integer,
        score        double precision,
        edit_ratio   double precision,
        unfilled     integer,
        helpful      boolean,
        terms        text,
        result_count integer,
        app_version  text             NOT NULL DEFAULT '',
        kb_version   text             NOT NULL DEFAULT '',
        product      text,
        placeholders text,
        associate    uuid             NOT NULL DEFAULT kbassist.current_associate()
                                      REFERENCES kbassist.associates (pseudonym),
        received_at  timestamptz      NOT NULL DEFAULT now()
    )
    """,
    "REVOKE ALL ON ALL TABLES IN SCHEMA kbassist FROM PUBLIC",
    "REVOKE ALL ON ALL FUNCTIONS IN SCHEMA kbassist FROM PUBLIC",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA kbassist REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC",
    f"GRANT USAGE ON SCHEMA kbassist TO {ASSOCIATES_GROUP}, {EDITORS_GROUP}",
    f"GRANT INSERT ({_EVENT_COLUMNS}) ON kbassist.events TO {ASSOCIATES_GROUP}",
    f"GRANT EXECUTE ON FUNCTION kbassist.current_associate(), kbassist.show_my_name(text) TO {ASSOCIATES_GROUP}",
    f"GRANT EXECUTE ON FUNCTION kbassist.current_schema_version() TO {ASSOCIATES_GROUP}, {EDITORS_GROUP}",
    f"GRANT SELECT ON kbassist.events, kbassist.associates_public, kbassist.schema_version TO {EDITORS_GROUP}",
    # Both groups can connect even where the administrator took CONNECT away from PUBLIC.
    f"""
    DO $$ BEGIN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO {ASSOCIATES_GROUP}, {EDITORS_GROUP}', current_database());
    END $$
    """,
)
