"""The edge's policy chain (gateway/policies/chain.py): one declared order, per-route steps,
and the routes the hub builds from what the experience APIs declare (experience_apis/edge_needs.py)."""

from __future__ import annotations

import pytest
from litestar import get

from experience_apis.edge_needs import CACHEABLE, edge_needs
from experience_apis.http import experience_app, requires
from experience_apis.registry import build_experiences
from gateway.exchange import Exchange
from gateway.policies.chain import ORDER, Chain
from gateway.route import Route
from shared.identity import API_KEY, JWT, OAUTH
from tests.conftest import Hub


class _Named:
    fails = "open"

    def __init__(self, name: str, needs_identity: bool = False) -> None:
        self.name = name
        self._needs_identity = needs_identity

    def applies(self, route: Route | None) -> bool:
        return route is not None and (route.authenticated or not self._needs_identity)

    async def enter(self, exchange: Exchange) -> bool:
        return False


async def _app(scope: dict, receive, send) -> None:  # noqa: ANN001
    return None


def test_policies_run_in_the_declared_order_whatever_order_they_are_given() -> None:
    chain = Chain(*(_Named(name) for name in reversed(ORDER)))
    assert [p.name for p in chain.policies] == list(ORDER)


@pytest.mark.parametrize("names", [("identity", "identity"), ("identity", "bot-detection")])
def test_a_chain_refuses_a_policy_twice_or_one_not_in_the_order(names: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="each at most once"):
        Chain(*(_Named(name) for name in names))


def test_a_route_gets_only_the_steps_it_needs() -> None:
    chain = Chain(_Named("framing"), _Named("identity", needs_identity=True), None)
    open_route = Route(prefix="/docs", app=_app, name="docs", authenticated=False)
    closed_route = Route(prefix="/admin/v1/", app=_app, name="admin")
    assert chain.describe(open_route) == ["framing (fails open)"]
    assert chain.describe(closed_route) == ["framing (fails open)", "identity (fails open)"]
    assert chain.steps(None) == ()


async def test_the_hub_routes_get_their_chains_from_what_they_declare(hub: Hub) -> None:
    edge = hub.app.edge
    chains = {route.prefix: edge.chain.describe(route) for route, _ in edge._routes}  # noqa: SLF001
    full = ["framing (fails closed)", "identity (fails closed)", "limits (fails open)", "cache (fails open)"]
    for cached in ("/v1/storefront/products/", "/v2/storefront/products/", "/v1/mobile/products/"):
        assert chains[cached] == full, cached
    assert chains["/v1/partner/"] == full[:3]  # declares nothing cacheable
    assert chains["/v1/storefront/"] == full[:3]  # orders and returns: never cached
    assert chains["/health/"] == ["framing (fails closed)"]


def test_each_channel_declares_its_credentials_and_its_cacheable_gets() -> None:
    needs = {key: edge_needs(app) for key, app in build_experiences(None, "secret").items()}
    assert needs["storefront-v1"].credentials == needs["storefront-v2"].credentials == frozenset({API_KEY})
    assert needs["mobile-v1"].credentials == frozenset({JWT})
    assert needs["partner-v1"].credentials == frozenset({API_KEY, OAUTH})
    assert [(c.prefix, c.scope) for c in needs["mobile-v1"].cacheable] == [("/v1/mobile/products/", "catalog:read")]
    assert needs["partner-v1"].cacheable == ()


def test_a_cacheable_handler_must_name_the_scope_a_cached_answer_needs() -> None:
    @get("/v1/storefront/things/{sku:str}", opt=CACHEABLE)
    async def unguarded(sku: str) -> str:
        return sku

    @get("/v1/storefront/guarded/{sku:str}", opt=CACHEABLE, guards=[requires("orders:read")])
    async def guarded(sku: str) -> str:
        return sku

    assert [(c.prefix, c.scope) for c in edge_needs(experience_app(api="storefront", version="v1",
                                                                     handlers=[guarded])).cacheable] == [
        ("/v1/storefront/guarded/", "orders:read")]
    with pytest.raises(ValueError, match="requires"):
        edge_needs(experience_app(api="storefront", version="v1", handlers=[unguarded]))
