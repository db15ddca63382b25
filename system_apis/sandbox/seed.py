"""The data every sandbox backend starts from (CONTRACT section 9).

Backend-neutral, immutable tables; each backend builds its own state from
them on creation and on ``POST /sandbox/reset``.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

CURRENCY = "USD"


class SeedBreak(msgspec.Struct, frozen=True):
    min_quantity: int
    unit_price: Decimal


class SeedItem(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    name: str
    list_price: Decimal
    breaks: tuple[SeedBreak, ...] = ()
    final_sale: bool = False
    discontinued: bool = False


class SeedStock(msgspec.Struct, frozen=True):
    sku: str
    location: str
    on_hand: int


class SeedCustomer(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: str
    name: str
    terms: str
    credit_limit: Decimal
    credit_hold: bool = False
    contract_prices: tuple[tuple[str, Decimal], ...] = ()


ITEMS: tuple[SeedItem, ...] = (
    SeedItem(
        sku="SKU-1001",
        name="Cordless Drill 18V",
        list_price=Decimal("129.00"),
        breaks=(SeedBreak(10, Decimal("119.00")),),
    ),
    SeedItem(sku="SKU-1002", name="Drill Bit Set 20pc", list_price=Decimal("24.50")),
    SeedItem(sku="SKU-1003", name="Safety Glasses", list_price=Decimal("8.75"), final_sale=True),
    SeedItem(sku="SKU-1004", name="Work Light LED", list_price=Decimal("49.00"), discontinued=True),
)

STOCK: tuple[SeedStock, ...] = (
    SeedStock("SKU-1001", "DC-EAST", 40),
    SeedStock("SKU-1001", "DC-WEST", 10),
    SeedStock("SKU-1002", "DC-WEST", 5),
    SeedStock("SKU-1002", "STORE-NYC", 3),
    SeedStock("SKU-1003", "DC-EAST", 500),
)

CUSTOMERS: tuple[SeedCustomer, ...] = (
    SeedCustomer(
        customer_id="CUST-ACME",
        name="Acme Corp",
        terms="NET30",
        credit_limit=Decimal("5000.00"),
        contract_prices=(("SKU-1001", Decimal("99.00")),),
    ),
    SeedCustomer(customer_id="CUST-BOLT", name="Bolt Industries", terms="NET30", credit_limit=Decimal("500.00")),
    SeedCustomer(
        customer_id="CUST-HOLD",
        name="Hold & Co",
        terms="NET30",
        credit_limit=Decimal("1000.00"),
        credit_hold=True,
    ),
)
