"""NCR Counterpoint (store stock) below ``/sandbox/counterpoint``.

Vendor paths (HTTP Basic ``<CompanyAlias>.<UserName>:<password>`` and an
``APIKey`` header on every call, as the Counterpoint API wants):

    GET /Item/{ItemNo}/Inventory/{LocId}   one IM_INV row (404 ITEM_NOT_FOUND when the location has none)
    GET /Inventory/{LocId}[?Page=&Rows=]    every IM_INV row of a location, paged when both are given

The stores of CONTRACT section 9 (``STORE-*``) are Counterpoint locations
without the prefix (``STORE-NYC`` is ``NYC``). ``RS_UTC_DT`` moves by at least a
microsecond on every change. Its own control sets a count:
``PUT /sandbox/counterpoint/inventory/{LocId}/{ItemNo}`` ``{"on_hand"}``. It is
not a stock owner of ``POST /sandbox/wms/stock`` (StoreLink POS holds those stores).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Request, Response, get, put
from litestar.params import Parameter

from system_apis.counterpoint.vendor_schemas import (
    ErrorAnswer,
    Inventory,
    ItemInventoryAnswer,
    LocationInventoryAnswer,
)
from system_apis.sandbox import seed
from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.control_errors import ControlInputError, FieldError, decode_control
from system_apis.sandbox.events import Announcer

PREFIX = "STORE-"


class CounterpointError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(f"{code}: {message}")


class CountChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    on_hand: int


class CounterpointStore:
    """The IM_INV rows of one Counterpoint company."""

    name = "counterpoint"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self.reset()

    def reset(self) -> None:
        self._last = datetime.now(UTC).replace(tzinfo=None)
        self.rows: dict[tuple[str, str], Inventory] = {}
        for s in seed.STOCK:
            if s.location.startswith(PREFIX):
                self.set_count(s.sku, s.location[len(PREFIX):], s.on_hand)

    def _stamp(self) -> str:
        now = datetime.now(UTC).replace(tzinfo=None)
        self._last = max(now, self._last + timedelta(microseconds=1))
        return self._last.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"

    def set_count(self, item_no: str, loc_id: str, on_hand: int) -> Inventory:
        """A physical count: on hand set, nothing committed at a store."""
        row = Inventory(item_no=item_no, loc_id=loc_id, qty_on_hnd=on_hand, qty_avail=on_hand, net_qty=on_hand,
                        rs_utc_dt=self._stamp())
        self.rows[(item_no, loc_id)] = row
        return row

    def at(self, loc_id: str) -> list[Inventory]:
        return sorted((r for r in self.rows.values() if r.loc_id == loc_id), key=lambda r: r.item_no)


def _checked(request: Request[Any, Any, Any], store: CounterpointStore) -> CounterpointStore:
    if not request.headers.get("Authorization", "").startswith("Basic "):
        raise CounterpointError(401, "UNAUTHORIZED", "Missing or invalid authorization header.")
    if not request.headers.get("APIKey"):
        raise CounterpointError(403, "INVALID_APIKEY", "Missing or invalid APIKey header.")
    return store


def render_error(_: Request[Any, Any, Any], error: CounterpointError) -> Response[ErrorAnswer]:
    return Response(ErrorAnswer(error_code=error.code, message=error.message), status_code=error.status)


@get("/Item/{item_no:str}/Inventory/{loc_id:str}")
async def item_inventory(request: Request[Any, Any, Any], counterpoint: CounterpointStore, item_no: str,
                         loc_id: str) -> ItemInventoryAnswer:
    """One item's stock at one location."""
    row = _checked(request, counterpoint).rows.get((item_no, loc_id))
    if row is None:
        raise CounterpointError(404, "ITEM_NOT_FOUND", f"No inventory for item {item_no} at location {loc_id}.")
    return ItemInventoryAnswer(im_inv=row)


@get("/Inventory/{loc_id:str}")
async def location_inventory(request: Request[Any, Any, Any], counterpoint: CounterpointStore, loc_id: str,
                             page: int | None = Parameter(query="Page", default=None, ge=1),
                             rows: int | None = Parameter(query="Rows", default=None, ge=1)) -> LocationInventoryAnswer:
    """Every item's stock at a location; paged only when both Page and Rows are given."""
    found = _checked(request, counterpoint).at(loc_id)
    if page is not None and rows is not None:
        found = found[(page - 1) * rows:page * rows]
    return LocationInventoryAnswer(im_inv=found)


@put("/inventory/{loc_id:str}/{item_no:str}", status_code=200)
async def set_count(request: Request[Any, Any, Any], counterpoint: CounterpointStore, loc_id: str,
                    item_no: str) -> Inventory:
    """Control: a physical count of an item at a location; answers the IM_INV row."""
    change = decode_control(await request.body(), CountChange)
    if change.on_hand < 0:
        raise ControlInputError([FieldError("on_hand", "must be 0 or more")])
    return counterpoint.set_count(item_no, loc_id, change.on_hand)


@get("/Company")
async def company(request: Request[Any, Any, Any], counterpoint: CounterpointStore) -> dict[str, Any]:
    """``GET /Company``: the company record (``SY_COMP``), the API's cheap authenticated read."""
    _checked(request, counterpoint)
    return {"SY_COMP": {"KEY_ID": 1, "NAM": "Commerce Hub Sandbox Golf"}, "ErrorCode": "SUCCESS"}

COUNTERPOINT = BackendSpec(
    name="counterpoint",
    api_path="",
    api_handlers=(company, item_inventory, location_inventory),
    build=CounterpointStore,
    throttle_body=ErrorAnswer(error_code="TOO_MANY_REQUESTS", message="Too many requests."),
    control_handlers=(set_count,),
    api_exception_handlers={CounterpointError: render_error},
)
