"""A throwaway PostgreSQL server for the team-mode tests: its own cluster in a folder, on loopback.

    python tools/pg_server.py start DIR    creates and starts a cluster in DIR; prints its superuser URL
    python tools/pg_server.py stop DIR     stops it (the folder is left for the caller to remove)

`.ci/run` starts one and hands its URL to the tests in ``KBASSIST_TEST_PG``; the tests start one of their own
the same way when that variable is unset (tests/postgres.py). It needs PostgreSQL's server programs
(Debian: ``apt-get install postgresql``); nothing is installed or configured outside DIR.

The cluster listens on 127.0.0.1 only, on a free port, and asks every TCP client for a password (SCRAM), as a
team's server would; the superuser's password is random and lives in DIR. ``fsync`` is off: the tests stop
and start the server and kill clients, never the machine, and a throwaway cluster is not worth the disk waits.
Run as root (CI), the server runs as the ``postgres`` account, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

SERVER_ACCOUNT = "postgres"


def bin_dir() -> Path | None:
    """The folder of PostgreSQL's server programs: on PATH, from pg_config, or Debian's versioned folders."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if (Path(out) / "pg_ctl").exists():
            return Path(out)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_server(cmd: list[str]) -> list[str]:
    """The command run as an unprivileged account when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", SERVER_ACCOUNT, "--", *cmd]


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_ACCOUNT)
        os.chown(path, account.pw_uid, account.pw_gid)


def start(folder: Path) -> str:
    """Create and start a cluster in ``folder``; the superuser URL (also written to ``folder/url``)."""
    binaries = bin_dir()
    if binaries is None:
        raise RuntimeError("PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    _own(folder)
    password = secrets.token_urlsafe(18)
    pwfile = folder / "superuser.pw"
    pwfile.write_text(password + "\n", "utf-8")
    pwfile.chmod(0o600)
    _own(pwfile)
    data = folder / "data"
    subprocess.run(
        _as_server([
            str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--locale=C",
            "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
        ]),
        check=True, stdout=subprocess.DEVNULL,
    )
    port = _free_port()
    # In the cluster's own configuration, so a restart after a stop (the fault tests) finds the same server.
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(
            f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{folder}'\n"
            "fsync = off\nfull_page_writes = off\nmax_connections = 200\n"
        )
    launch(folder)
    url = f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
    (folder / "url").write_text(url + "\n", "utf-8")
    (folder / "url").chmod(0o600)
    return url


def stop(folder: Path, mode: str = "fast") -> None:
    binaries = bin_dir()
    data = folder / "data"
    if binaries is None or not (data / "postmaster.pid").exists():
        return
    subprocess.run(
        _as_server([str(binaries / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"]),
        check=False, stdout=subprocess.DEVNULL,
    )


def launch(folder: Path) -> None:
    """Start the cluster in ``folder`` (again, after a stop: the fault tests stop the server in mid-sync)."""
    binaries = bin_dir()
    if binaries is None:
        raise RuntimeError("PostgreSQL's server programs are not installed")
    subprocess.run(
        _as_server([str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"),
                    "-w", "-t", "60", "start"]),
        check=True, stdout=subprocess.DEVNULL,
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"start", "stop"}:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[1]).resolve()
    if argv[0] == "start":
        print(start(folder))
    else:
        stop(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
