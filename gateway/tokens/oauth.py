"""``POST /oauth/token`` (RFC 6749 client credentials) and ``GET /.well-known/jwks.json``: pure ASGI.

The token endpoint answers in OAuth's own error format (RFC 6749 section 5.2: ``{"error",
"error_description"}``), not RFC 9457, because OAuth client libraries parse that. The client
authenticates with ``client_id`` (the API key id) and ``client_secret`` (the key) in the form
body or in HTTP Basic (section 2.3.1), never both. The secret is checked by
``KeyService.authenticate`` and must belong to the key named by ``client_id``.

Failures are limited two ways, and neither ever locks out the right secret:

- per source address (``SourceGuard``, shared with the edge): a source past its budget of
  failed authentications is answered 429 before its secret is hashed or looked up;
- per client_id (``client_failures``): the secret is always checked first, so the right
  one always gets its token; a *wrong* one past the client's budget answers 429 with
  ``Retry-After`` instead of 401 (and is logged), telling a misconfigured client to back
  off. A client_id is not a secret (it is in every token), so it can never be what shuts
  a client out. Guessing a 238-bit secret is hopeless either way; these limits shed load.
"""

from __future__ import annotations

import base64
import binascii
from typing import Callable
from urllib.parse import parse_qsl, unquote_plus

import msgspec

from gateway.keys.service import KeyService
from gateway.policies.sources import FailureWindow, SourceGuard
from gateway.tokens.hub_tokens import HubTokens, IssuedToken
from gateway.tokens.signing_keys import SigningKeys
from shared.asgi import read_body
from shared.errors import HubError, NotFound, PayloadTooLarge, Unauthorized
from shared.identity import Principal

TOKEN_PATH, JWKS_PATH = "/oauth/token", "/.well-known/jwks.json"
MAX_FORM_BYTES = 16 * 1024
MAX_CLIENT_ID = 64
_NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]


class MethodNotAllowed(HubError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.headers = status, error, description, headers or {}


def _invalid_client() -> OAuthError:
    return OAuthError(401, "invalid_client", "Client authentication failed.",
                      {"www-authenticate": 'Basic realm="commerce-hub", charset="UTF-8"'})


class OAuthApp:
    def __init__(self, tokens: HubTokens, keys: KeyService, signing: SigningKeys, *,
                 guard: SourceGuard | None = None, client_failures: str = "10/minute") -> None:
        self._tokens, self._keys, self._signing = tokens, keys, signing
        self._guard = guard or SourceGuard()
        self._clients = FailureWindow(client_failures, "oauth client")

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path, method = scope["path"], scope["method"]
        if path == JWKS_PATH:
            if method not in ("GET", "HEAD"):
                raise MethodNotAllowed("Use GET.", headers={"Allow": "GET, HEAD"})
            body = msgspec.json.encode(await self._signing.jwks())
            await _send(send, 200, body, [(b"cache-control", b"public, max-age=300")], head=method == "HEAD")
        elif path == TOKEN_PATH:
            if method != "POST":
                raise MethodNotAllowed("Use POST.", headers={"Allow": "POST"})
            try:
                body = msgspec.json.encode(await self._token(scope, receive))
                await _send(send, 200, body, _NO_STORE)
            except OAuthError as exc:
                body = msgspec.json.encode({"error": exc.error, "error_description": exc.description})
                extra = [(k.encode(), v.encode()) for k, v in exc.headers.items()]
                await _send(send, exc.status, body, _NO_STORE + extra)
        else:
            raise NotFound("No API answers at this path.")

    async def _token(self, scope: dict, receive: Callable) -> IssuedToken:
        wait = self._guard.refused_for(scope)
        if wait is not None:
            raise _slow_down(wait)
        form = _form(_header(scope, b"content-type"), await _read_body(receive))
        if "grant_type" not in form:
            raise OAuthError(400, "invalid_request", "grant_type is required.")
        if form["grant_type"] != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Only client_credentials is supported.")
        client_id = ""
        try:
            client_id, secret = _client_credentials(_header(scope, b"authorization"), form)
            principal = await self._client(client_id, secret)
        except OAuthError as exc:
            if exc.error == "invalid_client":
                await self._failed(scope, client_id)
            raise
        requested = form.get("scope")
        scopes = frozenset(requested.split(" ")) if requested is not None else principal.scopes
        if not scopes or "" in scopes or not scopes <= principal.scopes:
            raise OAuthError(400, "invalid_scope", "The scope is empty, malformed or beyond the client's.")
        return await self._tokens.issue(principal, scopes)

    async def _client(self, client_id: str, secret: str) -> Principal:
        """The key's principal when `secret` is its secret, whatever the client's failures."""
        if len(client_id) > MAX_CLIENT_ID:  # not a key id
            raise _invalid_client()
        try:
            principal = await self._keys.authenticate(secret)
        except Unauthorized:
            principal = None
        if principal is None or principal.key_id != client_id:
            raise _invalid_client()
        return principal

    async def _failed(self, scope: dict, client_id: str) -> None:
        """Count a failed client authentication for its source and its client_id; 429 past either budget."""
        waits = [await self._guard.failed_from(scope)]
        if 0 < len(client_id) <= MAX_CLIENT_ID:  # never an over-long id (or a key pasted as one) as a counter key
            waits.append(await self._clients.failed(client_id))
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            raise _slow_down(wait)


def _slow_down(wait: int) -> OAuthError:
    return OAuthError(429, "temporarily_unavailable", "Too many failed attempts; retry later.",
                      {"retry-after": str(wait)})


def _form(content_type: str, body: bytes) -> dict[str, str]:
    """The form's parameters; blank ones count as absent (RFC 6749 section 3.2), repeats are refused."""
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise OAuthError(400, "invalid_request", "Send the request as application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(400, "invalid_request", "The form body is malformed.") from None
    names = [name for name, value in pairs if value != ""]
    if len(names) != len(set(names)):
        raise OAuthError(400, "invalid_request", "A parameter is repeated.")
    return {name: value for name, value in pairs if value != ""}


def _client_credentials(authorization: str, form: dict[str, str]) -> tuple[str, str]:
    if not authorization:
        if "client_id" not in form or "client_secret" not in form:
            raise _invalid_client()
        return form["client_id"], form["client_secret"]
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise _invalid_client()
    if "client_secret" in form:
        raise OAuthError(400, "invalid_request", "Use one client authentication method, not two.")
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid_client() from None
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if not sep or not client_id or not secret or form.get("client_id", client_id) != client_id:
        raise _invalid_client()
    return client_id, secret


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1").strip()
    return ""


async def _read_body(receive: Callable) -> bytes:
    try:
        return await read_body(receive, MAX_FORM_BYTES)
    except PayloadTooLarge:  # RFC 6749 answers in its own words
        raise OAuthError(400, "invalid_request", "The form body is too large.") from None


async def _send(send: Callable, status: int, body: bytes, headers: list[tuple[bytes, bytes]], *, head: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), *headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
