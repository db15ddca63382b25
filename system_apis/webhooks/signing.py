"""Standard Webhooks signing (https://www.standardwebhooks.com/).

``webhook-signature`` is ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, the key being
the base64-decoded part of the ``whsec_`` secret; with several secrets (a rotation's overlap),
one ``v1,...`` per secret, space separated. Any Standard Webhooks library verifies it.

A fan-out signs every delivery to a subscription with the same secret: the keyed HMAC is made
once per secret (``keyed``: the key decoded and its pads hashed) and copied per delivery,
which gives the same bytes as ``shared.ops.signing.sign`` for less work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from shared.ops.signing import sign as signature  # one signer for the partner and the operator webhooks
from shared.ops.signing import signing_key

__all__ = ["headers", "signature", "verify"]


@lru_cache(maxsize=4096)
def keyed(secret: str) -> hmac.HMAC:
    """The HMAC-SHA256 state keyed with ``secret``, before any message (copy it, never update it)."""
    return hmac.new(signing_key(secret), digestmod=hashlib.sha256)


def _sign(secret: str, prefix: bytes, body: bytes) -> str:
    mac = keyed(secret).copy()
    mac.update(prefix)
    mac.update(body)
    return "v1," + base64.b64encode(mac.digest()).decode()


def headers(webhook_id: str, timestamp: int, body: bytes, secrets: tuple[str, ...]) -> dict[str, str]:
    stamp = str(timestamp)
    prefix = f"{webhook_id}.{stamp}.".encode()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": stamp,
        "webhook-signature": " ".join(_sign(s, prefix, body) for s in secrets),
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
