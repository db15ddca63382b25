"""Field-level comparison of canonical records: paths, values as text, no noise."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from shared.models import ContractPrices, Item, PriceBreak
from system_apis.erp_routing.compare import differences, page_differences

DRILL = Item(sku="SKU-1001", name="Cordless Drill 18V", currency="USD", list_price=Decimal("129.00"),
             breaks=(PriceBreak(min_quantity=10, unit_price=Decimal("119.00")),))


def fields(found: list) -> dict[str, tuple]:
    return {d.field: (d.key, d.primary, d.secondary) for d in found}


def test_equal_values_and_when_they_were_heard_are_no_difference() -> None:
    other = Item(sku="SKU-1001", name="Cordless Drill 18V", currency="USD", list_price=Decimal("129.0"),
                 breaks=(PriceBreak(min_quantity=10, unit_price=Decimal("119")),),
                 modified_at=datetime(2026, 1, 1, tzinfo=UTC), as_of=datetime(2026, 1, 2, tzinfo=UTC))
    assert differences("item", "sku:SKU-1001", DRILL, other) == []


def test_nested_fields_are_named_by_path() -> None:
    other = Item(sku="SKU-1001", name="Drill", currency="USD", list_price=Decimal("129.00"), orderable=False,
                 breaks=(PriceBreak(min_quantity=10, unit_price=Decimal("118.00")),
                         PriceBreak(min_quantity=50, unit_price=Decimal("110.00"))))
    assert fields(differences("item", "sku:SKU-1001", DRILL, other)) == {
        "item.name": ("sku:SKU-1001", "Cordless Drill 18V", "Drill"),
        "item.orderable": ("sku:SKU-1001", "True", "False"),
        "item.breaks.length": ("sku:SKU-1001", "1", "2"),
        "item.breaks[0].unit_price": ("sku:SKU-1001", "119.00", "118.00"),
    }


def test_a_mapping_key_on_one_side_and_a_record_on_one_side() -> None:
    ours = ContractPrices(customer_id="CUST-ACME", prices={"SKU-1001": Decimal("99.00")})
    theirs = ContractPrices(customer_id="CUST-ACME", prices={"SKU-1002": Decimal("20.00")})
    assert fields(differences("contract", "customer:CUST-ACME", ours, theirs)) == {
        "contract.prices.SKU-1001": ("customer:CUST-ACME", "99.00", None),
        "contract.prices.SKU-1002": ("customer:CUST-ACME", None, "20.00"),
    }
    missing = differences("item", "sku:SKU-1001", DRILL, None)
    assert [(d.field, d.secondary) for d in missing] == [("item", None)] and "129.00" in missing[0].primary


def test_pages_are_matched_by_key_not_position() -> None:
    glasses = Item(sku="SKU-1003", name="Safety Glasses", currency="USD", list_price=Decimal("8.75"))
    assert page_differences("item", "sku", (DRILL, glasses), (glasses, DRILL)) == []
    found = page_differences("item", "sku", (DRILL,), (DRILL, glasses))
    assert [(d.field, d.key, d.primary) for d in found] == [("item", "sku:SKU-1003", None)]
