"""The return port served over the internal RPC (split roles) answers as it does in process."""

from __future__ import annotations

import httpx
import pytest

from process_apis.returns.port import ReturnPort
from shared.errors import BusinessRuleViolation, Conflict, NotFound
from shared.rpc import RpcApp, rpc_client


@pytest.fixture
async def remote(world):  # noqa: ANN001, ANN201
    app = RpcApp({"returns": (ReturnPort, world.service)})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://process") as client:
        yield rpc_client(ReturnPort, "returns", client)


async def test_requests_reviews_and_refusals_cross_the_rpc(world, remote) -> None:
    order_id = await world.order((world.big, 1, "600.00"), (world.bits, 2, "24.50"), customer=world.acme)
    command = world.request(order_id, (world.big, 1, "damaged"), customer=world.acme)
    made = await remote.request_return(command, "k")
    again = await remote.request_return(command, "k")
    assert made.rma.status == "pending_review" and again.replayed and again.rma == made.rma
    with pytest.raises(BusinessRuleViolation) as too_many:
        await remote.request_return(world.request(order_id, (world.bits, 3, "other"), customer=world.acme), "k2")
    assert too_many.value.code == "quantity_exceeds_returnable" and too_many.value.errors
    with pytest.raises(NotFound):
        await remote.get_return(made.rma.rma_id, world.viewer(customer=world.bolt))
    approved = await remote.approve(made.rma.rma_id, "ops")
    assert approved.status == "authorized" and approved.history[-1].detail == "approved by ops"
    with pytest.raises(Conflict) as late:
        await remote.reject(made.rma.rma_id, "ops", "too late")
    assert late.value.code == "return_not_pending_review"
    assert (await remote.get_return(made.rma.rma_id)).rma_id == made.rma.rma_id
