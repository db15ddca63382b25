"""The ``FulfilmentPort`` contract, checked on the WMS fulfilment adapter and the 3PL adapter
(ShipBob-shaped) against their own sandboxes: releases and expected returns are idempotent on the
hub's ids, even when an answer is lost; faults map onto the hub's error tree."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable
from shared.models import Address, ExpectedReceipt, FulfilmentLine, FulfilmentRequest, ReceiptLine
from system_apis.threepl import client as threepl
from system_apis.wms import client as wms
from system_apis.wms.fulfilment_client import WmsFulfilmentAdapter
from system_apis.wms.fulfilment_port import FulfilmentPort
from tests.system_apis.contract.erp_harness import ErpUnderTest


@dataclass(frozen=True)
class FulfilmentKind:
    name: str
    backend: str
    classify: Any
    make: Any
    headers: dict[str, str] = field(default_factory=dict)


KINDS = (
    FulfilmentKind(name="wms", backend="wms", classify=wms.classify, make=WmsFulfilmentAdapter),
    FulfilmentKind(name="threepl", backend="threepl", classify=threepl.classify,
                   make=threepl.ThreePlFulfilmentAdapter, headers=threepl.auth_headers()),
)
REQUEST = FulfilmentRequest(
    order_id="ord_01JF0Q8W5B7X9ZK3M4N6P8R0TV", lines=(FulfilmentLine(sku="SKU-1001", quantity=2),),
    ship_to=Address(name="Ada Lovelace", line1="1 Main St", city="Springfield", region="IL", postal_code="62701",
                    country="US"))
RECEIPT = ExpectedReceipt(rma_id="rma_01JF0Q8W5B7X9ZK3M4N6P8R0TX", order_id=REQUEST.order_id,
                          lines=(ReceiptLine(sku="SKU-1001", quantity=1, disposition="restock"),))


@pytest.fixture(params=KINDS, ids=[k.name for k in KINDS])
async def ful(request: pytest.FixtureRequest) -> AsyncIterator[ErpUnderTest]:
    under_test = ErpUnderTest(request.param)
    yield under_test
    await under_test.aclose()


async def _ship(ful: ErpUnderTest, order_id: str) -> httpx.Response:
    return await ful.control.post(f"/sandbox/{ful.kind.backend}/ship", json={"order_id": order_id})


def test_the_adapter_offers_every_call_of_the_port_with_its_signature(ful: ErpUnderTest) -> None:
    calls = [name for name, _ in inspect.getmembers(FulfilmentPort, inspect.isfunction) if not name.startswith("_")]
    assert len(calls) == 4
    for name in calls:
        ours, port = inspect.signature(getattr(ful.port, name)), inspect.signature(getattr(FulfilmentPort, name))
        assert list(ours.parameters) == list(port.parameters)[1:], name
        assert inspect.iscoroutinefunction(getattr(ful.port, name)), name


async def test_a_release_is_idempotent_on_the_order_id(ful: ErpUnderTest) -> None:
    first = await ful.port.release(REQUEST)
    again = await ful.port.release(REQUEST)

    assert again == first and first.fulfilment_id
    assert (await _ship(ful, REQUEST.order_id)).status_code == 200


async def test_a_release_whose_answer_was_lost_is_retried_and_releases_once(ful: ErpUnderTest) -> None:
    ful.transport.lose = 1

    ref = await ful.port.release(REQUEST)

    assert len(ful.transport.posts()) >= 2
    assert await ful.port.release(REQUEST) == ref


@pytest.mark.parametrize("fault", [{"outage": True}, {"error_rate": 1.0}], ids=["outage", "errors"])
async def test_an_outage_is_backend_unavailable_and_the_release_after_it_works(ful: ErpUnderTest, fault: dict) -> None:
    await ful.faults(**fault)
    with pytest.raises(BackendUnavailable) as caught:
        await ful.port.release(REQUEST)
    assert not isinstance(caught.value, BackendThrottled)
    await ful.heal()

    first = await ful.port.release(REQUEST)
    assert await ful.port.release(REQUEST) == first


async def test_the_sandbox_throttle_is_honoured_with_its_retry_after(ful: ErpUnderTest) -> None:
    await ful.faults(throttle=True)

    with pytest.raises(BackendThrottled) as caught:
        await ful.port.release(REQUEST)

    assert caught.value.retry_after == 1.0
    assert len(ful.waits) == 2 and all(wait >= 1.0 for wait in ful.waits)


async def test_an_expected_return_is_idempotent_and_cancelled_once(ful: ErpUnderTest) -> None:
    await ful.port.expect_receipt(RECEIPT)
    await ful.port.expect_receipt(RECEIPT)

    await ful.port.cancel_receipt(RECEIPT.rma_id)
    await ful.port.cancel_receipt(RECEIPT.rma_id)

    with pytest.raises(BackendError) as caught:
        await ful.port.expect_receipt(RECEIPT)
    assert caught.value.code == "receipt_cancelled"


async def test_cancelling_a_return_the_backend_never_got_is_a_no_op(ful: ErpUnderTest) -> None:
    await ful.port.cancel_receipt("rma_never_sent")
