"""Order capture: validate against the back office, reserve stock and credit, and persist
the order with its outbox row in one transaction, under the client's idempotency key.

    place_order ──> ledger.begin ──> back office reads ──> one transaction:
                    (replay / 409 /   (items, customer,     reserve stock, reserve credit,
                     422 reused)       contract; cached)    insert order + history,
                                                            outbox "order.accepted",
                                                            ledger answer
Business refusals (422, 409 ``duplicate_po``) are stored under the key and
replayed like successes; a backend failure releases the key, so the client's
retry runs again. Nothing is written unless the whole order is.

The 'accepted' history entry keeps the capture latency: from ``place_order``'s start (the
request's arrival at the process layer) to the last statement before the commit, so
``/admin/v1/flows`` reports order capture's p50/p95 for synchronous captures too.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from collections.abc import Sequence
from typing import Callable

import msgspec
from sqlalchemy.exc import IntegrityError
from shared.db.engine import reading
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.inventory.schemas import Loaded
from process_apis.inventory.stock import StockBook
from process_apis.orders import repository as repo
from process_apis.orders import rules
from process_apis.orders.backoffice import BackOffice
from process_apis.orders.one_trip import OK, UNLOADED, Credit, OneTripCapture, elapsed_ms
from process_apis.orders.schemas import (
    OWN_CHANNELS, LineRequest, OrderPage, OrderView, Payment, Placed, PlaceOrder, Viewer,
)
from shared.db.dialect import insert
from shared.db.tables import customer_credit
from shared.errors import BackendUnavailable, BusinessRuleViolation, Conflict, HubError, NotFound
from shared.idempotency import IdempotencyLedger, Replayed, fingerprint
from shared.messaging.outbox import Message, enqueue
from shared.models import ChannelOrder, ContractPrices, Customer, Item
from shared.together import together

ACCEPTED_TOPIC = "order.accepted"



class OrderService:
    def __init__(self, engine: AsyncEngine, ledger: IdempotencyLedger, backoffice: BackOffice, stock: StockBook,
                 *, wake: Callable[[], None] = lambda: None,
                 held: Callable[[Sequence[str]], object] = lambda skus: None) -> None:
        """``held(skus)``: after an order's hold commits (price answers' near stock drops them)."""
        self._engine = engine
        self._held = held
        self._ledger = ledger
        self._backoffice = backoffice
        self._stock = stock
        self._wake = wake
        self._one_trip = OneTripCapture(engine, ACCEPTED_TOPIC) if OneTripCapture.serves(engine) else None

    async def place_order(self, command: PlaceOrder, idempotency_key: str) -> Placed:
        """Accept the order once per key; raises the (stored) refusal as a HubError."""
        arrived = time.perf_counter()
        scope = f"{command.consumer} POST orders"
        request = msgspec.json.encode(command)
        if self._one_trip is not None:
            answer = await self._capture_in_one_trip(command, scope, idempotency_key, request, arrived)
            if answer is not None:
                self._accepted(answer)
                return Placed(order=answer)
        outcome = await self._ledger.run(scope, idempotency_key, request,
                                         lambda: self._capture(command, scope, idempotency_key, arrived))
        if isinstance(outcome, Replayed):
            return Placed(order=msgspec.json.decode(outcome.response, type=OrderView), replayed=True)
        self._accepted(outcome)
        return Placed(order=outcome)

    def _accepted(self, order: OrderView) -> None:
        self._wake()
        self._held(sorted({line.sku for line in order.lines}))

    async def get_order(self, order_id: str, viewer: Viewer) -> OrderView:
        async with reading(self._engine) as conn:
            found = await repo.view(conn, order_id, viewer)
        if found is None:
            raise NotFound(f"No order {order_id}.", code="unknown_order")
        return found

    async def list_orders(self, viewer: Viewer, limit: int = 20, cursor: str | None = None) -> OrderPage:
        async with reading(self._engine) as conn:
            items = await repo.page(conn, viewer, limit + 1, cursor)
        more = len(items) > limit
        items = items[:limit]
        return OrderPage(items=tuple(items), next_cursor=items[-1].order_id if more and items else None)

    async def _capture(self, cmd: PlaceOrder, scope: str, key: str, arrived: float) -> OrderView:
        order, on_account, loaded = await self._prepare(cmd)
        try:
            async with self._engine.begin() as conn:
                # Inserts first, the contended rows (stock, credit) last: their row locks are
                # then held only for the last statements and the commit (the history entry,
                # last so it times the whole capture, is one insert).
                await repo.insert_order(conn, order, business_key(cmd), detail=None, history=False)
                await enqueue(conn, ACCEPTED_TOPIC, order.order_id, repo.OrderRef(order_id=order.order_id))
                answer = _view(order)
                await self._ledger.complete(conn, scope, key, 201, msgspec.json.encode(answer), order.order_id)
                await self._reserve(conn, cmd, order, on_account, loaded.missing)
                await repo.add_history(conn, order.order_id, order.status, order.created_at, None,
                                       latency_ms=elapsed_ms(arrived))
        except IntegrityError as exc:
            if cmd.po_number is not None:
                raise Conflict(f"The PO number {cmd.po_number} was already used by this customer.",
                               code="duplicate_po") from exc
            raise Conflict("This channel order was already captured.", code="duplicate_order") from exc
        return answer

    async def _prepare(self, cmd: PlaceOrder, *, load: bool = True) -> tuple[repo.StoredOrder, Customer | None, Loaded]:
        """The checks that need no transaction, and the order they make (with its on-account
        customer, whose credit the order holds, and its SKUs' load: the stock sources missing
        per SKU; with ``load`` False the SKUs are not loaded, and the answer says nothing is
        missing); raises the refusal."""
        customer, contract, items = await self._read_back_office(cmd)
        if customer is not None:
            rules.check_credit(customer)
        lines = rules.priced_lines(cmd, items, contract)
        total = rules.total_of(lines)
        paid_by = rules.check_payment(cmd, customer, total)
        loaded = await self._stock.load([line.sku for line in lines]) if load else Loaded()
        now = datetime.now(UTC)
        order = repo.StoredOrder(
            order_id=repo.new_order_id(), consumer=cmd.consumer, customer_id=cmd.customer_id, channel=cmd.channel,
            channel_order_ref=cmd.channel_order_ref, po_number=cmd.po_number, currency=cmd.currency, total=total,
            status="accepted", erp_order_number=None,
            lines=tuple(repo.OrderLineView(sku=l.sku, quantity=l.quantity, unit_price=l.unit_price,
                                           extended_price=l.extended_price) for l in lines),
            ship_to=msgspec.to_builtins(cmd.ship_to) if cmd.ship_to else None,
            payment=msgspec.to_builtins(cmd.payment) if cmd.payment else None, created_at=now,
        )
        return order, customer if paid_by == rules.ON_ACCOUNT else None, loaded

    async def _capture_in_one_trip(self, cmd: PlaceOrder, scope: str, key: str, request: bytes,
                                   arrived: float) -> OrderView | None:
        """The accepted order, or None: the general path decides (see ``one_trip``).

        The function checks that the SKUs are fully loaded itself (the usual case: one round
        trip); when they are not, they are loaded here and the function called once more."""
        one_trip = self._one_trip
        assert one_trip is not None
        if not self._stock.one_trip_holds(cmd.channel):
            return None  # the function holds against every level with no buffer: the general path
        try:
            order, on_account, _ = await self._prepare(cmd, load=False)
        except HubError:
            return None  # refused or a backend down: the general path answers and stores it
        answer = _view(order)
        credit = None if on_account is None else Credit(
            on_account.customer_id, rules.cents(order.total), rules.cents(on_account.credit_limit))
        holds, encoded, printed = _holds(order), msgspec.json.encode(answer), fingerprint(request)

        def capture():  # noqa: ANN202
            return one_trip.capture(
                order, business_key(cmd), scope=scope, key=key, fingerprint=printed, answer=encoded,
                expires_at=self._ledger.expires_at(), holds=holds, credit=credit, sources=self._stock.sources,
                arrived=arrived)

        outcome = await capture()
        if outcome == UNLOADED:
            try:
                loaded = await self._stock.load(sorted(holds))
            except HubError:
                return None
            if not self._stock.one_trip_holds(cmd.channel, loaded):
                return None  # a source missing, or a retired source's levels: the general path
            outcome = await capture()
        if outcome != OK:
            return None
        await self._stock.held_elsewhere([line.sku for line in order.lines])
        return answer

    async def _read_back_office(self, cmd: PlaceOrder) -> tuple[Customer | None, object, dict[str, Item | None]]:
        skus = sorted({line.sku for line in cmd.lines})

        async def item_or_none(sku: str) -> Item | None:
            try:
                return await self._backoffice.item(sku)
            except NotFound:
                return None

        async def customer_and_contract():  # noqa: ANN202
            if cmd.customer_id is None:
                return None, ContractPrices(customer_id="")
            try:
                return await together(self._backoffice.customer(cmd.customer_id),
                                      self._backoffice.contract(cmd.customer_id))
            except NotFound as exc:
                raise BusinessRuleViolation(f"The customer {cmd.customer_id!r} is not known to the ERP.",
                                            code="unknown_customer") from exc

        (customer, contract), found = await together(
            customer_and_contract(), together(*(item_or_none(s) for s in skus)))
        return customer, contract, dict(zip(skus, found))

    async def _reserve(self, conn: AsyncConnection, cmd: PlaceOrder, order: repo.StoredOrder,
                       on_account: Customer | None, missing: dict[str, tuple[str, ...]]) -> None:
        wanted = _holds(order)
        held = await self._stock.reserve_many(conn, wanted, cmd.channel)  # one statement, one lock order
        shortages = [(i, line.sku) for i, line in enumerate(cmd.lines) if line.sku in wanted and line.sku not in held]
        if shortages:
            raise rules.insufficient(shortages, missing)  # the holds taken roll back with the order
        if on_account is not None:
            await conn.execute(insert(conn, customer_credit).values(customer_id=on_account.customer_id, open_cents=0)
                               .on_conflict_do_nothing())
            if not await repo.add_exposure(conn, on_account.customer_id, rules.cents(order.total),
                                           rules.cents(on_account.credit_limit)):
                raise rules.credit_exceeded(on_account)


def business_key(cmd: PlaceOrder) -> str | None:
    """What makes an order unique beyond its idempotency key: a partner's PO number per
    customer, a channel platform's order id per channel."""
    if cmd.po_number is not None:
        return f"po:{cmd.customer_id}:{cmd.po_number}"
    if cmd.channel not in OWN_CHANNELS and cmd.channel_order_ref:
        return f"{cmd.channel}:{cmd.channel_order_ref}"
    return None


def _holds(order: repo.StoredOrder) -> dict[str, int]:
    """The quantity to hold per SKU (an order may list a SKU twice)."""
    wanted: dict[str, int] = {}
    for line in order.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    return wanted


def _view(order: repo.StoredOrder) -> OrderView:
    return OrderView(order_id=order.order_id, status=order.status, channel=order.channel,  # type: ignore[arg-type]
                     channel_order_ref=order.channel_order_ref, po_number=order.po_number,
                     customer_id=order.customer_id, currency=order.currency, lines=order.lines, total=order.total,
                     created_at=order.created_at,
                     history=(repo.HistoryEntry(status="accepted", at=order.created_at),))



class ChannelIntake:
    """Orders sold on a channel's own platform (a ``ChannelOrder`` from its webhook), queued by the
    webhook and captured here by a worker through the same ``OrderService``.

    The platform already took the buyer's money, so a refusal cannot be answered
    to anyone: the order is kept ``on_hold`` with the reason, for an operator.
    """

    def __init__(self, service: OrderService, engine: AsyncEngine) -> None:
        self._service = service
        self._engine = engine

    async def capture(self, message: Message) -> None:
        incoming = message.decode(ChannelOrder)
        command = PlaceOrder(
            channel=incoming.channel, consumer=f"{incoming.channel}:{incoming.shop or 'store'}",  # type: ignore[arg-type]
            channel_order_ref=incoming.channel_order_ref,
            currency=incoming.currency, ship_to=incoming.ship_to, check_prices=False,
            lines=tuple(LineRequest(sku=l.sku, quantity=l.quantity, unit_price=l.unit_price) for l in incoming.lines),
            payment=Payment(method=incoming.channel, amount=incoming.total,
                            authorization_id=f"{incoming.channel}:{incoming.channel_order_ref}"),
        )
        try:
            await self._service.place_order(command, f"{incoming.channel}-order:{incoming.channel_order_ref}")
        except Conflict as exc:
            if exc.code == "idempotency_key_in_flight":
                raise BackendUnavailable("The same channel order is being captured right now.",
                                         backend="orders", retry_after=1.0) from exc
        except BusinessRuleViolation as refusal:
            await self._hold(command, refusal)

    async def _hold(self, cmd: PlaceOrder, refusal: HubError) -> None:
        now = datetime.now(UTC)
        lines = tuple(repo.OrderLineView(sku=l.sku, quantity=l.quantity, unit_price=l.unit_price or Decimal("0.00"),
                                         extended_price=(l.unit_price or Decimal("0.00")) * l.quantity) for l in cmd.lines)
        order = repo.StoredOrder(
            order_id=repo.new_order_id(), consumer=cmd.consumer, customer_id=None, channel=cmd.channel,
            channel_order_ref=cmd.channel_order_ref, po_number=None, currency=cmd.currency,
            total=rules.total_of(lines), status="on_hold", erp_order_number=None, lines=lines,
            ship_to=msgspec.to_builtins(cmd.ship_to) if cmd.ship_to else None,
            payment=msgspec.to_builtins(cmd.payment) if cmd.payment else None, created_at=now)
        try:
            async with self._engine.begin() as conn:
                await repo.insert_order(conn, order, business_key(cmd), detail=f"{refusal.code}: {refusal.detail}",
                                        hold_reason=refusal.code)
        except IntegrityError:
            return  # held (or captured) before: a redelivered message
