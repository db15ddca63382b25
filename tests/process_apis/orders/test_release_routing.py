"""An order's lines routed by location to several fulfilment connections (issue 13), on SQLite and
PostgreSQL: each connection gets its part once however often the release is delivered, one
connection down holds only its own part, and the order ships when every part has shipped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from process_apis.journeys.service import JourneyService
from process_apis.orders import repository as repo
from process_apis.orders.flows import OrderFlows
from process_apis.orders.release import plan_lines
from process_apis.orders.release_parts import PartLine
from process_apis.orders.tracking import ShipmentTracker
from process_apis.returns.polled import ReceiptTracker
from process_apis.returns.routed import ShippedBy
from shared.db.tables import returns as returns_table
from shared.errors import BackendUnavailable
from shared.idempotency import IdempotencyLedger
from shared.messaging.outbox import Message
from shared.models import ExpectedReceipt, FulfilmentLine, ReceiptLine, ShipmentConfirmed, StockChanged, StockLevel
from system_apis.wms.fulfilment_routes import FulfilmentRoutes
from tests.fakes.backoffice import FakeFulfilment, FakeShippingFulfilment


def message(topic: str, payload: msgspec.Struct, key: str) -> Message:
    return Message(id=uuid.uuid4().hex, topic=topic, key=key, payload=msgspec.json.encode(payload), attempts=1)


class Split:
    """A WMS serving ``DC-`` and a 3PL serving ``3PL-`` behind one ``OrderFlows``."""

    def __init__(self, world) -> None:  # noqa: ANN001
        self.world = world
        self.wms, self.tpl = FakeFulfilment(), FakeShippingFulfilment()
        self.routes = FulfilmentRoutes({"wms": self.wms, "tpl": self.tpl}, {"wms": ("DC-",), "tpl": ("3PL-",)})
        self.flows = OrderFlows(world.engine, world.erp, self.wms, None, world.book, routes=self.routes)
        world.stock.levels.append(StockLevel(sku=world.bits, location="3PL-MV", on_hand=20, available=20, sequence=1))

    async def posted(self) -> str:
        """Drill x2 (DC-EAST holds 40) and bits x6 (DC-WEST holds 5, the 3PL's 3PL-MV 20), posted."""
        command = self.world.order((self.world.drill, 2, "129.00"), (self.world.bits, 6, "24.50"), payment="405.00")
        order_id = (await self.world.service.place_order(command, uuid.uuid4().hex)).order.order_id
        await self.flows.post_to_erp(message("order.accepted", repo.OrderRef(order_id=order_id), order_id))
        return order_id

    async def release(self, order_id: str) -> None:
        await self.flows.release_to_wms(message("order.posted", repo.OrderRef(order_id=order_id), order_id))

    async def ship(self, shipment: ShipmentConfirmed) -> None:
        await self.flows.record_shipment(message("shipment.confirmed", shipment, shipment.order_id))

    async def status(self, order_id: str) -> str:
        async with self.world.engine.connect() as conn:
            return (await repo.load(conn, order_id)).status


def lines(request) -> list[tuple[str, int]]:  # noqa: ANN001
    return [(l.sku, l.quantity) for l in request.lines]


def wms_shipment(order_id: str, sku: str, quantity: int) -> ShipmentConfirmed:
    return ShipmentConfirmed(shipment_id=f"WMS-{uuid.uuid4().hex[:6]}", order_id=order_id, carrier="UPS",
                             tracking_number=f"1Z{uuid.uuid4().hex[:10]}", shipped_at=datetime.now(UTC),
                             lines=(FulfilmentLine(sku=sku, quantity=quantity),))


async def test_each_connection_gets_its_lines_once_and_the_order_ships_when_both_have(world) -> None:
    split = Split(world)
    order_id = await split.posted()

    await split.release(order_id)
    await split.release(order_id)  # the outbox redelivers

    assert lines(split.wms.releases[order_id]) == [(world.drill, 2)]
    assert lines(split.tpl.releases[order_id]) == [(world.bits, 6)]
    assert (split.wms.release_calls, split.tpl.release_calls) == ([order_id], [order_id])
    assert await split.status(order_id) == "released"

    await split.ship(wms_shipment(order_id, world.drill, 2))
    assert await split.status(order_id) == "released", "the 3PL's part has not shipped"
    await split.ship(split.tpl.ship(order_id))
    assert await split.status(order_id) == "shipped"
    assert await world.book.available(world.bits) == (28, 0)


async def test_one_connection_down_holds_only_its_part_and_the_retry_releases_it_alone(world) -> None:
    split = Split(world)
    order_id = await split.posted()
    split.tpl.down = True

    for _ in range(2):  # the first attempt and a retry while the 3PL is still down
        with pytest.raises(BackendUnavailable):
            await split.release(order_id)
    assert lines(split.wms.releases[order_id]) == [(world.drill, 2)] and order_id not in split.tpl.releases
    assert await split.status(order_id) == "posted"

    split.tpl.down = False
    await split.release(order_id)

    assert split.wms.release_calls == [order_id], "the WMS's part was released once, not on each retry"
    assert lines(split.tpl.releases[order_id]) == [(world.bits, 6)]
    assert await split.status(order_id) == "released"


async def test_the_plan_stands_when_stock_moves_before_a_retry(world) -> None:
    split = Split(world)
    order_id = await split.posted()
    split.tpl.down = True
    with pytest.raises(BackendUnavailable):
        await split.release(order_id)
    async with world.engine.begin() as conn:  # the WMS now holds all the bits at DC-EAST
        await world.book.apply(conn, StockChanged(sku=world.bits, location="DC-EAST", on_hand=90, available=90,
                                                  sequence=2, source="wms"))
    levels = {sku: s.locations for sku, s in (await world.book.availability([world.bits])).items()}
    assert list(plan_lines([PartLine(sku=world.bits, quantity=6)], levels, split.routes)) == ["wms"]
    split.tpl.down = False

    await split.release(order_id)

    assert lines(split.tpl.releases[order_id]) == [(world.bits, 6)]
    assert lines(split.wms.releases[order_id]) == [(world.drill, 2)]


async def test_the_journey_shows_each_part_with_its_connection(world) -> None:
    split = Split(world)
    order_id = await split.posted()
    split.tpl.down = True
    with pytest.raises(BackendUnavailable):
        await split.release(order_id)

    [journey] = (await JourneyService(world.engine).find(order_id)).items
    parts = {s.backend: s for s in journey.steps if s.step == "fulfilment.release"}
    assert (parts["wms"].outcome, parts["tpl"].outcome) == ("done", "pending")
    assert "FUL-1" in parts["wms"].detail and f"2 x {world.drill} from DC-EAST" in parts["wms"].detail
    assert parts["tpl"].attempts == 1 and "WMS down" in parts["tpl"].detail

    split.tpl.down = False
    await split.release(order_id)
    [journey] = (await JourneyService(world.engine).find(order_id)).items
    parts = {s.backend: s for s in journey.steps if s.step == "fulfilment.release"}
    assert parts["tpl"].outcome == "done" and f"6 x {world.bits} from 3PL-MV" in parts["tpl"].detail
    assert [s.step for s in journey.steps if s.step in ("posted", "released")] == ["posted", "released"]


async def test_the_3pl_s_shipments_are_polled_and_queued_once(world) -> None:
    split = Split(world)
    order_id = await split.posted()
    await split.release(order_id)
    tracker = ShipmentTracker(world.engine, IdempotencyLedger(world.engine), split.routes.feeds(), interval=60)

    assert await tracker.poll_once() == 0  # released, not shipped yet
    shipment = split.tpl.ship(order_id)
    assert await tracker.poll_once() == 1
    assert await tracker.poll_once() == 0, "seen before: not queued again"
    assert await world.outbox_count(order_id) >= 1
    assert list(split.routes.feeds()) == ["tpl"]

    await split.ship(shipment)
    assert split.tpl.polls.count(order_id) == 3
    await tracker.poll_once()
    assert split.tpl.polls.count(order_id) == 3, "a part that shipped is asked no more"


async def test_a_return_is_expected_by_the_connection_that_shipped_each_line(world) -> None:
    split = Split(world)
    order_id = await split.posted()
    await split.release(order_id)
    returned = ShippedBy(world.engine, split.routes)

    await returned.expect_receipt(ExpectedReceipt(rma_id="RMA-1", order_id=order_id, lines=(
        ReceiptLine(sku=world.drill, quantity=1, disposition="restock"),
        ReceiptLine(sku=world.bits, quantity=2, disposition="inspect"))))

    assert [(l.sku, l.quantity) for l in split.wms.receipts["RMA-1"]["lines"]] == [(world.drill, 1)]
    assert [(l.sku, l.quantity) for l in split.tpl.receipts["RMA-1"]["lines"]] == [(world.bits, 2)]


def test_the_plan_prefers_a_location_holding_the_whole_line_and_defaults_what_none_serves() -> None:
    routes = FulfilmentRoutes({"wms": object(), "tpl": object()}, {"wms": ("DC-",), "tpl": ("3PL-",)})  # type: ignore[dict-item]
    asked = [PartLine(sku="A", quantity=3), PartLine(sku="B", quantity=30), PartLine(sku="C", quantity=1),
             PartLine(sku="A", quantity=1), PartLine(sku="D", quantity=50)]
    levels = {"A": {"DC-EAST": 9, "3PL-MV": 50},       # both hold all 4: the WMS, declared first
              "B": {"DC-EAST": 9, "3PL-MV": 40},       # only the 3PL holds 30
              "C": {"STORE-NYC": 5},                   # no fulfilment connection serves a store
              "D": {"DC-EAST": 9, "DC-WEST": 20, "3PL-MV": 12}}  # none holds 50: the most, DC-WEST

    planned = plan_lines(asked, levels, routes)

    assert planned == {
        "wms": [PartLine(sku="A", quantity=3, location="DC-EAST"), PartLine(sku="C", quantity=1),
                PartLine(sku="A", quantity=1, location="DC-EAST"), PartLine(sku="D", quantity=50, location="DC-WEST")],
        "tpl": [PartLine(sku="B", quantity=30, location="3PL-MV")]}


def test_the_longest_prefix_serves_a_location() -> None:
    routes = FulfilmentRoutes({"wms": object(), "tpl": object()}, {"wms": ("DC-",), "tpl": ("DC-WEST-3PL",)})  # type: ignore[dict-item]
    assert (routes.serving("DC-WEST-3PL-1"), routes.serving("DC-WEST"), routes.serving("STORE-NYC")) == (
        "tpl", "wms", None)


async def returned(world, order_id: str, sku: str, quantity: int) -> str:  # noqa: ANN001
    """An authorized RMA of ``quantity`` x ``sku`` of the order (its row only: no saga runs)."""
    rma_id, at = f"RMA-{uuid.uuid4().hex[:8]}", datetime.now(UTC)
    line = {"sku": sku, "quantity": quantity, "reason": "not_needed", "decision": "approved", "disposition": "restock",
            "unit_price": "24.50", "refund_amount": "24.50"}
    async with world.engine.begin() as conn:
        await conn.execute(returns_table.insert().values(
            rma_id=rma_id, order_id=order_id, consumer="c", customer_id=None, channel="storefront", status="authorized",
            currency="USD", refund_amount="24.50", refund_status="issued", refund_method="card", saga_step="done",
            lines=[line], version=1, created_at=at, updated_at=at))
    return rma_id


async def test_the_3pl_s_return_receipts_are_polled_and_queued_once_by_two_pollers(world) -> None:
    split = Split(world)
    order_id = await split.posted()
    await split.release(order_id)
    rma_id = await returned(world, order_id, world.bits, 2)
    await ShippedBy(world.engine, split.routes).expect_receipt(ExpectedReceipt(rma_id=rma_id, order_id=order_id, lines=(
        ReceiptLine(sku=world.bits, quantity=2, disposition="restock"),)))
    assert list(split.routes.receipt_feeds()) == ["tpl"], "the WMS reports receipts by event"
    one, two = (ReceiptTracker(world.engine, IdempotencyLedger(world.engine), split.routes.receipt_feeds(),
                               interval=60) for _ in range(2))

    assert await one.poll_once() == 0  # expected there, not received yet
    assert split.tpl.receipt_polls == [[rma_id]]
    split.tpl.receive(rma_id)
    assert [await one.poll_once(), await two.poll_once(), await one.poll_once()] == [1, 0, 0]
    assert await world.outbox_count(rma_id) == 1, "two pollers, three rounds: queued once"
