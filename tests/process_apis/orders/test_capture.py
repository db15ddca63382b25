"""Order capture: every acceptance rule, reservations, credit, and the idempotency ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import pytest

from process_apis.orders.schemas import Viewer
from shared.errors import BackendUnavailable, BusinessRuleViolation, Conflict, NotFound
from shared.idempotency import fingerprint
from tests.cancelled import noting_cancellations


async def test_contract_customer_order_is_accepted_at_the_contract_price(world) -> None:
    placed = await world.service.place_order(world.order((world.drill, 2, "99.00"), customer=world.acme), "k1")
    order = placed.order
    assert (order.status, order.total, order.customer_id, placed.replayed) == ("accepted", Decimal("198.00"),
                                                                               world.acme, False)
    assert order.lines[0].unit_price == Decimal("99.00") and order.order_id.startswith("ord_")
    assert await world.outbox_count(order.order_id) == 1
    assert world.woken == 1
    assert await world.book.available(world.drill) == (50, 2)


async def test_guest_pays_list_and_break_prices_by_card(world) -> None:
    order = (await world.service.place_order(
        world.order((world.drill, 10, "119.00"), (world.bits, 1, "24.50"), payment="1214.50"), "k1")).order
    assert order.total == Decimal("1214.50")


@pytest.mark.parametrize("case, code", [
    ("unknown_sku", "unknown_sku"), ("not_orderable", "not_orderable"), ("price", "price_mismatch"),
    ("hold", "credit_hold"), ("limit", "credit_limit_exceeded"), ("payment", "payment_mismatch"),
    ("customer", "unknown_customer"), ("stock", "insufficient_stock"), ("guest_no_payment", "payment_required"),
])
async def test_each_refusal_has_its_code_and_stores_nothing(world, case: str, code: str) -> None:
    w = world
    command = {
        "unknown_sku": w.order(("NOPE-" + w.drill, 1, None), customer=w.acme),
        "not_orderable": w.order((w.light, 1, None), customer=w.acme),
        "price": w.order((w.drill, 1, "129.00"), customer=w.acme),
        "hold": w.order((w.bits, 1, None), customer=w.hold),
        "limit": w.order((w.drill, 5, None), customer=w.bolt),  # 5 x 129 = 645 > 500
        "payment": w.order((w.bits, 2, None), payment="24.50"),
        "customer": w.order((w.bits, 1, None), customer="NOBODY-" + w.acme),
        "stock": w.order((w.bits, 9, None), customer=w.acme),
        "guest_no_payment": w.order((w.bits, 1, None)),
    }[case]
    with pytest.raises(BusinessRuleViolation) as refused:
        await w.service.place_order(command, "k-" + case)
    assert refused.value.code == code
    assert await w.book.available(w.bits) in ((0, 0), (8, 0))  # nothing held
    assert await w.book.available(w.drill) in ((0, 0), (50, 0))


async def test_an_unknown_customer_leaves_no_item_lookup_running(world) -> None:
    """The refusal came while an item lookup still hung on the ERP: it went on behind the
    answer, owned by nobody. Now it is cancelled and ended before the refusal propagates. (Its
    cancellation is what is checked: a task left pending can be garbage-collected unseen.)"""
    world.erp.hanging.add(world.bits)
    ended = noting_cancellations(world.erp, "get_item")
    command = world.order((world.bits, 1, None), customer="NOBODY-" + world.acme)
    with pytest.raises(BusinessRuleViolation) as refused:
        await asyncio.wait_for(world.service.place_order(command, "k-gone"), 2)
    assert refused.value.code == "unknown_customer"
    assert world.bits in world.erp.lookups and ended == world.erp.lookups  # every lookup begun has ended


async def test_a_refusal_does_not_cancel_the_item_lookup_another_order_shares(world) -> None:
    """Order A's unknown customer cancels A's item lookup; order B asked for the same item
    meanwhile and shares that one ERP call (single flight). B got A's ``CancelledError`` (a
    500) when the call ran in A's task; now the call outlives A while B waits for it."""
    item_gate, customer_gate, asked = asyncio.Event(), asyncio.Event(), []
    get_item, get_customer, item = world.erp.get_item, world.erp.get_customer, world.backoffice.item

    async def slow_item(sku: str) -> object:
        await item_gate.wait()
        return await get_item(sku)

    async def slow_customer(customer_id: str) -> object:
        if customer_id.startswith("NOBODY-"):
            await customer_gate.wait()
        return await get_customer(customer_id)

    async def noted_item(sku: str) -> object:
        asked.append(sku)  # then joins or starts the flight before this task yields
        return await item(sku)

    world.erp.get_item, world.erp.get_customer, world.backoffice.item = slow_item, slow_customer, noted_item
    refused = asyncio.create_task(world.service.place_order(
        world.order((world.bits, 1, None), customer="NOBODY-" + world.acme), "k-a"))
    await asyncio.wait_for(_until(lambda: asked.count(world.bits) == 1), 2)  # A leads the lookup
    accepted = asyncio.create_task(world.service.place_order(
        world.order((world.bits, 1, None), customer=world.acme), "k-b"))
    await asyncio.wait_for(_until(lambda: asked.count(world.bits) == 2), 2)  # B follows it
    customer_gate.set()  # A is refused while both wait on the one lookup
    with pytest.raises(BusinessRuleViolation) as refusal:
        await asyncio.wait_for(refused, 2)
    assert refusal.value.code == "unknown_customer"
    item_gate.set()
    placed = await asyncio.wait_for(accepted, 2)
    assert placed.order.status == "accepted" and placed.order.lines[0].sku == world.bits


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0)


async def test_refusal_lists_every_offending_line(world) -> None:
    with pytest.raises(BusinessRuleViolation) as refused:
        await world.service.place_order(world.order(("X-" + world.bits, 1, None), (world.light, 1, None),
                                                    customer=world.acme), "k")
    assert refused.value.code == "unknown_sku"
    assert [e["field"] for e in refused.value.errors] == ["lines[0].sku", "lines[1].sku"]


async def test_credit_counts_open_orders(world) -> None:
    await world.service.place_order(world.order((world.drill, 3, None), customer=world.bolt), "a")  # 387
    with pytest.raises(BusinessRuleViolation) as refused:
        await world.service.place_order(world.order((world.drill, 1, None), customer=world.bolt), "b")  # +129 > 500
    assert refused.value.code == "credit_limit_exceeded"
    await world.service.place_order(world.order((world.bits, 4, None), customer=world.bolt), "c")  # +98 = 485


async def test_same_key_same_body_replays_the_first_answer(world) -> None:
    command = world.order((world.drill, 1, None), customer=world.acme)
    first = await world.service.place_order(command, "same")
    again = await world.service.place_order(command, "same")
    assert again.replayed and again.order == first.order
    assert await world.book.available(world.drill) == (50, 1)


async def test_same_key_other_body_is_refused(world) -> None:
    await world.service.place_order(world.order((world.drill, 1, None), customer=world.acme), "same")
    with pytest.raises(BusinessRuleViolation) as refused:
        await world.service.place_order(world.order((world.drill, 2, None), customer=world.acme), "same")
    assert refused.value.code == "idempotency_key_reused"


async def test_keys_belong_to_their_consumer(world) -> None:
    a = await world.service.place_order(world.order((world.drill, 1, None), customer=world.acme, consumer=world.consumer + "a"), "k")
    b = await world.service.place_order(world.order((world.drill, 1, None), customer=world.acme, consumer=world.consumer + "b"), "k")
    assert a.order.order_id != b.order.order_id and not b.replayed


async def test_a_refusal_is_replayed_with_the_replay_header(world) -> None:
    command = world.order((world.bits, 99, None), customer=world.acme)
    with pytest.raises(BusinessRuleViolation):
        await world.service.place_order(command, "k")
    with pytest.raises(BusinessRuleViolation) as again:
        await world.service.place_order(command, "k")
    assert again.value.code == "insufficient_stock" and again.value.headers == {"Idempotent-Replayed": "true"}


async def test_a_request_in_flight_is_409(world) -> None:
    command = world.order((world.drill, 1, None), customer=world.acme)
    import msgspec
    await world.ledger.begin(f"{world.consumer} POST orders", "busy", fingerprint(msgspec.json.encode(command)))
    with pytest.raises(Conflict) as busy:
        await world.service.place_order(command, "busy")
    assert busy.value.code == "idempotency_key_in_flight"


async def test_backend_failure_releases_the_key_for_a_retry(world) -> None:
    command = world.order((world.drill, 1, None), customer=world.acme)
    world.erp.down = True
    with pytest.raises(BackendUnavailable):
        await world.service.place_order(command, "retry")
    world.erp.down = False
    placed = await world.service.place_order(command, "retry")
    assert not placed.replayed and placed.order.status == "accepted"


async def test_ten_concurrent_identical_requests_make_one_order(world) -> None:
    command = world.order((world.drill, 1, None), customer=world.acme)
    results = await asyncio.gather(*(world.service.place_order(command, "ten") for _ in range(10)),
                                   return_exceptions=True)
    orders = {r.order.order_id for r in results if not isinstance(r, Exception)}
    others = [r for r in results if isinstance(r, Exception)]
    assert len(orders) == 1
    assert all(isinstance(e, Conflict) and e.code == "idempotency_key_in_flight" for e in others)
    assert await world.book.available(world.drill) == (50, 1)
    assert await world.outbox_count(orders.pop()) == 1


async def test_concurrent_orders_never_oversell(world) -> None:
    commands = [world.order((world.bits, 1, None), customer=world.acme) for _ in range(20)]
    results = await asyncio.gather(*(world.service.place_order(c, f"k{i}") for i, c in enumerate(commands)),
                                   return_exceptions=True)
    accepted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, BusinessRuleViolation)]
    assert len(accepted) == 8 and len(refused) == 12, results
    assert all(r.code == "insufficient_stock" for r in refused)
    assert await world.book.available(world.bits) == (8, 8)


async def test_duplicate_po_is_409(world) -> None:
    await world.service.place_order(world.order((world.bits, 1, None), customer=world.acme, po="PO-1",
                                                channel="partner"), "a")
    with pytest.raises(Conflict) as dup:
        await world.service.place_order(world.order((world.bits, 2, None), customer=world.acme, po="PO-1",
                                                    channel="partner"), "b")
    assert dup.value.code == "duplicate_po"
    assert await world.book.available(world.bits) == (8, 1)


async def test_orders_are_visible_to_their_customer_only(world) -> None:
    order = (await world.service.place_order(world.order((world.bits, 1, None), customer=world.acme), "k")).order
    mine = await world.service.get_order(order.order_id, Viewer(consumer="other", customer_id=world.acme))
    assert mine.history[0].status == "accepted"
    with pytest.raises(NotFound):
        await world.service.get_order(order.order_id, Viewer(consumer=world.consumer, customer_id=world.bolt))
    with pytest.raises(NotFound):
        await world.service.get_order(order.order_id, Viewer(consumer=world.consumer))  # a guest key
    assert await world.service.get_order(order.order_id, Viewer(consumer="x", any_customer=True))


async def test_list_is_newest_first_with_a_cursor(world) -> None:
    ids = [(await world.service.place_order(world.order((world.drill, 1, None), customer=world.acme), f"k{i}"))
           .order.order_id for i in range(5)]
    viewer = Viewer(consumer=world.consumer, customer_id=world.acme)
    first = await world.service.list_orders(viewer, 3)
    second = await world.service.list_orders(viewer, 3, first.next_cursor)
    assert [o.order_id for o in first.items + second.items] == ids[::-1]
    assert second.next_cursor is None


async def test_stock_is_loaded_once_then_kept_by_events(world) -> None:
    await world.service.place_order(world.order((world.drill, 1, None), customer=world.acme), "a")
    await world.service.place_order(world.order((world.drill, 1, None), customer=world.acme), "b")
    assert len(world.stock.calls) == 1
