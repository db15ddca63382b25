"""Standard Webhooks signing (https://www.standardwebhooks.com/).

``webhook-signature`` is ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, the key being
the base64-decoded part of the ``whsec_`` secret; with several secrets (a rotation's overlap),
one ``v1,...`` per secret, space separated. Any Standard Webhooks library verifies it.
"""

from __future__ import annotations

from shared.ops.signing import sign as signature  # one signer for the partner and the operator webhooks

__all__ = ["headers", "signature"]


def headers(webhook_id: str, timestamp: int, body: bytes, secrets: tuple[str, ...]) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, webhook_id, timestamp, body) for s in secrets),
    }
