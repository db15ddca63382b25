"""Stock per (sku, location), the state the WMS and the POS each hold.

A ``StockLedger`` keeps one ``StockRow`` per (sku, location) with a
``sequence`` that starts at 1 and grows on every change. ``allocated`` stays
0 until reservations exist; ``available`` is always ``on_hand - allocated``.
Mutations never await, so concurrent requests on the one event loop cannot
interleave inside one.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from system_apis.sandbox import seed
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer
from system_apis.sandbox.formats import rfc3339_now


class StockRow(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    location: str
    on_hand: int
    allocated: int = 0
    sequence: int = 1
    updated_at: str

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class StockLedger:
    """The stock rows of the locations one backend owns (``DC-*`` or ``STORE-*``)."""

    def __init__(self, location_prefix: str, rows: Iterable[seed.SeedStock]) -> None:
        self.location_prefix = location_prefix
        self._seed = tuple(s for s in rows if s.location.startswith(location_prefix))
        self._rows: dict[tuple[str, str], StockRow] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the seed rows, each at sequence 1."""
        now = rfc3339_now()
        self._rows = {
            (s.sku, s.location): StockRow(sku=s.sku, location=s.location, on_hand=s.on_hand, updated_at=now)
            for s in self._seed
        }

    def rows(self, skus: Iterable[str] | None = None) -> list[StockRow]:
        """The rows of ``skus`` (every row when ``None``), by requested sku then location."""
        if skus is None:
            return sorted(self._rows.values(), key=lambda r: (r.sku, r.location))
        wanted = list(dict.fromkeys(skus))
        by_sku = sorted(self._rows.values(), key=lambda r: r.location)
        return [row for sku in wanted for row in by_sku if row.sku == sku]

    def set_on_hand(self, sku: str, location: str, on_hand: int) -> StockRow:
        """Set the counted quantity, bump the sequence and return the new row."""
        key = (sku, location)
        old = self._rows.get(key)
        if old is None:
            row = StockRow(sku=sku, location=location, on_hand=on_hand, updated_at=rfc3339_now())
        else:
            row = msgspec.structs.replace(old, on_hand=on_hand, sequence=old.sequence + 1, updated_at=rfc3339_now())
        self._rows[key] = row
        return row


class LedgerBackend:
    """Base of a backend holding stock (WMS, POS); subclasses give the vendor shapes.

    Satisfies ``runtime.StockBackend``.
    """

    name: str
    location_prefix: str

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self.ledger = StockLedger(self.location_prefix, seed.STOCK)

    def reset(self) -> None:
        self.ledger.reset()

    def adjust(self, sku: str, location: str, on_hand: int) -> msgspec.Struct:
        """Set on-hand stock, announce the change and return the level in vendor shape."""
        row = self.ledger.set_on_hand(sku, location, on_hand)
        self.announcer.announce(self.event(row))
        return self.record(row)

    def record(self, row: StockRow) -> msgspec.Struct:
        """The row in the vendor's stock-level shape."""
        raise NotImplementedError

    def event(self, row: StockRow) -> msgspec.Struct:
        """The vendor's announcement of a change to the row."""
        raise NotImplementedError
