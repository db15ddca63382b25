"""Benchmark: the order flows end to end at a constant arrival rate (issue 14).

Starts the split topology on a fresh PostgreSQL database and Redis (the
sandbox backends, an order-accepting hub with no workers, a ``system`` role
and a ``worker`` role, each its own process), offers orders at a constant
rate for a bounded time, and prints, in the same run:

- accepted/s, posted/s and released/s, and the backlog (accepted, not yet
  released) every ``--every`` seconds;
- accepted -> released p50 / p99 (from the orders' own status history);
- CPU milliseconds per order of each process (from ``/proc``) and of the
  PostgreSQL backends serving the bench's database: the figure a shared
  machine distorts least;
- a same-run reference: a bare asyncpg INSERT loop on one connection, before
  and after the load.

``--backlog N`` measures the flows alone instead: N orders accepted while the
worker is stopped, then the worker's drain timed from its start.

Not a test: it prints numbers. Bounded: ``--seconds`` of load, then at most
``--drain`` seconds of waiting. Usage (from the repository root)::

    .venv/bin/python bench/flows.py --rate 400 --seconds 60
    HUB_BENCH_PROFILE=/tmp/prof .venv/bin/python bench/flows.py ...   # py-spy of every process

Env: HUB_BENCH_REDIS_URL (default redis://127.0.0.1:6379/10, flushed first),
HUB_BENCH_BASE_PORT (default 18600: ports base .. base+3), HUB_BENCH_DB_PREFIX
(default flows_bench: the database is PREFIX_PID, dropped at the end).
"""

from __future__ import annotations

import argparse
import base64
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from collections.abc import Awaitable
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flows_load import offer, order_body  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HUB = str(ROOT / ".venv" / "bin" / "hub")
ADMIN = "bench-admin-key-0123456789"
HZ = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http("GET", url)[0] == 200:
            return
        time.sleep(0.2)
    raise SystemExit(f"bench: {url} not ready in {seconds:.0f} s")


def data_key(work: Path) -> str:
    """A data key of the run's own (production needs ``HUB_DATA_KEY_FILE``: it seals webhook secrets)."""
    path = work / "data.key"
    if not path.exists():
        path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    return str(path)


class Topology:
    """The four processes, started in their own sessions and stopped by pid."""

    def __init__(self, base_port: int, database_url: str, redis_url: str, work: Path, concurrency: int) -> None:
        self.ports = {"hub": base_port, "sandbox": base_port + 1, "system": base_port + 2, "worker": base_port + 3}
        sandbox = f"http://127.0.0.1:{self.ports['sandbox']}/sandbox"
        self.env = {**os.environ, "HUB_DATABASE_URL": database_url, "HUB_REDIS_URL": redis_url,
                    "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN, "HUB_LOG_LEVEL": "warning", "HUB_HOST": "127.0.0.1",
                    "HUB_SANDBOX_AUTOSHIP_SECONDS": "0", "HUB_SANDBOX": "0", "HUB_WORKERS": "1",
                    "HUB_DATA_KEY_FILE": data_key(work),
                    "HUB_SHOPIFY_ACCESS_TOKEN": "shpat_bench_0123456789abcdef",
                    "HUB_INTERNAL_SECRET": "bench-internal-secret-0123456789",
                    "HUB_SANDBOX_EVENTS_URL": f"http://127.0.0.1:{self.ports['hub']}",
                    "HUB_SYSTEM_URL": f"http://127.0.0.1:{self.ports['system']}",
                    "HUB_PLANS": '{"bench": {"rate_per_second": 1000000, "burst": 1000000}}',
                    "HUB_DB_POOL_SIZE": "6", "HUB_DB_POOL_OVERFLOW": "0"}
        for b in ("shopify", "wms", "pos", "erp"):
            self.env[f"HUB_{b.upper()}_WEBHOOK_SECRET"] = f"bench-{b}-webhook-secret"
        for b in ("erp", "wms", "pos", "payments", "shopify"):
            self.env[f"HUB_{b.upper()}_URL"] = f"{sandbox}/{b}"
        self.statements = work / "statements"  # bench/probe/sitecustomize.py writes here
        self.statements.mkdir()
        self.env["HUB_BENCH_STATEMENTS"] = str(self.statements)
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "bench" / "probe"),
                                                              os.environ.get("PYTHONPATH")]))
        self.work, self.concurrency = work, concurrency
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        subprocess.run([HUB, "db", "upgrade"], env=self.env, check=True, stdout=subprocess.DEVNULL)
        self._spawn("sandbox", "sandbox", {"HUB_SANDBOX": "1"})
        wait_for(f"http://127.0.0.1:{self.ports['sandbox']}/health/live", 60)
        # one after another: a role's first ERP sync needs the roles it calls (a failed one
        # would hold the sync's lease)
        self._spawn("hub", "all", {"HUB_WORKER_CONCURRENCY": "0"})
        wait_for(f"http://127.0.0.1:{self.ports['hub']}/health/ready", 90)
        self._spawn("system", "system", {})
        wait_for(f"http://127.0.0.1:{self.ports['system']}/health/ready", 90)
        self._spawn("worker", "worker", {"HUB_WORKER_CONCURRENCY": str(self.concurrency)})
        wait_for(f"http://127.0.0.1:{self.ports['worker']}/health/live", 90)

    def _spawn(self, name: str, role: str, extra: dict) -> None:
        env = {**self.env, **extra, "HUB_PORT": str(self.ports[name])}
        log = (self.work / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen([HUB, "serve", "--role", role], env=env, stdout=log, stderr=log,
                                            start_new_session=True, cwd=ROOT)

    def pids(self, name: str) -> list[int]:
        """The process and its children (a server with a supervisor)."""
        root = self.procs[name].pid
        out = subprocess.run(["pgrep", "-s", str(root)], capture_output=True, text=True).stdout.split()
        return [int(p) for p in out] or [root]

    def cpu(self) -> dict[str, int]:
        return {name: sum(cpu_ticks(p) for p in self.pids(name)) for name in self.procs}

    async def restart_worker(self, backlog: Awaitable) -> None:
        """Stop the worker, await ``backlog`` (orders pile up), start the worker again."""
        proc = self.procs["worker"]
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        await backlog
        self._spawn("worker", "worker", {"HUB_WORKER_CONCURRENCY": str(self.concurrency)})
        wait_for(f"http://127.0.0.1:{self.ports['worker']}/health/live", 90)

    def statements_sent(self) -> dict[str, tuple[int, int]]:
        """(round trips, executions) to PostgreSQL so far, by process (``hub``, ``worker``, ...)."""
        sent: dict[str, tuple[int, int]] = {}
        for name in self.procs:
            trips = executions = 0
            for pid in self.pids(name):
                path = self.statements / str(pid)
                if path.exists():
                    a, b = path.read_text().split()
                    trips, executions = trips + int(a), executions + int(b)
            sent[name] = (trips, executions)
        return sent

    def stop(self) -> None:
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def profile(top: Topology, seconds: float) -> list[subprocess.Popen]:
    """With HUB_BENCH_PROFILE=PREFIX: py-spy's raw samples of each process (pip install py-spy)."""
    prefix = os.environ.get("HUB_BENCH_PROFILE")
    if not prefix:
        return []
    return [subprocess.Popen([str(ROOT / ".venv/bin/py-spy"), "record", "-r", "100", "-f", "raw", "-d",
                              str(int(seconds)), "-o", f"{prefix}.{name}", "-p", str(top.pids(name)[-1])],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name in ("worker", "system", "hub", "sandbox")]


async def pg_cpu(conn: asyncpg.Connection, db: str) -> int:
    pids = [r["pid"] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", db)]
    return sum(cpu_ticks(p) for p in pids)


async def insert_rate(dsn: str, seconds: float = 3.0) -> float:
    """The reference: single-row INSERTs (autocommit) on one connection, per second."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TEMP TABLE ref (id bigserial PRIMARY KEY, body text)")
        n, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            await conn.execute("INSERT INTO ref (body) VALUES ($1)", "x" * 200)
            n += 1
        return n / seconds
    finally:
        await conn.close()


COUNTS = """SELECT count(*) AS accepted,
                   count(*) FILTER (WHERE status IN ('posted', 'released', 'shipped')) AS posted,
                   count(*) FILTER (WHERE status IN ('released', 'shipped')) AS released
            FROM orders WHERE created_at >= $1"""


async def sample(conn: asyncpg.Connection, since) -> tuple[int, int, int]:  # noqa: ANN001
    row = await conn.fetchrow(COUNTS, since)
    return row["accepted"], row["posted"], row["released"]


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


async def run(args: argparse.Namespace, top: Topology, dsn: str, db: str) -> None:
    hub = f"http://127.0.0.1:{top.ports['hub']}"
    status, body = http("POST", f"{hub}/admin/v1/keys", {"consumer": "bench", "scopes": ["orders:write", "orders:read"],
                                                         "plan": "bench"}, {"X-API-Key": ADMIN})
    key = json.loads(body)["key"]
    http("POST", f"http://127.0.0.1:{top.ports['sandbox']}/sandbox/wms/stock",
         {"sku": "SKU-1003", "location": "DC-EAST", "on_hand": 10_000_000})
    for i in range(200):  # the stock event reaches the hub's book
        code, answer = http("POST", f"{hub}/v1/storefront/orders", order_body(600), {"X-API-Key": key,
                                                                                "Idempotency-Key": f"warm-{i}"})
        if code == 201:
            break
        time.sleep(0.2)
    else:
        raise SystemExit(f"bench: no order accepted ({code}: {answer[:300]!r})")
    pg = await asyncpg.connect(dsn)
    await offer(hub, key, rate=args.rate, seconds=min(3.0, args.seconds), connections=args.connections)  # warm-up
    await pg.execute("ANALYZE")  # the statistics a running database has (and if autovacuum is left off)
    deadline, epoch = time.monotonic() + args.drain, datetime(2000, 1, 1, tzinfo=UTC)
    while time.monotonic() < deadline:  # the warm-up's orders released first
        accepted, _, released = await sample(pg, epoch)
        if released >= accepted:
            break
        await asyncio.sleep(0.5)
    ref_before = await insert_rate(dsn)
    since = await pg.fetchval("SELECT now()")
    if args.backlog:  # the flows alone: orders accepted while no worker runs, then drained
        await top.restart_worker(offer(hub, key, rate=args.rate, seconds=args.backlog / args.rate,
                                       connections=args.connections))
    await asyncio.sleep(1.0)  # the statement counts written after the drain
    cpu0, pg0, st0, t0 = top.cpu(), await pg_cpu(pg, db), top.statements_sent(), time.monotonic()
    profilers = profile(top, args.seconds)
    load = asyncio.create_task(offer(hub, key, rate=args.rate, seconds=0 if args.backlog else args.seconds,
                                     connections=args.connections))
    print(f"{'t s':>5} {'accepted':>9} {'posted':>8} {'released':>9} {'backlog':>8}   (cumulative counts)")
    rows = []
    load_cpu = during = None
    while True:
        await asyncio.sleep(args.every)
        t = time.monotonic() - t0
        now = await sample(pg, since)
        rows.append((t, *now))
        print(f"{t:5.0f} {now[0]:9d} {now[1]:8d} {now[2]:9d} {now[0] - now[2]:8d}", flush=True)
        if not load.done():
            during = (t, now)  # the last sample taken while orders were still being offered
        elif load_cpu is None:
            load_cpu = (top.cpu(), await pg_cpu(pg, db), time.monotonic() - t0, now)
        if load.done() and (now[2] >= now[0] or t > args.seconds + args.drain):
            break
    sent = load.result()
    for p in profilers:
        p.wait(30)
    await asyncio.sleep(1.0)
    cpu1, pg1, st1 = top.cpu(), await pg_cpu(pg, db), top.statements_sent()
    lags = [r["lag"] for r in await pg.fetch(
        """SELECT extract(epoch FROM r.at - a.at) AS lag FROM order_history a JOIN order_history r
           ON r.order_id = a.order_id AND r.status = 'released' WHERE a.status = 'accepted' AND a.at >= $1""", since)]
    await pg.close()
    ref_after = await insert_rate(dsn)
    lt, lnow = during or load_cpu[2:]
    n = rows[-1][1]
    print(f"\noffered {args.rate}/s for {args.seconds} s: {sent.sent} sent, {sent.ok} accepted (201), "
          f"{sent.failed} failed; client p50 {sent.p50 * 1000:.0f} ms, p99 {sent.p99 * 1000:.0f} ms")
    if args.backlog:
        print(f"drain of a backlog of {n} orders (the flows alone, from the worker's start): "
              f"{rows[-1][3] / rows[-1][0]:.0f} released/s over {rows[-1][0]:.0f} s")
    print(f"during the load (its last sample, at {lt:.0f} s): accepted {lnow[0] / lt:.0f}/s, posted {lnow[1] / lt:.0f}/s, "
          f"released {lnow[2] / lt:.0f}/s; backlog at its end {lnow[0] - lnow[2]}")
    lags.sort()
    print(f"accepted -> released: p50 {pct(lags, 0.5) * 1000:.0f} ms, p99 {pct(lags, 0.99) * 1000:.0f} ms, "
          f"max {lags[-1] * 1000 if lags else float('nan'):.0f} ms over {len(lags)} of {n} orders; "
          f"all released {rows[-1][3] >= n} after {rows[-1][0]:.0f} s")
    released = rows[-1][3]
    # each stage's CPU over the orders it handled: acceptance over those accepted, the flows over
    # those released (a run whose backlog did not drain has done only part of the flows' work)
    per = {name: (cpu1[name] - cpu0[name]) * 1000 / HZ / max(n if name == "hub" else released, 1) for name in cpu1}
    per["postgres"] = (pg1 - pg0) * 1000 / HZ / max(released, 1)
    print(f"CPU ms per order (load and drain; hub per accepted order, the rest per released order): "
          + ", ".join(f"{k} {v:.2f}" for k, v in per.items())
          + f"; flows (worker + system + sandbox) {per['worker'] + per['system'] + per['sandbox']:.2f}")
    sql = {k: ((st1[k][0] - st0[k][0]) / max(n if k == "hub" else released, 1),
               (st1[k][1] - st0[k][1]) / max(n if k == "hub" else released, 1)) for k in ("hub", "worker")}
    print(f"SQL per order (statements executed / round trips, BEGIN and COMMIT included, bench polling excluded): "
          f"acceptance {sql['hub'][1]:.1f} / {sql['hub'][0]:.1f}, flows (worker) {sql['worker'][1]:.1f} / "
          f"{sql['worker'][0]:.1f}, together {sql['hub'][1] + sql['worker'][1]:.1f} / "
          f"{sql['hub'][0] + sql['worker'][0]:.1f}")
    print(f"reference, same run: bare asyncpg INSERTs on one connection {ref_before:.0f}/s before, "
          f"{ref_after:.0f}/s after; load average {os.getloadavg()[0]:.2f}; "
          f"{sys.implementation.name} {sys.version.split()[0]}, {os.cpu_count()} cores")


class Autovacuum:
    """PostgreSQL's autovacuum for the run. This machine's server has it off (its CI settings);
    a hub in production runs with it on (docs/deployment.md), and the flows' queue tables
    (outbox, orders) slow the database down within minutes without it."""

    def __init__(self, admin: str, wanted: str) -> None:
        self._admin = admin
        self.was = self._psql("SHOW autovacuum")
        self._set = wanted == "on" and self.was != "on"
        if self._set:
            self._psql("ALTER SYSTEM SET autovacuum = on", "SELECT pg_reload_conf()")
            deadline = time.monotonic() + 10  # the reload is a signal: taken a moment later
            while self._psql("SHOW autovacuum") != "on" and time.monotonic() < deadline:
                time.sleep(0.1)
        print(f"bench: PostgreSQL autovacuum {self._psql('SHOW autovacuum')} for the run"
              + (f" (the server's own setting: {self.was}, restored at the end)" if self._set else ""), flush=True)

    def _psql(self, *commands: str) -> str:
        argv = ["psql", "-q", "-At", "-d", self._admin]
        for command in commands:
            argv += ["-c", command]
        return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()

    def restore(self) -> None:
        if self._set:
            self._psql("ALTER SYSTEM RESET autovacuum", "SELECT pg_reload_conf()")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=400, help="orders offered per second")
    parser.add_argument("--seconds", type=float, default=30, help="seconds of load (the issue's run: 300)")
    parser.add_argument("--drain", type=float, default=120, help="at most this long to wait for the backlog after")
    parser.add_argument("--every", type=float, default=5, help="seconds between backlog samples")
    parser.add_argument("--connections", type=int, default=32, help="client connections (at most)")
    parser.add_argument("--backlog", type=int, default=0,
                        help="instead of a constant load: accept this many orders with the worker stopped, then "
                             "time the worker's drain (the flows' own rate)")
    parser.add_argument("--concurrency", type=int, default=256,
                        help="the worker's HUB_WORKER_CONCURRENCY (256: deploy/'s setting)")
    parser.add_argument("--autovacuum", choices=("on", "as-is"), default="on",
                        help="on (default): PostgreSQL's autovacuum turned on for the run if the server has it off "
                             "(ALTER SYSTEM, reset at the end), as a production server runs; as-is: left as it is")
    args = parser.parse_args()
    db = f"{os.environ.get('HUB_BENCH_DB_PREFIX', 'flows_bench')}_{os.getpid()}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    dsn = f"postgresql://postgres@127.0.0.1:5432/{db}"
    redis_url = os.environ.get("HUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["psql", "-q", "-d", admin, "-c", f"CREATE DATABASE {db}"], check=True)
    autovacuum = Autovacuum(admin, args.autovacuum)
    work = Path(tempfile.mkdtemp(prefix="flows-bench-"))
    top = Topology(int(os.environ.get("HUB_BENCH_BASE_PORT", "18600")),
                   dsn.replace("postgresql:", "postgresql+asyncpg:"), redis_url, work, args.concurrency)
    try:
        top.start()
        asyncio.run(run(args, top, dsn, db))
    finally:
        top.stop()
        autovacuum.restore()
        subprocess.run(["psql", "-q", "-d", admin, "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"])
        print(f"logs: {work}")


if __name__ == "__main__":
    main()
