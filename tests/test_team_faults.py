"""Faults between a desktop and the team database, against a real PostgreSQL server. Each test ends the same
way: the server holds exactly the events the desktop recorded, none lost and none twice."""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kbassist.usage import UsageStore
from kbassist.usage.team import Phase, TeamSync
from kbassist.usage.team.state import Backoff
from postgres import REPO, PgServer, TeamDb, outbox, team_database, twice_at_once, wait_for, with_login


def recorded_ids(db: Path) -> list[str]:
    with UsageStore(db) as store:
        assert store.moved_aside is None  # the local file came through intact
        return [event.event_id for event in store.events()]


def assert_exactly_recorded(team: TeamDb, db: Path) -> None:
    on_server = team.event_ids()
    assert len(on_server) == len(set(on_server)), "an event is on the server twice"
    assert sorted(on_server) == sorted(recorded_ids(db)), "the server and the desktop disagree"
    with UsageStore(db) as store:
        assert store.waiting_count() == 0


def quick(db: Path, url: str, batch_size: int = 50) -> TeamSync:
    return TeamSync(db, url, batch_size=batch_size, interval=0.1, backoff=Backoff(first=0.05, cap=0.5))


@contextlib.contextmanager
def running(sync: TeamSync) -> Iterator[TeamSync]:
    sync.start()
    try:
        yield sync
    finally:
        sync.stop()


def test_server_stopped_mid_sync_and_started_again(own_pg_server: PgServer, tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite3"
    with team_database(own_pg_server) as team:
        alice = team.add_associate()
        outbox(db, 4000)
        with running(quick(db, alice.url, batch_size=40)) as sync:
            wait_for(lambda: len(team.event_ids()) >= 400)
            own_pg_server.stop("immediate")  # as if it crashed, in the middle of the uploads
            wait_for(lambda: sync.state.phase is Phase.OFFLINE)
            outbox(db, 300, start=1_770_000_000.0)  # the desktop goes on recording while the server is down
            wait_for(lambda: sync.backoff.failures >= 3)
            assert sync.state.waiting > 300 and sync.state.text().startswith("Team: offline since ")
            own_pg_server.launch()
            wait_for(lambda: sync.state.phase is Phase.SYNCED and sync.state.waiting == 0, timeout=60)
        assert_exactly_recorded(team, db)


def test_sigkill_of_a_syncing_process_twenty_times(team_db: TeamDb, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    rng = random.Random(12)
    for _ in range(20):
        worker = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "team_worker.py"), str(db), alice.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.02, 0.5))
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        worker.stdout.close()
    with UsageStore(db) as store:
        assert store.count() > 500 and store.count() > store.waiting_count()  # the kills came during uploads
    TeamSync(db, alice.url).sync_now()  # the next start of the desktop
    assert_exactly_recorded(team_db, db)


def test_two_instances_syncing_the_same_outbox(team_db: TeamDb, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    home = tmp_path / "home"
    db = home / "data" / "usage.sqlite3"
    outbox(db, 6000)
    env = {**os.environ, "KBASSIST_HOME": str(home), "KBASSIST_TEAM_DB": alice.url}
    results = twice_at_once([sys.executable, "-m", "kbassist", "team", "sync", "--json"], env)
    assert sum(r["uploaded"] for r in results) == 6000  # each event inserted by exactly one of them
    assert all(r["waiting"] == 0 for r in results)
    assert_exactly_recorded(team_db, db)


def test_wrong_port_for_a_while(team_db: TeamDb, tmp_path: Path) -> None:
    """The associate typed a wrong port (nothing listens there): offline, backing off, nothing lost; once the
    address is right, everything goes up."""
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    outbox(db, 500)
    with running(quick(db, with_login(alice.url, port=closed))) as sync:
        wait_for(lambda: sync.state.phase is Phase.OFFLINE and sync.backoff.failures >= 4)
        outbox(db, 100, start=1_770_000_000.0)
        assert team_db.event_ids() == []
        sync.url = alice.url
        wait_for(lambda: sync.state.phase is Phase.SYNCED and sync.state.waiting == 0)
    assert_exactly_recorded(team_db, db)


class CuttableLink:
    """A TCP relay on loopback between the desktop and the server whose "cable" can be pulled mid-upload
    (every connection closed, nothing accepted) and plugged back in on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.plug()

    def plug(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def pull(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        assert self._listener is not None
        for s in [self._listener, *sockets]:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        peer = {a: b, b: a}
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    peer[s].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()


def test_network_cut_in_the_middle_of_uploads(team_db: TeamDb, tmp_path: Path, pg_server: PgServer) -> None:
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    link = CuttableLink(pg_server.port)
    outbox(db, 3000)
    with running(quick(db, with_login(alice.url, port=link.port), batch_size=30)) as sync:
        for _ in range(3):  # three cuts, each while batches are going up
            sent = len(team_db.event_ids())
            wait_for(lambda sent=sent: len(team_db.event_ids()) >= sent + 200)
            link.pull()
            wait_for(lambda: sync.state.phase is Phase.OFFLINE)
            time.sleep(0.3)
            link.plug()
            outbox(db, 50, start=1_770_000_000.0 + sent)
        wait_for(lambda: sync.state.phase is Phase.SYNCED and sync.state.waiting == 0, timeout=60)
    link.pull()
    assert_exactly_recorded(team_db, db)
