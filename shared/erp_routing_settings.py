"""The ``[erp_routing]`` table of ``hub.toml``: how orders are shared out between two ERP
connections while moving from one to the other (docs/connections.md, "Moving to another ERP").

    [erp_routing]
    mode = "shadow"                 # or "route": reads from the primary only
    shadow_timeout_seconds = 0.5    # the secondary's deadline on a shadowed read
    samples = 20                    # sample pairs kept per differing field
    rules = [                       # first match wins; no match: the primary in force
      {customer = "CUST-ACME", connection = "erp-cloud"},
      {sku = "SKU-1003", connection = "erp-cloud"},
      {location = "US-CA", connection = "erp-cloud"},   # ship-to country, or country-region
      {percent = 10, connection = "erp-cloud"},         # 10 % of orders, by a stable hash of the order id
    ]

It matters only when a connection has ``erp_role = "secondary"``. Each mistake is one line
naming the field (``erp_routing.rules[2].percent: ...``).
"""

from __future__ import annotations

from typing import Any

import msgspec

MODES = ("shadow", "route")


class RoutingRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    connection: str
    customer: str | None = None
    sku: str | None = None
    location: str | None = None
    percent: float | None = None

    def matchers(self) -> list[str]:
        return [name for name in ("customer", "sku", "location", "percent") if getattr(self, name) is not None]


class ErpRoutingSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    mode: str = "shadow"
    shadow_timeout_seconds: float = 0.5
    samples: int = 20
    rules: tuple[RoutingRule, ...] = ()


def read_erp_routing(raw: Any, error: type[Exception]) -> ErpRoutingSettings:
    """The checked ``[erp_routing]`` table; ``error`` (one line) on a mistake."""
    if not isinstance(raw, dict):
        raise error("erp_routing: expected an [erp_routing] table in hub.toml")
    try:
        routing = msgspec.convert(raw, ErpRoutingSettings, strict=False)
    except msgspec.ValidationError as exc:
        raise error(_where(str(exc))) from None
    if routing.mode not in MODES:
        raise error(f"erp_routing.mode: expected one of {', '.join(MODES)}, got {routing.mode!r}")
    if not 0 < routing.shadow_timeout_seconds <= 30:
        raise error("erp_routing.shadow_timeout_seconds: must be more than 0 and at most 30")
    if not 1 <= routing.samples <= 1000:
        raise error("erp_routing.samples: must be 1 to 1000")
    for n, rule in enumerate(routing.rules):
        where = f"erp_routing.rules[{n}]"
        if len(rule.matchers()) != 1:
            raise error(f"{where}: name exactly one of customer, sku, location, percent")
        if rule.percent is not None and not 0 <= rule.percent <= 100:
            raise error(f"{where}.percent: must be 0 to 100")
    return routing


def _where(message: str) -> str:
    # msgspec says e.g. "Expected `str | null`, got `int` - at `$.rules[0].sku`"
    if " - at `$." in message:
        text, path = message.split(" - at `$.", 1)
        return f"erp_routing.{path.split('`')[0]}: {text}"
    return f"erp_routing: {message}"
