"""Reading one platform order by the ref the hub holds (an adapter helper)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from shared.errors import NotFound
from system_apis.vendor_http import VendorHttp

T = TypeVar("T")


async def platform_order(http: VendorHttp, type_: type[T], vendor: str, ref: str, path: Callable[[str], str]) -> T:
    """The order ``ref`` (a platform's numeric id) as ``type_``; ``NotFound(code="unknown_channel_order")``
    for a ref that is not a number or an order the platform does not have."""
    if not ref.isdigit():
        raise NotFound(f"unknown {vendor} order {ref}", code="unknown_channel_order")
    try:
        return await http.get_json(type_, "get_order", path(ref))
    except NotFound as exc:
        raise NotFound(f"unknown {vendor} order {ref}", code="unknown_channel_order") from exc
