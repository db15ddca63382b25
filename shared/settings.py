"""Settings: read from the environment (``HUB_*``) and an optional ``hub.toml``, once.

This is the only module that reads the environment. ``load_settings()``
builds one typed ``Settings`` object; a wrong value raises ``SettingsError``
whose message is one line naming the setting, which ``hub serve`` prints
before it exits. ``hub.toml`` holds the same names in lower case without the
``HUB_`` prefix (``database_url = "..."``), plus ``[plans.<name>]`` and
``[connections.<name>]`` tables (``shared.connection_settings``);
the environment wins over the file.
"""

from __future__ import annotations

import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import msgspec

from shared.connection_settings import ConnectionSettings, read_connections
from shared.erp_routing_settings import ErpRoutingSettings, read_erp_routing

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
                               "admin-secret-0123456789", "ck_sandbox:cs_sandbox", "magento-sandbox-integration-token",
                               "bigcommerce-sandbox-token", "sandbox-woocommerce-secret",
                               "sandbox-bigcommerce-secret"})
"""Every secret value printed in the README or used by the sandbox: never accepted with HUB_SANDBOX=0."""
MIN_SECRET_CHARS = 16


class SettingsError(Exception):
    """A setting is wrong; ``str(err)`` is one line that names it."""


class Plan(msgspec.Struct, frozen=True):
    rate_per_second: float
    burst: int


class EdiPartner(msgspec.Struct, frozen=True, kw_only=True):
    """One X12 trading partner (``[edi_partners.<name>]`` in hub.toml)."""

    isa_id: str
    customer_id: str
    isa_qualifier: str = "ZZ"
    gs_id: str = ""
    """GS02/GS03 application id; empty: the ISA id."""
    version: str = "004010"
    outbox_dir: str = ""
    """Where documents to this partner are written (e.g. its SFTP folder); empty: HUB_EDI_OUTBOX_DIR/<name>."""


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
    channel_poll_seconds: float = 30.0
    """How often a channel that sends no webhooks (Magento) is asked for new orders; 0: never."""
    fulfilment_poll_seconds: float = 30.0
    """How often a fulfilment connection that sends no events (a 3PL) is asked for the shipments
    of the orders released to it and the receipts of the returns expected there; 0: never."""
    connection_probe_seconds: float = 30.0
    """How often every connection's health probe runs (its vendor's cheap read-only call); 0: never
    (health then follows the circuit and the pause only). docs/connections.md, "Health"."""
    connection_probe_timeout_seconds: float = 5.0
    """One probe's deadline: no answer by then is ``down``."""
    """Sandbox: a released order ships by itself this long after its release; 0 never."""
    backend_timeout_seconds: float = 2.0
    """Per-call timeout toward a backend on the synchronous path."""
    erp_sync_interval_seconds: float = 900.0
    """The ERP replica's full sync runs at start and this often (one process at a time)."""
    erp_replica_max_age_seconds: float = 86400.0
    """Order validation refuses (503 ``erp_replica_stale``) ERP data heard longer ago than this."""
    cache_ttl_seconds: float = 30.0
    """Fresh life of a cached product answer (events invalidate sooner)."""
    cache_stale_seconds: float = 600.0
    """How long a cached answer may be served STALE while backends fail."""
    near_cache_seconds: float = 0.5
    """How long price answers may reuse an item, a contract or a SKU's stock read from the database
    (``process_apis/pricing/near.py``); 0: read every time. At most 1, so that a change still
    reaches every answer within 2 seconds."""
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
    connections: dict[str, ConnectionSettings] = {}
    """``[connections.<name>]`` of hub.toml over the default set (docs/connections.md); hub.toml only."""
    erp_routing: ErpRoutingSettings = ErpRoutingSettings()
    """``[erp_routing]`` of hub.toml: rules and shadow mode between two ERP connections; hub.toml only."""
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
    # --- stock per source and safety buffers (issue 11) ---
    stock_source_timeout_seconds: float = 1.0
    """Each stock source's (WMS, POS) own deadline when a SKU is loaded; past it the answer is partial."""
    stock_stale_seconds: float = 300.0
    """A missing stock source's last known level still counts while reported less than this long ago."""
    safety_buffer: int = 0
    """Units per SKU held back from every channel's available-to-promise (answers and reservations)."""
    safety_buffer_by_channel: dict[str, int] = {}
    """Safety buffer per channel (storefront, mobile, partner, shopify) over ``safety_buffer``;
    JSON in the environment, e.g. ``{"shopify": 2, "partner": 0}``."""
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
    sandbox_keys_per_source: str = "10/hour"
    """Self-service sandbox keys (``POST /docs/sandbox-keys``, HUB_SANDBOX=1 only) one source
    address may make per window (``limits`` notation); past it, 429 with Retry-After."""
    oauth_failures_per_client: str = "10/minute"
    """Wrong secrets for one OAuth client_id per window; past it, wrong secrets answer 429
    (the right secret always succeeds: the client is never locked out)."""
    trusted_proxies: tuple[str, ...] = ()
    """Peer addresses or CIDRs (comma separated) whose X-Forwarded-For names the client's
    address; empty: X-Forwarded-For is ignored and the source is the TCP peer."""
    # --- http: transport timeouts ---
    http_header_timeout_seconds: float = 10.0
    """Time a client has to send a request's headers, from its connection or its first byte (1 to
    60; the hub protocol's timer, commerce_hub/server.py: past it the connection is dropped)."""
    http_keepalive_seconds: float = 5.0
    """How long an idle keep-alive connection waits for its next request (0: no keep-alive; at
    most 60); the header timer then runs from the request's first byte."""
    http_body_timeout_seconds: float = 30.0
    """Time a client has to send a request's whole body once its reading began (more: 408)."""
    # --- telemetry ---
    log_format: str | None = None
    """``json`` (one object per line with trace, span and order ids) or ``text``; unset: json
    with HUB_SANDBOX=0 (production), text with the sandbox (a developer's terminal)."""

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" if self.log_format is not None else not self.sandbox

    # --- ops (issue 12) ---
    ops_report_seconds: float = 5.0
    """How often a process holding backend guards reports them (circuit, latency, errors) to the
    database, where the admin API of every instance reads them; reports older than three periods
    are ignored (a stopped instance)."""
    ops_pause_recheck_seconds: float = 5.0
    """While a backend is paused, how long a worker defers each of its messages before looking again
    (a resume makes them due at once)."""
    ops_alert_interval_seconds: float = 15.0
    """How often the workers evaluate the alert rules (0: never, e.g. an all role without workers)."""
    alert_oldest_pending_seconds: float = 120.0
    """Alert ``oldest_pending`` fires when a due message of any flow has waited longer than this."""
    alert_dead_letters_growth: int = 1
    """Alert ``dead_letters_growing`` fires when at least this many messages were dead-lettered in the
    last 15 minutes (and still wait for a replay)."""
    alert_circuit_open_seconds: float = 60.0
    """Alert ``circuit_open`` fires when a backend circuit has been open (or half-open) longer than this."""
    alert_inventory_lag_p95_seconds: float = 2.0
    """Alert ``inventory_lag`` fires when the last hour's stock propagation p95 (to checkout, or to the
    storefront when measured) is above this."""
    alert_refund_failures: int = 1
    """Alert ``refund_failures`` fires when at least this many refunds failed in the last hour."""
    alert_webhook_url: str | None = None
    """The operator webhook every alert firing and resolving is POSTed to (through the outbox,
    retried with backoff); unset: alerts are only listed."""
    alert_webhook_secret: str | None = None
    """``whsec_<base64>`` key signing the operator webhook (Standard Webhooks headers)."""
    # --- reconciliation (issue 11) ---
    reconcile_interval_seconds: float = 3600.0
    """How often the workers run a reconciliation (orders in the ERP, stock in WMS and POS); 0: only
    when an operator starts one (``POST /admin/v1/reconciliations``)."""
    reconcile_stuck_after_seconds: float = 900.0
    """An order accepted this long ago, not posted and with no posting message waiting, has its ERP
    posting queued again by reconciliation."""
    reconcile_retention_seconds: float = 30 * 86400.0
    """How long reconciliation runs and their findings are kept."""
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
    data_key_file: str | None = None
    """A file of data keys (base64 of 32 bytes, one a line; the first seals, the others only open)
    that seal partner webhook secrets at rest (``shared.sealing``). Required with HUB_SANDBOX=0;
    unset with the sandbox: a key made once beside the SQLite file (else ``./var/data.key``)."""

    # --- EDI (issue 13) ---
    edi_partners: dict[str, EdiPartner] = {}
    """X12 trading partners by name: ``isa_qualifier``, ``isa_id``, ``gs_id``, ``customer_id`` (the hub
    customer its 850s order for), ``version``; JSON in the environment. Unset with the sandbox: one
    partner ``acme`` (ZZ/ACMEBUYER, CUST-ACME)."""
    edi_isa_qualifier: str = "ZZ"
    """The hub's own ISA05/07 qualifier on interchanges it sends and receives."""
    edi_isa_id: str = "COMMERCEHUB"
    """The hub's own ISA id (and GS id): what partners address their interchanges to."""
    edi_inbox_dir: str | None = None
    """A drop folder the workers poll for interchanges (moved to ``done/`` or ``failed/``); unset: none."""
    edi_outbox_dir: str | None = None
    """Where the hub writes every document it sends, one folder per partner; unset: only the API lists them."""
    edi_poll_seconds: float = 2.0
    """How often the workers look into ``edi_inbox_dir``."""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_FIELDS = {f.name: f for f in msgspec.structs.fields(Settings) if f.name not in ("sandbox_explicit", "connections",
                                                                                   "erp_routing")}
_JSON_SETTINGS = ("plans", "return_window_days_by_channel", "return_dispositions", "safety_buffer_by_channel",
                  "edi_partners")
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
    connections = read_connections(raw.pop("connections", {}), env, SettingsError)
    erp_routing = read_erp_routing(raw.pop("erp_routing", {}), SettingsError)
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
        settings = msgspec.structs.replace(settings, plans=msgspec.convert(plans, dict[str, Plan]),
                                           connections=connections, erp_routing=erp_routing)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"HUB_PLANS: {exc}") from None
    from shared.settings_checks import validate  # the rules, one module beside this one

    validate(settings)
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
