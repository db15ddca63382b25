"""Settings: read from the environment (``HUB_*``) and an optional ``hub.toml``, once.

This is the only module that reads the environment. ``load_settings()``
builds one typed ``Settings`` object; a wrong value raises ``SettingsError``
whose message is one line naming the setting, which ``hub serve`` prints
before it exits. ``hub.toml`` holds the same names in lower case without the
``HUB_`` prefix (``database_url = "..."``), plus ``[plans.<name>]`` tables;
the environment wins over the file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import msgspec

ROLES = ("all", "gateway", "experience", "process", "system", "worker", "sandbox")
DEFAULT_PLANS = {
    "standard": {"rate_per_second": 20, "burst": 40},
    "partner": {"rate_per_second": 50, "burst": 100},
    "internal": {"rate_per_second": 500, "burst": 1000},
}
SANDBOX_SECRETS = {
    "shopify": "sandbox-shopify-secret",
    "wms": "sandbox-wms-secret",
    "pos": "sandbox-pos-secret",
    "erp": "sandbox-erp-secret",
}


class SettingsError(Exception):
    """A setting is wrong; ``str(err)`` is one line that names it."""


class Plan(msgspec.Struct, frozen=True):
    rate_per_second: float
    burst: int


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    """Interface `hub serve` listens on (HUB_HOST)."""
    port: int = 8080
    """Port `hub serve` listens on (HUB_PORT)."""
    database_url: str = "sqlite+aiosqlite:///./var/hub.db"
    """System of record: SQLite file (embedded) or postgresql+asyncpg://."""
    redis_url: str | None = None
    """Unset: in-process cache, limits and bus. Set: Redis shared by all instances."""
    sandbox: bool = True
    """Serve the sandbox backends and point the system APIs at them."""
    bootstrap_admin_key: str | None = None
    """When set, an active admin key with exactly this secret exists after start."""
    retry_budget_seconds: float = 900.0
    """How long asynchronous work retries a failing backend before dead-lettering."""
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_jwks_url: str | None = None
    shopify_webhook_secret: str = SANDBOX_SECRETS["shopify"]
    wms_webhook_secret: str = SANDBOX_SECRETS["wms"]
    pos_webhook_secret: str = SANDBOX_SECRETS["pos"]
    erp_webhook_secret: str = SANDBOX_SECRETS["erp"]
    internal_secret: str = "sandbox-internal-secret"
    """Signs the identity the gateway hands to split experience roles."""
    experience_url: str | None = None
    """Split roles: where the gateway finds the experience APIs."""
    process_url: str | None = None
    """Split roles: where the experience APIs find the process APIs."""
    system_url: str | None = None
    """Split roles: where the process APIs find the system APIs."""
    sandbox_url: str | None = None
    """Split roles: where the system APIs find the sandbox backends."""
    sandbox_events_url: str | None = None
    """Split roles: where the sandbox role sends backend events (the gateway's URL)."""
    erp_url: str | None = None
    wms_url: str | None = None
    pos_url: str | None = None
    backend_timeout_seconds: float = 2.0
    """Per-call timeout toward a backend on the synchronous path."""
    cache_ttl_seconds: float = 30.0
    """Fresh life of a cached product answer (events invalidate sooner)."""
    cache_stale_seconds: float = 600.0
    """How long a cached answer may be served STALE while backends fail."""
    default_plan: str = "standard"
    plans: dict[str, Plan] = {}
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    log_level: str = "info"
    workers: int = 1
    """Server worker processes for this role."""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_FIELDS = {f.name: f for f in msgspec.structs.fields(Settings)}


def load_settings(
    env: Mapping[str, str] | None = None, toml_path: str | Path | None = None, **overrides: Any
) -> Settings:
    """Merge defaults < hub.toml < environment < overrides, then validate."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    path = Path(toml_path or env.get("HUB_CONFIG", "hub.toml"))
    if path.is_file():
        try:
            raw.update(tomllib.loads(path.read_text()))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"HUB_CONFIG: {path} is not valid TOML ({exc})") from None
    for name in _FIELDS:
        value = env.get(f"HUB_{name.upper()}")
        if value is not None:
            raw[name] = _from_env(name, value)
    raw.update({k: v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise SettingsError(f"HUB_{unknown[0].upper()}: unknown setting in {path}")
    plans = {**DEFAULT_PLANS, **raw.pop("plans", {})}
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_from_validation(str(exc))) from None
    try:
        settings = msgspec.structs.replace(settings, plans=msgspec.convert(plans, dict[str, Plan]))
    except msgspec.ValidationError as exc:
        raise SettingsError(f"HUB_PLANS: {exc}") from None
    _validate(settings)
    return settings


def _from_env(name: str, value: str) -> Any:
    if name == "cors_origins":
        return tuple(o.strip() for o in value.split(",") if o.strip())
    if name == "plans":
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError:
            raise SettingsError("HUB_PLANS: not valid JSON") from None
    if name == "sandbox":
        if value.strip().lower() not in {"0", "1", "true", "false", "yes", "no"}:
            raise SettingsError(f"HUB_SANDBOX: expected 0 or 1, got {value!r}")
        return value.strip().lower() in {"1", "true", "yes"}
    return value if value != "" else None


def _name_from_validation(message: str) -> str:
    # msgspec says e.g. "Expected `int`, got `str` - at `$.port`"
    if "`$." in message:
        field = message.rsplit("`$.", 1)[1].split("`")[0].split(".")[0].split("[")[0]
        return f"HUB_{field.upper()}: {message.split(' - at ')[0]}"
    return f"settings: {message}"


def _validate(s: Settings) -> None:
    scheme = urlsplit(s.database_url).scheme
    if scheme not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
        raise SettingsError(
            f"HUB_DATABASE_URL: unsupported scheme {scheme!r}; use sqlite+aiosqlite:/// or postgresql+asyncpg://"
        )
    if s.redis_url is not None and urlsplit(s.redis_url).scheme not in {"redis", "rediss", "unix"}:
        raise SettingsError("HUB_REDIS_URL: expected a redis:// or rediss:// URL")
    for name in ("experience_url", "process_url", "system_url", "sandbox_url", "sandbox_events_url", "erp_url", "wms_url", "pos_url", "jwt_jwks_url"):
        value = getattr(s, name)
        if value is not None and urlsplit(value).scheme not in {"http", "https"}:
            raise SettingsError(f"HUB_{name.upper()}: expected an http(s):// URL, got {value!r}")
    if not 0 < s.port < 65536:
        raise SettingsError(f"HUB_PORT: {s.port} is not a TCP port")
    if s.default_plan not in s.plans:
        raise SettingsError(f"HUB_DEFAULT_PLAN: unknown plan {s.default_plan!r}")
    for name, plan in s.plans.items():
        if plan.rate_per_second <= 0 or plan.burst < 1:
            raise SettingsError(f"HUB_PLANS: plan {name!r} needs rate_per_second > 0 and burst >= 1")
    if not s.sandbox:
        for name in ("erp_url", "wms_url", "pos_url"):
            if getattr(s, name) is None:
                raise SettingsError(f"HUB_{name.upper()}: required when HUB_SANDBOX=0")
        if s.internal_secret == _FIELDS["internal_secret"].default:
            raise SettingsError("HUB_INTERNAL_SECRET: set a private value when HUB_SANDBOX=0")
    if s.bootstrap_admin_key is not None and len(s.bootstrap_admin_key) < 16:
        raise SettingsError("HUB_BOOTSTRAP_ADMIN_KEY: use at least 16 characters")
