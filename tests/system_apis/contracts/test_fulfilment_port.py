"""The ``FulfilmentPort`` contract, checked on every fulfilment kind of the registry (the WMS, the
ShipBob-shaped 3PL) against its own sandbox, and on ``FakeFulfilment``: releases and expected returns are idempotent on the
hub's ids, even when an answer is lost; faults map onto the hub's error tree."""

from __future__ import annotations

import inspect

import httpx
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable
from shared.models import Address, ExpectedReceipt, FulfilmentLine, FulfilmentRequest, ReceiptLine
from system_apis.wms.fulfilment_port import FulfilmentPort
from tests.system_apis.contracts.harness import UnderTest

sandbox_only = pytest.mark.sandbox_only
REQUEST = FulfilmentRequest(
    order_id="ord_01JF0Q8W5B7X9ZK3M4N6P8R0TV", lines=(FulfilmentLine(sku="SKU-1001", quantity=2),),
    ship_to=Address(name="Ada Lovelace", line1="1 Main St", city="Springfield", region="IL", postal_code="62701",
                    country="US"))
RECEIPT = ExpectedReceipt(rma_id="rma_01JF0Q8W5B7X9ZK3M4N6P8R0TX", order_id=REQUEST.order_id,
                          lines=(ReceiptLine(sku="SKU-1001", quantity=1, disposition="restock"),))


async def _ship(fulfilment: UnderTest, order_id: str) -> httpx.Response:
    return await fulfilment.control.post(f"/sandbox/{fulfilment.backend}/ship", json={"order_id": order_id})


def test_the_adapter_offers_every_call_of_the_port_with_its_signature(fulfilment: UnderTest) -> None:
    calls = [name for name, _ in inspect.getmembers(FulfilmentPort, inspect.isfunction) if not name.startswith("_")]
    assert len(calls) == 4
    for name in calls:
        ours, port = inspect.signature(getattr(fulfilment.port, name)), inspect.signature(getattr(FulfilmentPort, name))
        assert list(ours.parameters) == list(port.parameters)[1:], name
        assert inspect.iscoroutinefunction(getattr(fulfilment.port, name)), name


async def test_a_release_is_idempotent_on_the_order_id(fulfilment: UnderTest) -> None:
    first = await fulfilment.port.release(REQUEST)
    again = await fulfilment.port.release(REQUEST)

    assert again == first and first.fulfilment_id


@sandbox_only
async def test_a_released_order_ships_in_the_backend(fulfilment: UnderTest) -> None:
    await fulfilment.port.release(REQUEST)

    assert (await _ship(fulfilment, REQUEST.order_id)).status_code == 200


@sandbox_only
async def test_a_release_whose_answer_was_lost_is_retried_and_releases_once(fulfilment: UnderTest) -> None:
    fulfilment.transport.lose = 1

    ref = await fulfilment.port.release(REQUEST)

    assert len(fulfilment.transport.posts()) >= 2
    assert await fulfilment.port.release(REQUEST) == ref


@sandbox_only
@pytest.mark.parametrize("fault", [{"outage": True}, {"error_rate": 1.0}], ids=["outage", "errors"])
async def test_an_outage_is_backend_unavailable_and_the_release_after_it_works(fulfilment: UnderTest, fault: dict) -> None:
    await fulfilment.faults(**fault)
    with pytest.raises(BackendUnavailable) as caught:
        await fulfilment.port.release(REQUEST)
    assert not isinstance(caught.value, BackendThrottled)
    await fulfilment.heal()

    first = await fulfilment.port.release(REQUEST)
    assert await fulfilment.port.release(REQUEST) == first


@sandbox_only
async def test_the_sandbox_throttle_is_honoured_with_its_retry_after(fulfilment: UnderTest) -> None:
    await fulfilment.faults(throttle=True)

    with pytest.raises(BackendThrottled) as caught:
        await fulfilment.port.release(REQUEST)

    assert caught.value.retry_after == 1.0
    assert len(fulfilment.waits) == 2 and all(wait >= 1.0 for wait in fulfilment.waits)


async def test_an_expected_return_is_idempotent_and_cancelled_once(fulfilment: UnderTest) -> None:
    await fulfilment.port.expect_receipt(RECEIPT)
    await fulfilment.port.expect_receipt(RECEIPT)

    await fulfilment.port.cancel_receipt(RECEIPT.rma_id)
    await fulfilment.port.cancel_receipt(RECEIPT.rma_id)

    with pytest.raises(BackendError) as caught:
        await fulfilment.port.expect_receipt(RECEIPT)
    assert caught.value.code == "receipt_cancelled"


async def test_cancelling_a_return_the_backend_never_got_is_a_no_op(fulfilment: UnderTest) -> None:
    await fulfilment.port.cancel_receipt("rma_never_sent")
