"""The chaos run's own PostgreSQL cluster and redis-server, which it may restart (never the
machine's shared ones): Debian's binaries, 127.0.0.1 only, in the run's work directory."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path


def _wait(check, seconds: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready in {seconds:g} s")
        time.sleep(0.1)  # polling a condition, bounded by the deadline


class Postgres:
    """``initdb`` into ``<work>/pg`` (as the ``postgres`` user when run as root), trust auth."""

    def __init__(self, work: Path, port: int) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        self.dir, self.port = work / "pg", port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *argv: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run([*prefix, *argv], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                       timeout=timeout)

    def start(self) -> None:
        self.dir.mkdir(parents=True)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chown(self.dir.parent, pw.pw_uid, pw.pw_gid)
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        with (self.dir / "data" / "postgresql.conf").open("a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                       "max_connections = 300\nfsync = off\n")  # fsync off loses nothing to a process crash
        self._pg_ctl("start")

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"),
                  "-w", "-t", "60", *args)

    def restart(self) -> None:
        """Immediate mode: every backend dropped at once, crash recovery at the start."""
        self._pg_ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "fast")


class Redis:
    """A redis-server with no persistence: a restart loses everything it held."""

    def __init__(self, work: Path, port: int) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.work, self.port = work, port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = (self.work / "redis.log").open("a")
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=self.work)
        _wait(self._ping, 10, "redis-server")

    def _ping(self) -> bool:
        done = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return done.stdout.strip() == "PONG"

    def restart(self) -> None:
        """SIGKILL (a crash: the streams, the consumer groups, the cache are gone), then start."""
        self.stop(signal.SIGKILL)
        self.start()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
