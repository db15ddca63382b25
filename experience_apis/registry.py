"""Every published experience API version as a Litestar app: what the gateway routes
(`/{version}/{api}/`) and what the portal documents (`/openapi/{api}-{version}.json`)."""

from __future__ import annotations

from typing import Callable

from litestar import Litestar

from experience_apis import versions as _versions
from experience_apis.http import route_paths
from experience_apis.mobile.app import create_mobile_v1
from experience_apis.partner.app import create_partner_v1
from experience_apis.storefront.app import create_storefront_v1, create_storefront_v2
from experience_apis.versions import VersionRegistry

FACTORIES: dict[str, Callable[..., Litestar]] = {
    "storefront-v1": create_storefront_v1,
    "storefront-v2": create_storefront_v2,
    "mobile-v1": create_mobile_v1,
    "partner-v1": create_partner_v1,
}


def build_experiences(
    ports: dict[str, object] | None, internal_secret: str, versions: VersionRegistry | None = None
) -> dict[str, Litestar]:
    """One app per version of `versions` (default: the published registry), keyed
    "storefront-v1" and so on; a deprecated version links to its successor's routes."""
    versions = versions or _versions.VERSIONS
    apps: dict[str, Litestar] = {}
    for version in versions.successors_first():
        successor = apps.get(version.successor) if version.successor else None
        apps[version.key] = FACTORIES[version.key](
            ports, internal_secret, versions=versions, successor_paths=route_paths(successor))
    return {version.key: apps[version.key] for version in versions}
