"""Issue 12: ``hub_inventory_lag_p95_seconds`` on every role's /metrics, over HTTP: the one-process
hub answers what ``/admin/v1/flows`` answers; a split process role with two worker processes
(Prometheus multiprocess mode) answers the database's figure once per scrape, whichever worker
is scraped, and leaves the series out when nothing moved in the hour. The flows view's other
figures (``hub_flow_*``, open orders, refund exceptions, open dead letters) on the admin API's
roles, the same as ``/admin/v1/flows``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, insert

from process_apis.ops.lag_gauge import NAME
from shared.db.engine import create_engine, dispose
from shared.db.tables import stock_levels
from tests.conftest import Hub
from tests.e2e.conftest import free_port, spawn  # noqa: F401 - the fixture
from tests.gateway.admin.ops_support import ADMIN, admin_get, by_name, ops_hub  # noqa: F401 - the fixture
from tests.gateway.support import database_url, eventually  # noqa: F401 - the fixture


def lag_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"{NAME}{{")]


async def test_the_one_process_hub_scrapes_the_figure_the_flows_view_answers(ops_hub: Hub) -> None:
    changed = await ops_hub.http.post("/sandbox/wms/stock", json={"sku": "SKU-1002", "location": "DC-EAST",
                                                                  "on_hand": 6})
    assert changed.status_code == 200, changed.text
    seen: dict = {}

    async def agree() -> bool:  # both read the same rows; each caches for up to 2 s
        figure = (await admin_get(ops_hub, "flows"))["business"]["inventory_lag"]["to_checkout_ms"]
        scraped = await ops_hub.http.get("/metrics", headers=ADMIN)
        assert scraped.status_code == 200, scraped.text
        seen.update(figure=figure, lines=lag_lines(scraped.text))
        checkout = [line for line in seen["lines"] if 'to="checkout"' in line]
        return figure is not None and len(checkout) == 1 and float(checkout[0].split()[-1]) == figure["p95"] / 1000

    await eventually(agree, 15)
    assert len(seen["lines"]) == len({line.split()[0] for line in seen["lines"]})  # each series once


def samples(text: str, name: str) -> dict[str, float]:
    """``{labels: value}`` of one metric's series; each label set must appear once."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(f"{name}{{") or line.startswith(f"{name} "):
            labels, value = line.rsplit(" ", 1)
            assert labels not in found, f"{labels} twice"
            found[labels.removeprefix(name)] = float(value)
    return found


async def test_the_flows_figures_are_scraped_as_the_flows_view_answers_them(ops_hub: Hub) -> None:
    # no orders of its own: PostgreSQL's stock holds are shared by the session's tests (test_flows
    # places the orders whose capture latency shows here)
    seen: dict = {}

    async def agree() -> bool:  # the scrape and the admin API read one cached view
        text = (await ops_hub.http.get("/metrics", headers=ADMIN)).text
        view = await admin_get(ops_hub, "flows")
        flows = by_name(view["items"], "flow")
        done = samples(text, "hub_flow_done_last_hour")
        seen.update(text=text, view=view, done=done)
        return all(done.get(f'{{flow="{name}"}}') == item["throughput"]["1h"] for name, item in flows.items())

    await eventually(agree, 15)
    text, view = seen["text"], seen["view"]
    flows = by_name(view["items"], "flow")
    assert set(samples(text, "hub_flow_backlog")) == {f'{{flow="{name}"}}' for name in flows}
    p95 = samples(text, "hub_flow_step_p95_seconds")
    assert all(p95[f'{{flow="{name}"}}'] == item["p95_ms"] / 1000 for name, item in flows.items() if item["p95_ms"])
    assert all(f'{{flow="{name}"}}' not in p95 for name, item in flows.items() if item["p95_ms"] is None)
    opened = samples(text, "hub_orders_open")
    assert len(opened) == 4 * 5 and all(value >= 0 for value in opened.values())
    assert samples(text, "hub_refund_exceptions_open") == {"": view["business"]["refund_exceptions"]["open"]}


@pytest.mark.e2e
async def test_a_split_process_role_with_two_workers_answers_the_figure_once(spawn, tmp_path: Path) -> None:  # noqa: ANN001, F811
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    process = spawn("process", {"HUB_DATABASE_URL": url, "HUB_WORKERS": "2", "HUB_LOG_LEVEL": "warning",
                                "HUB_SYSTEM_URL": f"http://127.0.0.1:{free_port()}"})
    process.wait_ready(60)  # migrated by its start
    assert lag_lines(httpx.get(f"{process.url}/metrics", timeout=5).text) == []  # nothing moved in the hour
    now = datetime.now(UTC)
    engine = create_engine(url)
    async with engine.begin() as conn:  # lags of 0.1 .. 2.0 s: the nearest-rank p95 of 20 is the 19th
        await conn.execute(insert(stock_levels), [
            {"sku": f"SKU-L{i}", "location": "DC-EAST", "on_hand": 1, "available": 1, "sequence": 1,
             "updated_at": now, "received_at": now - timedelta(milliseconds=100 * i), "visible_at": now}
            for i in range(1, 21)])
    try:
        async def scraped_everywhere() -> bool:  # a worker may hold its last read for 2 s
            answers = [lag_lines(httpx.get(f"{process.url}/metrics", timeout=5).text) for _ in range(8)]
            return all(lines == [f'{NAME}{{to="checkout"}} 1.9'] for lines in answers)

        await eventually(scraped_everywhere, 15)
        async with engine.begin() as conn:
            await conn.execute(delete(stock_levels))

        async def gone() -> bool:  # no stale figure once there is nothing to measure
            return all(lag_lines(httpx.get(f"{process.url}/metrics", timeout=5).text) == [] for _ in range(8))

        await eventually(gone, 15)
    finally:
        await dispose(engine)
