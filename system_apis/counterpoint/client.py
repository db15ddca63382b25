"""``StockPort`` over the NCR Counterpoint API (store stock), and Counterpoint's classifier.

Every call carries HTTP Basic auth as ``<CompanyAlias>.<UserName>:<password>``
and the application's ``APIKey`` header (``auth_headers``). Stock is read per
item and location, ``GET /Item/{ItemNo}/Inventory/{LocId}``, for the store
locations the connection serves: a store's Counterpoint ``LOC_ID`` is the hub's
location without its prefix (``STORE-NYC`` is ``NYC``). An item a location does
not stock answers 404 and has no row.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import msgspec

from shared.errors import BackendError, NotFound
from shared.models import StockLevel
from shared.ops.probes import ProbeResult
from system_apis.counterpoint.vendor_schemas import ErrorAnswer, Inventory, ItemInventoryAnswer
from system_apis.vendor_http import VendorHttp, raise_vendor_error

BACKEND = "counterpoint"
SANDBOX_COMPANY, SANDBOX_USER, SANDBOX_PASSWORD = "DEMOGOLF", "HUB", "sandbox-password"
SANDBOX_API_KEY = "counterpoint-sandbox-api-key"
THROTTLE_WAIT = 1.0  # Counterpoint documents no rate limit; a 429 (a proxy in front of it) without Retry-After


def auth_headers(company: str = SANDBOX_COMPANY, user: str = SANDBOX_USER, password: str = SANDBOX_PASSWORD,
                 api_key: str = SANDBOX_API_KEY) -> dict[str, str]:
    """Basic ``<company>.<user>:<password>`` and ``APIKey``: set them on the connection's client."""
    basic = base64.b64encode(f"{company}.{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {basic}", "APIKey": api_key, "Accept": "application/json"}


def classify(response: httpx.Response) -> None:
    """Counterpoint's answers in the hub's error tree, ``ErrorCode`` as ``vendor_code``:

        2xx -> fine        429 -> BackendThrottled      5xx -> BackendUnavailable
        404 -> NotFound    other (400, 401, 403: a bad APIKey or a missing API option) -> BackendError
    """
    status = response.status_code
    if status < 300:
        return
    try:
        code = msgspec.json.decode(response.content, type=ErrorAnswer).error_code or None
    except msgspec.DecodeError:
        code = None
    raise_vendor_error(BACKEND, response, code, throttled=status == 429, not_found=status == 404,
                       default_wait=THROTTLE_WAIT)


def to_stock_level(row: Inventory, location_prefix: str) -> StockLevel:
    """``QTY_ON_HND`` and ``QTY_AVAIL`` (on hand less committed); Counterpoint keeps no change
    counter, so the sequence is ``RS_UTC_DT`` in microseconds since the epoch."""
    stamp = datetime.fromisoformat(row.rs_utc_dt[:26]).replace(tzinfo=UTC)
    return StockLevel(sku=row.item_no, location=f"{location_prefix}{row.loc_id}", on_hand=int(row.qty_on_hnd),
                      available=int(row.qty_avail), sequence=int(stamp.timestamp() * 1_000_000), as_of=stamp)


class CounterpointStockAdapter:
    """NCR Counterpoint behind ``StockPort``; build its ``VendorHttp`` with ``classify`` and ``auth_headers``."""

    def __init__(self, http: VendorHttp, *, locations: Sequence[str] = ("NYC",), location_prefix: str = "STORE-") -> None:
        self._http = http
        self._locations = tuple(locations)
        self._prefix = location_prefix

    async def probe(self) -> ProbeResult:
        """Health: ``GET /Company``, the company record (``SY_COMP``)."""
        return await self._http.probe("GET", "/Company")

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        """One call per (SKU, location), at once; rows by requested SKU, then location."""
        unique = list(dict.fromkeys(skus))
        found = await asyncio.gather(*(self._one(sku, loc) for sku in unique for loc in self._locations))
        return [level for level in found if level is not None]

    async def _one(self, sku: str, location: str) -> StockLevel | None:
        path = f"/Item/{quote(sku, safe='')}/Inventory/{quote(location, safe='')}"
        try:
            answer = await self._http.get_json(ItemInventoryAnswer, "get_stock", path,
                                               span_attributes={"hub.sku": sku, "hub.location": location})
        except NotFound:
            return None
        if answer.error_code != "SUCCESS":
            raise BackendError("COUNTERPOINT answered an error", backend=BACKEND, vendor_code=answer.error_code)
        return to_stock_level(answer.im_inv, self._prefix)
