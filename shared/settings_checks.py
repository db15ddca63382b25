"""The rules a loaded `Settings` must keep, checked once by `load_settings`: each broken
rule is a `SettingsError` whose message is one line naming the setting."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from shared.settings import (
    _PRODUCTION_BACKENDS, _PRODUCTION_SECRETS, DISPOSITIONS, MIN_SECRET_CHARS, PUBLISHED_SECRETS,
    RETURN_REASONS, Settings, SettingsError,
)

DATA_KEY_REQUIRED = ("HUB_DATA_KEY_FILE: required when HUB_SANDBOX=0 (a file holding the data key that seals "
                     "webhook secrets at rest; make one with: openssl rand -base64 32)")


def validate(s: Settings) -> None:
    """Every rule across settings; the first broken one raises `SettingsError` naming it."""
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
    if s.channel_poll_seconds < 0:
        raise SettingsError("HUB_CHANNEL_POLL_SECONDS: must be 0 (never) or more")
    if s.fulfilment_poll_seconds < 0:
        raise SettingsError("HUB_FULFILMENT_POLL_SECONDS: must be 0 (never) or more")
    if s.connection_probe_seconds < 0:
        raise SettingsError("HUB_CONNECTION_PROBE_SECONDS: must be 0 (never) or more")
    if not 0 < s.connection_probe_timeout_seconds <= 60:
        raise SettingsError("HUB_CONNECTION_PROBE_TIMEOUT_SECONDS: must be more than 0 and at most 60")
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
        for name in _PRODUCTION_BACKENDS:  # a [connections.<backend>] table stands in for its URL and token
            if getattr(s, name) is None and name.split("_")[0] not in s.connections:
                raise SettingsError(f"HUB_{name.upper()}: required when HUB_SANDBOX=0")
        _validate_production_secrets(s)
        if not s.data_key_file:
            raise SettingsError(DATA_KEY_REQUIRED)
    _validate_returns(s)
    _validate_stock(s)
    _validate_retention(s)
    _validate_replica(s)
    _validate_ops(s)
    _validate_edi(s)
    if s.breaker_failure_threshold < 1:
        raise SettingsError("HUB_BREAKER_FAILURE_THRESHOLD: must be 1 or more")
    if not 0 < s.breaker_open_seconds <= 3600:
        raise SettingsError("HUB_BREAKER_OPEN_SECONDS: must be more than 0 and at most 3600")
    if not s.currencies or not all(re.fullmatch(r"[A-Z]{3}", code) for code in s.currencies):
        raise SettingsError(f"HUB_CURRENCIES: expected ISO 4217 codes such as USD,CAD, got {','.join(s.currencies)!r}")
    _validate_auth(s)
    _validate_http(s)
    _validate_webhooks(s)
    if s.log_format not in (None, "json", "text"):
        raise SettingsError(f"HUB_LOG_FORMAT: expected json or text, got {s.log_format!r}")
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
    for name, conn in s.connections.items():
        if conn.credential in PUBLISHED_SECRETS:
            raise SettingsError(f"connections.{name}.credential_env: a published sandbox value; "
                                f"set a private credential when HUB_SANDBOX=0")
        if conn.webhook_secret and (conn.webhook_secret in PUBLISHED_SECRETS
                                    or len(conn.webhook_secret) < MIN_SECRET_CHARS):
            raise SettingsError(f"connections.{name}.webhook_secret_env: a published sandbox value or under "
                                f"{MIN_SECRET_CHARS} characters; set a private secret when HUB_SANDBOX=0")


def _validate_returns(s: Settings) -> None:
    if s.return_window_days < 0 or any(days < 0 for days in s.return_window_days_by_channel.values()):
        raise SettingsError("HUB_RETURN_WINDOW_DAYS: must be 0 or more days")
    if s.return_review_threshold < 0:
        raise SettingsError("HUB_RETURN_REVIEW_THRESHOLD: must be 0 or more")
    for reason, disposition in s.return_dispositions.items():
        if reason not in RETURN_REASONS or disposition not in DISPOSITIONS:
            raise SettingsError(f"HUB_RETURN_DISPOSITIONS: {reason!r} -> {disposition!r}: reasons are "
                                f"{', '.join(RETURN_REASONS)}; dispositions {', '.join(DISPOSITIONS)}")


def _validate_stock(s: Settings) -> None:
    if not 0 < s.stock_source_timeout_seconds <= 30:
        raise SettingsError("HUB_STOCK_SOURCE_TIMEOUT_SECONDS: must be more than 0 and at most 30")
    if not 0 <= s.near_cache_seconds <= 1:
        raise SettingsError("HUB_NEAR_CACHE_SECONDS: must be 0 (read every time) to 1")
    if s.stock_stale_seconds < 0:
        raise SettingsError("HUB_STOCK_STALE_SECONDS: must be 0 (a missing source counts nothing) or more")
    if s.safety_buffer < 0:
        raise SettingsError("HUB_SAFETY_BUFFER: must be 0 or more units")
    if any(units < 0 for units in s.safety_buffer_by_channel.values()):
        raise SettingsError("HUB_SAFETY_BUFFER_BY_CHANNEL: must be 0 or more units for every channel")


def _validate_replica(s: Settings) -> None:
    if not 1 <= s.erp_sync_interval_seconds < s.erp_replica_max_age_seconds:
        raise SettingsError("HUB_ERP_SYNC_INTERVAL_SECONDS: must be at least 1 and below "
                            "HUB_ERP_REPLICA_MAX_AGE_SECONDS (a healthy ERP must never make orders refused)")


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

    for name in ("auth_failures_per_source", "oauth_failures_per_client", "sandbox_keys_per_source"):
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


def _validate_http(s: Settings) -> None:
    if not 1 <= s.http_header_timeout_seconds <= 60:
        raise SettingsError("HUB_HTTP_HEADER_TIMEOUT_SECONDS: must be from 1 to 60 seconds")
    if not 0 <= s.http_keepalive_seconds <= 60:
        raise SettingsError("HUB_HTTP_KEEPALIVE_SECONDS: must be from 0 (no keep-alive) to 60 seconds")
    if not 0 < s.http_body_timeout_seconds <= 3600:
        raise SettingsError("HUB_HTTP_BODY_TIMEOUT_SECONDS: must be more than 0 and at most 3600 seconds")


def _validate_ops(s: Settings) -> None:
    for name in ("ops_report_seconds", "ops_pause_recheck_seconds"):
        if not 0.05 <= getattr(s, name) <= 3600:
            raise SettingsError(f"HUB_{name.upper()}: must be between 0.05 and 3600 seconds")
    if not (s.ops_alert_interval_seconds == 0 or 0.05 <= s.ops_alert_interval_seconds <= 3600):
        raise SettingsError("HUB_OPS_ALERT_INTERVAL_SECONDS: must be 0 (never) or between 0.05 and 3600 seconds")
    for name in ("alert_oldest_pending_seconds", "alert_circuit_open_seconds", "alert_inventory_lag_p95_seconds"):
        if getattr(s, name) <= 0:
            raise SettingsError(f"HUB_{name.upper()}: must be more than 0 seconds")
    for name in ("alert_dead_letters_growth", "alert_refund_failures"):
        if getattr(s, name) < 1:
            raise SettingsError(f"HUB_{name.upper()}: must be 1 or more")
    if not (s.reconcile_interval_seconds == 0 or 1 <= s.reconcile_interval_seconds <= 7 * 86400):
        raise SettingsError("HUB_RECONCILE_INTERVAL_SECONDS: must be 0 (operators only) or from 1 to 604800 seconds")
    for name in ("reconcile_stuck_after_seconds", "reconcile_retention_seconds"):
        if getattr(s, name) < 1:
            raise SettingsError(f"HUB_{name.upper()}: must be 1 second or more")
    if s.alert_webhook_url is not None and urlsplit(s.alert_webhook_url).scheme not in {"http", "https"}:
        raise SettingsError("HUB_ALERT_WEBHOOK_URL: expected an http(s):// URL")
    if s.alert_webhook_url and not _is_whsec(s.alert_webhook_secret):
        raise SettingsError("HUB_ALERT_WEBHOOK_SECRET: required with HUB_ALERT_WEBHOOK_URL, as whsec_<base64 of 24+ bytes>")


def _is_whsec(secret: str | None) -> bool:
    import base64
    import binascii

    if not secret or not secret.startswith("whsec_"):
        return False
    try:
        return len(base64.b64decode(secret[6:], validate=True)) >= 24
    except (binascii.Error, ValueError):
        return False


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


def _validate_edi(s: Settings) -> None:
    if s.edi_poll_seconds <= 0:
        raise SettingsError("HUB_EDI_POLL_SECONDS: must be above 0")
    seen: dict[tuple[str, str], str] = {}
    for name, partner in s.edi_partners.items():
        if not 1 <= len(partner.isa_id) <= 15 or len(partner.isa_qualifier) != 2:
            raise SettingsError(f"HUB_EDI_PARTNERS: partner {name!r} needs an isa_id of 1 to 15 characters and a "
                                "two-character isa_qualifier")
        if (partner.isa_qualifier, partner.isa_id) in seen:
            raise SettingsError(f"HUB_EDI_PARTNERS: partners {seen[(partner.isa_qualifier, partner.isa_id)]!r} and "
                                f"{name!r} have the same ISA id")
        seen[(partner.isa_qualifier, partner.isa_id)] = name
    if not 1 <= len(s.edi_isa_id) <= 15:
        raise SettingsError("HUB_EDI_ISA_ID: 1 to 15 characters")
