"""Key secrets: high entropy, recognisable by prefix, stored only as SHA-256 hashes.

A secret looks like ``chub_<40 base62 chars><6 base62 checksum>``: the prefix lets
secret scanners spot a leaked key, the checksum rejects typos without a
database look-up. 238 bits of entropy make a fast hash safe (no password
stretching needed, as for GitHub or Stripe tokens).
"""

from __future__ import annotations

import hashlib
import secrets
import zlib

PREFIX = "chub_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        out.append(_ALPHABET[digit])
    return "".join(reversed(out))


def new_secret() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(40))
    return f"{PREFIX}{body}{_base62(zlib.crc32(body.encode()), 6)}"


def looks_valid(secret: str) -> bool:
    """Shape and checksum of a hub-made secret (bootstrap keys are checked by hash only)."""
    if not secret.startswith(PREFIX) or len(secret) != len(PREFIX) + 46:
        return False
    body, check = secret[len(PREFIX):-6], secret[-6:]
    return _base62(zlib.crc32(body.encode()), 6) == check


def new_key_id() -> str:
    return f"key_{secrets.token_hex(8)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
