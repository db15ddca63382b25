"""The replica read as the ERP: records from the database with when they were heard, a miss
read live and kept, and order validation refusing data older than its limit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from process_apis.catalog.errors import ReplicaStale
from process_apis.catalog.reader import ReplicaReader
from process_apis.catalog.store import ReplicaStore
from process_apis.catalog.sync import ErpSync
from shared.errors import BackendUnavailable, NotFound
from tests.process_apis.catalog.conftest import Clock, seeded_erp, item

DAY = 86400


async def test_a_synced_replica_answers_with_the_erp_down(store: ReplicaStore) -> None:
    clock, erp = Clock(), seeded_erp()
    assert await ErpSync(store, erp, now=clock).full_sync()
    erp.down = True
    clock.advance(60)
    reader = ReplicaReader(store, erp, now=clock)
    found = await reader.get_item("SKU-1")
    assert found.list_price == Decimal("10.00") and found.as_of == clock.at.replace(second=0, minute=0)
    assert (await reader.get_contract_prices("CUST-0")).prices == {"SKU-0": Decimal("9.00")}
    assert (await reader.get_customer("CUST-1")).terms == "NET30"
    assert [i.sku for i in (await reader.list_items(1, 2)).items] == ["SKU-1", "SKU-2"]
    assert await reader.age() == clock.at - clock.at.replace(minute=0)


async def test_a_miss_is_read_live_and_kept(store: ReplicaStore) -> None:
    clock, erp = Clock(), seeded_erp()
    reader = ReplicaReader(store, erp, now=clock)
    assert (await reader.get_item("SKU-2")).as_of == clock.at
    erp.down = True
    assert (await reader.get_item("SKU-2")).sku == "SKU-2"  # now from the replica
    with pytest.raises(BackendUnavailable):
        await reader.get_item("SKU-3")  # never heard, and the ERP cannot say
    erp.down = False
    with pytest.raises(NotFound):
        await reader.get_item("SKU-404")


async def test_list_items_is_live_until_a_first_full_sync(store: ReplicaStore) -> None:
    erp = seeded_erp()
    reader = ReplicaReader(store, erp)
    assert len((await reader.list_items()).items) == 5 and erp.pages == [("items", 0, 100)]


async def test_order_validation_refuses_data_older_than_the_limit_while_prices_keep_serving(
    store: ReplicaStore,
) -> None:
    clock, erp = Clock(), seeded_erp()
    assert await ErpSync(store, erp, now=clock).full_sync()
    lenient = ReplicaReader(store, erp, now=clock)
    strict = lenient.strict(DAY)
    erp.down = True
    clock.advance(DAY - 1)
    assert (await strict.get_customer("CUST-1")).customer_id == "CUST-1"  # just within the limit
    clock.advance(2)
    with pytest.raises(ReplicaStale) as refused:
        await strict.get_customer("CUST-1")
    assert (refused.value.status, refused.value.code) == (503, "erp_replica_stale")
    with pytest.raises(ReplicaStale):
        await strict.get_item("SKU-1")
    assert (await lenient.get_item("SKU-1")).as_of < clock.at  # served, with its age


async def test_a_stale_record_is_read_again_when_the_erp_answers(store: ReplicaStore) -> None:
    clock, erp = Clock(), seeded_erp()
    assert await ErpSync(store, erp, now=clock).full_sync()
    erp.items["SKU-1"] = item("SKU-1", "15.00")
    clock.advance(DAY + 1)
    fresh = await ReplicaReader(store, erp, max_age=DAY, now=clock).get_item("SKU-1")
    assert (fresh.list_price, fresh.as_of) == (Decimal("15.00"), clock.at)
    assert (await store.item("SKU-1")).list_price == Decimal("15.00")
