"""The catalog event on the bus: one event may name a batch of SKUs, and an instance that
predates the field drops every SKU's answers on it (more than needed, never a stale one)."""

from __future__ import annotations

import asyncio

import msgspec

from shared.bus import CatalogChanged, ChangeNotices, LocalBus


class CatalogChangedBefore(msgspec.Struct, frozen=True):
    """The event as instances before the ``skus`` field read it."""

    sku: str | None
    reason: str = "changed"


def test_an_event_names_one_sku_a_batch_or_every_sku() -> None:
    assert CatalogChanged(sku="SKU-1").named() == ["SKU-1"]
    assert CatalogChanged(sku=None, skus=["SKU-1", "SKU-2"]).named() == ["SKU-1", "SKU-2"]
    assert CatalogChanged(sku=None).named() is None


def test_an_older_instance_reads_a_batch_event_as_every_sku() -> None:
    wire = msgspec.json.encode(CatalogChanged(sku=None, skus=["SKU-1", "SKU-2"], reason="stock-applied"))
    assert msgspec.json.decode(wire, type=CatalogChangedBefore).sku is None  # it drops everything
    assert msgspec.json.decode(msgspec.json.encode(CatalogChangedBefore(sku="SKU-9")), type=CatalogChanged).named() \
        == ["SKU-9"]  # and what it sends still reads as one SKU


async def test_the_backoffice_reads_again_every_item_a_batch_names_and_only_those() -> None:
    from decimal import Decimal

    from process_apis.orders.backoffice import BackOffice
    from shared.models import Item
    from tests.process_apis.orders.conftest import FakeErp

    erp = FakeErp()
    office = BackOffice(erp, ttl=3600)
    bus = LocalBus()
    bus.subscribe("catalog.changed", office.on_catalog_changed)

    def priced(price: str) -> None:
        erp.items = {sku: Item(sku=sku, name=sku, currency="USD", list_price=Decimal(price)) for sku in "ABCD"}

    async def prices() -> list[str]:
        return [str((await office.item(sku)).list_price) for sku in "ABCD"]

    priced("1.00")
    assert await prices() == ["1.00"] * 4
    priced("2.00")
    await bus.publish("catalog.changed", CatalogChanged(sku=None, skus=["A", "C"]))
    assert await prices() == ["2.00", "1.00", "2.00", "1.00"]
    await bus.publish("catalog.changed", CatalogChanged(sku="B"))
    assert await prices() == ["2.00", "2.00", "2.00", "1.00"]
    await bus.publish("catalog.changed", CatalogChanged(sku=None))
    assert await prices() == ["2.00"] * 4


class SlowBus(LocalBus):
    """Publishes only when the test lets it: what a Redis round trip in flight looks like."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.sent: list[CatalogChanged] = []
        self.gate = asyncio.Event()
        self.fail = fail

    async def publish(self, topic: str, event: msgspec.Struct) -> None:
        await self.gate.wait()
        if self.fail:
            raise ConnectionError("Redis is down")
        assert isinstance(event, CatalogChanged)
        self.sent.append(event)


async def test_change_notices_share_a_message_among_the_skus_added_while_one_is_in_flight() -> None:
    bus = SlowBus()
    notices = ChangeNotices(bus, "catalog.changed", reason="stock-held")
    notices.add(["SKU-2"])
    await asyncio.sleep(0)  # the first message is in flight now
    notices.add(["SKU-3", "SKU-1"])
    notices.add(["SKU-3"])
    bus.gate.set()
    assert notices._task is not None
    await asyncio.wait_for(notices._task, 5)  # one task publishes both, then ends
    assert [(e.sku, e.skus, e.reason) for e in bus.sent] == [
        (None, ["SKU-2"], "stock-held"), (None, ["SKU-1", "SKU-3"], "stock-held")]
    notices.add([])
    await asyncio.sleep(0)
    assert len(bus.sent) == 2, "nothing added, nothing sent"


async def test_change_notices_never_fail_their_caller_and_go_on_after_a_failure() -> None:
    bus = SlowBus(fail=True)
    notices = ChangeNotices(bus, "catalog.changed", reason="stock-held")
    bus.gate.set()
    notices.add(["SKU-1"])  # returns at once; the failure is logged, not raised
    task = notices._task
    assert task is not None
    await task
    bus.fail = False
    notices.add(["SKU-2"])
    await notices._task
    assert [e.skus for e in bus.sent] == [["SKU-2"]]
    notices.close()


async def test_change_notices_with_a_linger_send_what_came_within_it_as_one() -> None:
    bus = SlowBus()
    bus.gate.set()
    notices = ChangeNotices(bus, "catalog.changed", reason="stock-held", linger=0.05)
    notices.add(["SKU-1"])
    await asyncio.sleep(0)  # the task has started (lingering); without a linger it would have sent
    notices.add(["SKU-2"])
    assert notices._task is not None
    await asyncio.wait_for(notices._task, 5)
    assert [e.skus for e in bus.sent] == [["SKU-1", "SKU-2"]]
