"""Does adding connections cost anything on the hot path? (issue 13; not a test: it prints numbers)

Runs ``hub serve`` twice per round, alternating: with the default five connections, and with
ten (five more serving nothing hot: three more shops, two more payment providers; each its
own pool, circuit and guard). A stock kind (a 3PL, a Counterpoint store) is not in the ten:
every stock connection is a stock source, read whenever stock is read, so it is hot by design. Each time it
measures, with wrk, a storefront product cache hit (``GET /v1/storefront/products/SKU-1001``)
and order acceptance (``POST /v1/storefront/orders``, bench/order.lua), and the hub process's
CPU time per request, which other work on a shared machine barely moves.

    .venv/bin/python bench/connections.py [--seconds 8] [--connections 32] [--rounds 2]

Env: HUB_BENCH_REDIS_URL (default none: in-process cache and limits). SQLite, a fresh file per run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "bench-admin-key-0123456789"
PORT = 18230
EXTRA = "".join(f'[connections.{name}]\nkind = "{kind}"\n' for name, kind in (
    ("shop-b", "shopify"), ("shop-c", "shopify"), ("shop-d", "shopify"),
    ("payments-b", "stripe_like"), ("payments-c", "stripe_like")))


def _call(method: str, path: str, body: dict | None = None, key: str = ADMIN) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", method=method,
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"X-API-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


def _cpu(session: int) -> float:
    """CPU seconds of every live process of the hub's session (``hub serve`` and its server processes)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _wrk(seconds: int, conns: int, url: str, *extra: str) -> tuple[float, int, int]:
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", *extra, url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, total, int(non2xx.group(1)) if non2xx else 0


def run(config: str, seconds: int, conns: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        toml = Path(work, "hub.toml")
        toml.write_text(config)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env |= {"HUB_CONFIG": str(toml), "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{work}/hub.db", "HUB_PORT": str(PORT),
                "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN, "HUB_LOG_LEVEL": "warning", "HUB_SANDBOX_AUTOSHIP_SECONDS": "0",
                "HUB_PLANS": '{"bench": {"rate_per_second": 1000000, "burst": 1000000}}'}
        if os.environ.get("HUB_BENCH_REDIS_URL"):
            env["HUB_REDIS_URL"] = os.environ["HUB_BENCH_REDIS_URL"]
        hub = subprocess.Popen([str(ROOT / ".venv/bin/hub"), "serve"], cwd=work, env=env, start_new_session=True,
                               stdout=open(Path(work, "hub.log"), "w"), stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    _call("GET", "/health/ready")
                    break
                except OSError:
                    if time.monotonic() > deadline or hub.poll() is not None:
                        raise SystemExit(f"the hub did not start:\n{Path(work, 'hub.log').read_text()[-2000:]}")
                    time.sleep(0.2)
            listed = len(_call("GET", "/admin/v1/connections")["items"])
            key = _call("POST", "/admin/v1/keys", {"consumer": "bench", "plan": "bench",
                                                   "scopes": ["catalog:read", "orders:write"]})["key"]
            base = f"http://127.0.0.1:{PORT}"
            _call("GET", "/v1/storefront/products/SKU-1001", key=key)  # warm the cache
            figures: dict[str, float] = {"connections": listed}
            for name, url, extra in (("hit", f"{base}/v1/storefront/products/SKU-1001", ()),
                                     ("order", f"{base}/v1/storefront/orders", ("-s", str(ROOT / "bench/order.lua")))):
                before = _cpu(hub.pid)
                rate, total, bad = _wrk(seconds, conns, url, "-H", f"X-API-Key: {key}", *extra)
                figures[f"{name}_rps"] = rate
                figures[f"{name}_cpu_ms"] = (_cpu(hub.pid) - before) * 1000 / max(total, 1)
                figures[f"{name}_non2xx"] = bad
            return figures
        finally:
            os.killpg(hub.pid, signal.SIGTERM)
            hub.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, {os.cpu_count()} cores, SQLite, "
          f"redis {os.environ.get('HUB_BENCH_REDIS_URL', 'none')}; rounds alternate 5 and 10 connections")
    print("| round | connections | cache hit req/s | CPU ms/hit | orders accepted/s | CPU ms/order | non-2xx |")
    print("|---|---|---|---|---|---|---|")
    for round_ in range(1, args.rounds + 1):
        for config in ("", EXTRA):
            f = run(config, args.seconds, args.connections)
            print(f"| {round_} | {f['connections']:.0f} | {f['hit_rps']:.0f} | {f['hit_cpu_ms']:.3f} | "
                  f"{f['order_rps']:.0f} | {f['order_cpu_ms']:.2f} | {f['hit_non2xx'] + f['order_non2xx']:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
