"""CloudERP <-> canonical: pure functions, no I/O."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from shared.errors import BackendError
from shared.models import (
    Address,
    ContractPrices,
    ContractPricesPage,
    CreditMemoRef,
    CreditMemoRequest,
    Customer,
    CustomerPage,
    ErpOrderRef,
    Item,
    ItemPage,
    OrderLine,
    PriceBreak,
    SalesOrder,
    SalesOrderRecord,
)
from system_apis.erp.vendor_schemas import (
    ErpAddressOut,
    ErpCreditMemo,
    ErpCreditMemoBody,
    ErpCustomer,
    ErpCustomerList,
    ErpItem,
    ErpItemList,
    ErpItemPrices,
    ErpItemPricesList,
    ErpLineOut,
    ErpSalesOrder,
    ErpSalesOrderBody,
)

DISCONTINUED = "DISCONTINUED"
_CENT = Decimal("0.01")


def to_item(item: ErpItem) -> Item:
    breaks = sorted(item.quantity_pricing, key=lambda qp: qp.min_quantity)
    return Item(
        sku=item.item_id,
        name=item.display_name,
        currency=item.currency_code,
        list_price=item.base_price,
        orderable=item.item_status != DISCONTINUED,
        final_sale=item.final_sale,
        breaks=tuple(PriceBreak(min_quantity=qp.min_quantity, unit_price=qp.unit_price) for qp in breaks),
        modified_at=item.last_modified,
    )


def _next(page: ErpItemList | ErpCustomerList | ErpItemPricesList) -> int | None:
    """``hasMore`` becomes the offset of the next page (``None`` on the last one)."""
    return page.offset + len(page.items) if page.has_more and page.items else None


def to_item_page(page: ErpItemList) -> ItemPage:
    return ItemPage(items=tuple(to_item(item) for item in page.items), next_offset=_next(page))


def to_customer_page(page: ErpCustomerList) -> CustomerPage:
    return CustomerPage(items=tuple(to_customer(c) for c in page.items), next_offset=_next(page))


def to_contract_prices_page(page: ErpItemPricesList) -> ContractPricesPage:
    return ContractPricesPage(items=tuple(to_contract_prices(p) for p in page.items), next_offset=_next(page))


def to_customer(customer: ErpCustomer) -> Customer:
    return Customer(
        customer_id=customer.customer_id,
        name=customer.company_name,
        terms=customer.terms,
        currency=customer.currency_code,
        credit_limit=customer.credit_limit,
        credit_hold=customer.credit_hold,
    )


def to_contract_prices(prices: ErpItemPrices) -> ContractPrices:
    return ContractPrices(
        customer_id=prices.customer_id,
        prices={price.item_id: price.unit_price for price in prices.item_prices},
    )


def money(amount: Decimal) -> str:
    """Two-place decimal string, as CloudERP writes money: ``Decimal("198")`` -> ``"198.00"``."""
    return format(amount.quantize(_CENT), "f")


def _lines(lines: tuple[OrderLine, ...]) -> list[ErpLineOut]:
    return [ErpLineOut(item_id=line.sku, quantity=line.quantity, unit_price=money(line.unit_price)) for line in lines]


def _address(address: Address | None) -> ErpAddressOut | None:
    if address is None:
        return None
    return ErpAddressOut(
        addressee=address.name,
        addr1=address.line1,
        addr2=address.line2,
        city=address.city,
        state=address.region,
        zip=address.postal_code,
        country=address.country,
    )


def to_sales_order_body(order: SalesOrder) -> ErpSalesOrderBody:
    """The hub's order id is the ``externalRef``; the ERP checks ``total`` against the lines."""
    created = order.created_at if order.created_at.tzinfo else order.created_at.replace(tzinfo=UTC)
    return ErpSalesOrderBody(
        external_ref=order.order_id,
        channel=order.channel,
        channel_order_ref=order.channel_order_ref,
        customer_id=order.customer_id,
        po_number=order.po_number,
        currency_code=order.currency,
        lines=_lines(order.lines),
        total=money(order.total),
        ship_to=_address(order.ship_to),
        order_date=created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def to_credit_memo_body(memo: CreditMemoRequest) -> ErpCreditMemoBody:
    """The RMA id is the ``externalRef``; the sales order (when known) is ``createdFrom``."""
    return ErpCreditMemoBody(
        external_ref=memo.rma_id,
        created_from=memo.erp_order_number,
        order_external_ref=memo.order_id,
        customer_id=memo.customer_id,
        currency_code=memo.currency,
        amount=money(memo.amount),
        lines=_lines(memo.lines),
    )


def to_order_ref(order: ErpSalesOrder) -> ErpOrderRef:
    return ErpOrderRef(erp_order_number=order.sales_order_id)


def to_sales_order_record(order: ErpSalesOrder) -> SalesOrderRecord:
    if order.total is None or order.currency_code is None:
        raise BackendError("unexpected ERP response: a sales order without total or currency", backend="erp")
    return SalesOrderRecord(order_id=order.external_ref, erp_order_number=order.sales_order_id, total=order.total,
                            currency=order.currency_code, status=order.status.lower())


def to_credit_memo_ref(memo: ErpCreditMemo) -> CreditMemoRef:
    return CreditMemoRef(credit_memo_id=memo.credit_memo_id)
