"""Shelfie's JSON (docs/write-an-adapter.md's worked example): ``GET /api/stock?sku=...``."""

from __future__ import annotations

from datetime import datetime

import msgspec


class ShelfRow(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    bin: str
    qty: int
    rev: int
    changed: datetime


class ShelfRows(msgspec.Struct, frozen=True, kw_only=True):
    rows: list[ShelfRow]


class ShelfError(msgspec.Struct, frozen=True, kw_only=True):
    error: str
