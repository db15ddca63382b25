"""Login with Amazon (LWA): the connection's refresh token exchanged for access tokens, and
Restricted Data Tokens (RDT) for the operations that answer buyer PII.

The connection's credential is either a bare LWA access token (``Atza|...``, the old form: sent
as is, kept current by something else), or ``<refresh token>;<client id>;<client secret>``
(``Atzr|...;amzn1.application-oa2-client....;...``). With the second, ``LwaAuth`` (an
``httpx.Auth`` flow, installed on the connection's ``VendorHttp``):

- exchanges it at the LWA endpoint (``POST https://api.amazon.com/auth/o2/token``, form
  ``grant_type=refresh_token&refresh_token&client_id&client_secret``) and keeps the access token
  until shortly before its ``expires_in``;
- answered 401 or 403 ``Unauthorized`` (Amazon's answer to an expired or revoked token), refreshes
  once and sends the call once more; a second ``Unauthorized`` is the caller's permanent failure;
- refreshes under one lock, and only when the token that failed is still the current one: many
  calls in flight with an expired token cause one exchange;
- maps ``invalid_grant`` (400) and ``invalid_client`` (401) to a permanent ``BackendError``
  (``code`` ``backend_credential_refused``) saying the credential must be renewed.

No token is logged, put in a span or an error: the exchange's request goes to LWA only, its answer
is kept in memory only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable

import httpx
import msgspec

from shared.errors import BackendError, BackendThrottled, BackendUnavailable
from system_apis.amazon.vendor_schemas import LwaError, LwaToken, SpErrors

ACCESS_TOKEN_HEADER = "x-amz-access-token"
LWA_ENDPOINT = "https://api.amazon.com/auth/o2/token"
EARLY = 60.0
"""A token is refreshed this long before it expires (at most a tenth of its life)."""


class LwaCredentials(msgspec.Struct, frozen=True, kw_only=True):
    refresh_token: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"LwaCredentials(client_id={self.client_id!r}, refresh_token='***', client_secret='***')"


def lwa_credentials(credential: str) -> LwaCredentials | None:
    """``<refresh token>;<client id>;<client secret>`` read; ``None`` for a bare access token (or none)."""
    parts = credential.split(";")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        return None
    return LwaCredentials(refresh_token=parts[0].strip(), client_id=parts[1].strip(), client_secret=parts[2].strip())


def unauthorized(response: httpx.Response) -> bool:
    """Amazon's answer to a wrong, expired or revoked access token: 401 or 403 ``Unauthorized``."""
    if response.status_code not in (401, 403):
        return False
    try:
        errors = msgspec.json.decode(response.content, type=SpErrors).errors
    except msgspec.DecodeError:
        return response.status_code == 401
    return any(e.code == "Unauthorized" for e in errors)


class Expiring:
    """One cached token and when it is due for a refresh; ``fetch`` runs once for any number of waiters."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.value: str | None = None
        self._due = 0.0
        self._clock = clock
        self.lock = asyncio.Lock()
        self.fetched = 0
        """How many times a token was fetched (tests: one refresh for many callers)."""

    def fresh(self) -> str | None:
        return self.value if self.value is not None and self._clock() < self._due else None

    def keep(self, value: str, lifetime: float) -> str:
        self.value, self._due = value, self._clock() + lifetime - min(EARLY, lifetime / 10)
        self.fetched += 1
        return value

    def drop(self, stale: str) -> None:
        """Forget ``stale`` if it is still the one kept (refused by Amazon before its time)."""
        if self.value == stale:
            self._due = 0.0

    async def get(self, fetch: Callable[[], Awaitable[tuple[str, float]]]) -> str:
        if (value := self.fresh()) is not None:
            return value
        async with self.lock:
            if (value := self.fresh()) is not None:
                return value  # another caller fetched it while this one waited
            return self.keep(*await fetch())


def refused(response: httpx.Response) -> BackendError:
    """What an LWA error answer means for the hub: permanent (a credential to renew) or not."""
    try:
        code = msgspec.json.decode(response.content, type=LwaError).error
    except msgspec.DecodeError:
        code = None
    if response.status_code == 429:
        return BackendThrottled("Login with Amazon is throttling the hub", backend="amazon", retry_after=1.0)
    if response.status_code >= 500:
        return BackendUnavailable(f"Login with Amazon answered {response.status_code}", backend="amazon")
    if code in ("invalid_grant", "invalid_client", "unauthorized_client"):
        return BackendError(f"Login with Amazon refused the connection's credential ({code}): the refresh token, "
                            "client id or client secret must be renewed", backend="amazon",
                            code="backend_credential_refused", vendor_code=code)
    return BackendError(f"Login with Amazon answered {response.status_code}", backend="amazon", vendor_code=code)


class LwaAuth(httpx.Auth):
    """Every call signed with a current LWA access token (see the module docstring). A call that
    already names its ``x-amz-access-token`` (a Restricted Data Token) is sent as it is."""

    def __init__(self, credentials: LwaCredentials, endpoint: str = LWA_ENDPOINT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._credentials = credentials
        self._endpoint = endpoint
        self.token = Expiring(clock)

    def _exchange(self) -> httpx.Request:
        c = self._credentials
        return httpx.Request("POST", self._endpoint, data={
            "grant_type": "refresh_token", "refresh_token": c.refresh_token, "client_id": c.client_id,
            "client_secret": c.client_secret}, headers={"Accept": "application/json"})

    async def _take(self, response: httpx.Response) -> str:
        await response.aread()
        if response.status_code != 200:
            raise refused(response)
        try:
            answer = msgspec.json.decode(response.content, type=LwaToken)
        except msgspec.DecodeError as exc:
            raise BackendError("unexpected Login with Amazon answer", backend="amazon") from exc
        return self.token.keep(answer.access_token, float(answer.expires_in))

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if ACCESS_TOKEN_HEADER in request.headers:
            yield request  # a Restricted Data Token: the caller's own
            return
        token = self.token.fresh()
        if token is None:
            async with self.token.lock:
                token = self.token.fresh()  # another call may have refreshed it while this one waited
                if token is None:
                    token = await self._take((yield self._exchange()))
        request.headers[ACCESS_TOKEN_HEADER] = token
        response = yield request
        if response.status_code not in (401, 403):
            return
        await response.aread()
        if not unauthorized(response):
            return
        async with self.token.lock:
            current = self.token.value
            if current == token:  # no other call refreshed it meanwhile: this one does, once
                current = await self._take((yield self._exchange()))
        request.headers[ACCESS_TOKEN_HEADER] = current or token
        yield request
