"""The operations panels against the hub's own flows, backends, alerts and journeys endpoints
(CONTRACT section 7). PENDING MERGE: those endpoints are built on other branches of issue 12;
until they are merged, these tests fail on the "not available" state instead of the data."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.browser import until
from tests.console.test_dead_letters import ORDERS, status
from tests.e2e.conftest import order

pytestmark = pytest.mark.e2e


def test_search_a_journey_by_channel_order_ref_and_see_each_step(hub, console) -> None:  # noqa: ANN001
    shop = hub.new_key("orders:write", "orders:read", customer="CUST-ACME")
    headers = {"X-API-Key": shop["key"]}
    ref = f"WEB-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=hub.url, timeout=20) as api:
        placed = api.post(ORDERS, json=order(channel_order_ref=ref), headers={**headers, "Idempotency-Key": ref})
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order_id"]
        until(lambda: status(api, headers, order_id) == "released", 30)
    page = console()
    page.click(".tabs a[data-panel=journeys]")
    page.fill("#journey-ref", ref)
    page.press("#journey-ref", "Enter")
    card = page.locator(f"#journeys-result [data-journey='{order_id}']")
    card.wait_for()
    assert ref in card.locator("dl").text_content()
    steps = [c.text_content() for c in card.locator("tbody tr td:nth-child(3)").all()]
    for reached in ("accepted", "posted", "released"):
        assert reached in steps, steps
    assert card.locator(".badge", has_text="released").count() >= 1


def test_flows_backends_and_alerts_come_from_the_hub(hub, console) -> None:  # noqa: ANN001
    page = console()
    page.locator("#flows table").wait_for()
    flows = page.text_content("#flows")
    for flow in ("order capture", "erp posting", "wms release", "inventory sync"):
        assert flow in flows
    page.locator("#business-tiles").wait_for()  # issue 12: the business views under the flows
    assert "Inventory lag to checkout" in page.text_content("#business-tiles")
    assert "Inventory lag to storefront" in page.text_content("#business-tiles")  # the push is wired (issue 11)
    assert "Open orders by time in status" in page.text_content("#business")
    page.locator("#overview-alerts table, #overview-alerts .empty").first.wait_for()
    page.click(".tabs a[data-panel=backends]")
    erp = page.locator("#backends tr[data-backend=erp]")
    erp.wait_for()
    assert erp.locator(".badge").first.text_content() in ("closed", "open", "half open")
    erp.locator("button", has_text="Pause").click()
    page.click("#dialog-actions button.danger")
    until(lambda: hub.admin.get("/admin/v1/backends").json()["items"] and next(
        b for b in hub.admin.get("/admin/v1/backends").json()["items"] if b["backend"] == "erp")["paused"])
    page.locator("#backends tr[data-backend=erp] button", has_text="Resume").click()
    until(lambda: not next(b for b in hub.admin.get("/admin/v1/backends").json()["items"] if b["backend"] == "erp")["paused"])
    page.click(".tabs a[data-panel=alerts]")
    page.locator("#alerts table, #alerts .empty").first.wait_for()
