"""The storefront experience API, one app per version."""

from __future__ import annotations

from litestar import Litestar

from experience_apis.http import experience_app
from experience_apis.storefront.v1.routes import HANDLERS as V1


def create_storefront_v1(ports: dict[str, object] | None = None, internal_secret: str = "") -> Litestar:
    return experience_app(
        api="storefront", version="v1", title="Commerce Hub Storefront API",
        description="Checkout-grade price and availability, orders and returns for web storefronts.",
        handlers=V1, ports=ports, ports_used=["pricing"], internal_secret=internal_secret,
    )
