"""`hub cluster up|down|status`: the split topology as local processes, without containers.

Two gateways behind a local load balancer (Debian's haproxy, installed with apt-get when it
is missing and the command runs as root), and one experience, process, system and sandbox
role and two workers, each a `hub serve --role R` process on PostgreSQL + Redis (the
settings ``HUB_DATABASE_URL`` and ``HUB_REDIS_URL``). Every process listens on 127.0.0.1 on
``--base-port`` + its offset in ``LAYOUT``; its pid goes to ``cluster.json`` and its log to
``<name>.log`` in the run directory, which ``up`` empties first and ``down`` removes. Each
wait is bounded; ``--lifetime`` starts a watchdog that takes the cluster down by itself.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from shared.settings import Settings, SettingsError

LAYOUT = (  # name, role (None: the load balancer), port offset from --base-port
    ("lb", None, 0), ("gateway-1", "gateway", 1), ("gateway-2", "gateway", 2), ("experience", "experience", 3),
    ("process", "process", 4), ("system", "system", 5), ("sandbox", "sandbox", 6),
    ("worker-1", "worker", 7), ("worker-2", "worker", 8),
)
STATE = "cluster.json"
HOST = "127.0.0.1"


class ClusterError(Exception):
    """The cluster cannot start (or stop); ``str(err)`` is one line saying why."""


def up(settings: Settings, run_dir: Path, base_port: int, timeout: float, lifetime: float) -> int:
    _require_shared_stores(settings)
    if _running(run_dir):
        raise ClusterError(f"a cluster is already running in {run_dir} ('hub cluster down --run-dir {run_dir}' first)")
    from commerce_hub.preflight import migrate, require_sandbox_choice

    require_sandbox_choice(settings)
    haproxy = ensure_haproxy()
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    migrate(settings)  # once, before the roles start (each would otherwise take the lock in turn)
    layout = [(n, r, base_port + o) for n, r, o in LAYOUT if r != "sandbox" or settings.sandbox]
    ports = {name: port for name, _, port in layout}
    url = {name: f"http://{HOST}:{port}" for name, port in ports.items()}
    env = _role_env(ports)
    entries: list[dict] = []
    try:
        for name, role, port in layout:
            if role is None:
                argv = [haproxy, "-db", "-f", str(_haproxy_config(run_dir, port, ports["gateway-1"], ports["gateway-2"]))]
            else:
                argv = [sys.executable, "-m", "commerce_hub.cli", "serve", "--role", role, "--port", str(port)]
            entries.append(_spawn(run_dir, name, role or "lb", port, argv, env))
            _save(run_dir, entries)
        _wait_ready(run_dir, entries, timeout)
        if lifetime > 0:  # counted from the moment it is ready
            argv = [sys.executable, "-m", "commerce_hub.cli", "cluster", "down", "--run-dir", str(run_dir),
                    "--after", str(lifetime)]
            entries.append(_spawn(run_dir, "watchdog", "watchdog", None, argv, dict(os.environ)))
            _save(run_dir, entries)
    except BaseException:
        _stop(entries)
        raise
    print(f"hub: cluster up: {url['lb']} (haproxy -> gateways on {ports['gateway-1']} and {ports['gateway-2']}); "
          f"pids and logs in {run_dir}; 'hub cluster status', 'hub cluster down' "
          + (f"(it stops by itself after {lifetime:g} s)" if lifetime > 0 else ""), flush=True)
    return 0


def restart(run_dir: Path, name: str, timeout: float) -> int:
    entry = respawn(run_dir, name, timeout)
    print(f"hub: {name} restarted (pid {entry['pid']})")
    return 0


def respawn(run_dir: Path, name: str, timeout: float) -> dict:
    """Stop one member (SIGKILL of its process group, when it still runs) and start it again as
    ``up`` did: the same command line and settings, its log appended to; waits (bounded) until it
    is ready and returns its new entry (saved to ``cluster.json``)."""
    entries = _load(run_dir)
    if entries is None:
        raise ClusterError(f"no cluster in {run_dir}")
    found = [i for i, e in enumerate(entries) if e["name"] == name and e["role"] != "watchdog"]
    if not found:
        raise ClusterError(f"no member {name!r} in {run_dir} (members: {', '.join(e['name'] for e in entries)})")
    old = entries[found[0]]
    if _alive(old):
        _signal(old, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(old) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling a condition, bounded by the deadline
    ports = {e["name"]: e["port"] for e in entries if e["port"] is not None}
    entry = _spawn(run_dir, old["name"], old["role"], old["port"], old["cmdline"], _role_env(ports), append=True)
    entries[found[0]] = entry
    _save(run_dir, entries)
    _wait_ready(run_dir, [entry], timeout)
    return entry


def _role_env(ports: dict[str, int]) -> dict[str, str]:
    """Every role's environment: this one's, plus where the other members listen (and the
    workers' concurrency of deploy/, 256, unless this environment sets one)."""
    url = {name: f"http://{HOST}:{port}" for name, port in ports.items()}
    return {"HUB_WORKER_CONCURRENCY": "256", **os.environ, "HUB_HOST": HOST, "HUB_EXPERIENCE_URL": url["experience"],
            "HUB_PROCESS_URL": url["process"], "HUB_SYSTEM_URL": url["system"], "HUB_SANDBOX_EVENTS_URL": url["lb"],
            "HUB_TRUSTED_PROXIES": HOST,
            **({"HUB_SANDBOX_URL": url["sandbox"]} if "sandbox" in url else {})}


def down(run_dir: Path, after: float = 0.0) -> int:
    if after > 0:
        time.sleep(after)  # the watchdog's lifetime, not a wait for a condition
    entries = _load(run_dir)
    if entries is None:
        print(f"hub: no cluster in {run_dir}")
        return 0
    stopped = _stop([e for e in entries if e["pid"] != os.getpid()])
    shutil.rmtree(run_dir, ignore_errors=True)
    print(f"hub: cluster down ({stopped} process(es) stopped, {run_dir} removed)")
    return 0


def status(run_dir: Path, as_json: bool) -> int:
    entries = _load(run_dir)
    if entries is None:
        print(json.dumps({"running": False, "processes": []}) if as_json else f"hub: no cluster in {run_dir}")
        return 3
    rows = []
    with httpx.Client(timeout=2.0) as client:
        for e in entries:
            alive = _alive(e)
            ready = None
            if alive and e["port"] is not None:
                ready = _ready(client, e["port"])
            rows.append({**e, "alive": alive, "ready": ready,
                         "url": f"http://{HOST}:{e['port']}" if e["port"] is not None else None})
    healthy = all(r["alive"] and r["ready"] in (True, None) for r in rows)
    if as_json:
        print(json.dumps({"running": True, "healthy": healthy, "processes": rows}))
    else:
        for r in rows:
            state = "ready" if r["ready"] else ("running" if r["alive"] and r["ready"] is None else
                                                "not ready" if r["alive"] else "stopped")
            print(f"{r['name']:<11} pid {r['pid']:<8} {r['url'] or '-':<24} {state}")
    return 0 if healthy else 1


def ensure_haproxy() -> str:
    """haproxy's path; Debian's package is installed (once, saying so) when it is missing."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ClusterError("the local cluster needs haproxy: run 'sudo apt-get install haproxy' first")
    print("hub: installing Debian's haproxy for the local cluster's load balancer (once)...", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "haproxy"]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise ClusterError(f"could not install haproxy with apt-get: {done.stderr.strip()[-300:]}")
    found = shutil.which("haproxy", path="/usr/sbin:/usr/bin")
    if not found:
        raise ClusterError("apt-get installed haproxy but no haproxy command was found")
    return found


def _require_shared_stores(settings: Settings) -> None:
    if settings.is_sqlite:
        raise SettingsError("HUB_DATABASE_URL: the local cluster runs on PostgreSQL (postgresql+asyncpg://...): "
                            "several processes share it")
    if not settings.redis_url:
        raise SettingsError("HUB_REDIS_URL: the local cluster needs Redis (its gateways share limits, cache, bus)")


def _haproxy_config(run_dir: Path, port: int, gateway_1: int, gateway_2: int) -> Path:
    path = run_dir / "haproxy.cfg"
    path.write_text(f"""# written by 'hub cluster up'
global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option forwardfor
    option redispatch
    retries 2
frontend hub
    bind {HOST}:{port}
    default_backend gateways
backend gateways
    balance roundrobin
    option httpchk GET /health/ready
    server gateway-1 {HOST}:{gateway_1} check inter 1s fall 2 rise 1
    server gateway-2 {HOST}:{gateway_2} check inter 1s fall 2 rise 1
""")
    return path


def _spawn(run_dir: Path, name: str, role: str, port: int | None, argv: list[str], env: dict,
           append: bool = False) -> dict:
    with (run_dir / f"{name}.log").open("a" if append else "w") as log:
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own process group: down stops its children too
    return {"name": name, "role": role, "port": port, "pid": proc.pid, "cmdline": argv}


def _wait_ready(run_dir: Path, entries: list[dict], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    waiting = [e for e in entries if e["port"] is not None]
    with httpx.Client(timeout=2.0) as client:
        while waiting:
            for e in [e for e in waiting if not _alive(e)]:
                raise ClusterError(f"{e['name']} exited at start: {_tail(run_dir / (e['name'] + '.log'))}")
            waiting = [e for e in waiting if not _ready(client, e["port"])]
            if waiting and time.monotonic() > deadline:
                e = waiting[0]
                raise ClusterError(f"{e['name']} not ready in {timeout:g} s: {_tail(run_dir / (e['name'] + '.log'))}")
            time.sleep(0.2)  # polling a condition, bounded by the deadline


def _ready(client: httpx.Client, port: int) -> bool:
    try:
        return client.get(f"http://{HOST}:{port}/health/ready").status_code == 200
    except httpx.HTTPError:
        return False


def _stop(entries: list[dict], grace: float = 15.0) -> int:
    """SIGTERM every live process group (the load balancer first), SIGKILL what is left after ``grace``."""
    live = [e for e in entries if _alive(e)]
    for e in live:
        _signal(e, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(_alive(e) for e in live) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling a condition, bounded by the grace period
    for e in live:
        if _alive(e):
            _signal(e, signal.SIGKILL)
    return len(live)


def _signal(entry: dict, sig: int) -> None:
    try:
        os.killpg(entry["pid"], sig)
    except ProcessLookupError:
        pass


def _alive(entry: dict) -> bool:
    """The recorded process is still the one we started (same pid and command line), and running."""
    pid = entry["pid"]
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it when it is our own child (started in this process)
    except ChildProcessError:
        pass
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and raw.split(b"\0")[:-1] == [a.encode() for a in entry["cmdline"]]


def _running(run_dir: Path) -> bool:
    entries = _load(run_dir)
    return bool(entries) and any(_alive(e) for e in entries)


def _save(run_dir: Path, entries: list[dict]) -> None:
    tmp = run_dir / (STATE + ".tmp")
    tmp.write_text(json.dumps(entries, indent=1))
    tmp.replace(run_dir / STATE)


def _load(run_dir: Path) -> list[dict] | None:
    try:
        return json.loads((run_dir / STATE).read_text())
    except (OSError, ValueError):
        return None


def _tail(log: Path, chars: int = 600) -> str:
    try:
        return " | ".join(log.read_text(errors="replace")[-chars:].strip().splitlines()) or "(empty log)"
    except OSError:
        return "(no log)"
