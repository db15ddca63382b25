"""Secrets the hub must read back, sealed at rest with a data key (AES-256-GCM).

A partner webhook's signing secret (``whsec_...``) signs every delivery with HMAC-SHA256, so
the hub needs it back: it cannot be hashed like an API key. It is stored sealed::

    enc:v1:<kid>:<base64url(nonce 12 bytes | ciphertext | tag 16 bytes)>

``kid`` names the data key (8 hex characters of a SHA-256 of it: a fingerprint, never the
key). The associated data binds a sealed value to its row (``context``, e.g. the subscription
id), so a value copied into another row does not open there. A ``whsec_`` secret is sealed as
its 32 key bytes (98 characters in all: it fits the 100-character columns); anything else as
its UTF-8 text. A stored value without the ``enc:`` prefix is a plaintext one from before
sealing: ``open`` returns it as is, and the next write (or the start's reseal) seals it.

The keys come from ``HUB_DATA_KEY_FILE``: one base64 key of 32 bytes per line, the first seals,
the others only open (a rotation: put the new key first, keep the old one below until every
row is resealed). With the sandbox and no setting, a key is made once under the data
directory (beside the SQLite file, else ``./var``) and kept; with ``HUB_SANDBOX=0`` the
setting is required (``shared.settings_checks``).

Errors: ``SettingsError`` (one line naming ``HUB_DATA_KEY_FILE``) for a key file that cannot
be read or parsed; ``DataKeyError`` (a ``HubError``, 500 ``data_key_mismatch``) for a stored
value no key here opens. Neither ever carries the sealed value, a key or a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url

from shared.errors import HubError
from shared.settings import Settings, SettingsError
from shared.settings_checks import DATA_KEY_REQUIRED

PREFIX = "enc:"
VERSION = "v1"
KEY_BYTES = 32
SANDBOX_KEY_NAME = "data.key"
SETTING = "HUB_DATA_KEY_FILE"
_WHSEC = "whsec_"
_TEXT, _WHSEC_BYTES = b"\x00", b"\x01"  # the first plaintext byte: how to read the rest


class DataKeyError(HubError):
    """A stored secret that no data key of this instance opens (a wrong or lost key). The
    client's ``detail`` says only that; ``reason`` (its ``str`` and ``repr``: what the worker and
    the start log, for operators) names the key id and the setting, never the sealed value."""

    status, code, title = 500, "data_key_mismatch", "The hub cannot read a stored secret"

    def __init__(self, reason: str) -> None:
        super().__init__("The hub cannot read this webhook's signing secret with its data key; the operators "
                         "must restore the key. Nothing was sent or changed.")
        self.reason = reason

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"DataKeyError({self.reason!r})"


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"commerce-hub data key\x00" + key).hexdigest()[:8]


def is_sealed(stored: str | None) -> bool:
    return stored is not None and stored.startswith(PREFIX)


def sealed_kid(stored: str) -> str | None:
    """The key id a sealed value names (None for a plaintext one)."""
    parts = stored.split(":", 3)
    return parts[2] if is_sealed(stored) and len(parts) == 4 else None


class DataKeys:
    """The data keys of this instance: the first seals, every one opens."""

    def __init__(self, current: bytes, *older: bytes) -> None:
        for key in (current, *older):
            if len(key) != KEY_BYTES:
                raise ValueError(f"a data key is {KEY_BYTES} bytes")
        self._aead = {key_id(k): AESGCM(k) for k in (*reversed(older), current)}
        self.current = key_id(current)

    def __repr__(self) -> str:
        return f"DataKeys(current={self.current!r}, known={sorted(self._aead)!r})"

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._aead)

    def seal(self, secret: str, context: str) -> str:
        """``secret`` sealed under the current key, bound to ``context`` (the row's id)."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead[self.current].encrypt(nonce, _pack(secret), _aad(context))
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        return f"{PREFIX}{VERSION}:{self.current}:{body}"

    def open(self, stored: str, context: str) -> str:
        """The secret in ``stored`` (a plaintext value from before sealing as is)."""
        if not is_sealed(stored):
            return stored
        parts = stored.split(":", 3)
        if len(parts) != 4 or parts[1] != VERSION:
            raise DataKeyError(f"A stored secret of {context} is in an unknown format.")
        kid, body = parts[2], parts[3]
        aead = self._aead.get(kid)
        if aead is None:
            raise DataKeyError(f"A stored secret of {context} is sealed with data key {kid}, which this "
                               f"instance's {SETTING} does not hold (known: {', '.join(sorted(self._aead))}).")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return _unpack(aead.decrypt(raw[:12], raw[12:], _aad(context)))
        except (InvalidTag, ValueError, binascii.Error):
            raise DataKeyError(f"A stored secret of {context} does not open with data key {kid} "
                               f"(altered, or moved from another row).") from None

    def reseal(self, stored: str, context: str) -> str:
        """``stored`` under the current key (opened first when plaintext or under an older key)."""
        return stored if sealed_kid(stored) == self.current else self.seal(self.open(stored, context), context)


def _aad(context: str) -> bytes:
    return f"commerce-hub:{VERSION}:{context}".encode()


def _pack(secret: str) -> bytes:
    if secret.startswith(_WHSEC):
        try:
            key = base64.b64decode(secret[len(_WHSEC):], validate=True)
        except (binascii.Error, ValueError):
            key = None
        if key is not None and _WHSEC + base64.b64encode(key).decode() == secret:
            return _WHSEC_BYTES + key
    return _TEXT + secret.encode()


def _unpack(plain: bytes) -> str:
    kind, rest = plain[:1], plain[1:]
    return _WHSEC + base64.b64encode(rest).decode() if kind == _WHSEC_BYTES else rest.decode()


# -- the key file --------------------------------------------------------------------------------

def load_data_keys(settings: Settings) -> DataKeys:
    """The instance's data keys from ``HUB_DATA_KEY_FILE``, or, with the sandbox and no
    setting, from the key made once under the data directory."""
    if settings.data_key_file:
        return _read(Path(settings.data_key_file))
    if not settings.sandbox:
        raise SettingsError(DATA_KEY_REQUIRED)
    path = sandbox_key_path(settings)
    if not path.exists():
        _create(path)
    return _read(path)


def sandbox_key_path(settings: Settings) -> Path:
    """Beside the SQLite file (``./var/data.key`` by default), else ``./var/data.key``."""
    database = make_url(settings.database_url).database if settings.is_sqlite else None
    folder = Path(database).parent if database and database != ":memory:" else Path("var")
    return folder / SANDBOX_KEY_NAME


def new_key_line() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _create(path: Path) -> None:
    """Write a new key readable by the owner only; when several processes start at once,
    the first link wins and the others read its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write("# Commerce Hub sandbox data key (seals webhook secrets at rest); keep it with the database\n")
            out.write(new_key_line() + "\n")
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    finally:
        temp.unlink(missing_ok=True)


def _read(path: Path) -> DataKeys:
    try:
        text = path.read_text()
    except OSError as exc:
        raise SettingsError(f"{SETTING}: cannot read {path} ({exc.strerror})") from None
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key = base64.b64decode(line.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise SettingsError(f"{SETTING}: line {number} of {path} is not a base64 key of {KEY_BYTES} bytes "
                                "(make one with: openssl rand -base64 32)")
        keys.append(key)
    if not keys:
        raise SettingsError(f"{SETTING}: {path} holds no key (make one with: openssl rand -base64 32)")
    return DataKeys(keys[0], *keys[1:])
