"""The ``[connections.<name>]`` tables of ``hub.toml``: backend connections as configuration.

A connection is one named instance of a vendor adapter (docs/connections.md):

    [connections.shop-eu]
    kind = "<kind>"                        # a vendor kind of system_apis.registry
    base_url = "https://eu.example.com"    # optional with HUB_SANDBOX=1 (the kind's sandbox)
    credential_env = "SHOP_EU_TOKEN"       # or credential_file = "/run/secrets/shop-eu"
    concurrency = 4                        # calls in flight at once (default: the kind's)
    rate_per_second = 2.0                  # at most this many calls a second (default: no cap)
    channel = "shop-eu"                    # what it serves: a channel, locations, an ERP role
    locations = ["DC-EU-"]
    erp_role = "primary"                   # or "secondary": the other ERP while moving (docs/connections.md)
    webhook_secret_env = "SHOP_EU_HOOK_SECRET"   # or webhook_secret_file: signs its orders in
    [connections.<name>.options]           # the kind's vendor parameters (never a secret)
    realm_id = "9341453050"

The credential (and a channel's webhook secret) is read here, at start, from the named environment variable or
file, and kept in memory only: it is never written to the database or shown.
Each mistake is a ``SettingsError`` of one line naming the connection and field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import msgspec

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
ERP_ROLES = ("primary", "secondary")


class Secret(str):
    """A credential: its repr never shows it (settings may be logged)."""

    def __repr__(self) -> str:
        return "'***'" if self else "''"


class ConnectionSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: str
    base_url: str | None = None
    credential_env: str | None = None
    credential_file: str | None = None
    concurrency: int | None = None
    rate_per_second: float | None = None
    channel: str | None = None
    locations: tuple[str, ...] = ()
    erp_role: str | None = None
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    """The kind's vendor parameters, checked against its adapters (system_apis/adapter_options.py)."""
    webhook_secret_env: str | None = None
    webhook_secret_file: str | None = None
    credential: str = ""
    """Read from ``credential_env`` or ``credential_file`` at start; never from hub.toml itself."""
    webhook_secret: str = ""
    """What signs a channel's webhooks (``POST /hooks/channels/<name>``), read like the credential."""


def read_connections(raw: Any, env: Mapping[str, str], error: type[Exception]) -> dict[str, ConnectionSettings]:
    """The declared connections, each checked, with its credential read; ``error`` (one line) on a mistake."""
    if not isinstance(raw, dict):
        raise error("connections: expected [connections.<name>] tables in hub.toml")
    found: dict[str, ConnectionSettings] = {}
    for name, table in raw.items():
        where = f"connections.{name}"
        if not NAME.match(name):
            raise error(f"{where}: a connection name is lower case letters, digits, '-' or '_' (at most 40)")
        for secret in ("credential", "webhook_secret"):
            if secret in (table if isinstance(table, dict) else {}):
                raise error(f"{where}.{secret}: never in hub.toml; name {secret}_env or {secret}_file instead")
        try:
            conn = msgspec.convert(table, ConnectionSettings, strict=False)
        except msgspec.ValidationError as exc:
            raise error(f"{where}: {_field(str(exc))}") from None
        _check(where, conn, error)
        found[name] = msgspec.structs.replace(
            conn, credential=Secret(_credential(where, conn.credential_env, conn.credential_file, env, error)),
            webhook_secret=Secret(_credential(f"{where}.webhook_secret", conn.webhook_secret_env,
                                              conn.webhook_secret_file, env, error, field="")))
    return found


def _check(where: str, conn: ConnectionSettings, error: type[Exception]) -> None:
    if conn.base_url is not None and urlsplit(conn.base_url).scheme not in {"http", "https"}:
        raise error(f"{where}.base_url: expected an http(s):// URL, got {conn.base_url!r}")
    if conn.concurrency is not None and not 1 <= conn.concurrency <= 1000:
        raise error(f"{where}.concurrency: must be 1 to 1000")
    if conn.rate_per_second is not None and not conn.rate_per_second > 0:
        raise error(f"{where}.rate_per_second: must be more than 0")
    if conn.erp_role is not None and conn.erp_role not in ERP_ROLES:
        raise error(f"{where}.erp_role: expected one of {', '.join(ERP_ROLES)}, got {conn.erp_role!r}")
    for secret in ("credential", "webhook_secret"):
        if getattr(conn, f"{secret}_env") and getattr(conn, f"{secret}_file"):
            raise error(f"{where}: name {secret}_env or {secret}_file, not both")


def _credential(where: str, env_name: str | None, file: str | None, env: Mapping[str, str],
                error: type[Exception], *, field: str = ".credential") -> str:
    """A secret from the named environment variable or file ("" when neither is named)."""
    if env_name:
        value = env.get(env_name)
        if not value:
            raise error(f"{where}{field}_env: the environment variable {env_name} is not set")
        return value
    if file:
        try:
            return Path(file).read_text().strip()
        except OSError as exc:
            raise error(f"{where}{field}_file: cannot read {file} ({exc.strerror})") from None
    return ""


def _field(message: str) -> str:
    # msgspec says e.g. "Expected `int`, got `str` - at `$.concurrency`", or "Object contains unknown field `x`"
    if " - at `$." in message:
        text, path = message.split(" - at `$.", 1)
        return f"{path.split('`')[0]}: {text}"
    return message
