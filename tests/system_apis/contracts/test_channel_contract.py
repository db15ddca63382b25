"""The ``ChannelPlatformPort`` contract, and orders in (``ChannelInbound``): every channel kind,
against its sandbox. A sandbox's control ``POST /sandbox/<backend>/orders`` places an order of the
CONTRACT section 9 items and sends that vendor's signed order webhook."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from shared.errors import BackendThrottled, NotFound
from shared.models import FulfilmentLine
from system_apis.channel.port import StorefrontLevel
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.vendor_http import VendorHttp
from shared.resilience import Guard, RetryPolicy
from system_apis.registry import KINDS
from tests.system_apis.contracts.harness import UnderTest

pytestmark = pytest.mark.sandbox_only


def kinds(role: str) -> list:
    return [pytest.param(kind, id=kind.name) for kind in KINDS.values() if role in kind.adapters]


class Subject(UnderTest):
    """A channel kind's adapter over its sandbox (the suite's harness), read as the tests below do."""

    def adapter(self, role: str) -> object:
        return self.port

    async def views(self, path: str, **params: str) -> list[dict]:
        return await self.view(path, **params)


@pytest.fixture
async def subject(request: pytest.FixtureRequest):  # noqa: ANN201
    made = Subject(request.param, "channel")
    yield made
    await made.aclose()

ORDER = {"line_items": [{"sku": "SKU-1001", "quantity": 2, "price": "24.00"},
                        {"sku": "SKU-1003", "quantity": 1, "price": "1.10"}]}


async def _place(subject: Subject) -> str:
    answer = await subject.control.post(f"/sandbox/{subject.kind.sandbox.name}/orders", json=ORDER)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["order"]["id"])


@pytest.mark.parametrize("subject", kinds("channel"), indirect=True)
async def test_a_fulfilment_reaches_the_order_once_per_key(subject: Subject) -> None:
    channel, ref = subject.adapter("channel"), await _place(subject)
    lines = [FulfilmentLine(sku="SKU-1001", quantity=2), FulfilmentLine(sku="SKU-1003", quantity=1)]

    await channel.create_fulfilment(ref, "1Z999", "UPS", lines, "ship-1")
    await channel.create_fulfilment(ref, "1Z999", "UPS", lines, "ship-1")

    made = await subject.views("fulfillments", order_id=ref)
    assert len(made) == 1 and "1Z999" in str(made[0])
    with pytest.raises(NotFound):
        await channel.create_fulfilment("99999999", "1Z1", "UPS", lines, "ship-2")


@pytest.mark.parametrize("subject", kinds("channel"), indirect=True)
async def test_levels_set_are_what_the_storefront_shows(subject: Subject) -> None:
    channel = subject.adapter("channel")
    await channel.set_inventory("SKU-1001", "DC-EAST", 7)
    await channel.set_inventory_levels([StorefrontLevel(sku="SKU-1002", location="DC-EAST", available=3)])

    shown = {(level.sku, level.available) for level in await channel.inventory_levels(["SKU-1001", "SKU-1002"])}
    assert shown == {("SKU-1001", 7), ("SKU-1002", 3)}  # per location: test_money_contract


@pytest.mark.parametrize("subject", kinds("channel"), indirect=True)
async def test_a_refund_is_made_once_per_rma(subject: Subject) -> None:
    channel, ref = subject.adapter("channel"), await _place(subject)
    lines = [FulfilmentLine(sku="SKU-1001", quantity=1)]

    first = await channel.refund(ref, lines, Decimal("24.00"), "USD", "rma_1")
    again = await channel.refund(ref, lines, Decimal("24.00"), "USD", "rma_1")

    assert again.refund_id == first.refund_id and first.amount == Decimal("24.00")
    assert len(await subject.views("refunds", order_id=ref)) == 1
    assert first.status == "succeeded" and await channel.refund_outcome(ref, first.refund_id) == "succeeded"
    with pytest.raises(NotFound):
        await channel.refund("99999999", lines, Decimal("1.00"), "USD", "rma_2")


@pytest.mark.parametrize("subject", kinds("channel"), indirect=True)
async def test_the_vendors_throttle_answer_is_a_throttle(subject: Subject) -> None:
    name = subject.kind.sandbox.name
    await subject.control.put(f"/sandbox/{name}/faults", json={"throttle": True})
    with pytest.raises(BackendThrottled) as caught:
        await subject.adapter("channel").inventory_levels(["SKU-1001"])
    assert caught.value.retry_after is not None and caught.value.retry_after > 0


@pytest.mark.parametrize("kind", [k for k in kinds("channel") if k.values[0].inbound is not None])
async def test_the_order_webhook_verifies_and_reads_as_a_channel_order(kind) -> None:  # noqa: ANN001
    inbound, name, secret = kind.inbound, kind.sandbox.name, "contract-secret-0123456789"
    delivered: list[httpx.Request] = []

    async def hub(request: httpx.Request) -> httpx.Response:
        delivered.append(request)
        return httpx.Response(200)

    app = create_sandbox_app(SandboxConfig(event_urls={name: "http://hub/hook"}, webhook_secrets={name: secret},
                                           autoship_seconds=0), transport=httpx.MockTransport(hub))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as control:
        placed = (await control.post(f"/sandbox/{name}/orders", json=ORDER)).json()
        await control.post(f"/sandbox/{name}/orders/{placed['order']['id']}/redeliver")
        await app.state.sandbox.delivery.drain()
        first, again = delivered
        headers = {k.encode(): v.encode() for k, v in first.headers.items()}
        assert inbound.verify(secret, first.content, headers)
        assert not inbound.verify(secret, first.content + b" ", headers)
        assert not inbound.verify("another-secret-0123456789", first.content, headers)
        read = inbound.parse(first.content, headers, "my-shop")
        redelivered = inbound.parse(again.content, {k.encode(): v.encode() for k, v in again.headers.items()},
                                    "my-shop")
        assert read.delivery_id and redelivered.delivery_id == read.delivery_id  # a redelivery is a duplicate
        order = read.order
        if order is None:  # a thin webhook: the hook reads the order it names from the platform
            assert read.fetch_ref == str(placed["order"]["id"])
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://sandbox/sandbox/"
                                         f"{name}", headers=kind.auth(kind.sandbox_credential)) as client:
                http = VendorHttp(name, client, Guard(name, policy=RetryPolicy(max_attempts=1)), kind.classify)
                order = await kind.adapters["channel"](http).fetch_order(read.fetch_ref, "my-shop")
    await app.state.sandbox.aclose()
    assert order is not None and order.channel == "my-shop" and order.channel_order_ref == str(placed["order"]["id"])
    assert [(l.sku, l.quantity, l.unit_price) for l in order.lines] == [("SKU-1001", 2, Decimal("24.00")),
                                                                      ("SKU-1003", 1, Decimal("1.10"))]
    assert order.total == Decimal("49.10")


@pytest.mark.parametrize("subject", [k for k in kinds("channel")
                                     if hasattr(k.values[0].adapters["channel"], "orders_since")], indirect=True)
async def test_a_polled_platform_answers_its_new_orders_from_a_cursor(subject: Subject) -> None:
    feed = subject.adapter("channel")
    assert (await feed.orders_since(None, "my-shop")).orders == []
    ref = await _place(subject)

    page = await feed.orders_since(None, "my-shop")
    [order] = page.orders
    assert (order.channel, order.channel_order_ref, order.total) == ("my-shop", ref, Decimal("49.10"))
    assert [(l.sku, l.quantity) for l in order.lines] == [("SKU-1001", 2), ("SKU-1003", 1)]
    later = await _place(subject)
    assert ref not in {o.channel_order_ref for o in (await feed.orders_since("9999-01-01 00:00:00", "x")).orders}
    assert later in {o.channel_order_ref for o in (await feed.orders_since(page.cursor, "x")).orders}
