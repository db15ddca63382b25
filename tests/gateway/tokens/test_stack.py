"""The assembled token stack (wiring.py, verifier.py) behind the edge's CredentialAuthenticator."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.identity import CredentialAuthenticator
from gateway.keys.service import KeyService
from gateway.tokens.wiring import TokenStack, build_token_stack
from shared.errors import Unauthorized
from shared.settings import SettingsError, load_settings
from tests.gateway.tokens.conftest import AUDIENCE, ISSUER, JWKS_URL, FakeIdp, new_key
from tests.production_env import PRODUCTION_DATA_KEY, PRODUCTION_SECRETS

IDP = {"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE, "jwt_jwks_url": JWKS_URL}


def settings(database_url: str, **overrides: object):  # noqa: ANN201
    return load_settings(env={}, toml_path="/nonexistent", database_url=database_url, **overrides)


async def stack_for(database_url: str, engine: AsyncEngine, keys: KeyService, http: httpx.AsyncClient,
                    **overrides: object) -> TokenStack:
    return await build_token_stack(settings(database_url, **overrides), engine, keys, http)


def bearer(token: str) -> dict:
    return {"type": "http", "headers": [(b"authorization", f"Bearer {token}".encode())]}


async def test_hub_and_provider_tokens_both_authenticate_at_the_edge(
        database_url: str, engine: AsyncEngine, keys: KeyService, idp: FakeIdp, idp_http: httpx.AsyncClient) -> None:
    stack = await stack_for(database_url, engine, keys, idp_http, **IDP)
    auth = CredentialAuthenticator(keys, stack.verifier)
    key = await new_key(keys, "catalog:read")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=stack.oauth_app), base_url="http://hub") as http:
        response = await http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": key.id,
                                                         "client_secret": key.key})
    hub = await auth.authenticate(bearer(response.json()["access_token"]))
    mobile = await auth.authenticate(bearer(idp.token("ec-1", customer_id="CUST-BOLT")))
    assert (hub.kind, hub.key_id) == ("oauth", key.id)
    assert (mobile.kind, mobile.consumer, mobile.customer_id) == ("jwt", "idp:user-42", "CUST-BOLT")


async def test_a_provider_token_claiming_the_hubs_issuer_is_refused(
        database_url: str, engine: AsyncEngine, keys: KeyService, idp: FakeIdp, idp_http: httpx.AsyncClient) -> None:
    stack = await stack_for(database_url, engine, keys, idp_http, **IDP)
    now = int(time.time())
    forged = jwt.encode({"iss": "commerce-hub", "aud": "commerce-hub", "sub": "key_x", "scope": "admin", "iat": now,
                         "exp": now + 60, "jti": "j"}, idp.private["ec-1"], algorithm="ES256",
                        headers={"kid": "ec-1", "typ": "at+jwt"})
    with pytest.raises(Unauthorized):
        await stack.verifier(forged)


async def test_without_a_provider_only_hub_tokens_are_accepted(
        database_url: str, engine: AsyncEngine, keys: KeyService, idp: FakeIdp, idp_http: httpx.AsyncClient) -> None:
    stack = await stack_for(database_url, engine, keys, idp_http)
    for token in (idp.token(), "not-a-jwt", ""):
        with pytest.raises(Unauthorized):
            await stack.verifier(token)
    assert idp.fetches == 0


@pytest.mark.parametrize("overrides,named", [
    ({"jwt_issuer": ISSUER}, "HUB_JWT_AUDIENCE"),
    ({**IDP, "jwt_issuer": "commerce-hub"}, "HUB_JWT_ISSUER"),
    ({**IDP, "jwt_jwks_url": "http://idp.example/jwks", "sandbox": False, "erp_url": "http://e", "wms_url": "http://w",
      "pos_url": "http://p", "payments_url": "http://pay", "shopify_url": "http://shop",
      **{k.removeprefix("HUB_").lower(): v for k, v in {**PRODUCTION_SECRETS, **PRODUCTION_DATA_KEY}.items()},
      "shopify_access_token": "shpat_0123456789abcdef"}, "HUB_JWT_JWKS_URL"),
])
async def test_a_wrong_provider_setting_stops_the_start_naming_it(
        database_url: str, engine: AsyncEngine, keys: KeyService, idp_http: httpx.AsyncClient,
        overrides: dict, named: str) -> None:
    with pytest.raises(SettingsError, match=f"^{named}:"):
        await stack_for(database_url, engine, keys, idp_http, **overrides)
