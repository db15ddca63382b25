"""The storefront experience API, one app per version, every version from one factory."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Litestar

from experience_apis.http import experience_app
from experience_apis.order_intake import OrderIntake
from experience_apis.storefront.v1.routes import HANDLERS as V1
from experience_apis.storefront.v2.routes import HANDLERS as V2

VERSIONS: dict[str, tuple[list, list[str]]] = {
    "v1": (V1, ["pricing", "orders", "returns"]),
    "v2": (V2, ["pricing"]),
}
"""Version -> its handlers and the process ports they use."""


def create_storefront(version: str, ports: dict[str, object] | None = None, internal_secret: str = "",
                      **options: Any) -> Litestar:
    """`options`: `versions` and `successor_paths` of `experience_app`. A version taking orders
    gets the order intake (the ``Idempotency-Key`` and body checks before the framework)."""
    handlers, used = VERSIONS[version]
    app = experience_app(api="storefront", version=version, handlers=handlers, ports=ports, ports_used=used,
                         internal_secret=internal_secret, **options)
    if "orders" in used:
        return OrderIntake.wrap(app, prefix=f"/{version}/storefront", channel="storefront")
    return app


create_storefront_v1 = partial(create_storefront, "v1")
create_storefront_v2 = partial(create_storefront, "v2")
