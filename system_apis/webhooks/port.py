"""What the notification process asks of the webhook sender, in canonical terms."""

from __future__ import annotations

import base64
import secrets
from typing import Protocol

import msgspec

from shared.errors import BusinessRuleViolation

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes (the HMAC key)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class UrlRefused(BusinessRuleViolation):
    """A webhook URL the hub will not call (scheme, or an address that is not public)."""

    code = "webhook_url_refused"


class WebhookRequest(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    webhook_id: str
    body: bytes
    """The exact bytes signed and sent."""
    secrets: tuple[str, ...]
    """``whsec_`` secrets to sign with: one, or the new then the previous during a rotation."""
    subscription_id: str = ""


class WebhookResult(msgspec.Struct, frozen=True, kw_only=True):
    status: int | None
    """The partner's HTTP status; None when no answer came (refused URL, unreachable, timeout)."""
    error: str | None = None
    """Why it failed, in a few words (never the partner's body); None on a 2xx."""

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSenderPort(Protocol):
    async def vet(self, url: str) -> None:
        """Raise ``UrlRefused`` for a URL the hub will not deliver to (checked again at every delivery)."""
        ...

    async def send(self, request: WebhookRequest) -> WebhookResult:
        """One signed POST attempt; never raises for the partner's failure (it is in the result)."""
        ...
