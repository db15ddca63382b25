"""Shelfie's registry entry: in a real vendor this is one more ``VendorKind`` in ``KINDS``
(system_apis/registry.py); the example's tests register it for their run only."""

from __future__ import annotations

from system_apis.registry import VendorKind
from tests.examples.shelfie.client import ShelfieStockAdapter, classify
from tests.examples.shelfie.sandbox import SHELFIE

SHELFIE_KIND = VendorKind(name="shelfie", adapters={"stock": ShelfieStockAdapter}, classify=classify, concurrency=4,
                          sandbox=SHELFIE)
