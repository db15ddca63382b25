"""The partner experience API, one app per version."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from experience_apis.http import experience_app
from experience_apis.partner.v1.routes import HANDLERS as V1


def create_partner_v1(ports: dict[str, object] | None = None, internal_secret: str = "", **options: Any) -> Litestar:
    """`options`: `versions` and `successor_paths` of `experience_app`."""
    return experience_app(api="partner", version="v1", handlers=V1, ports=ports, ports_used=["pricing", "orders", "returns"],
                          internal_secret=internal_secret, **options)
