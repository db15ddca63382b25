"""Inspection results for returned units held in quarantine, through the WMS adapter against the sandbox."""

from __future__ import annotations

import msgspec
import pytest

from shared.errors import BackendError
from shared.models import ExpectedReceipt, ReceiptLine, StockChanged
from system_apis.wms.events import parse_wms_event
from tests.system_apis.sandbox_ports import SandboxPorts

RECEIPT = ExpectedReceipt(rma_id="rma_02", order_id="ord_02",
                          lines=(ReceiptLine(sku="SKU-1001", quantity=3, disposition="inspect"),))


def stock_events(ports: SandboxPorts) -> list[StockChanged]:
    outbox = ports.app.state.sandbox.backends["wms"].announcer.outbox
    events = [parse_wms_event(msgspec.json.encode(e)) for e in outbox]
    return [e for e in events if isinstance(e, StockChanged)]


async def test_restock_and_scrap_results_for_quarantined_units(ports: SandboxPorts) -> None:
    await ports.fulfilment.expect_receipt(RECEIPT)
    assert (await ports.control.post("/sandbox/wms/receive", json={"rma_id": "rma_02"})).status_code == 200
    assert stock_events(ports) == []  # inspect lines stay out of stock

    ports.transport.lose = 1  # the first answer is lost: the retry carries the same key
    await ports.fulfilment.record_inspection("rma_02", "SKU-1001", 2, "restock", idempotency_key="rma_02:SKU-1001:0")
    await ports.fulfilment.record_inspection("rma_02", "SKU-1001", 2, "restock", idempotency_key="rma_02:SKU-1001:0")
    await ports.fulfilment.record_inspection("rma_02", "SKU-1001", 1, "scrap", idempotency_key="rma_02:SKU-1001:2")

    assert [(e.sku, e.location, e.on_hand) for e in stock_events(ports)] == [("SKU-1001", "DC-EAST", 42)]
    with pytest.raises(BackendError):  # nothing left in quarantine
        await ports.fulfilment.record_inspection("rma_02", "SKU-1001", 1, "restock", idempotency_key="rma_02:SKU-1001:3")


async def test_an_inspection_before_the_receipt_is_refused(ports: SandboxPorts) -> None:
    await ports.fulfilment.expect_receipt(RECEIPT)

    with pytest.raises(BackendError):
        await ports.fulfilment.record_inspection("rma_02", "SKU-1001", 1, "restock", idempotency_key="k")
