"""What the channels' order endpoints share: the order wire shapes of CONTRACT section 3,
the ``Idempotency-Key`` header, and the calls to the order process.

Storefront, mobile and partner accept the same order body (partner adds
``po_number``; mobile takes the customer from the token) and answer the same
shapes, so these Structs are part of each channel's frozen v1 contract: add
fields with defaults only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter

from experience_apis.http import INJECTED
from experience_apis.openapi import IDEMPOTENT_WRITE, problems
from experience_apis.storefront.v1.schemas import CustomerId, Currency, Quantity, Sku
from process_apis.orders.port import OrderPort
from process_apis.orders.schemas import LineRequest, OrderView, Payment, Placed, PlaceOrder, Viewer
from shared.errors import BadRequest
from shared.identity import Principal
from shared.models import Address
from shared.problems import strict_body

Orders = Annotated[OrderPort, INJECTED]
Money = Annotated[str, msgspec.Meta(
    pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$",
    description="A decimal string in the order's currency, e.g. \"99.00\" (CONTRACT section 1: never a JSON number).")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
OrderIdParam = Annotated[str, Parameter(min_length=1, max_length=40, description="The hub's order id (`ord_...`).")]
IdempotencyKey = Annotated[str, Parameter(
    header="Idempotency-Key", required=True, min_length=1, max_length=255,
    description="Required (else 400 `idempotency_key_missing`). The same key with the same body replays the first "
                "answer; with another body 422 `idempotency_key_reused`; while the first still runs 409.")]
_ORDER_RULES = ("`unknown_sku`, `not_orderable`, `insufficient_stock`, `price_mismatch`, `payment_required`, "
                "`payment_mismatch`, `credit_hold`, `credit_limit_exceeded`, `unknown_customer`, "
                "`unsupported_currency`, `idempotency_key_reused`")
ORDER_PROBLEMS = problems(IDEMPOTENT_WRITE, {
    422: "Invalid input (`validation_failed` with `errors`; money is a decimal string, never a JSON number) or a "
         f"broken business rule: {_ORDER_RULES}.",
})
"""The problem answers of `POST /orders` beyond every operation's (storefront, mobile)."""
PARTNER_ORDER_PROBLEMS = problems(IDEMPOTENT_WRITE, {
    409: "A request with this `Idempotency-Key` is still being answered (`idempotency_key_in_flight`), or the "
         "`po_number` was already used by this customer (`duplicate_po`).",
    422: "Invalid input (`validation_failed` with `errors`, e.g. no `po_number`; money is a decimal string, never a "
         f"JSON number) or a broken business rule: {_ORDER_RULES}.",
})
ORDER_HEADERS = [
    ResponseHeader(name="Location", description="The new order's URL.", documentation_only=True),
    ResponseHeader(name="Idempotent-Replayed", description="`true` when this is the stored answer of an earlier "
                   "request with the same Idempotency-Key.", documentation_only=True, required=False),
]


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    sku: Sku
    quantity: Quantity
    unit_price: Money | None = None
    """The price the buyer saw; 422 `price_mismatch` when it is not the customer's price."""


class AddressIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text
    line1: Text
    city: Text
    postal_code: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
    line2: Annotated[str, msgspec.Meta(max_length=200)] = ""
    region: Annotated[str, msgspec.Meta(max_length=100)] = ""


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True):
    method: Literal["card"]
    amount: Money
    authorization_id: Ref | None = None


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    lines: Annotated[list[LineIn], msgspec.Meta(min_length=1, max_length=200)]
    customer_id: CustomerId | None = None
    channel_order_ref: Ref | None = None
    currency: Currency = "USD"
    ship_to: AddressIn | None = None
    payment: PaymentIn | None = None


class PartnerOrderIn(OrderIn, forbid_unknown_fields=True):
    po_number: Ref | None = None
    """Required; unique per customer (409 `duplicate_po`)."""


class LineOut(msgspec.Struct):
    sku: str
    quantity: int
    unit_price: Decimal
    extended_price: Decimal


class OrderAccepted(msgspec.Struct):
    order_id: str
    status: str
    lines: list[LineOut]
    total: Decimal
    currency: str
    created_at: datetime


class HistoryOut(msgspec.Struct, omit_defaults=True):
    status: str
    at: datetime
    detail: str | None = None


class ShipmentLineOut(msgspec.Struct):
    sku: str
    quantity: int


class ShipmentOut(msgspec.Struct):
    shipment_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    lines: list[ShipmentLineOut]


class OrderDetail(msgspec.Struct):
    order_id: str
    status: str
    channel: str
    channel_order_ref: str | None
    lines: list[LineOut]
    total: Decimal
    currency: str
    created_at: datetime
    history: list[HistoryOut]
    shipments: list[ShipmentOut]
    erp_order_number: str | None = None
    po_number: str | None = None


def order_body(struct_type: type):  # noqa: ANN201 - a Litestar before_request hook
    """The Idempotency-Key must be there (400 `idempotency_key_missing`), then the body must decode."""
    check_body = strict_body(struct_type)

    async def check(request: Request) -> None:
        key = request.headers.get("idempotency-key")
        if not key or len(key) > 255:
            raise BadRequest("Send an Idempotency-Key header of 1 to 255 characters.", code="idempotency_key_missing")
        await check_body(request)

    return check


def command(data: OrderIn, principal: Principal, channel: str, customer_id: str | None) -> PlaceOrder:
    return PlaceOrder(
        channel=channel, consumer=principal.consumer, customer_id=customer_id,  # type: ignore[arg-type]
        channel_order_ref=data.channel_order_ref, currency=data.currency,
        po_number=getattr(data, "po_number", None),
        lines=tuple(LineRequest(sku=line.sku, quantity=line.quantity, unit_price=_money(line.unit_price))
                    for line in data.lines),
        ship_to=msgspec.convert(msgspec.to_builtins(data.ship_to), Address) if data.ship_to else None,
        payment=Payment(method=data.payment.method, amount=Decimal(data.payment.amount),
                        authorization_id=data.payment.authorization_id) if data.payment else None,
    )


def _money(amount: str | None) -> Decimal | None:
    return None if amount is None else Decimal(amount)


async def place(orders: OrderPort, cmd: PlaceOrder, key: str, location_prefix: str) -> Response[OrderAccepted]:
    placed: Placed = await orders.place_order(cmd, key)
    headers = {"Location": f"{location_prefix}/orders/{placed.order.order_id}"}
    if placed.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(accepted(placed.order), status_code=201, headers=headers)


def viewer(principal: Principal) -> Viewer:
    return Viewer(consumer=principal.consumer, customer_id=principal.customer_id,
                  any_customer="customers:any" in principal.scopes)


def accepted(order: OrderView) -> OrderAccepted:
    return OrderAccepted(order_id=order.order_id, status=order.status, lines=_lines(order), total=order.total,
                         currency=order.currency, created_at=order.created_at)


def detail(order: OrderView) -> OrderDetail:
    return OrderDetail(
        order_id=order.order_id, status=order.status, channel=order.channel, channel_order_ref=order.channel_order_ref,
        erp_order_number=order.erp_order_number, po_number=order.po_number, lines=_lines(order), total=order.total,
        currency=order.currency, created_at=order.created_at,
        history=[HistoryOut(status=h.status, at=h.at, detail=h.detail) for h in order.history],
        shipments=[ShipmentOut(shipment_id=s.shipment_id, carrier=s.carrier, tracking_number=s.tracking_number,
                               shipped_at=s.shipped_at,
                               lines=[ShipmentLineOut(sku=l.sku, quantity=l.quantity) for l in s.lines])
                   for s in order.shipments],
    )


def _lines(order: OrderView) -> list[LineOut]:
    return [LineOut(sku=l.sku, quantity=l.quantity, unit_price=l.unit_price, extended_price=l.extended_price)
            for l in order.lines]
