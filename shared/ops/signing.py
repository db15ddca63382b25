"""Standard Webhooks signatures (https://www.standardwebhooks.com), as the operator webhook sends them.

    webhook-id: <id>    webhook-timestamp: <unix seconds>
    webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" under the whsec_ key>
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def signing_key(secret: str) -> bytes:
    """The raw key of a ``whsec_<base64>`` secret."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(signing_key(secret), signed, hashlib.sha256).digest()).decode()


def headers(secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, webhook_id, timestamp, body), "content-type": "application/json"}
