"""Chaos under load (issue 14, item 7): the local cluster on a private PostgreSQL and Redis, a
mixed load at a modest constant rate, a member SIGKILLed (and restarted as the cluster does) every
30 s, Redis restarted once and PostgreSQL once; then a bounded drain and the ledger.

    .venv/bin/python bench/chaos/run.py --minutes 10      # 1-2 to try it
    .venv/bin/python bench/chaos/run.py --soak --minutes 60   # the same load, no fault: memory per hour

Everything listens on 127.0.0.1 in 9500-9599: the load balancer on --base-port (roles on the next
8), the receiver on base+20, Redis on base+90, PostgreSQL on base+91. Bounded: the load lasts
--minutes, the drain at most --drain s, the whole run at most minutes + 15 min (an alarm), and the
cluster's own --lifetime watchdog stops it too. Every process it started is stopped at the end,
on an error or Ctrl-C as well. Exit 0 only when the ledger balances. docs/operations.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT)]

from commerce_hub import cluster  # noqa: E402
from collect import drain, ledger, stream_entries  # noqa: E402
from load import Keys, Load, Rates, Tally  # noqa: E402
from plan import Fault, Life, problems, schedule  # noqa: E402
from report import report  # noqa: E402
from stores import Postgres, Redis  # noqa: E402

HUB = str(ROOT / ".venv" / "bin" / "hub")
ADMIN = "chaos-admin-key-0123456789abcdef"


def hub_env(db_url: str, redis_url: str) -> dict[str, str]:
    return {"HUB_DATABASE_URL": db_url, "HUB_REDIS_URL": redis_url, "HUB_SANDBOX": "1",
            "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN, "HUB_LOG_LEVEL": "warning",
            "HUB_PLANS": '{"chaos": {"rate_per_second": 1000000, "burst": 1000000}}',
            # test pacing, said in docs/operations.md: the sandbox WMS ships after 3 s (the returns),
            # a killed worker's message is taken over after 10 s, work lost with Redis republished after 20 s
            "HUB_SANDBOX_AUTOSHIP_SECONDS": "3", "HUB_OUTBOX_LEASE_SECONDS": "10", "HUB_OUTBOX_REPUBLISH_SECONDS": "20"}


def rss_kib(pid: int) -> int:
    """VmRSS of the process and every process of its session (a server's workers)."""
    total = 0
    out = subprocess.run(["pgrep", "-s", str(pid)], capture_output=True, text=True).stdout.split()
    for p in out or [str(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


class Chaos:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.run_dir = work / "run"
        self.pg, self.redis = Postgres(work, args.base_port + 91), Redis(work, args.base_port + 90)
        self.lb = f"http://127.0.0.1:{args.base_port}"
        self.sandbox = f"http://127.0.0.1:{args.base_port + 6}"
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.pg.port}/chaos"
        self.receiver: subprocess.Popen | None = None
        self.received = work / "received.jsonl"
        self.lives: dict[tuple[str, int], Life] = {}
        self.fault_log: list[dict] = []
        self.done: list[Fault] = []  # the faults as they happened (their windows)
        self.t0 = 0.0

    # -- start ------------------------------------------------------------------------------------

    def start(self) -> None:
        self.pg.start()
        subprocess.run(["psql", "-q", "-d", self.pg.url, "-c", "CREATE DATABASE chaos"], check=True)
        self.redis.start()
        os.environ.update(hub_env(self.dsn.replace("postgresql:", "postgresql+asyncpg:"), self.redis.url))
        lifetime = self.args.minutes * 60 + 900
        done = subprocess.run([HUB, "cluster", "up", "--run-dir", str(self.run_dir), "--base-port",
                               str(self.args.base_port), "--timeout", "180", "--lifetime", str(lifetime)],
                              cwd=ROOT, capture_output=True, text=True, timeout=400)
        if done.returncode != 0:
            raise RuntimeError(f"hub cluster up failed: {done.stdout}{done.stderr}")

    async def prepare(self) -> tuple[Keys, Tally]:
        """Keys, the partner's subscription and its receiver, stock and credit enough for the
        run, and one order of each API channel through to released (the warm-up, left out)."""
        async with httpx.AsyncClient(timeout=30) as http:
            async def key(*scopes: str, customer: str | None = None) -> str:
                made = await http.post(f"{self.lb}/admin/v1/keys", headers={"X-API-Key": ADMIN}, json={
                    "consumer": f"chaos-{uuid.uuid4().hex[:6]}", "scopes": list(scopes), "customer": customer,
                    "plan": "chaos"})
                made.raise_for_status()
                return made.json()["key"]

            keys = Keys(web=await key("orders:write", "orders:read", "returns:write", "returns:read",
                                      customer="CUST-ACME"),
                        partner=await key("orders:write", "orders:read", "webhooks:manage", customer="CUST-ACME"),
                        catalog=await key("catalog:read", "customers:any"))
            port = self.args.base_port + 20
            sub = await http.post(f"{self.lb}/v1/partner/webhooks", headers={"X-API-Key": keys.partner}, json={
                "url": f"http://127.0.0.1:{port}/", "events": ["order.status_changed", "inventory.changed"]})
            sub.raise_for_status()
            self.receiver = subprocess.Popen(
                [HUB, "webhooks", "receive", "--port", str(port), "--secret", sub.json()["secret"], "--timeout",
                 str(self.args.minutes * 60 + 900)], stdout=self.received.open("w"),
                stderr=(self.work / "receiver.log").open("w"), start_new_session=True, cwd=ROOT)
            for path, body in (("/sandbox/wms/stock", {"sku": "SKU-1003", "location": "DC-EAST", "on_hand": 10**7}),
                               ("/sandbox/wms/stock", {"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 10**7}),
                               ("/sandbox/erp/customers/CUST-ACME/credit", {"credit_limit": "999999999.00"})):
                method = http.put if "credit" in path else http.post
                (await method(f"{self.sandbox}{path}", json=body)).raise_for_status()
            warm = Load(self.lb, self.sandbox, keys, Rates(return_share=0), time.monotonic(), 0, edi_control=900_000)
            async with aiohttp.ClientSession() as warm.session:  # one order of each API channel, to released
                await asyncio.gather(warm.storefront(10**9), warm.partner(10**9), warm.edi(10**9))
            took = warm.tally.accepted
            if not (took["storefront"] and took["partner"] and warm.tally.edi_pos):
                raise RuntimeError(f"warm-up: orders not accepted: {warm.tally.refused}")
        return keys, warm.tally

    # -- faults and memory --------------------------------------------------------------------

    def members(self) -> dict[str, int]:
        return {e["name"]: e["pid"] for e in json.loads((self.run_dir / "cluster.json").read_text())
                if e["role"] != "watchdog"}

    def sample(self) -> None:
        now = time.monotonic() - self.t0
        for name, pid in self.members().items():
            life = self.lives.setdefault((name, pid), Life(name, pid))
            kib = rss_kib(pid)
            if kib:
                life.samples.append((now, kib))

    async def sampler(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.sample)
            try:
                await asyncio.wait_for(stop.wait(), 5.0)
            except asyncio.TimeoutError:
                pass

    async def faults(self, plan: list[Fault]) -> None:
        for fault in plan:
            delay = self.t0 + fault.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # the fault schedule, not a wait for a condition
            began = time.monotonic()
            await asyncio.to_thread(self.sample)  # the dying life's last sample
            if fault.kind == "kill":
                entry = await asyncio.to_thread(cluster.respawn, self.run_dir, fault.target, 120)
                what = f"pid {entry['pid']}"
            else:
                await asyncio.to_thread(self.pg.restart if fault.kind == "postgres" else self.redis.restart)
                what = "up"
            took, at = time.monotonic() - began, began - self.t0  # later than planned when a restart was slow
            self.done.append(Fault(round(at, 1), fault.kind, fault.target))
            self.fault_log.append({"at": round(at, 1), "kind": fault.kind, "target": fault.target,
                                   "back_after_s": round(took, 1)})
            print(f"  t={at:5.0f} s {fault.kind:<8} {fault.target:<11} back after {took:4.1f} s ({what})", flush=True)

    # -- the run --------------------------------------------------------------------------------

    async def run(self) -> int:
        keys, warm = await self.prepare()
        seconds = self.args.minutes * 60
        plan = [] if self.args.soak else schedule(seconds, self.args.every, rng=random.Random(self.args.seed))
        load_avg = os.getloadavg()
        print(f"chaos: load for {seconds:.0f} s, {len(plan)} faults; logs in {self.work}", flush=True)
        self.t0 = time.monotonic()
        r = self.args.rate
        rates = Rates(orders=r, products=r, baskets=r / 5, stock=r / 10)
        load = Load(self.lb, self.sandbox, keys, rates, self.t0, self.args.seed)
        stop = asyncio.Event()
        sampler = asyncio.create_task(self.sampler(stop))
        await asyncio.gather(load.run(seconds), self.faults(plan))
        print(f"chaos: load done after {time.monotonic() - self.t0:.0f} s; draining (at most {self.args.drain} s)",
              flush=True)
        drained, left = await drain(self.dsn, load.tally, self.args.drain, self.received)
        stop.set()
        await sampler
        self.sample()
        book = await ledger(self.dsn, self.sandbox, load.tally, self.received, warm)
        book.stream_entries = await stream_entries(self.redis.url)
        found = problems(book)
        text = report(self, load, self.done, book, found, drained, left, load_avg, seconds)
        (self.work / "report.md").write_text(text)
        print(text)
        return 1 if found else 0

    def stop(self) -> None:
        logs = self.work / "logs"
        logs.mkdir(exist_ok=True)
        for log in self.run_dir.glob("*.log"):  # kept: 'down' removes the run directory
            shutil.copy(log, logs / log.name)
        for step in (lambda: cluster.down(self.run_dir) if self.run_dir.exists() else None,
                     lambda: self.receiver and (self.receiver.terminate(), self.receiver.wait(10)),
                     self.redis.stop, self.pg.stop):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - stop the rest whatever one did
                print(f"chaos: while stopping: {exc!r}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of load (1-15)")
    parser.add_argument("--rate", type=float, default=20.0, help="orders per second over the four channels")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between two SIGKILLs")
    parser.add_argument("--drain", type=float, default=180.0, help="at most this long to wait for the flows after")
    parser.add_argument("--seed", type=int, default=None, help="the fault schedule's seed (default: random)")
    parser.add_argument("--base-port", type=int, default=9500, help="the load balancer's port (9500-9599 here)")
    parser.add_argument("--soak", action="store_true",
                        help="no fault at all: each member lives the whole run (--minutes up to 60)")
    args = parser.parse_args()
    longest = 60 if args.soak else 15
    if not 0.5 <= args.minutes <= longest:
        parser.error(f"--minutes: between 0.5 and {longest}")
    args.seed = args.seed if args.seed is not None else random.randrange(10**6)
    work = Path(tempfile.mkdtemp(prefix="chaos-"))
    chaos = Chaos(args, work)

    def too_long(*_: object) -> None:
        raise TimeoutError("the chaos run passed its cap (minutes + 15 min)")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(int(args.minutes * 60 + 900))
    code = 2
    try:
        chaos.start()
        code = asyncio.run(chaos.run())
    finally:
        signal.alarm(0)
        chaos.stop()
        if code == 0:
            shutil.rmtree(work / "pg", ignore_errors=True)
        else:  # the evidence: start it again with pg_ctl -D <work>/pg/data start (as postgres)
            print(f"chaos: the database is kept in {work / 'pg'}")
        print(f"chaos: seed {args.seed}; logs and report in {work}")
    sys.exit(code)


if __name__ == "__main__":
    main()
