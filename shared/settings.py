"""Settings: read from the environment (``HUB_*``) and an optional ``hub.toml``, once.

This is the only module that reads the environment. ``load_settings()``
builds one typed ``Settings`` object; a wrong value raises ``SettingsError``
whose message is one line naming the setting, which ``hub serve`` prints
before it exits. ``hub.toml`` holds the same names in lower case without the
``HUB_`` prefix (``database_url = "..."``), plus ``[plans.<name>]`` tables;
the environment wins over the file.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from decimal import Decimal
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
SANDBOX_INTERNAL_SECRET = "sandbox-internal-secret"
PUBLISHED_SECRETS = frozenset({*SANDBOX_SECRETS.values(), SANDBOX_INTERNAL_SECRET, "shpat_sandbox",
                               "admin-secret-0123456789"})
"""Every secret value printed in the README or used by the sandbox: never accepted with HUB_SANDBOX=0."""
MIN_SECRET_CHARS = 16


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
    retry_max_delay_seconds: float = 60.0
    """Longest wait between two attempts of a failing asynchronous step (backoff cap)."""
    worker_concurrency: int = 64
    """Messages one worker process handles at once. 0 in the ``all`` role: this process
    serves requests only, and ``hub serve --role worker`` processes run the flows."""
    outbox_poll_seconds: float = 1.0
    """How often an idle worker looks for due work queued by another process."""
    outbox_lease_seconds: float = 30.0
    """A message a dead worker held is taken over after this long."""
    outbox_republish_seconds: float = 300.0
    """Redis: work published this long ago and still not done is published again."""
    db_pool_size: int = 20
    """Database connections per process (PostgreSQL)."""
    db_pool_overflow: int | None = None
    """Connections opened beyond ``db_pool_size`` when it is exhausted (unset: as many again).
    Each is closed when returned, so steady load above the pool costs a connect per request;
    0 makes requests wait for a pooled connection instead."""
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_jwks_url: str | None = None
    shopify_webhook_secret: str = SANDBOX_SECRETS["shopify"]
    wms_webhook_secret: str = SANDBOX_SECRETS["wms"]
    pos_webhook_secret: str = SANDBOX_SECRETS["pos"]
    erp_webhook_secret: str = SANDBOX_SECRETS["erp"]
    internal_secret: str = SANDBOX_INTERNAL_SECRET
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
    payments_url: str | None = None
    """Production: the payment provider's API root (required when HUB_SANDBOX=0)."""
    shopify_url: str | None = None
    """Production: the shop's root URL, e.g. https://acme.myshopify.com (the adapter adds /admin/api/2024-10)."""
    shopify_access_token: str | None = None
    """Production: the Admin API access token sent as X-Shopify-Access-Token."""
    sandbox_autoship_seconds: float = 10.0
    """Sandbox: a released order ships by itself this long after its release; 0 never."""
    backend_timeout_seconds: float = 2.0
    """Per-call timeout toward a backend on the synchronous path."""
    cache_ttl_seconds: float = 30.0
    """Fresh life of a cached product answer (events invalidate sooner)."""
    cache_stale_seconds: float = 600.0
    """How long a cached answer may be served STALE while backends fail."""
    return_window_days: int = 30
    """Days after its shipment during which an item may be returned (``outside_return_window``)."""
    return_window_days_by_channel: dict[str, int] = {}
    """Return window per sales channel (storefront, mobile, partner, shopify), over ``return_window_days``;
    JSON in the environment, e.g. ``{"partner": 60}``."""
    return_review_threshold: Decimal = Decimal("500.00")
    """A return whose refund is above this waits in ``pending_review`` for an operator's approval."""
    return_dispositions: dict[str, str] = {}
    """Return reason -> disposition (restock, inspect, scrap) over the defaults (``damaged`` and
    ``defective``: inspect; others: restock); JSON in the environment, e.g. ``{"other": "scrap"}``."""
    default_plan: str = "standard"
    plans: dict[str, Plan] = {}
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    log_level: str = "info"
    workers: int = 1
    """Server worker processes for this role."""
    # --- retention (issue 10, defect 13) ---
    idempotency_key_retention_seconds: float = 48 * 3600.0
    """How long a client's Idempotency-Key (and its stored answer) is kept; CONTRACT: at least 24 h."""
    webhook_id_retention_seconds: float = 72 * 3600.0
    """How long an inbound webhook id is remembered; at least 72 h (Shopify retries for 48 h)."""
    processed_message_retention_seconds: float = 7 * 86400.0
    """How long a consumer remembers a processed message id; above the retry budget and republish time."""
    retention_sweep_seconds: float = 300.0
    """How often each worker process deletes what is past its retention (a bounded batch per statement)."""
    retention_batch_rows: int = 1000
    """Rows the retention sweeper deletes per statement and transaction."""
    # --- circuit breakers (issue 10, defect 15) ---
    breaker_failure_threshold: int = 5
    """Consecutive failed calls to one backend that open its circuit (HUB_BREAKER_FAILURE_THRESHOLD)."""
    breaker_open_seconds: float = 10.0
    """How long an open circuit refuses calls before it lets one probe through; the first
    successful probe closes it (HUB_BREAKER_OPEN_SECONDS)."""
    # --- startup ---
    sandbox_explicit: bool = False
    """Not a setting: True when ``sandbox`` was given (environment, hub.toml or an override);
    ``hub serve`` refuses a PostgreSQL hub that did not say which it is."""
    # --- spec: currencies ---
    currencies: tuple[str, ...] = ("USD",)
    """ISO 4217 codes the hub prices and sells in (the ERP's price currencies); a request in
    another is 422 ``unsupported_currency``. Comma separated in the environment, e.g. ``USD,CAD``."""
    # --- auth ---
    auth_failures_per_source: str = "60/minute"
    """Failed authentications (401 at the edge, ``invalid_client`` at /oauth/token) one source
    address may make per window (``limits`` notation: N/second, N/minute, N/hour); past it,
    429 with Retry-After before its credentials are looked at, until the window ends."""
    oauth_failures_per_client: str = "10/minute"
    """Wrong secrets for one OAuth client_id per window; past it, wrong secrets answer 429
    (the right secret always succeeds: the client is never locked out)."""
    trusted_proxies: tuple[str, ...] = ()
    """Peer addresses or CIDRs (comma separated) whose X-Forwarded-For names the client's
    address; empty: X-Forwarded-For is ignored and the source is the TCP peer."""
    # --- http: transport timeouts ---
    http_header_timeout_seconds: float = 10.0
    """Time a client has to send a request's headers (1 to 60; granian's header read timeout)."""
    http_keepalive_seconds: float = 5.0
    """How long an idle keep-alive connection waits for its next request (0: no keep-alive; at
    most 60). granian has one timer for this wait and the header read: it runs the smaller."""
    http_body_timeout_seconds: float = 30.0
    """Time a client has to send a request's whole body once its reading began (more: 408)."""
    # --- partner webhooks (issue 11) ---
    webhook_timeout_seconds: float = 10.0
    """How long one delivery attempt to a partner may take (connect to last byte); more is a failure."""
    webhook_retry_base_seconds: float = 5.0
    """Backoff before the second attempt of a failed delivery; it doubles per attempt, with jitter."""
    webhook_retry_max_seconds: float = 3 * 3600.0
    """The longest wait between two attempts of one delivery."""
    webhook_max_attempts: int = 18
    """Attempts before a delivery is finally ``failed`` (the defaults spread 18 attempts over about a day)."""
    webhook_disable_after_seconds: float = 5 * 86400.0
    """A subscription whose every attempt has failed for this long (no success in between) is
    disabled; the partner enables it again (``POST /v1/partner/webhooks/{id}/enable``)."""
    webhook_secret_overlap_seconds: float = 86400.0
    """After a secret rotation, how long deliveries are also signed with the previous secret."""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_FIELDS = {f.name: f for f in msgspec.structs.fields(Settings) if f.name != "sandbox_explicit"}
_JSON_SETTINGS = ("plans", "return_window_days_by_channel", "return_dispositions")
RETURN_REASONS = ("damaged", "defective", "wrong_item", "not_needed", "other")
DISPOSITIONS = ("restock", "inspect", "scrap")
_PRODUCTION_BACKENDS = ("erp_url", "wms_url", "pos_url", "payments_url", "shopify_url", "shopify_access_token")
# Inbound secrets and outbound credentials, checked in this order with HUB_SANDBOX=0.
_PRODUCTION_SECRETS = ("internal_secret", "shopify_webhook_secret", "wms_webhook_secret", "pos_webhook_secret",
                       "erp_webhook_secret", "shopify_access_token", "bootstrap_admin_key")


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
    raw["sandbox_explicit"] = "sandbox" in raw
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
    if name in ("cors_origins", "currencies", "trusted_proxies"):
        return tuple(o.strip() for o in value.split(",") if o.strip())
    if name in _JSON_SETTINGS:
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError:
            raise SettingsError(f"HUB_{name.upper()}: not valid JSON") from None
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
    for name in ("experience_url", "process_url", "system_url", "sandbox_url", "sandbox_events_url", "erp_url", "wms_url",
                 "pos_url", "payments_url", "shopify_url", "jwt_jwks_url"):
        value = getattr(s, name)
        if value is not None and urlsplit(value).scheme not in {"http", "https"}:
            raise SettingsError(f"HUB_{name.upper()}: expected an http(s):// URL, got {value!r}")
    if s.sandbox_autoship_seconds < 0:
        raise SettingsError("HUB_SANDBOX_AUTOSHIP_SECONDS: must be 0 (never) or more")
    if s.db_pool_size < 1 or (s.db_pool_overflow is not None and s.db_pool_overflow < 0):
        raise SettingsError("HUB_DB_POOL_SIZE must be 1 or more and HUB_DB_POOL_OVERFLOW 0 or more")
    if not 0 < s.port < 65536:
        raise SettingsError(f"HUB_PORT: {s.port} is not a TCP port")
    if s.default_plan not in s.plans:
        raise SettingsError(f"HUB_DEFAULT_PLAN: unknown plan {s.default_plan!r}")
    for name, plan in s.plans.items():
        if plan.rate_per_second <= 0 or plan.burst < 1:
            raise SettingsError(f"HUB_PLANS: plan {name!r} needs rate_per_second > 0 and burst >= 1")
    if not s.sandbox:
        for name in _PRODUCTION_BACKENDS:
            if getattr(s, name) is None:
                raise SettingsError(f"HUB_{name.upper()}: required when HUB_SANDBOX=0")
        _validate_production_secrets(s)
    _validate_returns(s)
    _validate_retention(s)
    if s.breaker_failure_threshold < 1:
        raise SettingsError("HUB_BREAKER_FAILURE_THRESHOLD: must be 1 or more")
    if not 0 < s.breaker_open_seconds <= 3600:
        raise SettingsError("HUB_BREAKER_OPEN_SECONDS: must be more than 0 and at most 3600")
    if not s.currencies or not all(re.fullmatch(r"[A-Z]{3}", code) for code in s.currencies):
        raise SettingsError(f"HUB_CURRENCIES: expected ISO 4217 codes such as USD,CAD, got {','.join(s.currencies)!r}")
    _validate_auth(s)
    _validate_http(s)
    _validate_webhooks(s)
    if s.bootstrap_admin_key is not None and len(s.bootstrap_admin_key) < 16:
        raise SettingsError("HUB_BOOTSTRAP_ADMIN_KEY: use at least 16 characters")


def _validate_production_secrets(s: Settings) -> None:
    """With HUB_SANDBOX=0 no secret may be a published sandbox value, or short enough to guess."""
    for name in _PRODUCTION_SECRETS:
        value = getattr(s, name)
        if value is None:
            continue  # required ones are checked with the backends; the admin key is optional
        if value in PUBLISHED_SECRETS:
            raise SettingsError(f"HUB_{name.upper()}: unset or a published sandbox value; "
                                f"set a private secret when HUB_SANDBOX=0")
        if len(value) < MIN_SECRET_CHARS:
            raise SettingsError(f"HUB_{name.upper()}: {len(value)} characters is too weak; "
                                f"use at least {MIN_SECRET_CHARS} random characters when HUB_SANDBOX=0")


def _validate_returns(s: Settings) -> None:
    if s.return_window_days < 0 or any(days < 0 for days in s.return_window_days_by_channel.values()):
        raise SettingsError("HUB_RETURN_WINDOW_DAYS: must be 0 or more days")
    if s.return_review_threshold < 0:
        raise SettingsError("HUB_RETURN_REVIEW_THRESHOLD: must be 0 or more")
    for reason, disposition in s.return_dispositions.items():
        if reason not in RETURN_REASONS or disposition not in DISPOSITIONS:
            raise SettingsError(f"HUB_RETURN_DISPOSITIONS: {reason!r} -> {disposition!r}: reasons are "
                                f"{', '.join(RETURN_REASONS)}; dispositions {', '.join(DISPOSITIONS)}")


def _validate_retention(s: Settings) -> None:
    if s.idempotency_key_retention_seconds < 86400:
        raise SettingsError("HUB_IDEMPOTENCY_KEY_RETENTION_SECONDS: must be at least 86400 (24 h, CONTRACT section 3)")
    if s.webhook_id_retention_seconds < 72 * 3600:
        raise SettingsError("HUB_WEBHOOK_ID_RETENTION_SECONDS: must be at least 259200 (72 h; senders retry for 48 h)")
    if s.processed_message_retention_seconds < max(86400, s.retry_budget_seconds + s.outbox_republish_seconds):
        raise SettingsError("HUB_PROCESSED_MESSAGE_RETENTION_SECONDS: must be at least 86400 and above "
                            "HUB_RETRY_BUDGET_SECONDS + HUB_OUTBOX_REPUBLISH_SECONDS")
    if not 1 <= s.retention_sweep_seconds <= 86400:
        raise SettingsError("HUB_RETENTION_SWEEP_SECONDS: must be between 1 and 86400")
    if not 1 <= s.retention_batch_rows <= 100_000:
        raise SettingsError("HUB_RETENTION_BATCH_ROWS: must be between 1 and 100000")


def _validate_auth(s: Settings) -> None:
    from limits import parse  # the notation the limiters use

    for name in ("auth_failures_per_source", "oauth_failures_per_client"):
        try:
            item = parse(getattr(s, name))
        except ValueError:
            item = None
        if item is None or item.amount < 1:
            raise SettingsError(f"HUB_{name.upper()}: expected N/second, N/minute or N/hour, got {getattr(s, name)!r}")
    for proxy in s.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(f"HUB_TRUSTED_PROXIES: {proxy!r} is not an IP address or CIDR") from None


def _validate_webhooks(s: Settings) -> None:
    if not 0 < s.webhook_timeout_seconds <= 60:
        raise SettingsError("HUB_WEBHOOK_TIMEOUT_SECONDS: must be more than 0 and at most 60 seconds")
    if not 0 < s.webhook_retry_base_seconds <= s.webhook_retry_max_seconds:
        raise SettingsError("HUB_WEBHOOK_RETRY_BASE_SECONDS: must be more than 0 and at most "
                            "HUB_WEBHOOK_RETRY_MAX_SECONDS")
    if not 1 <= s.webhook_max_attempts <= 100:
        raise SettingsError("HUB_WEBHOOK_MAX_ATTEMPTS: must be from 1 to 100")
    if s.webhook_disable_after_seconds <= 0:
        raise SettingsError("HUB_WEBHOOK_DISABLE_AFTER_SECONDS: must be more than 0")
    if not 0 <= s.webhook_secret_overlap_seconds <= 30 * 86400:
        raise SettingsError("HUB_WEBHOOK_SECRET_OVERLAP_SECONDS: must be from 0 to 2592000 (30 days)")


def _validate_http(s: Settings) -> None:
    if not 1 <= s.http_header_timeout_seconds <= 60:
        raise SettingsError("HUB_HTTP_HEADER_TIMEOUT_SECONDS: must be from 1 to 60 seconds")
    if not 0 <= s.http_keepalive_seconds <= 60:
        raise SettingsError("HUB_HTTP_KEEPALIVE_SECONDS: must be from 0 (no keep-alive) to 60 seconds")
    if not 0 < s.http_body_timeout_seconds <= 3600:
        raise SettingsError("HUB_HTTP_BODY_TIMEOUT_SECONDS: must be more than 0 and at most 3600 seconds")
