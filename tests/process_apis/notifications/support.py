"""Helpers the delivery fault tests share."""

from __future__ import annotations

import secrets

from process_apis.notifications import events
from process_apis.notifications.service import NotificationService
from shared.models import StockChanged
from shared.sealing import DataKeys

KEYS = DataKeys(bytes(range(32)))
"""The data key sealing the secrets of these tests' subscriptions (the worker subprocesses too)."""


async def one_subscriber(engine, sender, url: str):  # noqa: ANN001, ANN201
    """A partner subscribed to ``inventory.changed`` at ``url``: (service, customer, subscription)."""
    service = NotificationService(engine, sender, keys=KEYS)
    customer = f"CUST-{secrets.token_hex(3)}"
    return service, customer, await service.subscribe(customer, "partner", url, ["inventory.changed"])


async def emit(engine, skus: list[str], n: int) -> None:  # noqa: ANN001
    """Sequences 1..n of stock at DC-EAST for each SKU, one transaction per sequence."""
    for seq in range(1, n + 1):
        async with engine.begin() as conn:
            for sku in skus:
                await events.inventory_changed(conn, StockChanged(sku=sku, location="DC-EAST", on_hand=seq,
                                                                  available=seq, sequence=seq))
