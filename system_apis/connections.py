"""The hub's backend connections: the default set, overlaid with ``hub.toml``'s ``[connections.*]``.

With no ``[connections]`` table the hub has today's five, one per sandbox
backend (or per ``HUB_*_URL`` with ``HUB_SANDBOX=0``): ``erp`` (CloudERP),
``wms`` (ShipWorks), ``pos`` (StoreLink), ``shopify`` and ``payments``. A
declared connection with one of those names replaces it; any other name adds
one. What a connection serves routes the process layer's asks to it:

- ``erp_role = "primary"``: the one ERP (an ERP kind defaults to it); ``"secondary"``: the other
  ERP while moving from one to another (``[erp_routing]``, ``system_apis.erp_routing``);
- ``locations``: location prefixes its stock and fulfilment hold (``DC-``);
- ``channel``: the channel whose orders it takes and answers (a channel kind
  defaults to its connection's name).

``resolve_connections`` raises ``SettingsError`` with one line per mistake
(``connections.<name>.<field>: ...``); the start checks it before serving.
"""

from __future__ import annotations

from typing import Any

import msgspec

from shared.connection_settings import ConnectionSettings
from shared.settings import Settings, SettingsError
from system_apis.adapter_options import check_options
from system_apis.registry import KINDS, VendorKind


class Serves(msgspec.Struct, frozen=True, kw_only=True):
    channel: str | None = None
    locations: tuple[str, ...] = ()
    erp_role: str | None = None


class Connection(msgspec.Struct, frozen=True, kw_only=True):
    """One configured instance of a vendor kind (``credential`` is never listed or stored)."""

    name: str
    kind: str
    base_url: str
    roles: tuple[str, ...]
    serves: Serves
    concurrency: int
    rate_per_second: float | None = None
    sandboxed: bool = False
    """Its base URL is the sandbox's (one process: reached in process)."""
    options: dict[str, Any] = {}
    """The kind's vendor parameters, converted to its adapters' types (listed: never a secret)."""
    credential: str = ""
    webhook_secret: str = ""
    """Signs the channel's orders in at ``/hooks/channels/<name>`` (never listed or stored)."""

    @property
    def vendor(self) -> VendorKind:
        return KINDS[self.kind]


# name -> (kind, the HUB_* URL setting with HUB_SANDBOX=0, what it serves)
DEFAULTS: dict[str, tuple[str, str, ConnectionSettings]] = {
    "erp": ("clouderp", "erp_url", ConnectionSettings(kind="clouderp", erp_role="primary")),
    "wms": ("shipworks", "wms_url", ConnectionSettings(kind="shipworks", locations=("DC-",))),
    "pos": ("storelink", "pos_url", ConnectionSettings(kind="storelink", locations=("STORE-",))),
    "shopify": ("shopify", "shopify_url", ConnectionSettings(kind="shopify", channel="shopify")),
    "payments": ("stripe_like", "payments_url", ConnectionSettings(kind="stripe_like")),
}


def resolve_connections(settings: Settings, sandbox_base: str | None = None) -> list[Connection]:
    """Every connection, defaults first; ``sandbox_base`` is the sandbox's root URL (HUB_SANDBOX=1)."""
    if settings.sandbox and sandbox_base is None:
        sandbox_base = "http://sandbox"
    declared = dict(settings.connections)
    for name, (kind, url_setting, default) in DEFAULTS.items():
        if name in declared:
            continue
        url = None if settings.sandbox else getattr(settings, url_setting)
        if settings.sandbox or url:
            credential = (settings.shopify_access_token or "") if kind == "shopify" else ""
            declared[name] = msgspec.structs.replace(default, base_url=url, credential=credential)
    ordered = [*(n for n in DEFAULTS if n in declared), *(n for n in declared if n not in DEFAULTS)]
    found = [_connection(name, declared[name], settings.sandbox, sandbox_base) for name in ordered]
    _check_serving(found)
    _check_erp_rules(settings, found)
    return found


def _connection(name: str, conf: ConnectionSettings, sandbox: bool, sandbox_base: str | None) -> Connection:
    where = f"connections.{name}"
    kind = KINDS.get(conf.kind)
    if kind is None:
        raise SettingsError(f"{where}.kind: unknown kind {conf.kind!r}; one of {', '.join(sorted(KINDS))}")
    base_url, sandboxed = conf.base_url, False
    if base_url is None:
        if not sandbox or sandbox_base is None:
            raise SettingsError(f"{where}.base_url: required when HUB_SANDBOX=0")
        base_url, sandboxed = f"{sandbox_base.rstrip('/')}/sandbox/{kind.sandbox.name}", True
    roles = tuple(kind.adapters)
    serves = Serves(channel=conf.channel or (name if "channel" in roles else None), locations=conf.locations,
                    erp_role=conf.erp_role or ("primary" if "erp" in roles else None))
    for role, field in (("channel", "channel"), ("erp", "erp_role")):
        if getattr(serves, field) is not None and role not in roles:
            raise SettingsError(f"{where}.{field}: a {conf.kind} connection serves no {role}")
    credential = conf.credential or (kind.sandbox_credential if sandboxed else "")
    hook_secret = conf.webhook_secret or (kind.inbound.sandbox_secret if sandboxed and kind.inbound else "")
    return Connection(name=name, kind=conf.kind, base_url=base_url, roles=roles, serves=serves,
                      concurrency=conf.concurrency or kind.concurrency, rate_per_second=conf.rate_per_second,
                      sandboxed=sandboxed, options=check_options(where, kind, conf.options, SettingsError),
                      credential=credential, webhook_secret=hook_secret)


def _check_serving(connections: list[Connection]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for conn in connections:
        claims = [("channel", conn.serves.channel)] if conn.serves.channel else []
        claims += [("erp_role", conn.serves.erp_role)] if conn.serves.erp_role else []
        for field, value in claims:
            if (field, value) in seen:
                raise SettingsError(f"connections.{conn.name}.{field}: {value!r} is already served by "
                                    f"connections.{seen[field, value]}")
            seen[field, value] = conn.name
    for role in ("erp", "stock", "fulfilment"):
        if not any(role in conn.roles for conn in connections):
            raise SettingsError(f"connections: no connection serves the {role} role (every hub needs one)")
    if ("erp_role", "primary") not in seen:
        raise SettingsError("connections: no connection has erp_role = \"primary\" (a secondary ERP needs one)")


def _check_erp_rules(settings: Settings, connections: list[Connection]) -> None:
    """``[erp_routing]`` rules may send orders only to the primary or the secondary ERP."""
    erps = [c.name for c in connections if c.serves.erp_role in ("primary", "secondary")]
    for n, rule in enumerate(settings.erp_routing.rules):
        if rule.connection not in erps:
            raise SettingsError(f"erp_routing.rules[{n}].connection: {rule.connection!r} is not an ERP connection; "
                                f"one of {', '.join(erps)}")
