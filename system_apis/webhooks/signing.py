"""Standard Webhooks signing (https://www.standardwebhooks.com/).

``webhook-signature`` is ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, the key being
the base64-decoded part of the ``whsec_`` secret; with several secrets (a rotation's overlap),
one ``v1,...`` per secret, space separated. Any Standard Webhooks library verifies it.
"""

from __future__ import annotations

import hmac

from shared.ops.signing import sign as signature  # one signer for the partner and the operator webhooks

__all__ = ["headers", "signature", "verify"]


def headers(webhook_id: str, timestamp: int, body: bytes, secrets: tuple[str, ...]) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, webhook_id, timestamp, body) for s in secrets),
    }


def verify(secrets: tuple[str, ...], headers: dict[str, str], body: bytes, *, now: float,
           tolerance: float = 300) -> bool:
    """What a receiver checks (``headers`` with lower-case names): one of the ``v1`` signatures
    is ours under one of ``secrets``, and the timestamp is within ``tolerance`` seconds of now."""
    webhook_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not webhook_id or not stamp.isdigit() or abs(now - int(stamp)) > tolerance:
        return False
    offered = headers.get("webhook-signature", "").split()
    try:
        wanted = [signature(secret, webhook_id, int(stamp), body) for secret in secrets]
    except ValueError:  # not a whsec_ secret
        return False
    return any(hmac.compare_digest(mine, theirs) for mine in wanted for theirs in offered)
