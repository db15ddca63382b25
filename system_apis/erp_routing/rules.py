"""Which ERP an order goes to: the ``[erp_routing]`` rules, first match wins, else the primary.

- ``customer``: the order's customer id;
- ``sku``: any line of that SKU;
- ``location``: the ship-to, as ``<country>`` or ``<country>-<region>`` (``US``, ``US-CA``);
- ``percent``: that share of orders by a stable hash of the order id (the same order always
  falls on the same side, on every instance and after every restart).
"""

from __future__ import annotations

import hashlib

from shared.erp_routing_settings import RoutingRule
from shared.models import SalesOrder


def bucket(order_id: str) -> float:
    """A stable place in [0, 100) for the order id (SHA-256, not Python's salted ``hash``)."""
    return int.from_bytes(hashlib.sha256(order_id.encode()).digest()[:8], "big") % 10_000 / 100


def matches(rule: RoutingRule, order: SalesOrder) -> bool:
    if rule.customer is not None:
        return order.customer_id == rule.customer
    if rule.sku is not None:
        return any(line.sku == rule.sku for line in order.lines)
    if rule.location is not None:
        if order.ship_to is None:
            return False
        where = order.ship_to.country.upper()
        region = f"{where}-{order.ship_to.region.upper()}" if order.ship_to.region else where
        wanted = rule.location.upper()
        return wanted in (where, region)
    return rule.percent is not None and bucket(order.order_id) < rule.percent


def pick(rules: tuple[RoutingRule, ...], order: SalesOrder, primary: str) -> str:
    """The connection the order should go to, by the first rule it matches, else ``primary``."""
    return next((rule.connection for rule in rules if matches(rule, order)), primary)
