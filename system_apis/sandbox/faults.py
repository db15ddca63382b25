"""The fault switch every sandbox backend shares.

One ``FaultSwitch`` per backend lives on a ``FaultBoard``; ``fault_gate``
builds the ``before_request`` hook put on a backend's vendor API router (never
on the controls), which applies the switch in a fixed order:

1. latency: sleep ``latency_ms``;
2. outage: 503 ``{"error": "service_unavailable"}``;
3. throttle: 429 with ``Retry-After: 1`` (Shopify: ``1.0``) and the backend's vendor body;
4. error_rate: 500 ``{"error": "internal_error"}`` with that probability.

The switch is read once, when the request arrives.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

import msgspec
from litestar import Request, Response

MAX_LATENCY_MS = 60_000


class FaultSwitch(msgspec.Struct, frozen=True, kw_only=True):
    """The faults a backend currently injects; the defaults inject none."""

    latency_ms: int = 0
    error_rate: float = 0.0
    outage: bool = False
    throttle: bool = False


class FaultPatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The body of ``PUT /sandbox/{backend}/faults``: the fields to change."""

    latency_ms: Annotated[int, msgspec.Meta(ge=0, le=MAX_LATENCY_MS)] | msgspec.UnsetType = msgspec.UNSET
    error_rate: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] | msgspec.UnsetType = msgspec.UNSET
    outage: bool | msgspec.UnsetType = msgspec.UNSET
    throttle: bool | msgspec.UnsetType = msgspec.UNSET


class ErrorBody(msgspec.Struct, frozen=True):
    error: str


OUTAGE_BODY = ErrorBody("service_unavailable")
INTERNAL_ERROR_BODY = ErrorBody("internal_error")


class FaultBoard:
    """The fault switches of all backends, and the dice behind ``error_rate``."""

    def __init__(self, backends: Iterable[str], seed: int | None = None) -> None:
        self._switches = {name: FaultSwitch() for name in backends}
        self._rng = random.Random(seed)
        self._on_healed: list[Callable[[str], None]] = []

    def on_healed(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(backend)`` whenever a backend's switch is set back to no fault
        (cleared, reset, or patched to nothing): in one process the hub closes that
        backend's circuit at once instead of waiting for its next probe."""
        self._on_healed.append(listener)

    def get(self, backend: str) -> FaultSwitch:
        return self._switches[backend]

    def patch(self, backend: str, patch: FaultPatch) -> FaultSwitch:
        """Merge the fields set in ``patch`` into the backend's switch."""
        changes = {f: v for f in patch.__struct_fields__ if (v := getattr(patch, f)) is not msgspec.UNSET}
        return self._set(backend, msgspec.structs.replace(self._switches[backend], **changes))

    def clear(self, backend: str) -> FaultSwitch:
        return self._set(backend, FaultSwitch())

    def _set(self, backend: str, switch: FaultSwitch) -> FaultSwitch:
        self._switches[backend] = switch
        if switch == FaultSwitch():
            for listener in self._on_healed:
                listener(backend)
        return switch

    def clear_all(self) -> None:
        for backend in self._switches:
            self.clear(backend)

    def fails(self, error_rate: float) -> bool:
        """Roll the dice: ``True`` with probability ``error_rate``."""
        return error_rate > 0 and self._rng.random() < error_rate


Gate = Callable[[Request[Any, Any, Any]], Awaitable[Response[Any] | None]]


def fault_gate(board: FaultBoard, backend: str, throttle_body: msgspec.Struct, retry_after: str = "1") -> Gate:
    """The ``before_request`` hook injecting ``backend``'s faults into its vendor API."""

    async def gate(_: Request[Any, Any, Any]) -> Response[Any] | None:
        switch = board.get(backend)
        if switch.latency_ms:
            await asyncio.sleep(switch.latency_ms / 1000)
        if switch.outage:
            return Response(OUTAGE_BODY, status_code=503)
        if switch.throttle:
            return Response(throttle_body, status_code=429, headers={"Retry-After": retry_after})
        if board.fails(switch.error_rate):
            return Response(INTERNAL_ERROR_BODY, status_code=500)
        return None

    return gate
