"""The ``StockPort`` and ``FulfilmentPort`` contracts: every stock and fulfilment adapter, against its sandbox."""

from __future__ import annotations

import pytest

from shared.models import Address, ExpectedReceipt, FulfilmentLine, FulfilmentRequest, ReceiptLine
from tests.system_apis.contracts.conftest import Subject, kinds

SEED = {("SKU-1001", "DC-EAST"): 40, ("SKU-1001", "DC-WEST"): 10, ("SKU-1002", "DC-WEST"): 5,
        ("SKU-1002", "STORE-NYC"): 3, ("SKU-1003", "DC-EAST"): 500}
# A kind whose sandbox holds stock at a location of its own beside CONTRACT section 9's (the 3PL's
# fulfilment centre: docs/vendors/threepl.md).
OWN_SEED = {"threepl": {("SKU-1001", "3PL-MV"): 25, ("SKU-1003", "3PL-MV"): 120}}


@pytest.mark.parametrize("subject", kinds("stock"), indirect=True)
async def test_stock_is_a_level_per_sku_and_location_of_the_seed(subject: Subject) -> None:
    levels = await subject.adapter("stock").get_stock(["SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004", "SKU-NOPE"])

    assert levels, "a stock source holds some of the seed"
    seed = SEED | OWN_SEED.get(subject.kind.name, {})
    for level in levels:
        assert seed[level.sku, level.location] == level.on_hand and level.available <= level.on_hand
    assert not {level.sku for level in levels} & {"SKU-1004", "SKU-NOPE"}  # held nowhere: no rows
    assert await subject.adapter("stock").get_stock([]) == []


@pytest.mark.parametrize("subject", kinds("fulfilment"), indirect=True)
async def test_a_release_and_an_expected_receipt_are_made_once(subject: Subject) -> None:
    fulfilment = subject.adapter("fulfilment")
    request = FulfilmentRequest(order_id="ord_c1", lines=(FulfilmentLine(sku="SKU-1001", quantity=1),),
                                ship_to=Address(name="Ada Lovelace", line1="1 Main St", city="Springfield", region="IL",
                                                postal_code="62701", country="US"))  # a 3PL ships nothing without one

    first = await fulfilment.release(request)
    assert await fulfilment.release(request) == first
    receipt = ExpectedReceipt(rma_id="rma_c1", order_id="ord_c1",
                              lines=(ReceiptLine(sku="SKU-1001", quantity=1, disposition="restock"),))
    await fulfilment.expect_receipt(receipt)
    await fulfilment.expect_receipt(receipt)
    await fulfilment.cancel_receipt("rma_c1")
    await fulfilment.cancel_receipt("rma_c1")  # cancelling twice is a no-op
