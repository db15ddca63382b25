"""`hub cluster up|status|down`: the split topology as local processes behind haproxy.

The cluster runs on this test's own PostgreSQL database and a private redis-server, on the
ports 9240-9248 (the load balancer on 9240). An order placed through the load balancer reaches
the sandbox ERP (posted) and WMS (released); both gateways served requests; `down` leaves no
process, no port and no run directory behind; `restart` SIGKILLs one member and starts it
again, touching no other, and the new one serves. haproxy is installed by `hub cluster up` when it
is missing (Debian's package), so this test never skips for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import HUB, ORDER, RedisServer, private_redis, erp_sales_orders, place_order, wait_statuses

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
BASE_PORT = int(os.environ.get("HUB_TEST_CLUSTER_PORT", "9240"))  # another range: set it
ADMIN = "e2e-cluster-admin-key-0123456789"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with private_redis(tmp_path) as server:
        yield server


class Cluster:
    def __init__(self, workdir: Path, database_url: str, redis_url: str) -> None:
        self.run_dir = workdir / "run"
        self.workdir = workdir
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
                    "HUB_DATABASE_URL": database_url, "HUB_REDIS_URL": redis_url, "HUB_SANDBOX": "1",
                    "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN, "HUB_OUTBOX_POLL_SECONDS": "0.2", "HUB_LOG_LEVEL": "warning"}

    def hub(self, *args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
        return subprocess.run([HUB, "cluster", *args, "--run-dir", str(self.run_dir)], cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def status(self) -> tuple[int, dict]:
        done = self.hub("status", "--json", timeout=30)
        return done.returncode, json.loads(done.stdout)


def _port_open(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1)
    except httpx.ConnectError:
        return False
    return True


async def test_cluster_up_places_an_order_through_the_load_balancer_and_down_leaves_nothing(
        tmp_path, fresh_pg_url, redis_server) -> None:  # noqa: ANN001
    cluster = Cluster(tmp_path, fresh_pg_url, redis_server.url)
    assert cluster.status()[0] == 3, "no cluster yet: status says so"
    started = cluster.hub("up", "--base-port", str(BASE_PORT), "--lifetime", "600", "--timeout", "120")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        code, state = cluster.status()
        assert code == 0 and state["healthy"], state
        processes = {p["name"]: p for p in state["processes"]}
        assert sorted(processes) == sorted(["lb", "gateway-1", "gateway-2", "experience", "process", "system",
                                            "sandbox", "worker-1", "worker-2", "watchdog"])
        assert {p["port"] for p in processes.values() if p["port"]} == set(range(BASE_PORT, BASE_PORT + 9))
        assert (cluster.run_dir / "gateway-1.log").exists() and (cluster.run_dir / "cluster.json").exists()
        again = cluster.hub("up", "--base-port", str(BASE_PORT + 20))  # the same run directory: refused
        assert again.returncode == 1 and "already running" in again.stderr, again.stderr

        lb = f"http://127.0.0.1:{BASE_PORT}"
        async with httpx.AsyncClient(base_url=lb, timeout=20) as api, \
                httpx.AsyncClient(base_url=processes["sandbox"]["url"], timeout=20) as sandbox:
            made = await api.post("/admin/v1/keys", headers={"X-API-Key": ADMIN}, json={
                "consumer": "e2e-cluster", "scopes": ["orders:write", "orders:read", "customers:any"], "plan": "internal"})
            assert made.status_code == 201, made.text
            headers = {"X-API-Key": made.json()["key"]}
            ref = f"WEB-{uuid.uuid4().hex[:8]}"
            placed = await place_order(api, "/v1/storefront/orders", {**ORDER, "channel_order_ref": ref}, headers,
                                       uuid.uuid4().hex)
            assert placed.status_code == 201, placed.text
            order_id = placed.json()["order_id"]
            [view] = (await wait_statuses(api, headers, [order_id], "released", 60)).values()
            assert [h["status"] for h in view["history"]] == ["accepted", "posted", "released"]
            [record] = await erp_sales_orders(sandbox, external_ref=order_id)
            assert record["erp_order_number"] == view["erp_order_number"] and record["channel_order_ref"] == ref
            for _ in range(10):  # reads through the load balancer, spread over both gateways
                assert (await api.get(f"/v1/storefront/orders/{order_id}", headers=headers)).status_code == 200

            # one member SIGKILLed and started again as `up` started it (`hub cluster restart`, bench/chaos)
            restarted = cluster.hub("restart", "process", "--timeout", "120")
            assert restarted.returncode == 0, restarted.stdout + restarted.stderr
            code, state = cluster.status()
            after = {p["name"]: p for p in state["processes"]}
            assert code == 0 and state["healthy"], state
            assert after["process"]["pid"] != processes["process"]["pid"]
            assert not _alive(processes["process"]["pid"]), "the old process is gone"
            assert {n: p["pid"] for n, p in after.items() if n != "process"} == \
                {n: p["pid"] for n, p in processes.items() if n != "process"}, "no other member touched"
            processes["process-restarted"] = after["process"]
            ref = f"WEB-{uuid.uuid4().hex[:8]}"  # the new process takes orders
            placed = await place_order(api, "/v1/storefront/orders", {**ORDER, "channel_order_ref": ref}, headers,
                                       uuid.uuid4().hex)
            assert placed.status_code == 201, placed.text
            await wait_statuses(api, headers, [placed.json()["order_id"]], "released", 60)
            unknown = cluster.hub("restart", "nope", timeout=30)
            assert unknown.returncode == 1 and "no member 'nope'" in unknown.stderr, unknown.stderr

            # the README's load on the cluster (bench/cluster_load.py): the four channels' orders taken,
            # and the flows' counts it prints (the console's Flows panel) move while it runs
            loaded = subprocess.run([sys.executable, str(ROOT / "bench" / "cluster_load.py"),
                                     "--url", lb, "--admin-key", ADMIN, "--rate", "4", "--seconds", "8",
                                     "--drain", "60"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
            assert loaded.returncode == 0, loaded.stdout + loaded.stderr
            ticks = [line for line in loaded.stdout.splitlines() if line.startswith("t=")]
            assert len(ticks) >= 2 and "0 order(s) refused for good" in loaded.stdout, loaded.stdout
            captured = [int(line.split("order_capture done ")[1].split(";")[0].split(",")[0]) for line in ticks
                        if "order_capture done " in line]
            assert captured and captured[-1] >= 2 + 16, loaded.stdout  # the two above, then the load's (4/s x 8 s x 0.5)

        for gateway in ("gateway-1", "gateway-2"):  # round robin: each gateway answered some of them
            scraped = httpx.get(f"{processes[gateway]['url']}/metrics", headers={"X-API-Key": ADMIN}, timeout=5).text
            served = sum(float(line.rsplit(" ", 1)[1]) for line in scraped.splitlines()
                         if line.startswith("hub_http_requests_total{") and 'route="storefront-v1"' in line)
            assert served > 0, f"{gateway} served no storefront request through the load balancer"
    finally:
        stopped = cluster.hub("down", timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    for process in processes.values():
        assert not _alive(process["pid"]), process
    assert not any(_port_open(port) for port in range(BASE_PORT, BASE_PORT + 9))
    assert not cluster.run_dir.exists()
    assert cluster.status()[0] == 3


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
