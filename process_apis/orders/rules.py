"""Order acceptance rules (CONTRACT section 3), pure functions over what the back office said.

Each rule that fails names its 422 ``code`` and the offending fields; the
first failing rule's code is the answer's code, and ``errors`` lists every
offending line so a client can fix them all at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from process_apis.orders.schemas import LineRequest, PlaceOrder
from process_apis.pricing import rules as pricing
from shared.errors import BusinessRuleViolation
from shared.models import ContractPrices, Customer, Item, OrderLine

ON_ACCOUNT = "on_account"


class Finding:
    def __init__(self, code: str, field: str, message: str) -> None:
        self.code, self.field, self.message = code, field, message


def priced_lines(cmd: PlaceOrder, items: dict[str, Item | None], contract: ContractPrices) -> tuple[OrderLine, ...]:
    """Price every line for the customer, or raise the first rule that fails (with every finding)."""
    findings: list[Finding] = []
    lines: list[OrderLine] = []
    for i, line in enumerate(cmd.lines):
        item = items.get(line.sku)
        finding = _line_finding(i, line, item, contract, cmd)
        if finding is not None:
            findings.append(finding)
            continue
        assert item is not None
        unit, _ = pricing.price_for(item, line.quantity, contract.prices.get(line.sku))
        if not cmd.check_prices and line.unit_price is not None:
            unit = line.unit_price
        lines.append(OrderLine(sku=line.sku, quantity=line.quantity, unit_price=unit,
                               extended_price=pricing.extended(unit, line.quantity)))
    raise_findings(findings)
    return tuple(lines)


def _line_finding(i: int, line: LineRequest, item: Item | None, contract: ContractPrices,
                  cmd: PlaceOrder) -> Finding | None:
    if item is None:
        return Finding("unknown_sku", f"lines[{i}].sku", f"{line.sku} is not a known SKU")
    if not item.orderable:
        return Finding("not_orderable", f"lines[{i}].sku", f"{line.sku} can no longer be ordered")
    if item.currency != cmd.currency:
        return Finding("unsupported_currency", "currency", f"{line.sku} is sold in {item.currency}")
    expected, _ = pricing.price_for(item, line.quantity, contract.prices.get(line.sku))
    if cmd.check_prices and line.unit_price is not None and line.unit_price != expected:
        return Finding("price_mismatch", f"lines[{i}].unit_price",
                       f"{line.sku} costs {expected} for this customer at quantity {line.quantity}")
    return None


def total_of(lines: tuple[OrderLine, ...]) -> Decimal:
    return sum((line.extended_price for line in lines), Decimal("0.00")).quantize(pricing.CENTS)


def check_payment(cmd: PlaceOrder, customer: Customer | None, total: Decimal) -> str:
    """How the order is paid: ``card`` (or the channel's own) or ``on_account`` (terms customers)."""
    if cmd.payment is None:
        if customer is None or not customer.terms:
            raise BusinessRuleViolation("A guest order needs a card payment.", code="payment_required",
                                        errors=[{"field": "payment", "message": "required for guest orders"}])
        return ON_ACCOUNT
    if cmd.check_prices and cmd.payment.amount != total:
        raise BusinessRuleViolation(
            f"The payment of {cmd.payment.amount} does not match the order total {total}.", code="payment_mismatch",
            errors=[{"field": "payment.amount", "message": f"expected {total}"}])
    return cmd.payment.method


def check_credit(customer: Customer) -> None:
    if customer.credit_hold:
        raise BusinessRuleViolation(f"The customer {customer.customer_id} is on credit hold.", code="credit_hold")


def credit_exceeded(customer: Customer) -> BusinessRuleViolation:
    return BusinessRuleViolation(
        f"Open orders plus this one exceed the credit limit of {customer.credit_limit} {customer.currency}.",
        code="credit_limit_exceeded")


def insufficient(shortages: list[tuple[int, str]],
                 missing: Mapping[str, tuple[str, ...]] | None = None) -> BusinessRuleViolation:
    """The refusal; where a stock source did not answer for a short SKU, the detail and the
    line's message name it: that stock could not be confirmed, worth trying again later."""
    missing = missing or {}
    unconfirmed = sorted({name for _, sku in shortages for name in missing.get(sku, ())})
    return BusinessRuleViolation(
        "Not enough stock for some lines." + (
            f" Stock at {', '.join(unconfirmed)} could not be confirmed now; try again later." if unconfirmed else ""),
        code="insufficient_stock",
        errors=[{"field": f"lines[{i}].quantity", "message": f"not enough {sku} available" + (
            f" (not confirmed: {', '.join(missing[sku])})" if missing.get(sku) else "")} for i, sku in shortages])


def raise_findings(findings: list[Finding]) -> None:
    if findings:
        first = findings[0]
        raise BusinessRuleViolation(first.message, code=first.code,
                                    errors=[{"field": f.field, "message": f.message} for f in findings])


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())
