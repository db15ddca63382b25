"""The storefront's drift check and lag samples (for reconciliation and the flows view), and the
desired rows' guard against an older reading."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from process_apis.storefront import levels
from process_apis.storefront.drift import StorefrontDrift, lag_samples
from shared.db.engine import reading
from shared.db.storefront_tables import storefront_levels
from shared.messaging.outbox import utcnow
from system_apis.sandbox.shopify.schemas import InventorySet
from tests.process_apis.storefront.conftest import Rig


async def test_a_level_changed_on_the_shop_is_found_reported_then_repaired(rig: Rig) -> None:
    await rig.report("SKU-1", "DC-EAST", 8, 1)
    await rig.report("SKU-2", "DC-WEST", 3, 1)
    await rig.run()
    drift = StorefrontDrift(rig.engine, rig.ports.shopify)
    assert await drift.check(repair=False) == []

    rig.shop.set_level(InventorySet(inventory_item_id="SKU-1", location_id="DC-EAST", available=50))
    rig.shop.set_level(InventorySet(inventory_item_id="SKU-2", location_id="STORE-NYC", available=1))
    reported = await drift.check(repair=False)
    assert [(f.check, f.subject, f.expected, f.actual, f.action) for f in reported] == [
        ("storefront_levels", "SKU-1@DC-EAST", "8", "50", "reported"),
        ("storefront_levels", "SKU-2@STORE-NYC", None, "1", "reported"),
    ]
    assert await rig.run() == 0  # reporting repairs nothing

    repaired = await drift.check(repair=True)
    assert [(f.subject, f.action) for f in repaired] == [("SKU-1@DC-EAST", "repaired"),
                                                          ("SKU-2@STORE-NYC", "reported")]
    await rig.run()
    assert rig.shows("SKU-1") == {"DC-EAST": 8}
    assert [f.subject for f in await drift.check(repair=False)] == ["SKU-2@STORE-NYC"]


async def test_a_level_on_its_way_is_not_drift(rig: Rig) -> None:
    await rig.report("SKU-1", "DC-EAST", 8, 1)
    await rig.pusher.desired.refresh()  # due, not pushed yet

    assert await StorefrontDrift(rig.engine, rig.ports.shopify).check(repair=True) == []


async def test_lag_samples_are_report_to_shop_seconds(rig: Rig) -> None:
    before = utcnow() - timedelta(seconds=1)
    for n in range(3):
        await rig.report(f"SKU-{n}", "DC-EAST", n, 1)
    await rig.run()

    async with reading(rig.engine) as conn:
        samples = await lag_samples(conn, before)
        later = await lag_samples(conn, utcnow() + timedelta(seconds=1))
    assert len(samples) == 3 and all(0.0 <= s < 30.0 for s in samples)
    assert later == []


async def test_a_level_pushed_again_after_the_shop_forgot_it_lags_from_then_not_from_its_report(rig: Rig) -> None:
    await rig.report("SKU-1", "DC-EAST", 8, 1)
    await rig.run()
    async with rig.engine.begin() as conn:  # the report was an hour ago (a hub restarted since)
        await conn.execute(storefront_levels.update().values(received_at=utcnow() - timedelta(hours=1)))
    forgotten = utcnow()
    await levels.forget_pushed(rig.engine)  # the sandbox shop starts empty again
    await rig.run()

    async with reading(rig.engine) as conn:
        samples = await lag_samples(conn, forgotten)
    assert rig.shows("SKU-1") == {"DC-EAST": 8}
    assert len(samples) == 1 and 0.0 <= samples[0] < 30.0  # was about 3,600 s


async def test_an_older_reading_never_overwrites_a_newer_desired_value(rig: Rig) -> None:
    at = utcnow()
    async with rig.engine.begin() as conn:
        await levels._write(conn, [{"sku": "S", "location": "L", "desired": 9, "basis": 5, "received_at": at}])
        await levels._write(conn, [{"sku": "S", "location": "L", "desired": 2, "basis": 4, "received_at": at}])
        await levels._write(conn, [{"sku": "S", "location": "L", "desired": 9, "basis": 6, "received_at": at}])
    async with reading(rig.engine) as conn:
        row = (await conn.execute(select(storefront_levels))).one()
    assert (row.desired, row.basis, row.version) == (9, 6, 1)  # same value again: no new version
