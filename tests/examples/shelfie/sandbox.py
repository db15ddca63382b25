"""Shelfie's sandbox: its API at ``/sandbox/shelfie/api``, seeded, with a count control."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import get, put
from litestar.params import Parameter

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer
from tests.examples.shelfie.vendor_schemas import ShelfError, ShelfRow, ShelfRows

SEED = {("SKU-1002", "SHELF-A"): 6, ("SKU-1003", "SHELF-A"): 12}


class Count(msgspec.Struct, frozen=True):
    on_hand: int


class ShelfBackend:
    """The sandbox's state: (sku, bin) -> row. ``name``, ``announcer`` and ``reset`` are what the
    shared controls (faults, ``POST /sandbox/reset``) need."""

    name = "shelfie"

    def __init__(self, announcer: Announcer, config: SandboxConfig) -> None:
        self.announcer = announcer
        self.reset()

    def reset(self) -> None:
        now = datetime.now(UTC)
        self.rows = {key: ShelfRow(sku=key[0], bin=key[1], qty=qty, rev=1, changed=now) for key, qty in SEED.items()}

    def count(self, sku: str, bin: str, qty: int) -> ShelfRow:
        rev = self.rows[sku, bin].rev + 1 if (sku, bin) in self.rows else 1
        self.rows[sku, bin] = ShelfRow(sku=sku, bin=bin, qty=qty, rev=rev, changed=datetime.now(UTC))
        return self.rows[sku, bin]


@get("/stock")
async def stock(backend: ShelfBackend, sku: list[str] | None = Parameter(query="sku", default=None)) -> ShelfRows:
    """The vendor API: rows of the asked SKUs, in SKU then bin order; an unknown SKU has none."""
    return ShelfRows(rows=[backend.rows[key] for key in sorted(backend.rows) if key[0] in (sku or [])])


@get("/ping")
async def ping() -> dict[str, bool]:
    """The vendor API's connectivity check (faulted like every vendor call)."""
    return {"ok": True}


@put("/counts/{sku:str}/{bin:str}", status_code=200)
async def set_count(backend: ShelfBackend, sku: str, bin: str, data: Count) -> ShelfRow:
    """A control (never faulted): a physical count."""
    return backend.count(sku, bin, data.on_hand)


SHELFIE = BackendSpec(name="shelfie", api_path="/api", api_handlers=(stock, ping), build=ShelfBackend,
                      throttle_body=ShelfError(error="slow down"), control_handlers=(set_count,))
