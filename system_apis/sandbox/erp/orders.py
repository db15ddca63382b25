"""CloudERP transactions: sales orders and credit memos, booked exactly once.

A post is found again by its ``Idempotency-Key`` or by its ``externalRef``
(the hub's order id, the RMA id): a repeat answers the first record and books
nothing, so there is always exactly one record per external reference. The
repeat is checked before the body is validated, as a vendor's idempotency
layer does, before any business check. Mutations never await.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

import msgspec

from system_apis.sandbox.books import Book
from system_apis.sandbox.erp.errors import ErpUserError, RecordNotFound, found
from system_apis.sandbox.erp.order_schemas import (
    CreditMemoIn,
    CreditMemoView,
    ErpCreditMemo,
    ErpSalesOrder,
    SalesOrderIn,
    SalesOrderView,
    TransactionLine,
    TransactionLineIn,
    ViewLine,
)
from system_apis.sandbox.erp.schemas import ErpCustomer, ErpItem
from system_apis.sandbox.formats import money, rfc3339_now


class MasterData(Protocol):
    def item(self, item_id: str) -> ErpItem: ...

    def customer(self, customer_id: str) -> ErpCustomer: ...


class ErpTransactions:
    """The sales orders and credit memos of one ERP."""

    def __init__(self, master: MasterData) -> None:
        self._master = master
        self.orders: Book[ErpSalesOrder] = Book("SO-")
        self.memos: Book[ErpCreditMemo] = Book("CM-")

    def reset(self) -> None:
        self.orders.reset()
        self.memos.reset()

    def post_sales_order(self, body: SalesOrderIn, key: str | None) -> tuple[ErpSalesOrder, bool]:
        """The order booked for this key or external ref, else a new one; ``True`` when new."""
        found = self.orders.find(key=key, ref=body.external_ref)
        if found is not None:
            return found, False
        lines = self._lines(body.lines)
        self._check_customer(body.customer_id)
        if Decimal(body.total) != sum((Decimal(line.amount) for line in lines), Decimal(0)):
            raise ErpUserError("INVALID_FLD_VALUE", "total does not equal the sum of the line amounts")
        order_id = self.orders.new_id()
        order = ErpSalesOrder(
            sales_order_id=order_id,
            external_ref=body.external_ref,
            channel=body.channel,
            channel_order_ref=body.channel_order_ref,
            customer_id=body.customer_id,
            po_number=body.po_number,
            currency_code=body.currency_code,
            lines=lines,
            total=money(Decimal(body.total)),
            ship_to=body.ship_to,
            order_date=body.order_date,
            status="OPEN",
            created_at=rfc3339_now(),
        )
        return self.orders.add(order_id, order, ref=body.external_ref, key=key), True

    def sales_order(self, sales_order_id: str) -> ErpSalesOrder:
        return found(self.orders.get(sales_order_id), "salesOrder", sales_order_id)

    def create_credit_memo(self, body: CreditMemoIn, key: str | None) -> tuple[ErpCreditMemo, bool]:
        """The memo booked for this key or external ref (the RMA), else a new one; ``True`` when new."""
        found = self.memos.find(key=key, ref=body.external_ref)
        if found is not None:
            return found, False
        if body.created_from is not None and self.orders.get(body.created_from) is None:
            raise ErpUserError("INVALID_KEY_OR_REF", f"Invalid createdFrom reference key {body.created_from}")
        self._check_customer(body.customer_id)
        if Decimal(body.amount) <= 0:
            raise ErpUserError("INVALID_FLD_VALUE", "amount must be greater than 0")
        memo_id = self.memos.new_id()
        memo = ErpCreditMemo(
            credit_memo_id=memo_id,
            external_ref=body.external_ref,
            created_from=body.created_from,
            order_external_ref=body.order_external_ref,
            customer_id=body.customer_id,
            currency_code=body.currency_code,
            lines=self._lines(body.lines),
            amount=money(Decimal(body.amount)),
            status="OPEN",
            created_at=rfc3339_now(),
        )
        return self.memos.add(memo_id, memo, ref=body.external_ref, key=key), True

    def credit_memo(self, credit_memo_id: str) -> ErpCreditMemo:
        return found(self.memos.get(credit_memo_id), "creditMemo", credit_memo_id)

    def void_credit_memo(self, credit_memo_id: str) -> ErpCreditMemo:
        """Void the memo; voiding a void memo changes nothing."""
        memo = self.credit_memo(credit_memo_id)
        if memo.status == "VOID":
            return memo
        return self.memos.put(credit_memo_id, msgspec.structs.replace(memo, status="VOID", voided_at=rfc3339_now()))

    def sales_order_views(self, external_ref: str | None, channel_order_ref: str | None) -> list[SalesOrderView]:
        return [
            _order_view(o)
            for o in self.orders.values()
            if external_ref in (None, o.external_ref) and channel_order_ref in (None, o.channel_order_ref)
        ]

    def credit_memo_views(self, external_ref: str | None) -> list[CreditMemoView]:
        return [_memo_view(m) for m in self.memos.values() if external_ref in (None, m.external_ref)]

    def _lines(self, lines: tuple[TransactionLineIn, ...]) -> tuple[TransactionLine, ...]:
        for line in lines:
            try:
                self._master.item(line.item_id)
            except RecordNotFound:
                raise ErpUserError("INVALID_KEY_OR_REF", f"Invalid item reference key {line.item_id}") from None
        return tuple(
            TransactionLine(
                line_number=n,
                item_id=line.item_id,
                quantity=line.quantity,
                unit_price=money(Decimal(line.unit_price)),
                amount=money(Decimal(line.unit_price) * line.quantity),
            )
            for n, line in enumerate(lines, start=1)
        )

    def _check_customer(self, customer_id: str | None) -> None:
        if customer_id is None:
            return
        try:
            self._master.customer(customer_id)
        except RecordNotFound:
            raise ErpUserError("INVALID_KEY_OR_REF", f"Invalid entity reference key {customer_id}") from None


def _view_lines(lines: tuple[TransactionLine, ...]) -> list[ViewLine]:
    return [ViewLine(sku=line.item_id, quantity=line.quantity, unit_price=line.unit_price) for line in lines]


def _order_view(order: ErpSalesOrder) -> SalesOrderView:
    return SalesOrderView(
        external_ref=order.external_ref,
        erp_order_number=order.sales_order_id,
        channel=order.channel,
        channel_order_ref=order.channel_order_ref,
        customer_id=order.customer_id,
        po_number=order.po_number,
        currency=order.currency_code,
        lines=_view_lines(order.lines),
        total=order.total,
        status=order.status.lower(),
        created_at=order.created_at,
    )


def _memo_view(memo: ErpCreditMemo) -> CreditMemoView:
    return CreditMemoView(
        credit_memo_id=memo.credit_memo_id,
        external_ref=memo.external_ref,
        erp_order_number=memo.created_from,
        order_ref=memo.order_external_ref,
        customer_id=memo.customer_id,
        currency=memo.currency_code,
        lines=_view_lines(memo.lines),
        amount=memo.amount,
        status="void" if memo.status == "VOID" else "open",
        created_at=memo.created_at,
    )
