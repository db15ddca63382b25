"""`hub cluster` refusals that need no services: the settings it requires, no cluster to see."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HUB = str(Path(sys.executable).with_name("hub"))


def _hub(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run([HUB, "cluster", *args], cwd=cwd, env={**base, **env}, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("env", "named"), [
    ({}, "HUB_DATABASE_URL"),  # the embedded SQLite default: one process only
    ({"HUB_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/none", "HUB_SANDBOX": "1"}, "HUB_REDIS_URL"),
])
def test_up_refuses_without_postgresql_and_redis_naming_the_setting(tmp_path: Path, env: dict, named: str) -> None:
    done = _hub(tmp_path, "up", "--base-port", "9260", **env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"hub: {named}:") and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "var" / "cluster").exists(), "a refused start leaves nothing behind"


def test_up_refuses_a_postgresql_hub_that_did_not_choose_the_sandbox(tmp_path: Path) -> None:
    done = _hub(tmp_path, "up", "--base-port", "9260", HUB_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:1/x",
                HUB_REDIS_URL="redis://127.0.0.1:1/0")
    assert done.returncode == 2 and done.stderr.startswith("hub: HUB_SANDBOX:"), done.stderr


def test_status_and_down_without_a_cluster(tmp_path: Path) -> None:
    status = _hub(tmp_path, "status", "--json")
    assert status.returncode == 3 and '"running": false' in status.stdout
    down = _hub(tmp_path, "down")
    assert down.returncode == 0 and "no cluster" in down.stdout


def _sleeper() -> tuple[subprocess.Popen, dict]:
    """A stand-in role: a process in its own group, recorded as `hub cluster up` records one."""
    argv = ["sleep", "120"]
    proc = subprocess.Popen(argv, start_new_session=True)
    deadline = time.monotonic() + 10  # until it has exec'd: before, /proc shows the forking parent's command
    while Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")[:-1] != [a.encode() for a in argv]:
        assert time.monotonic() < deadline, "the stand-in never started"
        time.sleep(0.01)
    return proc, {"name": "worker-1", "role": "worker", "port": None, "pid": proc.pid, "cmdline": argv}


def test_a_recorded_pid_is_only_ours_while_its_command_line_is_the_one_recorded() -> None:
    from commerce_hub.cluster import _alive, _stop

    proc, entry = _sleeper()
    try:
        assert _alive(entry)
        assert not _alive({**entry, "cmdline": ["sleep", "121"]}), "a reused pid running something else"
        assert _stop([{**entry, "cmdline": ["other"]}]) == 0 and proc.poll() is None, "never signalled"
        assert _stop([entry], grace=10) == 1
        assert not _alive(entry) and not Path(f"/proc/{proc.pid}").exists()  # stopped (and reaped by _alive)
    finally:
        proc.kill()
        proc.wait(5)


def test_the_watchdog_stops_the_cluster_and_removes_its_run_directory_after_its_lifetime(tmp_path: Path) -> None:
    import json

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    proc, entry = _sleeper()
    try:
        (run_dir / "cluster.json").write_text(json.dumps([entry]))
        (run_dir / "worker-1.log").write_text("a log\n")
        started = time.monotonic()
        done = _hub(tmp_path, "down", "--run-dir", str(run_dir), "--after", "1")
        assert done.returncode == 0 and "1 process(es) stopped" in done.stdout, done.stdout + done.stderr
        assert time.monotonic() - started >= 1
        assert proc.wait(10) == -15 and not run_dir.exists()
    finally:
        proc.kill()
        proc.wait(5)


def test_restart_sigkills_one_member_and_starts_it_again_as_recorded(tmp_path: Path) -> None:
    """`hub cluster restart NAME` (bench/chaos): the member's process group SIGKILLed, the same
    command line started again, its log appended to, its new pid recorded; no other member touched."""
    import json

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    proc, entry = _sleeper()
    other, other_entry = _sleeper()
    other_entry = {**other_entry, "name": "worker-2"}
    peers = [{"name": n, "role": n, "port": p, "pid": 1, "cmdline": ["not-ours"]}  # where the URLs point
             for n, p in (("lb", 9260), ("experience", 9263), ("process", 9264), ("system", 9265))]
    new_pid = None
    try:
        (run_dir / "cluster.json").write_text(json.dumps([*peers, entry, other_entry]))
        (run_dir / "worker-1.log").write_text("the first life\n")
        done = _hub(tmp_path, "restart", "worker-1", "--run-dir", str(run_dir))
        assert done.returncode == 0, done.stdout + done.stderr
        assert proc.wait(10) == -9, "SIGKILL, no shutdown"
        recorded = {e["name"]: e for e in json.loads((run_dir / "cluster.json").read_text())}
        new_pid = recorded["worker-1"]["pid"]
        assert new_pid != entry["pid"] and f"restarted (pid {new_pid})" in done.stdout
        assert recorded["worker-1"]["cmdline"] == ["sleep", "120"] and Path(f"/proc/{new_pid}").exists()
        assert recorded["worker-2"] == other_entry and other.poll() is None, "the other member untouched"
        assert (run_dir / "worker-1.log").read_text().startswith("the first life\n"), "appended to"
        unknown = _hub(tmp_path, "restart", "nope", "--run-dir", str(run_dir))
        assert unknown.returncode == 1 and "no member 'nope'" in unknown.stderr, unknown.stderr
    finally:
        for p in (proc, other):
            p.kill()
            p.wait(5)
        if new_pid:
            os.killpg(new_pid, 9)
