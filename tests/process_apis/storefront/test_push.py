"""The storefront push (issue 11 item 4): coalescing, the vendor's limits, outages, no stale value."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from process_apis.storefront.levels import allocate, due_count
from process_apis.storefront.pusher import StorefrontPusher
from shared.db.storefront_tables import storefront_levels
from shared.messaging.outbox import utcnow
from system_apis.sandbox.shopify.state import COST_BUCKET_SIZE, COST_RESTORE_PER_SECOND, LeakyBucket
from tests.clocks import FakeClock
from tests.process_apis.storefront.conftest import ROUNDS, Rig


async def test_a_burst_coalesces_into_few_calls_and_the_last_value_wins(rig: Rig) -> None:
    truth: dict[tuple[str, str], int] = {}
    seq = 0
    for n in range(300):  # 300 reports over 5 SKUs x 2 locations, nothing pushed meanwhile
        sku, loc = f"SKU-{n % 5}", ("DC-EAST", "DC-WEST")[n % 2]
        seq += 1
        truth[(sku, loc)] = n
        await rig.report(sku, loc, n, seq)

    await rig.run()

    assert rig.pusher.calls == 1  # ten levels, one call
    for (sku, loc), qty in truth.items():
        assert rig.shows(sku)[loc] == qty


async def test_a_429_waits_its_retry_after_and_sends_nothing_more_until_then(rig: Rig) -> None:
    await rig.report("SKU-1", "DC-EAST", 7, 1)
    await rig.fault(throttle=True)

    waits = [await rig.pusher.step() for _ in range(3)]

    assert waits == [1.0, 1.0, 1.0]  # the sandbox's Retry-After: 1.0, each time
    assert rig.pusher.calls == 3 and rig.shows("SKU-1") == {}
    await rig.heal()
    await rig.run()
    assert rig.shows("SKU-1") == {"DC-EAST": 7}


def frozen_cost_bucket(rig: Rig, used: float) -> FakeClock:
    """The shop's GraphQL bucket on a clock the test moves, ``used`` points in it."""
    clock = FakeClock()
    rig.shop.cost_bucket = LeakyBucket(COST_BUCKET_SIZE, COST_RESTORE_PER_SECOND, clock=clock)
    rig.shop.cost_bucket.take(used)
    return clock


async def test_the_cost_bucket_is_read_and_a_throttled_graphql_answer_waits_for_room(rig: Rig) -> None:
    clock = frozen_cost_bucket(rig, 995)  # 5 points left, a call costs 10
    await rig.report("SKU-1", "DC-EAST", 4, 1)

    wait = await rig.pusher.step()

    assert wait == pytest.approx((10 - 5) / 50)  # as the THROTTLED answer said
    assert rig.shows("SKU-1") == {}
    clock.advance(wait)
    await rig.run()
    assert rig.shows("SKU-1") == {"DC-EAST": 4}


async def test_pacing_keeps_a_quarter_of_the_bucket_for_other_calls(rig: Rig) -> None:
    frozen_cost_bucket(rig, 700)
    await rig.report("SKU-1", "DC-EAST", 1, 1)
    await rig.report("SKU-2", "DC-EAST", 1, 1)

    wait = await rig.pusher.step()

    assert wait == 0.0  # one call for both; 290 left >= 250 kept + 10: go on
    rig.shop.cost_bucket.take(100)
    await rig.report("SKU-3", "DC-EAST", 1, 1)
    wait = await rig.pusher.step()
    assert wait == pytest.approx((250 + 10 - 180) / 50)  # 180 left: wait until 260 are


async def test_an_outage_backs_off_then_converges(rig: Rig) -> None:
    await rig.report("SKU-1", "DC-EAST", 3, 1)
    await rig.fault(outage=True)

    waits = [await rig.pusher.step() for _ in range(4)]

    assert all(w is not None for w in waits)
    assert waits[-1] > waits[0] * 3  # doubling (with jitter)
    assert rig.shows("SKU-1") == {}
    await rig.heal()
    rig.ports.guards["shopify"].breaker.reset("healed")  # what the one-process hub does on a heal
    await rig.run()
    assert rig.shows("SKU-1") == {"DC-EAST": 3}


async def test_an_older_report_after_a_newer_one_never_reaches_the_shop(rig: Rig) -> None:
    await rig.report("SKU-1", "DC-EAST", 9, 5)
    await rig.report("SKU-1", "DC-EAST", 2, 4)  # late and older
    await rig.run()
    await rig.report("SKU-1", "DC-EAST", 1, 3)  # later still, older still
    await rig.run()

    assert rig.shows("SKU-1") == {"DC-EAST": 9}


async def test_a_change_while_its_push_is_in_flight_is_sent_after_it(rig: Rig) -> None:
    await rig.report("SKU-1", "DC-EAST", 10, 1)
    real = rig.ports.shopify.set_inventory_levels
    sent: list[int] = []

    async def racing(batch):  # noqa: ANN001, ANN202 - the port's signature
        sent.append(batch[0].available)
        if len(sent) == 1:  # the newer report lands while the older value is on its way
            await rig.report("SKU-1", "DC-EAST", 11, 2)
            await rig.pusher.desired.refresh()  # and is read into the desired row (another process)
        return await real(batch)

    rig.ports.shopify.set_inventory_levels = racing  # type: ignore[method-assign]
    await rig.run()

    assert sent == [10, 11] and rig.shows("SKU-1") == {"DC-EAST": 11}
    async with rig.engine.connect() as conn:
        row = (await conn.execute(select(storefront_levels))).one()
    assert (row.desired, row.pushed, row.version, row.pushed_version) == (11, 11, 2, 2)


async def test_holds_come_off_the_levels_the_shop_shows(rig: Rig) -> None:
    rig.source.rows = {("SKU-1", "DC-EAST"): 6, ("SKU-1", "DC-WEST"): 10}
    await rig.book.ensure_loaded(["SKU-1"])
    async with rig.engine.begin() as conn:
        assert await rig.book.reserve(conn, "SKU-1", 12)
    await rig.run()
    assert rig.shows("SKU-1") == {"DC-EAST": 4, "DC-WEST": 0}

    async with rig.engine.begin() as conn:
        await rig.book.unreserve(conn, "SKU-1", 12)
    await rig.run()
    assert rig.shows("SKU-1") == {"DC-EAST": 6, "DC-WEST": 10}


async def test_a_hold_rolled_back_changes_nothing(rig: Rig) -> None:
    rig.source.rows = {("SKU-1", "DC-EAST"): 6}
    await rig.book.ensure_loaded(["SKU-1"])
    await rig.run()
    async with rig.engine.connect() as conn:
        tx = await conn.begin()
        assert await rig.book.reserve(conn, "SKU-1", 6)
        await tx.rollback()
    calls = rig.pusher.calls
    await rig.run()
    assert rig.pusher.calls == calls and rig.shows("SKU-1") == {"DC-EAST": 6}


async def test_shopify_throttled_during_a_burst_ends_on_the_newest_truth(rig: Rig) -> None:
    rng = random.Random(11)
    truth: dict[tuple[str, str], tuple[int, int]] = {}
    await rig.fault(throttle=True)
    for n in range(1500):  # 50 SKUs x 3 locations, out of order and repeated, pushed meanwhile
        sku, loc = f"SKU-{rng.randrange(50)}", rng.choice(("DC-EAST", "DC-WEST", "STORE-NYC"))
        seq = rng.randrange(1, 40)
        qty = rng.randrange(0, 100)
        await rig.report(sku, loc, qty, seq)
        if (sku, loc) not in truth or seq > truth[(sku, loc)][0]:
            truth[(sku, loc)] = (seq, qty)
        if n % 100 == 0:
            assert await rig.pusher.step() == 1.0  # throttled: wait, nothing lands
    assert all(not rig.shows(f"SKU-{i}") for i in range(50))
    await rig.heal()

    await rig.run()

    for (sku, loc), (_, qty) in truth.items():
        assert rig.shows(sku)[loc] == qty
    assert rig.pusher.calls <= 15 + 2  # 15 throttled tries, then 150 levels in one call or so


def test_allocate_takes_holds_and_buffer_from_the_largest_locations_first() -> None:
    assert allocate({"A": 6, "B": 10}, 12, 0) == {"A": 4, "B": 0}
    assert allocate({"A": 6, "B": 6}, 1, 2) == {"A": 3, "B": 6}  # ties by name
    assert allocate({"A": -3, "B": 2}, 0, 0) == {"A": 0, "B": 2}
    assert allocate({"A": 2}, 5, 0) == {"A": 0}
    assert sum(allocate({"A": 7, "B": 4, "C": 9}, 5, 3).values()) == 20 - 8


async def test_two_pushers_at_once_send_each_level_once_and_end_on_the_truth(rig: Rig) -> None:
    sent: list[tuple[str, str]] = []
    real = rig.ports.shopify.set_inventory_levels

    async def counted(batch):  # noqa: ANN001, ANN202 - the port's signature
        sent.extend((lv.sku, lv.location) for lv in batch)
        await asyncio.sleep(0)  # let the other pusher run while this call is "in flight"
        return await real(batch)

    rig.ports.shopify.set_inventory_levels = counted  # type: ignore[method-assign]
    other = StorefrontPusher(rig.engine, rig.ports.shopify, levels_per_call=7)
    rig.pusher._per_call = 7  # small batches: many rounds to interleave
    truth: dict[tuple[str, str], int] = {}
    for n in range(120):
        sku, loc = f"SKU-{n % 30}", ("DC-EAST", "DC-WEST")[(n // 30) % 2]
        truth[(sku, loc)] = n
        await rig.report(sku, loc, n, n + 1)

    async def drive(pusher: StorefrontPusher) -> None:
        for _ in range(ROUNDS):
            if await pusher.step() is None and await due_count(rig.engine) == 0:
                return

    await asyncio.gather(drive(rig.pusher), drive(other))

    for (sku, loc), qty in truth.items():
        assert rig.shows(sku)[loc] == qty
    assert sorted(sent) == sorted(truth)  # 60 levels, each sent once: the claims never overlapped


async def test_one_level_a_call_over_rest_reads_the_call_limit(rig: Rig) -> None:
    rest = StorefrontPusher(rig.engine, rig.ports.shopify, levels_per_call=1)
    for n in range(3):
        await rig.report(f"SKU-{n}", "DC-EAST", n + 1, 1)

    waits = []
    while (wait := await rest.step()) is not None:
        waits.append(wait)

    assert rest.calls == 3 and [rig.shows(f"SKU-{n}") for n in range(3)] == [{"DC-EAST": n + 1} for n in range(3)]
    assert waits == [0.0, 0.0, 0.0]  # 3 of 40 used: far from the 10 kept back


async def test_a_pusher_that_died_holding_a_claim_delays_its_rows_only_for_the_lease(rig: Rig) -> None:
    await rig.report("SKU-1", "DC-EAST", 5, 1)
    await rig.pusher.desired.refresh()
    claim, batch, _ = await rig.pusher._claim()  # ... and the process is killed here
    assert len(batch) == 1
    assert await rig.pusher.step() is None  # leased: not sent twice at once
    async with rig.engine.begin() as conn:  # the lease runs out
        await conn.execute(update(storefront_levels).values(claimed_until=utcnow() - timedelta(seconds=1)))
    await rig.run()
    assert rig.shows("SKU-1") == {"DC-EAST": 5}


async def test_a_pusher_stopped_mid_push_hands_its_claim_back_for_the_next_process(rig: Rig) -> None:
    await rig.report("SKU-1", "DC-EAST", 7, 1)
    in_flight, never = asyncio.Event(), asyncio.Event()

    async def hanging(batch):  # noqa: ANN001, ANN202 - the port's signature: a call still on its way at stop
        in_flight.set()
        await never.wait()

    real = rig.ports.shopify.set_inventory_levels
    rig.ports.shopify.set_inventory_levels = hanging  # type: ignore[method-assign]
    rig.pusher.start()
    await asyncio.wait_for(in_flight.wait(), 10)
    await rig.pusher.stop()
    async with rig.engine.connect() as conn:
        row = (await conn.execute(select(storefront_levels))).one()
    assert (row.claim, row.claimed_until) == (None, None)  # not held for the 60 s lease
    rig.ports.shopify.set_inventory_levels = real  # type: ignore[method-assign]
    await rig.run()  # the next process pushes it at once
    assert rig.shows("SKU-1") == {"DC-EAST": 7}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_pushers_of_several_processes_never_deadlock_while_reports_keep_coming(rig: Rig) -> None:
    """Three pushers on engines of their own (as in three worker processes) refresh and claim the
    same due rows while reports keep arriving: no round fails (a claim once locked its list of
    rows in scan order and deadlocked against another pusher's upsert of desired values), and the
    shop ends on the truth."""
    from process_apis.storefront.pusher import StorefrontPusher as Pusher
    from shared.db.engine import create_engine, dispose

    engines = [create_engine(str(rig.engine.url.render_as_string(hide_password=False))) for _ in range(3)]
    pushers = [Pusher(engine, rig.ports.shopify, levels_per_call=25) for engine in engines]
    truth: dict[tuple[str, str], int] = {}
    done = asyncio.Event()

    async def reports() -> None:
        for n in range(1500):
            sku, loc = f"SKU-{n % 60}", ("DC-EAST", "DC-WEST", "DC-NORTH")[(n // 60) % 3]
            truth[(sku, loc)] = n
            await rig.report(sku, loc, n, n + 1)
        done.set()

    async def drive(pusher: Pusher) -> None:
        while not done.is_set() or await due_count(rig.engine):
            if await pusher.step() is None:
                await asyncio.sleep(0.01)  # nothing due yet: the reports are still coming

    try:
        async with asyncio.timeout(300):
            await asyncio.gather(reports(), *(drive(p) for p in pushers))
    finally:
        for engine in engines:
            await dispose(engine)
    for (sku, loc), qty in truth.items():
        assert rig.shows(sku)[loc] == qty
