"""Litestar copies a route handler for every guard of every request; once the app is built the
hub's handlers hand themselves over instead (``experience_apis.http._quick_copying``), and before
that they copy as ``copy.copy`` does. The guards still decide."""

from __future__ import annotations

from copy import copy

import httpx

from experience_apis.http import _quick_copying, experience_app
from experience_apis.storefront.v1.routes import get_product
from shared.identity import Principal


def _slots(handler: object) -> dict[str, object]:
    names = {n for k in type(handler).__mro__ for n in getattr(k, "__slots__", ()) if n not in ("__dict__", "__weakref__")}
    return {n: getattr(handler, n) for n in names if hasattr(handler, n)}


def test_before_its_app_is_built_a_handler_copies_like_copy_copy() -> None:
    generic = copy(get_product)
    quick = copy(get_product)
    quick.__class__ = _quick_copying(type(get_product))
    copied = copy(quick)
    assert copied is not quick and type(copied) is type(quick)
    assert _slots(copied) == _slots(generic) and copied.__dict__ == quick.__dict__
    copied.responses = {"418": None}
    assert quick.responses != copied.responses  # its own object: a change does not reach the original


def test_once_built_the_copy_is_the_handler_itself() -> None:
    app = experience_app(api="storefront", version="v1", handlers=[get_product], ports={}, ports_used=["pricing"])
    [served] = [h for route in app.routes for h in getattr(route, "route_handlers", ())
                if h.handler_name == "get_product"]
    assert copy(served) is served
    assert copy(get_product) is not get_product  # the module's own handler is not the app's


async def test_the_guard_still_refuses_a_principal_without_the_scope() -> None:
    app = experience_app(api="storefront", version="v1", handlers=[get_product], ports={"pricing": object()},
                         ports_used=["pricing"])

    async def asgi(scope, receive, send):  # noqa: ANN001, ANN202 - hands the principal over in process
        scope["hub.principal"] = Principal(consumer="c-1", scopes=frozenset({"orders:read"}), plan="standard")
        await app(scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://hub") as http:
        for _ in range(2):  # the first and a later request: the same handler object each time
            answer = await http.get("/v1/storefront/products/SKU-1001")
            assert answer.status_code == 403 and answer.json()["code"] == "insufficient_scope"
