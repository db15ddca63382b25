"""A dead letter made the way production makes one (the ERP down longer than the retry
budget), replayed from the console once the ERP is back: the order reaches the ERP."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.browser import until
from tests.e2e.conftest import order

pytestmark = pytest.mark.e2e
ORDERS = "/v1/storefront/orders"


def place(api: httpx.Client, headers: dict) -> str:
    placed = api.post(ORDERS, json=order(), headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert placed.status_code == 201, placed.text
    return placed.json()["order_id"]


def status(api: httpx.Client, headers: dict, order_id: str) -> str:
    return api.get(f"{ORDERS}/{order_id}", headers=headers).json()["status"]


def dead_letter_of_an_erp_outage(hub, api: httpx.Client, headers: dict) -> tuple[str, dict]:  # noqa: ANN001
    """An order placed while the ERP is down, and its ERP posting's dead letter; the ERP is back."""
    warm = place(api, headers)  # the hub reads (and keeps) this customer and item from the ERP
    until(lambda: status(api, headers, warm) == "released", 30)
    assert api.put("/sandbox/erp/faults", json={"outage": True}).status_code == 200
    try:
        order_id = place(api, headers)

        def dead_letter() -> dict | None:
            items = hub.admin.get("/admin/v1/dead-letters", params={"limit": 200}).json()["items"]
            return next((d for d in items if d["key"] == order_id and not d["replayed_at"]), None)

        return order_id, until(dead_letter, 30)
    finally:
        assert api.delete("/sandbox/erp/faults").status_code == 200


def test_replay_a_dead_letter_after_an_erp_outage(hub, console) -> None:  # noqa: ANN001
    shop = hub.new_key("orders:write", "orders:read", customer="CUST-ACME")
    headers = {"X-API-Key": shop["key"]}
    with httpx.Client(base_url=hub.url, timeout=20) as api:
        order_id, letter = dead_letter_of_an_erp_outage(hub, api, headers)
        assert status(api, headers, order_id) == "accepted"

        page = console()
        page.click(".tabs a[data-panel=dead-letters]")
        row = page.locator(f"#dlq tr[data-letter='{letter['id']}']")
        row.wait_for()
        assert order_id in row.text_content() and letter["topic"] in row.text_content()
        row.locator("button", has_text="Replay").click()
        page.locator("#toast", has_text="Replayed").wait_for()
        until(lambda: status(api, headers, order_id) in ("posted", "released"), 30)
        replayed = page.locator(f"#dlq tr[data-letter='{letter['id']}'] button", has_text="Replay")
        until(replayed.is_disabled)  # shown as replayed: it cannot be sent twice
        erp = api.get("/sandbox/erp/sales-orders", params={"external_ref": order_id}).json()["items"]
        assert len(erp) == 1
