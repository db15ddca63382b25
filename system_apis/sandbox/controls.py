"""The sandbox controls of CONTRACT section 9 shared by every backend.

Never faulted. ``BACKEND_CONTROLS`` are mounted under ``/sandbox/{backend}``
for each registered backend (which arrives as the ``backend`` dependency);
``APP_CONTROLS`` carry their full paths. Each of these answers 200.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, post, put

from system_apis.sandbox.control_errors import ControlInputError, FieldError, decode_control
from system_apis.sandbox.faults import FaultBoard, FaultPatch, FaultSwitch
from system_apis.sandbox.runtime import Sandbox, SandboxBackend

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class StockChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``POST /sandbox/wms/stock``."""

    sku: NonEmpty
    location: NonEmpty
    on_hand: Annotated[int, msgspec.Meta(ge=0)]


class EventList(msgspec.Struct, frozen=True):
    items: list[Any]


class ResetDone(msgspec.Struct, frozen=True, kw_only=True):
    status: str = "reset"
    backends: list[str]


@get("/faults")
async def get_faults(backend: SandboxBackend, faults: FaultBoard) -> FaultSwitch:
    """The backend's current fault switch."""
    return faults.get(backend.name)


@put("/faults", status_code=200)
async def put_faults(request: Request[Any, Any, Any], backend: SandboxBackend, faults: FaultBoard) -> FaultSwitch:
    """Merge the given fields into the backend's fault switch."""
    patch = decode_control(await request.body(), FaultPatch)
    return faults.patch(backend.name, patch)


@delete("/faults", status_code=200)
async def clear_faults(backend: SandboxBackend, faults: FaultBoard) -> FaultSwitch:
    """Clear every fault of the backend."""
    return faults.clear(backend.name)


@get("/events")
async def list_events(backend: SandboxBackend) -> EventList:
    """The events the backend announced since the last reset, oldest first."""
    return EventList(items=list(backend.announcer.outbox))


@post("/sandbox/reset", status_code=200)
async def reset(sandbox: Sandbox) -> ResetDone:
    """Every backend back to its seed data, faults cleared, outboxes emptied."""
    await sandbox.reset()
    return ResetDone(backends=sorted(sandbox.backends))


@post("/sandbox/wms/stock", status_code=200)
async def change_stock(request: Request[Any, Any, Any], sandbox: Sandbox) -> msgspec.Struct:
    """Change on-hand stock in the WMS (``DC-*``) or the POS (``STORE-*``), which announces it."""
    change = decode_control(await request.body(), StockChange)
    owner = sandbox.stock_owner(change.location)
    if owner is None:
        expected = ", ".join(f"{p}*" for p in sandbox.stock_prefixes())
        raise ControlInputError([FieldError("location", f"unknown location; expected one of {expected}")])
    return owner.adjust(change.sku, change.location, change.on_hand)


BACKEND_CONTROLS = (get_faults, put_faults, clear_faults, list_events)
APP_CONTROLS = (reset, change_stock)
