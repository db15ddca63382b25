"""POST /oauth/token and GET /.well-known/jwks.json (gateway/tokens/oauth.py), over ASGI."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from urllib.parse import quote_plus

import httpx
import jwt
import pytest

from gateway.keys.schemas import KeyCreated
from gateway.keys.service import KeyService
from gateway.tokens.hub_tokens import HubTokens
from gateway.tokens.oauth import MethodNotAllowed, OAuthApp
from gateway.tokens.signing_keys import SigningKeys
from shared.errors import NotFound
from tests.gateway.tokens.conftest import new_key

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def http(hub_tokens: HubTokens, keys: KeyService, signing: SigningKeys) -> AsyncIterator[httpx.AsyncClient]:
    app = OAuthApp(hub_tokens, keys, signing, client_failures="10/minute")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
        yield client


@pytest.fixture
async def key(keys: KeyService) -> KeyCreated:
    return await new_key(keys, "catalog:read", "orders:write")


def form(key: KeyCreated, **fields: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": key.id, "client_secret": key.key, **fields}


def oauth_error(response: httpx.Response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error and body["error_description"], body
    return body


async def test_client_credentials_give_a_bearer_token_for_the_keys_scopes(
        http: httpx.AsyncClient, key: KeyCreated, hub_tokens: HubTokens) -> None:
    response = await http.post("/oauth/token", data=form(key))
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 900, "catalog:read orders:write")
    principal = await hub_tokens.verify(body["access_token"])
    assert (principal.kind, principal.key_id, principal.customer_id) == ("oauth", key.id, "CUST-ACME")
    assert principal.scopes == {"catalog:read", "orders:write"}


async def test_a_narrower_scope_may_be_asked_for(http: httpx.AsyncClient, key: KeyCreated, hub_tokens: HubTokens) -> None:
    body = (await http.post("/oauth/token", data=form(key, scope="orders:write"))).json()
    assert body["scope"] == "orders:write"
    assert (await hub_tokens.verify(body["access_token"])).scopes == {"orders:write"}


@pytest.mark.parametrize("scope", ["admin", "catalog:read admin", "nonsense", " ", "catalog:read  orders:write"])
async def test_a_scope_beyond_the_keys_is_invalid_scope(http: httpx.AsyncClient, key: KeyCreated, scope: str) -> None:
    oauth_error(await http.post("/oauth/token", data=form(key, scope=scope)), 400, "invalid_scope")


async def test_http_basic_client_authentication_works(http: httpx.AsyncClient, key: KeyCreated) -> None:
    basic = base64.b64encode(f"{quote_plus(key.id)}:{quote_plus(key.key)}".encode()).decode()
    response = await http.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers={"authorization": f"Basic {basic}"})
    assert response.status_code == 200 and response.json()["access_token"]


@pytest.mark.parametrize("authorization", ["Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer x"])
async def test_a_malformed_authorization_header_is_invalid_client(http: httpx.AsyncClient, authorization: str) -> None:
    response = await http.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers={"authorization": authorization})
    oauth_error(response, 401, "invalid_client")


async def test_two_client_authentication_methods_are_refused(http: httpx.AsyncClient, key: KeyCreated) -> None:
    basic = base64.b64encode(f"{key.id}:{key.key}".encode()).decode()
    response = await http.post("/oauth/token", data=form(key), headers={"authorization": f"Basic {basic}"})
    oauth_error(response, 400, "invalid_request")


async def test_a_wrong_secret_is_invalid_client_with_www_authenticate(http: httpx.AsyncClient, key: KeyCreated) -> None:
    response = await http.post("/oauth/token", data=form(key, client_secret="chub_wrong"))
    oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_an_oversized_client_id_is_invalid_client(http: httpx.AsyncClient, key: KeyCreated) -> None:
    oauth_error(await http.post("/oauth/token", data=form(key, client_id="k" * 65)), 401, "invalid_client")


async def test_another_keys_valid_secret_is_invalid_client(http: httpx.AsyncClient, key: KeyCreated, keys: KeyService) -> None:
    other = await new_key(keys, "admin")
    oauth_error(await http.post("/oauth/token", data=form(key, client_secret=other.key)), 401, "invalid_client")


async def test_a_revoked_key_gets_no_token(http: httpx.AsyncClient, key: KeyCreated, keys: KeyService) -> None:
    await keys.revoke(key.id)
    oauth_error(await http.post("/oauth/token", data=form(key)), 401, "invalid_client")


async def test_an_unsupported_grant_type(http: httpx.AsyncClient, key: KeyCreated) -> None:
    response = await http.post("/oauth/token", data=form(key, grant_type="password"))
    oauth_error(response, 400, "unsupported_grant_type")


@pytest.mark.parametrize("missing,error,status", [
    ("grant_type", "invalid_request", 400), ("client_id", "invalid_client", 401), ("client_secret", "invalid_client", 401),
])
async def test_missing_parameters(http: httpx.AsyncClient, key: KeyCreated, missing: str, error: str, status: int) -> None:
    fields = form(key)
    fields[missing] = ""  # a blank parameter counts as absent
    oauth_error(await http.post("/oauth/token", data=fields), status, error)


async def test_a_json_body_is_invalid_request(http: httpx.AsyncClient, key: KeyCreated) -> None:
    oauth_error(await http.post("/oauth/token", json=form(key)), 400, "invalid_request")


@pytest.mark.parametrize("body", [b"grant_type=client_credentials&grant_type=client_credentials", b"\xff\xfe=1",
                                  b"a=" + b"x" * 20000])
async def test_repeated_undecodable_or_huge_forms_are_invalid_request(http: httpx.AsyncClient, body: bytes) -> None:
    oauth_error(await http.post("/oauth/token", content=body, headers=FORM), 400, "invalid_request")


async def test_wrong_secrets_past_the_clients_budget_are_slowed_but_the_right_one_still_works(
        http: httpx.AsyncClient, key: KeyCreated) -> None:
    """Issue 10, defect 8: the client_id is in every token, so anyone could spend its failure
    budget; past it a wrong secret is 429, the right secret still gets its token."""
    for _ in range(10):
        oauth_error(await http.post("/oauth/token", data=form(key, client_secret="chub_wrong")), 401, "invalid_client")
    slowed = await http.post("/oauth/token", data=form(key, client_secret="chub_wrong"))
    oauth_error(slowed, 429, "temporarily_unavailable")
    assert 1 <= int(slowed.headers["retry-after"]) <= 60
    assert (await http.post("/oauth/token", data=form(key))).status_code == 200
    oauth_error(await http.post("/oauth/token", data=form(key, client_secret="chub_wrong")), 429,
                "temporarily_unavailable")


async def test_the_jwks_publishes_the_key_that_signs_tokens(http: httpx.AsyncClient, key: KeyCreated) -> None:
    token = (await http.post("/oauth/token", data=form(key))).json()["access_token"]
    response = await http.get("/.well-known/jwks.json")
    assert response.status_code == 200 and response.headers["cache-control"] == "public, max-age=300"
    jwks = jwt.PyJWKSet.from_dict(response.json())
    kid = jwt.get_unverified_header(token)["kid"]
    claims = jwt.decode(token, jwks[kid].key, algorithms=["ES256"], audience="commerce-hub", issuer="commerce-hub")
    assert claims["sub"] == key.id


async def test_wrong_methods_and_paths_are_refused(http: httpx.AsyncClient) -> None:
    with pytest.raises(MethodNotAllowed):
        await http.get("/oauth/token")
    with pytest.raises(MethodNotAllowed):
        await http.post("/.well-known/jwks.json")
    with pytest.raises(NotFound):
        await http.post("/oauth/tokens")
