"""Order capture in one database round trip (PostgreSQL): the happy path of ``OrderService``.

A new key whose order passes every check is, on PostgreSQL, one call of the
``hub_capture_order`` function (migrations 0006, 0009, 0021) on the pool's asyncpg
connection: the ledger answer, the order, its history, its outbox message and
the holds on stock and credit commit together or not at all. The general path
needs eight statements through SQLAlchemy for the same (a committed claim,
then a transaction), about 2 ms of Python per order on this machine.

``capture`` answers ``OK`` when the order is in; ``UNLOADED``, with nothing
written, when one of its SKUs is not fully loaded from the stock sources named
(or holds a level of a source not named: migration 0030), so the caller loads
them and may call again; ``FALLBACK`` when the general path must decide: the
key is already in the ledger (a replay, a request in flight, a reused key), the
stock or the credit ran out, the business key was used, or the call failed.
The general path then runs as it always did, so every
refusal and replay is stored and answered by one code path only; and if the
call did commit before its connection failed, the general path finds the key
done and replays the answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.orders.repository import OrderRef, StoredOrder
from shared.telemetry import current_traceparent

log = logging.getLogger(__name__)

_CALL = ("SELECT hub_capture_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
         " $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)")

Outcome = Literal["ok", "unloaded", "fallback"]
OK: Outcome = "ok"
UNLOADED: Outcome = "unloaded"
FALLBACK: Outcome = "fallback"


_REFUSALS = {"HUB01", "HUB02", "23505"}
"""Out of stock, out of credit (raised by the function), a unique violation (business key)."""


class Credit(msgspec.Struct, frozen=True):
    """An on-account order's hold on its customer's credit."""

    customer_id: str
    cents: int
    limit_cents: int


class OneTripCapture:
    def __init__(self, engine: AsyncEngine, topic: str) -> None:
        self._engine = engine
        self._topic = topic

    @staticmethod
    def serves(engine: AsyncEngine) -> bool:
        return engine.dialect.name == "postgresql"

    async def capture(self, order: StoredOrder, business_key: str | None, *, scope: str, key: str,
                      fingerprint: str, answer: bytes, expires_at: datetime, holds: dict[str, int],
                      credit: Credit | None, sources: Sequence[str], arrived: float | None = None) -> Outcome:
        """``sources``: the stock sources that count (``StockBook.sources``); ``arrived``: the
        request's arrival at the process layer (``time.perf_counter()``); the function adds its own
        run time to the time spent since (the capture latency; None: untimed)."""
        skus = sorted(holds)  # one lock order for every transaction: no deadlocks
        args = (
            scope, key, fingerprint, answer.decode(), expires_at,
            order.order_id, order.consumer, order.customer_id, order.channel, order.channel_order_ref,
            order.po_number, business_key, order.currency, str(order.total),
            _json(order.lines), _json(order.ship_to), _json(order.payment), order.created_at,
            self._topic, msgspec.json.encode(OrderRef(order_id=order.order_id)).decode(),
            skus, [holds[s] for s in skus],
            credit.customer_id if credit else None, credit.cents if credit else None,
            credit.limit_cents if credit else None, current_traceparent(),
        )
        try:
            async with self._engine.connect() as conn:
                raw = await conn.get_raw_connection()
                args += (None if arrived is None else elapsed_ms(arrived), list(sources))
                outcome = await raw.driver_connection.fetchval(_CALL, *args)  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - the general path decides, and reports its own failure
            expected = getattr(exc, "sqlstate", None) in _REFUSALS
            log.log(logging.DEBUG if expected else logging.WARNING,
                    "one-trip capture of %s fell back to the general path: %s", order.order_id, exc)
            return FALLBACK
        return outcome if outcome in (OK, UNLOADED) else FALLBACK


def elapsed_ms(arrived: float) -> float:
    """Milliseconds since ``arrived`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - arrived) * 1000


def _json(value: object) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()
