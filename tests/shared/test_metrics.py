"""shared/metrics.py on prometheus_client: the call style, every worker in one scrape
(multiprocess mode), the business and backend figures, and /metrics behind a scope."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from shared.metrics import Registry
from tests.conftest import Hub
from tests.gateway.support import api

WRITER = """
import sys
from shared.metrics import Registry
r = Registry()
r.counter("hub_jobs_total", "jobs", ["kind"]).inc("a", amount=float(sys.argv[1]))
r.histogram("hub_job_seconds", "job time").observe(float(sys.argv[1]) / 10)
r.gauge("hub_depth", "deepest queue", mode="max").set(value=float(sys.argv[1]))
r.sample_process()
"""


def sample(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, (name, text[-2000:])
    return float(match.group(1))


def test_the_call_style_of_the_code_keeps_working() -> None:
    registry = Registry()
    counter = registry.counter("hub_things_total", "things", ["kind", "outcome"])
    counter.inc("a", "ok")
    counter.inc("a", "ok", amount=2)
    assert registry.counter("hub_things_total", "again") is counter  # one metric per name
    registry.gauge("hub_level", "level").set(value=7)
    registry.histogram("hub_wait_seconds", "wait", ["kind"]).observe(0.02, "a")
    text = registry.render()
    assert sample(text, 'hub_things_total{kind="a",outcome="ok"}') == 3
    assert sample(text, "hub_level") == 7
    assert sample(text, 'hub_wait_seconds_bucket{kind="a",le="0.025"}') == 1
    assert sample(text, 'hub_wait_seconds_bucket{kind="a",le="0.01"}') == 0
    assert counter.values == {("a", "ok"): 3.0}
    assert "process_resident_memory_bytes" in text and "_created" not in text


def test_observations_tallied_elsewhere_render_as_if_observed_one_by_one() -> None:
    one_by_one, tallied = Registry(multiproc_dir=None), Registry(multiproc_dir=None)
    seen = [0.0004, 0.0004, 0.003, 7.5]
    for value in seen:
        one_by_one.histogram("hub_x_seconds", "x", ["route"]).observe(value, "r")
    histogram = tallied.histogram("hub_x_seconds", "x", ["route"])
    bounds = histogram.bounds("r")
    counts = [sum(1 for v in seen if (bounds[i - 1] if i else -1) < v <= bounds[i]) for i in range(len(bounds))]
    histogram.observe_many(counts, sum(seen), "r")

    def rendered(registry: Registry) -> list[str]:
        return [line for line in registry.render().splitlines() if line.startswith("hub_x_seconds")]
    assert rendered(one_by_one) == rendered(tallied) and len(rendered(tallied)) == len(bounds) + 2


def test_cache_hit_ratio_is_derived_from_the_lookups() -> None:
    registry = Registry()
    lookups = registry.counter("hub_cache_lookups_total", "lookups", ["route", "result"])
    for result, times in (("HIT", 3), ("MISS", 1)):
        lookups.inc("storefront-v1", result, amount=times)
    lookups.inc("mobile-v1", "HIT", amount=4)
    assert sample(registry.render(), "hub_cache_hit_ratio") == 7 / 8


def test_every_worker_process_adds_up_in_one_scrape(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": os.getcwd()}
    for amount in ("2", "5"):  # two worker processes, each writing its own file
        subprocess.run([sys.executable, "-c", WRITER, amount], env=env, check=True, timeout=60)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    text = Registry(multiproc_dir=str(tmp_path)).render()
    assert sample(text, 'hub_jobs_total{kind="a"}') == 7
    assert sample(text, "hub_job_seconds_count") == 2 and abs(sample(text, "hub_job_seconds_sum") - 0.7) < 1e-9
    assert sample(text, "hub_depth") == 5  # a "max" gauge: the deepest of the workers
    workers = re.findall(r'^hub_worker_resident_memory_bytes\{pid="(\d+)"\} (\S+)$', text, re.M)
    assert len(workers) >= 2 and all(float(v) > 0 for _, v in workers)  # each worker's process figures


async def test_metrics_need_a_scope_at_the_gateway(hub: Hub) -> None:
    assert (await hub.http.get("/metrics")).status_code == 401
    catalog = await hub.new_key("catalog:read")
    refused = await hub.http.get("/metrics", headers=api(catalog))
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    scraper = await hub.new_key("metrics:read")
    assert (await hub.http.get("/metrics", headers=api(scraper))).status_code == 200


async def test_the_business_and_backend_figures_are_scraped(hub: Hub) -> None:
    key, scraper = await hub.new_key("catalog:read"), api(await hub.new_key("metrics:read"))
    for _ in range(3):
        assert (await hub.http.get("/v1/storefront/products/SKU-1001", headers=api(key))).status_code == 200
    text = (await hub.http.get("/metrics", headers=scraper)).text
    assert sample(text, 'hub_cache_lookups_total{result="HIT",route="storefront-v1"}') >= 2
    assert sample(text, 'hub_cache_lookups_total{result="MISS",route="storefront-v1"}') == 1
    assert 0 < sample(text, "hub_cache_hit_ratio") < 1
    assert sample(text, 'hub_circuit_state{backend="erp"}') == 0
    assert sample(text, 'hub_backend_request_seconds_count{backend="erp",outcome="ok"}') >= 1
    assert "process_cpu_seconds_total" in text


async def test_accepted_orders_are_counted_by_channel_once_per_order(hub: Hub) -> None:
    from tests.shared.test_telemetry import place_order

    key, scraper = await hub.new_key("orders:write", "orders:read"), api(await hub.new_key("metrics:read"))
    first = await place_order(hub, key, **{"Idempotency-Key": "same-key-1"})
    replay = await place_order(hub, key, **{"Idempotency-Key": "same-key-1"})
    assert first.status_code == 201 and replay.json()["order_id"] == first.json()["order_id"]
    text = (await hub.http.get("/metrics", headers=scraper)).text
    assert sample(text, 'hub_orders_accepted_total{channel="storefront"}') == 1
