"""Return authorization rules (CONTRACT section 3), pure functions over the order, its
shipments, what is already on its way back, and the ERP's items.

Refusals of the whole request are 422 with a ``code``: ``not_shipped`` (nothing
of the order shipped yet) and ``quantity_exceeds_returnable`` (a line asks for
more than was shipped, capped by what the order has, minus what other returns
hold; ``errors`` names every such line). Policy is decided per line: ``final_sale`` items and items shipped
longer ago than the order channel's window (``outside_return_window``) are
``rejected`` lines with that ``rejection_reason``; the others are ``approved``,
refunded at the price paid. The return is ``rejected`` when no line is
approved, ``pending_review`` when its refund is above the review threshold,
else ``authorized``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from process_apis.orders.repository import StoredOrder
from process_apis.orders.shipping import per_sku
from process_apis.returns.schemas import RefundMethod, RequestReturn, ReturnLine, ReturnPolicy, ReturnStatus
from shared.errors import BusinessRuleViolation
from shared.models import Item

CENTS = Decimal("0.01")


class Shipped(NamedTuple):
    """What the order's shipments carried of one SKU, and when the last of them left."""

    quantity: int
    last_shipped_at: datetime


def requested(cmd: RequestReturn) -> dict[str, int]:
    """Units asked for per SKU (a SKU may be on several lines, e.g. with two reasons)."""
    wanted: dict[str, int] = {}
    for line in cmd.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    return wanted


def capped(shipped: Mapping[str, Shipped], order: StoredOrder) -> dict[str, Shipped]:
    """What may come back, per SKU: what shipped, never more than the order has; SKUs the
    order does not have are left out (a shipment beyond the order, recorded before the hub
    refused those, gives no right to a refund)."""
    ordered = per_sku(order.lines)
    return {sku: got._replace(quantity=min(got.quantity, ordered[sku]))
            for sku, got in shipped.items() if ordered.get(sku, 0) > 0}


def check_returnable(cmd: RequestReturn, shipped: Mapping[str, Shipped], claimed: Mapping[str, int]) -> None:
    """``shipped`` as ``capped`` answers it. ``not_shipped`` when nothing shipped; ``quantity_exceeds_returnable`` for every line
    of a SKU asked for beyond shipped minus claimed by other returns."""
    if not shipped:
        raise BusinessRuleViolation(f"Nothing of the order {cmd.order_id} has shipped yet.", code="not_shipped")
    wanted = requested(cmd)
    errors = []
    for i, line in enumerate(cmd.lines):
        left = returnable(line.sku, shipped, claimed)
        if wanted[line.sku] > left:
            errors.append({"field": f"lines[{i}].quantity",
                           "message": f"{left} of {line.sku} may still be returned from this order"})
    if errors:
        raise BusinessRuleViolation("Some lines ask to return more than was shipped and not yet returned.",
                                    code="quantity_exceeds_returnable", errors=errors)


def returnable(sku: str, shipped: Mapping[str, Shipped], claimed: Mapping[str, int]) -> int:
    got = shipped.get(sku)
    return max(0, (got.quantity if got else 0) - claimed.get(sku, 0))


def decide_lines(cmd: RequestReturn, order: StoredOrder, shipped: Mapping[str, Shipped],
                 items: Mapping[str, Item | None], policy: ReturnPolicy, now: datetime) -> tuple[ReturnLine, ...]:
    """Each line approved or rejected with its reason, its disposition and its refund."""
    window = timedelta(days=policy.window_for(order.channel))
    lines = []
    for line in cmd.lines:
        item = items.get(line.sku)
        unit = price_paid(order, line.sku)
        rejection = None
        if item is not None and item.final_sale:
            rejection = "final_sale"
        elif now - shipped[line.sku].last_shipped_at > window:
            rejection = "outside_return_window"
        refund = Decimal("0.00") if rejection else (unit * line.quantity).quantize(CENTS)
        lines.append(ReturnLine(
            sku=line.sku, quantity=line.quantity, reason=line.reason,
            decision="rejected" if rejection else "approved", rejection_reason=rejection,
            disposition=policy.disposition_for(line.reason), unit_price=unit, refund_amount=refund))
    return tuple(lines)


def price_paid(order: StoredOrder, sku: str) -> Decimal:
    """The unit price the order charged for ``sku`` (the lowest, should it be on several lines)."""
    prices = [line.unit_price for line in order.lines if line.sku == sku]
    return min(prices).quantize(CENTS) if prices else Decimal("0.00")


def refund_total(lines: tuple[ReturnLine, ...]) -> Decimal:
    return sum((line.refund_amount for line in lines if line.decision == "approved"), Decimal("0.00")).quantize(CENTS)


def status_of(lines: tuple[ReturnLine, ...], refund: Decimal, policy: ReturnPolicy) -> ReturnStatus:
    if not any(line.decision == "approved" for line in lines):
        return "rejected"
    if refund > policy.review_threshold:
        return "pending_review"
    return "authorized"


def refund_method(order: StoredOrder, status: ReturnStatus, amount: Decimal) -> RefundMethod:
    """Card orders are refunded to the card (against the order's authorization); orders paid
    on account get the credit memo as their refund; channel platform orders are refunded there."""
    if status == "rejected" or amount <= 0:
        return "none"
    if order.payment is None:
        return "account_credit"
    return "card" if order.payment.get("method") == "card" else "channel"


def approved_by_sku(lines: tuple[ReturnLine, ...]) -> dict[str, int]:
    """What the return claims of the order, per SKU: its approved units."""
    claims: dict[str, int] = {}
    for line in lines:
        if line.decision == "approved":
            claims[line.sku] = claims.get(line.sku, 0) + line.quantity
    return claims


def refund_excess(order: StoredOrder, amount: Decimal, lines: tuple[ReturnLine, ...],
                  others: Iterable[tuple[Decimal, tuple[ReturnLine, ...]]]) -> str | None:
    """Why paying ``amount`` for ``lines`` would give back more than the order was paid, with
    the ``others`` (amount, lines) refunds of the order already issued or under way; None if
    it would not. Checked by the saga right before money moves, whatever authorized it."""
    approved = [line for line in lines if line.decision == "approved"]
    if amount > sum((line.refund_amount for line in approved), Decimal("0.00")):
        return f"The refund of {amount} is more than its approved lines."
    others = list(others)
    units: dict[str, int] = {}
    money: dict[str, Decimal] = {}
    for line in approved + [l for _, other in others for l in other if l.decision == "approved"]:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
        money[line.sku] = money.get(line.sku, Decimal("0.00")) + line.refund_amount
    ordered = per_sku(order.lines)
    for sku in sorted(units):
        paid = sum((l.extended_price for l in order.lines if l.sku == sku), Decimal("0.00"))
        if units[sku] > ordered.get(sku, 0) or money[sku] > paid:
            return (f"Refunds of {units[sku]} x {sku} ({money[sku]}) for order {order.order_id} would exceed "
                    f"the {ordered.get(sku, 0)} ordered ({paid} paid).")
    total = amount + sum((other_amount for other_amount, _ in others), Decimal("0.00"))
    if total > order.total:
        return f"Refunds of {total} for order {order.order_id} would exceed its total of {order.total}."
    return None
