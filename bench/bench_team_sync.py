"""How fast a desktop's outbox reaches the team database, and what the upload costs in memory.

    .venv/bin/python bench/bench_team_sync.py [--events 200000] [--batches 100,500,2000] [--url URL] [--json]

Builds a local usage file of ``--events`` waiting events (cases of a realistic mix: shown suggestions,
opens, previews, copies with unfilled placeholders, searches, votes), then for each batch size uploads all
of it with ``TeamSync.sync_now`` (what `kbassist team sync` does) in a fresh process, into an emptied
``kbassist.events``, and prints events per second and the process's peak memory beside its memory before
the upload. Then the same file once more into the full table (every event a duplicate: a restored backup,
a crash between commit and mark), and the time a login takes (SCRAM), which the connect timeout is set
against. The server is a throwaway cluster (tools/pg_server.py) unless ``--url`` gives a superuser URL.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "app"), str(REPO / "tests")]


def _mib(kilobytes: int) -> float:
    return round(kilobytes / 1024, 1)


def _rss_mib() -> float:
    """This process's resident memory now (Linux), else its peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return round(pages * resource.getpagesize() / 2**20, 1)


def child(db: str, url: str, batch: int) -> None:
    """One upload in this process; prints its figures as JSON (run by the parent in a fresh process). A thread
    samples the resident memory every 5 ms meanwhile: its peak against the memory just before is the upload's."""
    from kbassist.usage.store import UsageStore
    from kbassist.usage.team import TeamSync

    with UsageStore(db) as store:
        store.waiting(1)  # the file opened once, as the sync will
    before = _rss_mib()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], _rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    result = TeamSync(db, url, batch_size=batch).sync_now()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    sent = result.uploaded + result.duplicates_skipped
    print(json.dumps({"batch": batch, "events": sent, "uploaded": result.uploaded,
                      "duplicates_skipped": result.duplicates_skipped, "seconds": round(seconds, 2),
                      "events_per_s": round(sent / seconds), "rss_before_mib": before,
                      "rss_peak_mib": max(peak[0], _rss_mib())}))  # fmt: skip


def _case(rng: random.Random, ts: float) -> list[Any]:
    """One case's events: five articles and three macros shown, and most often an open and a copy."""
    from kbassist.content.model import ItemKind
    from kbassist.usage import Event, EventKind, Source

    session = f"{rng.getrandbits(128):032x}"
    product = rng.choice(("refunds", "disputes", "payouts", "billing", "connect"))
    case = [Event(session=session, kind=EventKind.SESSION, ts=ts)]
    for kind, count, name in ((ItemKind.ARTICLE, 5, f"{product}-article"), (ItemKind.MACRO, 3, f"macro-{product}")):
        case += [
            Event(session=session, kind=EventKind.SHOWN, ts=ts, item_id=f"{name}-{rng.randint(1, 40)}",
                  item_kind=kind, rank=rank, score=rng.uniform(1, 9), product=product)
            for rank in range(1, count + 1)
        ]  # fmt: skip
    if rng.random() < 0.3:
        case.append(Event(session=session, kind=EventKind.SEARCH, ts=ts + 5, terms=("payout delayed",),
                          result_count=rng.randint(0, 9)))  # fmt: skip
    if rng.random() < 0.7:
        case.append(Event(session=session, kind=EventKind.OPENED, ts=ts + 8, item_id=f"{product}-article-1",
                          item_kind=ItemKind.ARTICLE, source=Source.SUGGESTION, product=product))  # fmt: skip
    if rng.random() < 0.6:
        case.append(Event(session=session, kind=EventKind.COPIED, ts=ts + 30, item_id=f"macro-{product}-1",
                          item_kind=ItemKind.MACRO, source=Source.SUGGESTION, edit_ratio=round(rng.random() * 0.4, 3),
                          unfilled=1, placeholders=("amount",), product=product))  # fmt: skip
    return case


def build_outbox(path: Path, n: int) -> None:
    """``n`` events of cases like a day's work, written in chunks of 20,000."""
    from kbassist.usage import UsageStore

    rng = random.Random(7)
    events: list[Any] = []
    ts = 1_760_000_000.0
    written = 0
    with UsageStore(path) as store:
        while written + len(events) < n:
            ts += rng.uniform(20, 300)
            events += _case(rng, ts)
            if len(events) >= 20_000:
                written += store.add(events[: n - written])
                events = []
        store.add(events[: n - written])


def login_ms(url: str, times: int = 20) -> float:
    from kbassist.usage.team.connection import connect

    spent = []
    for _ in range(times):
        started = time.perf_counter()
        with connect(url) as conn:
            conn.execute("SELECT 1")
        spent.append(time.perf_counter() - started)
    return round(statistics.median(spent) * 1000, 1)


def run(server_url: str, events: int, batches: list[int], work: Path) -> dict[str, Any]:
    from kbassist.usage.team.admin import init_schema
    from kbassist.usage.team.connection import connect
    from postgres import TeamDb, create_database, drop_database, drop_roles, with_login

    name = create_database(server_url)
    team = TeamDb(with_login(server_url, dbname=name))
    try:
        with connect(team.admin_url, admin=True) as conn:
            init_schema(conn)
        login = team.add_associate("bench")
        pristine = work / "outbox.sqlite3"
        started = time.perf_counter()
        build_outbox(pristine, events)
        print(f"built an outbox of {events:,} events in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        rows = []
        db = work / "usage.sqlite3"
        for batch in batches:
            with team.admin() as conn:
                conn.execute("TRUNCATE kbassist.events")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(pristine, db)
            rows.append(_child_run(db, login.url, batch))
        shutil.copyfile(pristine, db)
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        resend = _child_run(db, login.url, batches[0] if len(batches) == 1 else sorted(batches)[len(batches) // 2])
        return {"events": events, "uploads": rows, "resend_all_duplicates": resend, "login_ms": login_ms(login.url)}
    finally:
        drop_database(server_url, name)
        drop_roles(server_url, team.roles)


def _child_run(db: Path, url: str, batch: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", str(db), url, str(batch)], capture_output=True,
                         text=True, check=True)  # fmt: skip
    figures: dict[str, Any] = json.loads(out.stdout)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batches", default="100,500,2000", help="batch sizes to measure, comma-separated")
    parser.add_argument("--url", help="a superuser URL (default: a throwaway cluster)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    from postgres import started_cluster

    batches = [int(b) for b in args.batches.split(",")]
    with tempfile.TemporaryDirectory(prefix="kbassist-bench-") as tmp:
        if args.url:
            figures = run(args.url, args.events, batches, Path(tmp))
        else:
            with started_cluster() as server:
                figures = run(server.url, args.events, batches, Path(tmp))
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{figures['events']:,} events from a local outbox to PostgreSQL")
    print(f"{'batch':>6} {'seconds':>8} {'events/s':>9} {'RSS before':>11} {'RSS peak':>9}  (of the uploading process)")
    for r in [*figures["uploads"], figures["resend_all_duplicates"]]:
        note = "  (all already on the server)" if r["duplicates_skipped"] == r["events"] else ""
        print(f"{r['batch']:>6} {r['seconds']:>8.2f} {r['events_per_s']:>9,} {r['rss_before_mib']:>9} MiB "
              f"{r['rss_peak_mib']:>5} MiB{note}")  # fmt: skip
    print(f"a login (SCRAM, loopback), median of 20: {figures['login_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
