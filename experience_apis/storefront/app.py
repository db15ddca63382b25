"""The storefront experience API, one app per version."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from experience_apis.http import experience_app
from experience_apis.order_intake import OrderIntake
from experience_apis.storefront.v1.routes import HANDLERS as V1
from experience_apis.storefront.v2.routes import HANDLERS as V2


def create_storefront_v1(ports: dict[str, object] | None = None, internal_secret: str = "", **options: Any) -> Litestar:
    """`options`: `versions` and `successor_paths` of `experience_app`."""
    app = experience_app(api="storefront", version="v1", handlers=V1, ports=ports,
                         ports_used=["pricing", "orders", "returns"], internal_secret=internal_secret, **options)
    return OrderIntake.wrap(app, prefix="/v1/storefront", channel="storefront")


def create_storefront_v2(ports: dict[str, object] | None = None, internal_secret: str = "", **options: Any) -> Litestar:
    """`options`: `versions` and `successor_paths` of `experience_app`."""
    return experience_app(api="storefront", version="v2", handlers=V2, ports=ports, ports_used=["pricing"],
                          internal_secret=internal_secret, **options)
