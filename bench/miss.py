"""Issue 14 item 4, the miss path: one hub worker (``hub serve``, role ``all``, HUB_SANDBOX=0)
whose backends are the sandbox in its own process (``hub serve --role sandbox``), beside nginx
``proxy_pass`` to the same sandbox in the same run. Not a test: it prints one table.

    .venv/bin/python bench/miss.py [--seconds 8] [--connections 64] [--rounds 1] [--root DIR]
        [--rows nginx,miss,basket] [--skus SKU-1001,...] [--profile DIR]

Rows: nginx -> the sandbox's ERP item (the reference), the hub's storefront product miss
(``bench/miss.lua``: every request a new quantity, so the edge cache never answers; a key bound
to CUST-ACME, so the contract price is read too) and an uncached 10-line basket (POST
/v1/storefront/price-availability, a new quantity every request). Each row gives req/s,
p50/p99 and CPU µs per request of each process (hub: its server process; sandbox; nginx).
``--root`` runs the hub code of another checkout (``git archive COMMIT | tar -x -C DIR``) with
this venv: before/after on the same machine; ``--profile`` records the hub worker with py-spy
(``pip install py-spy`` into the venv). Env: HUB_BENCH_PORT (9600: hub, +1 sandbox, +2
nginx), HUB_BENCH_DATABASE_URL (default SQLite in a temporary directory), HUB_BENCH_REDIS_URL.
Everything listens on 127.0.0.1 and is stopped by pid at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from flows import data_key, http, wait_for  # noqa: E402 (run as a script: bench/ is on the path)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ADMIN = "bench-admin-key-0123456789"
SKUS = ("SKU-1001", "SKU-1002", "SKU-1003", "SKU-1001", "SKU-1002", "SKU-1003", "SKU-1001", "SKU-1002",
        "SKU-1003", "SKU-1004")
BASKET_LUA = """-- a 10-line basket, a new quantity on every request: never the same answer twice
local n = 0
local skus = {%s}
request = function()
  n = n + 1
  local lines = {}
  for i, sku in ipairs(skus) do
    lines[i] = string.format('{"sku":"%%s","quantity":%%d}', sku, (n + i) %% 7 + 1)
  end
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json", ["X-API-Key"] = KEY},
                    '{"lines":[' .. table.concat(lines, ",") .. ']}')
end
"""


def session_ticks(sid: int) -> int:
    """User + system clock ticks of every process in session ``sid``."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            total += int(fields[11]) + int(fields[12])
    return total


class Run:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        base = int(os.environ.get("HUB_BENCH_PORT", "9600"))
        self.ports = {"hub": base, "sandbox": base + 1, "nginx": base + 2}
        self.work, self.root = work, Path(args.root).resolve() if args.root else ROOT
        sandbox = f"http://127.0.0.1:{self.ports['sandbox']}/sandbox"
        self.env = {**os.environ, "HUB_DATABASE_URL": os.environ.get("HUB_BENCH_DATABASE_URL")
                    or f"sqlite+aiosqlite:///{work}/hub.db",
                    "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN, "HUB_LOG_LEVEL": "warning", "HUB_HOST": "127.0.0.1",
                    "HUB_SANDBOX_AUTOSHIP_SECONDS": "0", "HUB_SANDBOX": "0", "HUB_WORKERS": "1",
                    "HUB_DATA_KEY_FILE": data_key(work),
                    "HUB_SHOPIFY_ACCESS_TOKEN": "shpat_bench_0123456789abcdef",
                    "HUB_INTERNAL_SECRET": "bench-internal-secret-0123456789",
                    "HUB_SANDBOX_EVENTS_URL": f"http://127.0.0.1:{self.ports['hub']}",
                    "HUB_PLANS": '{"bench": {"rate_per_second": 1000000, "burst": 1000000}}',
                    "PYTHONPATH": str(self.root)}
        if os.environ.get("HUB_BENCH_REDIS_URL"):
            self.env["HUB_REDIS_URL"] = os.environ["HUB_BENCH_REDIS_URL"]
        for b in ("shopify", "wms", "pos", "erp"):
            self.env[f"HUB_{b.upper()}_WEBHOOK_SECRET"] = f"bench-{b}-webhook-secret"
        for b in ("erp", "wms", "pos", "payments", "shopify"):
            self.env[f"HUB_{b.upper()}_URL"] = f"{sandbox}/{b}"
        self.procs: dict[str, subprocess.Popen] = {}

    def spawn(self, name: str, argv: list[str], extra: dict) -> None:
        log = (self.work / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(argv, env={**self.env, **extra}, stdout=log, stderr=log,
                                            start_new_session=True, cwd=self.root)

    def start(self) -> None:
        hub = [PYTHON, "-m", "commerce_hub.cli", "serve"]
        subprocess.run([*hub[:-1], "db", "upgrade"], env=self.env, cwd=self.root, check=True,
                       stdout=subprocess.DEVNULL)
        self.spawn("sandbox", [*hub, "--role", "sandbox"], {"HUB_SANDBOX": "1", "HUB_PORT": str(self.ports["sandbox"])})
        wait_for(f"http://127.0.0.1:{self.ports['sandbox']}/health/live", 60)
        self.spawn("hub", [*hub, "--role", "all"], {"HUB_PORT": str(self.ports["hub"])})
        wait_for(f"http://127.0.0.1:{self.ports['hub']}/health/ready", 90)
        conf = self.work / "nginx.conf"
        conf.write_text(f"""worker_processes 1; pid {self.work}/nginx.pid; error_log {self.work}/nginx-error.log;
daemon on; events {{ worker_connections 4096; }}
http {{ access_log off; upstream sandbox {{ server 127.0.0.1:{self.ports['sandbox']}; keepalive 64; }}
  server {{ listen 127.0.0.1:{self.ports['nginx']};
    location / {{ proxy_pass http://sandbox; proxy_http_version 1.1; proxy_set_header Connection ""; }} }} }}
""")
        subprocess.run(["nginx", "-c", str(conf)], check=True)

    def stop(self) -> None:
        pid = self.work / "nginx.pid"
        if pid.exists():
            os.kill(int(pid.read_text()), signal.SIGTERM)
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def key(self, customer: str) -> str:
        status, body = http("POST", f"http://127.0.0.1:{self.ports['hub']}/admin/v1/keys",
                            {"consumer": "bench", "scopes": ["catalog:read"], "plan": "bench", "customer": customer},
                            {"X-API-Key": ADMIN})
        if status != 201:
            raise SystemExit(f"bench: key not made: {status} {body[:200]!r}")
        return json.loads(body)["key"]

    def sessions(self) -> dict[str, int]:
        return {"hub": self.procs["hub"].pid, "sandbox": self.procs["sandbox"].pid,
                "nginx": int((self.work / "nginx.pid").read_text())}


def wrk(args: argparse.Namespace, url: str, extra: list[str], sids: dict[str, int]) -> dict:
    before = {n: session_ticks(s) for n, s in sids.items()}
    out = subprocess.run(["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", *extra, url],
                         capture_output=True, text=True, timeout=args.seconds + 60).stdout
    after = {n: session_ticks(s) for n, s in sids.items()}
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    hz = os.sysconf("SC_CLK_TCK")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1),
            "p99": re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "cpu": {n: (after[n] - before[n]) / hz / max(requests, 1) * 1e6 for n in sids}}


def profile(args: argparse.Namespace, run: Run, tag: str) -> subprocess.Popen:
    """py-spy on the hub's worker (the session's newest process: the server itself with one worker) for the
    row's duration."""
    sid = run.procs["hub"].pid
    pids = subprocess.run(["pgrep", "-s", str(sid)], capture_output=True, text=True).stdout.split()
    worker = max(int(p) for p in pids)
    Path(args.profile).mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "py-spy"), "record", "-r", "200", "--nonblocking", "--gil", "-f",
                             "raw", "-d", str(args.seconds - 1), "-p", str(worker), "-o",
                             str(Path(args.profile) / f"{tag}.txt")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--root", help="the checkout whose hub code runs (default: this one)")
    parser.add_argument("--skus", default=",".join(SKUS), help="the basket's 10 lines (SKU-1004: no source stocks it, "
                        "so every basket asks every stock source again)")
    parser.add_argument("--rows", default="nginx,miss,basket", help="which rows, in order")
    parser.add_argument("--profile", help="record the hub worker with py-spy (raw, 200 Hz, GIL holder only) into DIR/<row>.txt")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench: {tool} is not installed")
    work = Path(tempfile.mkdtemp(prefix="miss-bench-"))
    work.chmod(0o755)
    run = Run(args, work)
    try:
        run.start()
        hub, sandbox = (f"http://127.0.0.1:{run.ports[n]}" for n in ("hub", "sandbox"))
        key, skus = run.key("CUST-ACME"), args.skus.split(",")
        (work / "basket.lua").write_text(f'KEY = "{key}"\n' + BASKET_LUA % ", ".join(f'"{s}"' for s in skus))
        for sku in sorted(set(skus)):  # load the stock book and the replica once (the miss path's usual case)
            http("GET", f"{hub}/v1/storefront/products/{sku}", headers={"X-API-Key": key})
        status, body = http("POST", f"{hub}/v1/storefront/price-availability",
                            {"lines": [{"sku": s, "quantity": 1} for s in skus]}, {"X-API-Key": key})
        statuses = [line["status"] for line in json.loads(body)["lines"]] if status == 200 else body[:200]
        item = http("GET", f"{sandbox}/sandbox/erp/api/v1/items/SKU-1001")
        print(f"warm: basket {status} {statuses}; sandbox item {item[0]}", file=sys.stderr)
        sids = run.sessions()
        rows = [("nginx", "nginx proxy_pass -> sandbox ERP item", f"http://127.0.0.1:{run.ports['nginx']}/sandbox/erp/api/v1/items/SKU-1001", []),
                ("miss", "hub product miss (item, contract, stock)", f"{hub}/v1/storefront/products/SKU-1001",
                 ["-H", f"X-API-Key: {key}", "-s", str(ROOT / "bench" / "miss.lua")]),
                ("basket", "hub 10-line basket (uncached)", f"{hub}/v1/storefront/price-availability",
                 ["-s", str(work / "basket.lua")])]
        print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, {os.cpu_count()} cores, load average "
              f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}, hub code {run.root}, database "
              f"{run.env['HUB_DATABASE_URL'].split(':')[0]}, redis {run.env.get('HUB_REDIS_URL', 'none')}, "
              f"{platform.python_implementation()} {platform.python_version()}")
        print("| round | path | req/s | p50 | p99 | non2xx | CPU µs/req hub | sandbox | nginx |")
        print("|---|---|---|---|---|---|---|---|---|")
        for n in range(1, args.rounds + 1):
            for tag, name, url, extra in (row for want in args.rows.split(",") for row in rows if row[0] == want):
                spy = profile(args, run, tag) if args.profile and tag != "nginx" else None
                r = wrk(args, url, extra, sids)
                if spy is not None:
                    spy.wait(args.seconds + 30)
                cpu = r["cpu"]
                print(f"| {n} | {name} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | {r['non2xx']} | "
                      f"{cpu['hub']:.0f} | {cpu['sandbox']:.0f} | {cpu['nginx']:.0f} |", flush=True)
    finally:
        run.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
