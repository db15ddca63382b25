"""Refunds of the sandbox shop's orders, checked as Shopify checks them.

A refund names the lines it gives back (by ``line_item_id`` or, in the
sandbox, by SKU) and the money, as ``refund`` transactions. Refused with 422
(``ShopifyInvalid``): a line not on the order or refunded beyond what was
ordered, a currency not the order's, and money beyond what the order was paid
minus what earlier refunds gave back. An unknown order is 404. Every
transaction succeeds; ``parent_id`` is kept, not checked (the sandbox keeps no
sale transactions). Like Shopify's, refunds are not idempotent: the same
request twice makes two refunds. Ids keep growing across resets, as order ids do.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from system_apis.sandbox.formats import money, rfc3339_now
from system_apis.sandbox.shopify.orders import ShopifyOrders
from system_apis.sandbox.shopify.schemas import (
    FulfilledLine,
    LineItem,
    RefundIn,
    RefundLineIn,
    RefundLineItem,
    RefundTransaction,
    RefundView,
    ShopifyInvalid,
    ShopifyNotFound,
    ShopifyOrder,
    ShopifyRefund,
)

DEFAULT_GATEWAY = "bogus"
"""Shopify's test gateway: what a refund transaction names when it names none."""


class ShopifyRefunds:
    """The refunds made, per order."""

    def __init__(self, orders: ShopifyOrders) -> None:
        self._orders = orders
        self._ids = itertools.count(8_000_000_001)
        self._line_ids = itertools.count(9_000_000_001)
        self._transaction_ids = itertools.count(7_000_000_001)
        self.reset()

    def reset(self) -> None:
        self._by_order: dict[int, list[ShopifyRefund]] = {}

    def of(self, order_id: int) -> list[ShopifyRefund]:
        """The refunds of an order, oldest first; ``ShopifyNotFound`` for an unknown order."""
        self._order(order_id)
        return list(self._by_order.get(order_id, []))

    def all(self, order_id: str | None = None) -> list[ShopifyRefund]:
        """Every refund made, or those of one order (its id as text)."""
        return [r for refunds in self._by_order.values() for r in refunds if order_id in (None, str(r.order_id))]

    def views(self, order_id: str | None = None) -> list[RefundView]:
        """The check view of the refunds made (of one order): what each gave back, and for which lines."""
        return [
            RefundView(
                id=r.id, order_id=str(r.order_id), amount=money(refunded(r)),
                currency=self._order(r.order_id).currency, note=r.note, created_at=r.created_at,
                line_items=[FulfilledLine(sku=li.line_item.sku, quantity=li.quantity) for li in r.refund_line_items],
            )
            for r in self.all(order_id)
        ]

    def create(self, order_id: int, body: RefundIn) -> ShopifyRefund:
        order = self._order(order_id)
        if body.currency is not None and body.currency != order.currency:
            raise ShopifyInvalid("currency", f"must be the order's currency, {order.currency}")
        lines = [self._line(order, line) for line in body.refund_line_items]
        self._check_quantities(order, lines)
        amount = sum((Decimal(t.amount) for t in body.transactions), Decimal(0))
        left = Decimal(order.total_price) - sum((refunded(r) for r in self.of(order_id)), Decimal(0))
        if amount > left:
            raise ShopifyInvalid("base", f"Refund amount ${money(amount)} is greater than the refundable amount "
                                         f"${money(left)}")
        now = rfc3339_now()
        refund = ShopifyRefund(
            id=next(self._ids), order_id=order_id, note=body.note, created_at=now, processed_at=now,
            refund_line_items=[
                RefundLineItem(id=next(self._line_ids), line_item_id=item.id, quantity=line.quantity,
                               restock_type=line.restock_type, subtotal=money(Decimal(item.price) * line.quantity),
                               line_item=item)
                for item, line in lines
            ],
            transactions=[
                RefundTransaction(id=next(self._transaction_ids), order_id=order_id, kind="refund",
                                  gateway=t.gateway or DEFAULT_GATEWAY, status="success",
                                  amount=money(Decimal(t.amount)), currency=order.currency, parent_id=t.parent_id,
                                  created_at=now)
                for t in body.transactions
            ],
        )
        self._by_order.setdefault(order_id, []).append(refund)
        return refund

    def _order(self, order_id: int) -> ShopifyOrder:
        order = self._orders.get(order_id)
        if order is None:
            raise ShopifyNotFound(f"order {order_id}")
        return order

    def _line(self, order: ShopifyOrder, line: RefundLineIn) -> tuple[LineItem, RefundLineIn]:
        if line.line_item_id is None and line.sku is None:
            raise ShopifyInvalid("refund_line_items", "a line needs its line_item_id (or, in the sandbox, sku)")
        for item in order.line_items:
            if line.line_item_id == item.id or (line.line_item_id is None and line.sku == item.sku):
                return item, line
        raise ShopifyInvalid("refund_line_items", f"not on the order: {line.line_item_id or line.sku}")

    def _check_quantities(self, order: ShopifyOrder, lines: list[tuple[LineItem, RefundLineIn]]) -> None:
        done: dict[int, int] = {}
        for earlier in self.of(order.id):
            for refunded_line in earlier.refund_line_items:
                done[refunded_line.line_item_id] = done.get(refunded_line.line_item_id, 0) + refunded_line.quantity
        for item, line in lines:
            done[item.id] = done.get(item.id, 0) + line.quantity
            if done[item.id] > item.quantity:
                raise ShopifyInvalid("refund_line_items", f"{item.sku}: more than the {item.quantity} ordered")


def refunded(refund: ShopifyRefund) -> Decimal:
    """The money a refund gave back."""
    return sum((Decimal(t.amount) for t in refund.transactions if t.status == "success"), Decimal(0))


