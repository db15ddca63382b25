"""The replica's full sync: paginated, leased (never two at once, across processes), complete
(what the ERP dropped goes), and its writes never let an older reading win."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import msgspec
import pytest

from process_apis.catalog.store import ReplicaStore
from process_apis.catalog.sync import CHANGE_TOPIC, ErpSync
from shared.errors import BackendUnavailable
from shared.messaging.outbox import Message
from shared.models import ErpRecordChanged
from tests.process_apis.catalog.conftest import Clock, seeded_erp, customer, item


async def test_the_full_sync_reads_every_page_of_every_record_kind(store: ReplicaStore) -> None:
    erp = seeded_erp(skus=5, customers=3)
    assert await ErpSync(store, erp, page=2).full_sync()

    assert erp.pages == [("items", 0, 2), ("items", 2, 2), ("items", 4, 2), ("customers", 0, 2), ("customers", 2, 2),
                         ("contracts", 0, 2), ("contracts", 2, 2)]
    assert [i.sku for i in (await store.item_page(0, 10)).items] == [f"SKU-{n}" for n in range(5)]
    assert (await store.customer("CUST-2")).credit_limit == Decimal("1000.00")
    assert (await store.contract("CUST-0")).prices == {"SKU-0": Decimal("9.00")}
    assert (await store.contract("CUST-1")).prices == {}
    assert (await store.state()).full_sync_at is not None


async def test_concurrent_full_syncs_never_run_twice(engine) -> None:  # noqa: ANN001
    """Two processes (two syncs, each its own store) start at once: one reads the ERP, the other
    finds the lease taken and does nothing, even when forced."""
    erp = seeded_erp()
    erp.page_gate = asyncio.Event()
    first, second = ErpSync(ReplicaStore(engine), erp), ErpSync(ReplicaStore(engine), erp)
    running = asyncio.ensure_future(first.full_sync(force=True))
    while not erp.pages:  # the first holds the lease and waits on the ERP
        await asyncio.sleep(0.01)  # polling a condition the task sets at once
    assert await asyncio.wait_for(second.full_sync(force=True), 5) is False  # a second pass would wait
    erp.page_gate.set()
    assert await running is True
    assert [p for p in erp.pages if p[0] == "items"] == [("items", 0, 200)]
    assert await second.full_sync() is False  # not due: the last one is younger than the interval


async def test_many_syncs_at_once_make_one_pass(engine) -> None:  # noqa: ANN001
    erp = seeded_erp()
    results = await asyncio.gather(*(ErpSync(ReplicaStore(engine), erp).full_sync() for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    assert [p for p in erp.pages if p[0] == "items"] == [("items", 0, 200)]


async def test_a_failed_sync_lets_the_lease_go_and_keeps_what_the_replica_had(store: ReplicaStore) -> None:
    erp = seeded_erp()
    sync = ErpSync(store, erp)
    assert await sync.full_sync()
    synced = (await store.state()).full_sync_at
    erp.down = True
    with pytest.raises(BackendUnavailable):
        await sync.full_sync(force=True)
    assert (await store.state()).full_sync_at == synced  # not a complete sync
    assert (await store.item("SKU-0")) is not None
    erp.down = False
    assert await ErpSync(store, erp).full_sync(force=True)  # another process may sync at once


async def test_a_dead_process_lease_expires(store: ReplicaStore) -> None:
    clock = Clock()
    assert await store.take_lease("dead", clock(), timedelta(minutes=5), None)
    erp = seeded_erp()
    assert await ErpSync(store, erp, now=clock).full_sync(force=True) is False
    clock.advance(301)
    assert await ErpSync(store, erp, now=clock).full_sync(force=True) is True


async def test_what_the_erp_no_longer_has_leaves_the_replica(store: ReplicaStore) -> None:
    clock = Clock()
    erp = seeded_erp()
    assert await ErpSync(store, erp, now=clock).full_sync()
    del erp.items["SKU-3"], erp.customers["CUST-2"]
    clock.advance(1)
    assert await ErpSync(store, erp, now=clock).full_sync(force=True)
    assert await store.item("SKU-3") is None and await store.customer("CUST-2") is None
    assert await store.contract("CUST-2") is None and await store.item("SKU-4") is not None


async def test_an_older_reading_never_overwrites_a_newer_one(store: ReplicaStore) -> None:
    clock = Clock()
    newer = clock.at + timedelta(seconds=5)
    await store.put_items([item("SKU-1", "12.00")], newer)
    await store.put_items([item("SKU-1", "10.00")], clock.at)  # a slow full-sync page, read before
    assert (await store.item("SKU-1")).list_price == Decimal("12.00")
    await store.put_customers([customer("C", hold=True)], newer)
    await store.put_customers([customer("C", hold=False)], clock.at)
    assert (await store.customer("C")).credit_hold is True
    assert (await store.item("SKU-1")).as_of == newer


def _message(change: ErpRecordChanged) -> Message:
    return Message(id="1", topic=CHANGE_TOPIC, key=change.key, payload=msgspec.json.encode(change), attempts=1)


async def test_a_change_event_reads_the_record_and_names_the_changed_skus(store: ReplicaStore) -> None:
    erp, changed = seeded_erp(), []

    async def on_changed(skus: set[str]) -> None:
        changed.append(skus)

    sync = ErpSync(store, erp, on_changed=on_changed)
    assert await sync.full_sync()
    erp.customers["CUST-1"] = customer("CUST-1", hold=True)
    erp.items["SKU-2"] = item("SKU-2", "11.00")
    erp.contracts["CUST-0"] = {"SKU-0": Decimal("9.00"), "SKU-4": Decimal("8.00")}
    for kind, key in (("customer", "CUST-1"), ("item", "SKU-2"), ("contract", "CUST-0")):
        await sync.apply(_message(ErpRecordChanged(kind=kind, key=key)))

    assert (await store.customer("CUST-1")).credit_hold is True
    assert (await store.item("SKU-2")).list_price == Decimal("11.00")
    assert changed == [set(), {"SKU-2"}, {"SKU-4"}]
    assert (await store.state()).event_at is not None
    del erp.items["SKU-2"]
    await sync.apply(_message(ErpRecordChanged(kind="item", key="SKU-2")))
    assert await store.item("SKU-2") is None


async def test_a_change_event_with_the_erp_down_fails_for_the_outbox_to_retry(store: ReplicaStore) -> None:
    erp = seeded_erp()
    erp.down = True
    with pytest.raises(BackendUnavailable):
        await ErpSync(store, erp).apply(_message(ErpRecordChanged(kind="customer", key="CUST-1")))
