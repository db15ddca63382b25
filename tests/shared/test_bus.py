"""The catalog event on the bus: one event may name a batch of SKUs, and an instance that
predates the field drops every SKU's answers on it (more than needed, never a stale one)."""

from __future__ import annotations

import msgspec

from shared.bus import CatalogChanged, LocalBus


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
