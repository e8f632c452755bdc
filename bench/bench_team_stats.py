"""The editors' figures at team scale: 200 associates, 10 million events, every figure for a 90-day period.

    .venv/bin/python bench/bench_team_stats.py [--url SUPERUSER_URL] [--events N] [--json]

Without ``--url`` it starts a throwaway PostgreSQL cluster (tools/pg_server.py) and removes it afterwards.
Steps, each timed:

1. ``kbassist team init`` on a new database, 200 associates, an editor login.
2. The events, generated on the server by SQL in statements of 2,000 cases (about 28,000 events) each,
   inserted into ``kbassist.events`` through the real rollup trigger (so the rollups are built exactly as
   uploads build them). Cases cross midnight, some associates' events are outside any case.
3. A check on a sample: the rollups of three days recomputed from scratch (the same maintenance SQL over
   every case with events on those days, into tables of a scratch schema) equal the trigger-built ones.
4. As the editor: each question the Stats view asks (``stats/period.py``) for the last 90 days, all products
   and one product, first run and median of five; then the whole Stats load (``compute_stats`` on a KB of
   850 items: the questions plus the figures in Python).
5. Ingest: the sync's own upload (``team/ingest.py``, 500-event batches from one associate's login, cases
   split across batches) with the trigger and without it, and one case per upload (the window syncs every
   few seconds), into the 10-million-event table.

The target (issue 12: every figure of the Stats view for a 90-day period in at most 2 s) is printed beside
each figure; nothing here asserts it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "app"), str(REPO / "tools")]

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from kbassist.content.model import Article, ItemKind, KbItem, Macro  # noqa: E402
from kbassist.usage import Event, EventKind, Source, compute_stats, rollup_sql  # noqa: E402
from kbassist.usage.stats.postgres import PostgresReader, snapshot  # noqa: E402
from kbassist.usage.team.admin import Group, add_member, init_schema  # noqa: E402
from kbassist.usage.team.ingest import upload  # noqa: E402

TARGET_S = 2.0
ASSOCIATES = 200
DAYS = 90
CASES_PER_STATEMENT = 2000  # each holds one advisory lock per case: the server's lock table holds 6,400
EVENTS_PER_CASE = 13.85  # what the generator below makes on average
FIRST_DAY = dt.date(2026, 1, 5)
START = dt.datetime.combine(FIRST_DAY, dt.time(), dt.UTC).timestamp()
PRODUCTS = 20
ARTICLES, MACROS = 600, 250
SAMPLE_DAYS = (10, 45, 89)

# One statement's cases, lo <= s < hi, with all their events; about 14 events a case: the case, 10 suggestions
# (6 articles, 4 macros; most of the case's product, 1 article and 1 macro of any), 1-2 opens (a third by the
# window itself), a preview every other case, a copy in 7 of 10 (1 in 9 of them found by a search, with an
# edit ratio, placeholders left in 1 of 4), a search in 1 of 4 (1 in 5 of those finding nothing), votes,
# "none fit", and searches outside any case. Item n is of product n % 20; a case's product is (s / 3) % 20.
GENERATE = """
INSERT INTO kbassist.events (event_id, ts, day, session, kind, item_id, item_kind, source, rank, score,
    edit_ratio, unfilled, helpful, terms, result_count, product, placeholders, associate)
SELECT gen_random_uuid(), x.ts, to_char(to_timestamp(x.ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), x.session,
       x.kind, x.item, x.item_kind, x.source, x.rank, x.score, x.edit_ratio, x.unfilled, x.helpful, x.terms,
       x.result_count, 'product-' || x.n %% {products}, x.placeholders, a.pseudonym
FROM (SELECT s, %(start)s + (s::float8 / %(cases)s) * %(span)s AS t0, md5('case' || s) AS session,
             (s / 3) %% {products} AS p
      FROM generate_series(%(lo)s, %(hi)s - 1) s) c
JOIN bench.associates a ON a.n = c.s %% {associates}
CROSS JOIN LATERAL (
  SELECT c.t0 AS ts, c.session, 'session' AS kind, NULL::text AS item, NULL::int AS n, NULL::text AS item_kind,
         NULL::text AS source, NULL::int AS rank, NULL::float8 AS score, NULL::float8 AS edit_ratio,
         NULL::int AS unfilled, NULL::bool AS helpful, NULL::text AS terms, NULL::int AS result_count,
         NULL::text AS placeholders
  UNION ALL
  SELECT c.t0 + r, c.session, 'shown', CASE WHEN r <= 6 THEN 'art-' ELSE 'mac-' END || i.n, i.n,
         CASE WHEN r <= 6 THEN 'article' ELSE 'macro' END, NULL, CASE WHEN r <= 6 THEN r ELSE r - 6 END, 1.0 / r,
         NULL, NULL, NULL, NULL, NULL, NULL
  FROM generate_series(1, 10) r
  CROSS JOIN LATERAL (SELECT CASE WHEN r <= 5 THEN c.p + {products} * ((c.s * 7 + r * 13) %% {own_articles})
                                  WHEN r = 6 THEN (c.s * 7 + r * 13) %% {articles}
                                  WHEN r <= 9 THEN c.p + {products} * ((c.s * 3 + r * 11) %% {own_macros})
                                  ELSE (c.s * 3 + r * 11) %% {macros} END AS n) i
  UNION ALL
  SELECT c.t0 + 60 + o, c.session, 'opened', 'art-' || i.n, i.n, 'article',
         CASE WHEN o = 1 AND c.s %% 3 = 0 THEN 'auto' WHEN o = 1 THEN 'suggestion' ELSE 'search' END,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM generate_series(1, 1 + (c.s %% 5 = 0)::int) o
  CROSS JOIN LATERAL (SELECT c.p + {products} * ((c.s * 7 + o * 13) %% {own_articles}) AS n) i
  UNION ALL
  SELECT c.t0 + 120, c.session, 'previewed', 'mac-' || i.n, i.n, 'macro', 'suggestion', NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL
  FROM (SELECT c.p + {products} * ((c.s * 3 + 77) %% {own_macros}) AS n) i WHERE c.s %% 2 = 0
  UNION ALL
  SELECT c.t0 + 600 + c.s %% 3000, c.session, 'copied', 'mac-' || i.n, i.n, 'macro',
         CASE WHEN c.s %% 9 = 0 THEN 'search' ELSE 'suggestion' END, NULL, NULL,
         round((c.s * 37) %% 1000 / 1000.0, 3)::float8, (c.s %% 4 = 0)::int, NULL, NULL, NULL,
         CASE WHEN c.s %% 4 = 0 THEN '["date"]' END
  FROM (SELECT CASE WHEN c.s %% 9 = 0 THEN (c.s * 5) %% {macros}
                    ELSE c.p + {products} * ((c.s * 3 + 77) %% {own_macros}) END AS n) i
  WHERE c.s %% 10 < 7
  UNION ALL
  SELECT c.t0 + 200, c.session, 'search', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         '["refund ' || c.s %% 50 || '"]', c.s %% 5, NULL
  WHERE c.s %% 4 = 0
  UNION ALL
  SELECT c.t0 + 300, c.session, 'feedback', 'art-' || i.n, i.n, 'article', NULL, NULL, NULL, NULL, NULL,
         c.s %% 20 <> 0, NULL, NULL, NULL
  FROM (SELECT c.p + {products} * ((c.s * 7 + 13) %% {own_articles}) AS n) i WHERE c.s %% 10 = 0
  UNION ALL
  SELECT c.t0 + 400, c.session, 'none_fit', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         '["crypto", "payout ' || c.s %% 30 || '"]', NULL, NULL
  WHERE c.s %% 50 = 0
  UNION ALL
  SELECT c.t0 + 500, '', 'search', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         '["fee ' || c.s %% 40 || '"]', c.s %% 3, NULL
  WHERE c.s %% 12 = 0
) x
""".format(
    associates=ASSOCIATES,
    products=PRODUCTS,
    articles=ARTICLES,
    macros=MACROS,
    own_articles=ARTICLES // PRODUCTS,
    own_macros=MACROS // PRODUCTS,
)


@contextmanager
def server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    import pg_server as tool  # tools/pg_server.py
    folder = Path(tempfile.gettempdir()) / f"kbassist-bench-{secrets.token_hex(4)}"
    try:
        yield tool.start(folder)
    finally:
        tool.stop(folder, "immediate")
        shutil.rmtree(folder, ignore_errors=True)


def _with(url: str, **parts: str) -> str:
    return psycopg.conninfo.make_conninfo(url, **parts)


@contextmanager
def database(superuser: str) -> Iterator[tuple[str, list[str]]]:
    """A new database (its admin URL) and the roles made for it, both dropped afterwards."""
    name = f"kbassist_bench_{secrets.token_hex(3)}"
    roles: list[str] = []
    with psycopg.connect(superuser, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with(superuser, dbname=name), roles
    finally:
        with psycopg.connect(superuser, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            for role in roles:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def set_up(admin: str, roles: list[str]) -> tuple[str, str]:
    """The team schema, 200 associates, and logins for an editor and one associate (their URLs)."""
    logins = {}
    with psycopg.connect(admin, autocommit=True) as conn:
        init_schema(conn)
        for group in (Group.EDITORS, Group.ASSOCIATES):
            role, password = f"bench_{group.name.lower()}_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
            add_member(conn, role, group, password)
            roles.append(role)
            logins[group] = _with(admin, user=role, password=password)
        conn.execute("CREATE SCHEMA bench")
        conn.execute("CREATE TABLE bench.associates (n integer PRIMARY KEY, pseudonym uuid NOT NULL)")
        conn.execute(
            "INSERT INTO kbassist.associates (role, pseudonym) SELECT 'synthetic_' || n, gen_random_uuid() "
            "FROM generate_series(0, %s) n",
            (ASSOCIATES - 1,),
        )
        conn.execute(
            "INSERT INTO bench.associates SELECT substr(role, 11)::int, pseudonym FROM kbassist.associates "
            "WHERE role LIKE 'synthetic\\_%%'"
        )
    return logins[Group.EDITORS], logins[Group.ASSOCIATES]


def generate(admin: str, events: int, say: Callable[[str], None]) -> dict[str, Any]:
    cases = round(events / EVENTS_PER_CASE)
    inserted, started = 0, time.perf_counter()
    with psycopg.connect(admin, autocommit=True) as conn:
        for lo in range(0, cases, CASES_PER_STATEMENT):
            hi = min(cases, lo + CASES_PER_STATEMENT)
            params = {"start": START, "cases": cases, "span": DAYS * 86400.0, "lo": lo, "hi": hi}
            with conn.transaction():
                inserted += conn.execute(GENERATE, params).rowcount
            if hi // CASES_PER_STATEMENT % 25 == 0:
                say(f"  {inserted:,} events, {time.perf_counter() - started:.0f} s")
        seconds = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE")
        sizes = {
            t: conn.execute(sql.SQL("SELECT count(*) FROM kbassist.{}").format(sql.Identifier(t))).fetchone()[0]
            for t in ("events", *(table.name for table in rollup_sql.DAY_TABLES))
        }
    return {"cases": cases, "events": inserted, "seconds": round(seconds, 1),
            "events_per_s": round(inserted / seconds), "rows": sizes}  # fmt: skip


def check_sample(admin: str) -> dict[str, Any]:
    """Three days' rollups recomputed from scratch into ``bench_check`` equal the trigger-built ones."""
    days = [(FIRST_DAY + dt.timedelta(days=d)).isoformat() for d in SAMPLE_DAYS]
    differing = 0
    with psycopg.connect(admin, autocommit=True) as conn, conn.transaction():
        conn.execute("CREATE SCHEMA bench_check")
        conn.execute("SET LOCAL search_path = bench_check, kbassist, pg_temp")
        for table in rollup_sql.DAY_TABLES:
            conn.execute(table.create())
        for statement in (*rollup_sql.work_tables("uuid", " ON COMMIT DELETE ROWS"), *rollup_sql.START):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO affected (session) SELECT DISTINCT session FROM kbassist.events "
            "WHERE day = ANY(%s) AND session <> ''",
            (days,),
        )
        conn.execute(
            "INSERT INTO affected (session, event_id) SELECT '', event_id FROM kbassist.events "
            "WHERE day = ANY(%s) AND session = ''",
            (days,),
        )
        for statement in (*rollup_sql.LOAD_AFTER, *rollup_sql.APPLY):
            conn.execute(statement)
        for table in rollup_sql.DAY_TABLES:
            for a, b in (("kbassist", "bench_check"), ("bench_check", "kbassist")):
                differing += conn.execute(
                    f"SELECT count(*) FROM (SELECT * FROM {a}.{table.name} WHERE day = ANY(%s) "
                    f"EXCEPT SELECT * FROM {b}.{table.name} WHERE day = ANY(%s)) d",
                    (days, days),
                ).fetchone()[0]
        compared = conn.execute("SELECT count(*) FROM kbassist.item_days WHERE day = ANY(%s)", (days,)).fetchone()[0]
        conn.execute("DROP SCHEMA bench_check CASCADE")
    return {"days": days, "item_day_rows": compared, "differing_rows": differing}


class TimedReader:
    """A reader that keeps each question's time, named by the table it reads."""

    def __init__(self, inner: PostgresReader) -> None:
        self.inner = inner
        self.times: list[tuple[str, float]] = []

    def rows(self, query: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        started = time.perf_counter()
        out = self.inner.rows(query, params)
        self.times.append((question(query), time.perf_counter() - started))
        return out


def question(query: str) -> str:
    table = query.split(" FROM ", 1)[1].split(maxsplit=1)[0]
    what = {
        "session_days": "searches by day (trend)" if "searches <> 0" in query else "cases, events, associates",
        "item_days": "copies by day (trend)" if "copies <> 0" in query else "per item (macros, articles, misses…)",
        "use_days": "last used / opened",
        "ratio_days": "median edit ratio",
        "unfilled_days": "unfilled placeholders",
        "gap_days": "content gaps",
    }
    return f"{table}: {what[table]}"


def kb_items() -> list[KbItem]:
    """A KB like the generated one: 600 articles and 250 macros over 20 products."""
    items: list[KbItem] = []
    for n in range(ARTICLES):
        reviewed = dt.date(2025, 1, 1) + dt.timedelta(days=n)
        path = Path(f"/kb/a{n}.md")
        items.append(Article(f"art-{n}", "article", f"Article {n}", f"product-{n % PRODUCTS}", (), "", path, "",
                             reviewed=reviewed))  # fmt: skip
    for n in range(MACROS):
        path = Path(f"/kb/m{n}.md")
        items.append(Macro(f"mac-{n}", "macro", f"Macro {n}", f"product-{n % PRODUCTS}", (), "", path, "",
                           articles=(f"art-{n}",)))  # fmt: skip
    return items


def _timings(times: list[float]) -> dict[str, float]:
    return {"first_s": round(times[0], 3), "median_s": round(statistics.median(times[1:]), 3)}


def editor_queries(editor: str, today: dt.date) -> dict[str, Any]:
    """Each question of a Stats load and the whole load, for all products and for one, six times each."""
    since, until = today - dt.timedelta(days=DAYS - 1), today
    items = kb_items()
    out: dict[str, Any] = {"period": [since.isoformat(), until.isoformat()], "questions": {}, "stats_load_s": {}}
    with psycopg.connect(editor, autocommit=True) as conn:
        for label, product in (("all products", None), ("one product", "product-3")):
            runs: dict[str, list[float]] = {}
            loads = []
            for _ in range(6):
                with snapshot(conn) as reader:
                    timed = TimedReader(reader)
                    started = time.perf_counter()
                    stats = compute_stats(timed, items, since, until, product, today=today)
                    loads.append(time.perf_counter() - started)
                for name, seconds in timed.times:
                    runs.setdefault(name, []).append(seconds)
            out["questions"][label] = {name: _timings(times) for name, times in runs.items()}
            out["stats_load_s"][label] = _timings(loads)
            out.setdefault("figures", {})[label] = {
                "sessions": stats.sessions, "events": stats.events, "associates": stats.associates,
                "macros": len(stats.macros), "articles": len(stats.articles), "gaps": len(stats.gaps),
            }  # fmt: skip
    return out


def _case(n: int, seed: str) -> list[Event]:
    """One case of 14 events on the last day: the case, 10 suggestions, an open, a copy, a search."""
    session, ts, product = f"{seed}-{n}", START + (DAYS - 1) * 86400.0 + n * 30.0, f"product-{n % PRODUCTS}"
    events = [Event(session=session, kind=EventKind.SESSION, ts=ts)]
    for rank in range(1, 11):
        article = rank <= 6
        events.append(
            Event(
                session=session,
                kind=EventKind.SHOWN,
                ts=ts + rank,
                item_id=f"art-{(n + rank) % ARTICLES}" if article else f"mac-{(n + rank) % MACROS}",
                item_kind=ItemKind.ARTICLE if article else ItemKind.MACRO,
                rank=rank if article else rank - 6,
                score=1.0,
                product=product,
            )
        )
    macro, article = {"item_id": f"mac-{n % MACROS}", "item_kind": ItemKind.MACRO}, f"art-{n % ARTICLES}"
    events += [
        Event(session=session, kind=EventKind.OPENED, ts=ts + 30, item_id=article, item_kind=ItemKind.ARTICLE,
              source=Source.SUGGESTION, product=product),
        Event(session=session, kind=EventKind.SEARCH, ts=ts + 40, terms=("refund",), result_count=n % 3),
        Event(session=session, kind=EventKind.COPIED, ts=ts + 60, source=Source.SUGGESTION, edit_ratio=0.25,
              unfilled=0, product=product, **macro),  # type: ignore[arg-type]
    ]  # fmt: skip
    return events


def _upload_events(n_batches: int, batch: int, seed: str) -> list[list[Event]]:
    """Uploads as the sync makes them: cases oldest first, a case's events across two batches where a batch
    ends."""
    events: list[Event] = []
    while len(events) < n_batches * batch:
        events += _case(len(events) // 14, seed)
    return [events[i * batch : (i + 1) * batch] for i in range(n_batches)]


def ingest(admin: str, associate: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with psycopg.connect(associate, autocommit=True) as conn, psycopg.connect(admin, autocommit=True) as owner:
        for label, trigger in (("with trigger", True), ("without trigger", False)):
            if not trigger:
                owner.execute("ALTER TABLE kbassist.events DISABLE TRIGGER events_roll_up")
            batches = _upload_events(60, 500, f"ingest-{label}")
            started = time.perf_counter()
            for batch in batches:
                upload(conn, batch)
            seconds = time.perf_counter() - started
            out[label] = {"batches": len(batches), "batch_events": 500, "events_per_s": round(60 * 500 / seconds),
                          "ms_per_batch": round(seconds / len(batches) * 1000, 1)}  # fmt: skip
            if not trigger:
                owner.execute("DELETE FROM kbassist.events WHERE session LIKE 'ingest-without%%'")
                owner.execute("ALTER TABLE kbassist.events ENABLE TRIGGER events_roll_up")
        small = _upload_events(100, 14, "ingest-one-case")
        times = []
        for batch in small:
            started = time.perf_counter()
            upload(conn, batch)
            times.append(time.perf_counter() - started)
        out["one case per upload"] = {"uploads": len(small), "median_ms": round(statistics.median(times) * 1000, 1),
                                      "max_ms": round(max(times) * 1000, 1)}  # fmt: skip
    return out


def report(result: dict[str, Any]) -> None:
    gen = result["generate"]
    print(f"{gen['events']:,} events of {gen['cases']:,} cases by {ASSOCIATES} associates over {DAYS} days, "
          f"through the trigger: {gen['seconds']:.0f} s ({gen['events_per_s']:,} events/s)")  # fmt: skip
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in gen["rows"].items()))
    check = result["check"]
    print(f"sample check ({', '.join(check['days'])}): {check['differing_rows']} differing rows "
          f"({check['item_day_rows']:,} item_days rows compared)")  # fmt: skip
    editor = result["editor"]
    print(f"\nEditor's questions, {editor['period'][0]} .. {editor['period'][1]} (target {TARGET_S} s each):")
    for label, questions in editor["questions"].items():
        print(f"  {label}")
        for name, t in questions.items():
            flag = "" if t["first_s"] <= TARGET_S else "  over target"
            print(f"    {name:<62} first {t['first_s']:>6.3f} s   median {t['median_s']:>6.3f} s{flag}")
        load = editor["stats_load_s"][label]
        print(f"    {'whole Stats load (all questions + figures)':<62} first {load['first_s']:>6.3f} s   "
              f"median {load['median_s']:>6.3f} s")  # fmt: skip
    print("\nIngest (the sync's upload, into the full table):")
    for label, figures in result["ingest"].items():
        print(f"  {label:<22} " + ", ".join(f"{k} {v:,}" for k, v in figures.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", help="a superuser URL (default: a throwaway cluster of this run)")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with server(args.url) as superuser, database(superuser) as (admin, roles):
        editor, associate = set_up(admin, roles)
        say("generating events through the rollup trigger…")
        result: dict[str, Any] = {"generate": generate(admin, args.events, say)}
        say("checking a sample against a recomputation…")
        result["check"] = check_sample(admin)
        say("timing the editor's questions…")
        today = FIRST_DAY + dt.timedelta(days=DAYS - 1)
        result["editor"] = editor_queries(editor, today)
        say("timing uploads…")
        result["ingest"] = ingest(admin, associate)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
