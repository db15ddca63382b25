"""Admin API: purge the response cache, for one SKU or all, on every instance."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import post

from experience_apis.http import INJECTED
from experience_apis.operations.guards import ADMIN
from shared.bus import Bus, CatalogChanged

CACHE_TOPIC = "catalog.changed"


class PurgeRequest(msgspec.Struct, forbid_unknown_fields=True):
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class PurgeResult(msgspec.Struct):
    purged: str
    """The SKU purged, or "*" for everything."""


@post("/admin/v1/cache/purge", operation_id="purgeCache", tags=["cache"], status_code=202, guards=[ADMIN])
async def purge_cache(bus: Annotated[Bus, INJECTED], data: PurgeRequest | None = None) -> PurgeResult:
    """Drop cached answers; accepted here, in force on every instance as the bus delivers."""
    sku = data.sku if data else None
    await bus.publish(CACHE_TOPIC, CatalogChanged(sku=sku, reason="purge"))
    return PurgeResult(purged=sku or "*")
