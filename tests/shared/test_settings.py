"""Settings (shared/settings.py): defaults, hub.toml < environment < overrides, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import DEFAULT_PLANS, SANDBOX_SECRETS, Plan, Settings, SettingsError, load_settings

from tests.production_env import PRODUCTION, PRODUCTION_BACKENDS, PRODUCTION_SECRETS

NO_FILE = "/nonexistent/hub.toml"


def load(env: dict[str, str] | None = None, toml: Path | str = NO_FILE, **overrides: object) -> Settings:
    return load_settings(env=env or {}, toml_path=toml, **overrides)


def error_for(env: dict[str, str], toml: Path | str = NO_FILE) -> str:
    with pytest.raises(SettingsError) as caught:
        load(env, toml)
    message = str(caught.value)
    assert "\n" not in message and message, message
    return message


def test_the_defaults_are_the_embedded_one_process_hub() -> None:
    s = load()
    assert (s.host, s.port, s.database_url) == ("127.0.0.1", 8080, "sqlite+aiosqlite:///./var/hub.db")
    assert (s.redis_url, s.sandbox, s.bootstrap_admin_key, s.default_plan) == (None, True, None, "standard")
    assert s.retry_budget_seconds == 900.0 and s.max_body_bytes == 1024 * 1024 and s.is_sqlite
    assert s.sandbox_autoship_seconds == 10.0
    assert (s.payments_url, s.shopify_url, s.shopify_access_token) == (None, None, None)
    assert {name: (p.rate_per_second, p.burst) for name, p in s.plans.items()} == {
        name: (p["rate_per_second"], p["burst"]) for name, p in DEFAULT_PLANS.items()}


def test_the_environment_is_read_with_types(tmp_path: Path) -> None:
    s = load({**PRODUCTION, "HUB_PORT": "9000", "HUB_SANDBOX": "false", "HUB_RETRY_BUDGET_SECONDS": "60",
              "HUB_CORS_ORIGINS": "https://a.example, https://b.example", "HUB_SANDBOX_AUTOSHIP_SECONDS": "0.5",
              "HUB_DATABASE_URL": "postgresql+asyncpg://u@db/hub", "HUB_REDIS_URL": "redis://cache:6379/0"})
    assert (s.port, s.sandbox, s.retry_budget_seconds, s.is_sqlite) == (9000, False, 60.0, False)
    assert s.cors_origins == ("https://a.example", "https://b.example")
    assert s.redis_url == "redis://cache:6379/0"
    assert (s.payments_url, s.shopify_url, s.shopify_access_token) == (
        "https://pay", "https://s.myshopify.com", PRODUCTION_BACKENDS["HUB_SHOPIFY_ACCESS_TOKEN"])
    assert s.wms_webhook_secret == PRODUCTION_SECRETS["HUB_WMS_WEBHOOK_SECRET"]
    assert s.sandbox_autoship_seconds == 0.5


def test_the_environment_wins_over_hub_toml_which_wins_over_defaults(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('port = 7000\nhost = "0.0.0.0"\ndefault_plan = "partner"\n'
                    '[plans.gold]\nrate_per_second = 5\nburst = 10\n')
    s = load({"HUB_PORT": "7100"}, toml)
    assert (s.port, s.host, s.default_plan) == (7100, "0.0.0.0", "partner")
    assert s.plans["gold"] == Plan(rate_per_second=5, burst=10) and "standard" in s.plans


def test_hub_config_names_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "elsewhere.toml"
    toml.write_text("port = 7001\n")
    assert load_settings(env={"HUB_CONFIG": str(toml)}).port == 7001


def test_overrides_win_over_the_environment_and_none_is_no_override() -> None:
    assert load({"HUB_PORT": "9000"}, port=9100).port == 9100
    assert load({"HUB_PORT": "9000"}, port=None).port == 9000


def test_plans_from_the_environment_are_added_to_the_defaults() -> None:
    s = load({"HUB_PLANS": '{"gold": {"rate_per_second": 1, "burst": 2}}', "HUB_DEFAULT_PLAN": "gold"})
    assert s.default_plan == "gold" and set(s.plans) == {"standard", "partner", "internal", "gold"}


@pytest.mark.parametrize(("env", "setting"), [
    ({"HUB_PORT": "abc"}, "HUB_PORT"),
    ({"HUB_PORT": "70000"}, "HUB_PORT"),
    ({"HUB_PORT": "0"}, "HUB_PORT"),
    ({"HUB_DATABASE_URL": "mysql://x"}, "HUB_DATABASE_URL"),
    ({"HUB_DATABASE_URL": "postgresql://u@db/hub"}, "HUB_DATABASE_URL"),
    ({"HUB_REDIS_URL": "http://cache:6379"}, "HUB_REDIS_URL"),
    ({"HUB_DEFAULT_PLAN": "gold"}, "HUB_DEFAULT_PLAN"),
    ({"HUB_SANDBOX": "maybe"}, "HUB_SANDBOX"),
    ({"HUB_PLANS": "{not json"}, "HUB_PLANS"),
    ({"HUB_PLANS": '{"gold": {"rate_per_second": 0, "burst": 1}}'}, "HUB_PLANS"),
    ({"HUB_PLANS": '{"gold": {"rate_per_second": "fast", "burst": 1}}'}, "HUB_PLANS"),
    ({"HUB_SANDBOX": "0"}, "HUB_ERP_URL"),
    ({"HUB_SANDBOX": "0", "HUB_ERP_URL": "https://e", "HUB_WMS_URL": "https://w", "HUB_POS_URL": "https://p"},
     "HUB_PAYMENTS_URL"),
    ({"HUB_SANDBOX": "0", **{k: v for k, v in PRODUCTION_BACKENDS.items() if k != "HUB_SHOPIFY_URL"}},
     "HUB_SHOPIFY_URL"),
    ({"HUB_SANDBOX": "0", **{k: v for k, v in PRODUCTION_BACKENDS.items() if k != "HUB_SHOPIFY_ACCESS_TOKEN"}},
     "HUB_SHOPIFY_ACCESS_TOKEN"),
    ({"HUB_SANDBOX": "0", **PRODUCTION_BACKENDS}, "HUB_INTERNAL_SECRET"),
    ({"HUB_PAYMENTS_URL": "ftp://pay"}, "HUB_PAYMENTS_URL"),
    ({"HUB_SHOPIFY_URL": "shop.myshopify.com"}, "HUB_SHOPIFY_URL"),
    ({"HUB_SANDBOX_AUTOSHIP_SECONDS": "-1"}, "HUB_SANDBOX_AUTOSHIP_SECONDS"),
    ({"HUB_SANDBOX_AUTOSHIP_SECONDS": "soon"}, "HUB_SANDBOX_AUTOSHIP_SECONDS"),
    ({"HUB_EXPERIENCE_URL": "ftp://x"}, "HUB_EXPERIENCE_URL"),
    ({"HUB_BOOTSTRAP_ADMIN_KEY": "short"}, "HUB_BOOTSTRAP_ADMIN_KEY"),
    ({"HUB_RETRY_BUDGET_SECONDS": "soon"}, "HUB_RETRY_BUDGET_SECONDS"),
    ({"HUB_RECONCILE_INTERVAL_SECONDS": "0.5"}, "HUB_RECONCILE_INTERVAL_SECONDS"),
    ({"HUB_RECONCILE_INTERVAL_SECONDS": "-1"}, "HUB_RECONCILE_INTERVAL_SECONDS"),
    ({"HUB_RECONCILE_STUCK_AFTER_SECONDS": "0"}, "HUB_RECONCILE_STUCK_AFTER_SECONDS"),
    ({"HUB_RECONCILE_RETENTION_SECONDS": "0"}, "HUB_RECONCILE_RETENTION_SECONDS"),
    ({"HUB_STOCK_SOURCE_TIMEOUT_SECONDS": "0"}, "HUB_STOCK_SOURCE_TIMEOUT_SECONDS"),
    ({"HUB_STOCK_STALE_SECONDS": "-1"}, "HUB_STOCK_STALE_SECONDS"),
    ({"HUB_SAFETY_BUFFER": "-1"}, "HUB_SAFETY_BUFFER"),
    ({"HUB_SAFETY_BUFFER_BY_CHANNEL": '{"shopify": -2}'}, "HUB_SAFETY_BUFFER_BY_CHANNEL"),
    ({"HUB_SAFETY_BUFFER_BY_CHANNEL": '{"shopify": "two"}'}, "HUB_SAFETY_BUFFER_BY_CHANNEL"),
])
def test_a_wrong_value_is_one_line_naming_the_setting(env: dict[str, str], setting: str) -> None:
    assert error_for(env).startswith(f"{setting}:")


def test_a_broken_hub_toml_is_one_line_naming_it(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text("port = = 1\n")
    assert error_for({}, toml).startswith("HUB_CONFIG:")


def test_an_unknown_setting_in_hub_toml_is_named(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('databse_url = "sqlite+aiosqlite:///x.db"\n')
    assert error_for({}, toml).startswith("HUB_DATABSE_URL:")


def test_a_wrong_value_in_hub_toml_is_named_like_its_variable(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('port = "eighty"\n')
    assert error_for({}, toml).startswith("HUB_PORT:")


def test_an_empty_variable_counts_as_unset_for_optional_settings() -> None:
    assert load({"HUB_REDIS_URL": ""}).redis_url is None


# -- production refuses published and weak secrets (issue 10, defect 1) -----------------------

SECRET_SETTINGS = [*PRODUCTION_SECRETS, "HUB_SHOPIFY_ACCESS_TOKEN"]
PUBLISHED = {"HUB_INTERNAL_SECRET": "sandbox-internal-secret", "HUB_SHOPIFY_ACCESS_TOKEN": "shpat_sandbox",
             **{f"HUB_{name.upper()}_WEBHOOK_SECRET": value for name, value in SANDBOX_SECRETS.items()}}


def test_production_with_private_secrets_starts() -> None:
    s = load(PRODUCTION)
    assert not s.sandbox and s.erp_webhook_secret == PRODUCTION_SECRETS["HUB_ERP_WEBHOOK_SECRET"]


@pytest.mark.parametrize("setting", [name for name in SECRET_SETTINGS if name != "HUB_SHOPIFY_ACCESS_TOKEN"])
def test_production_refuses_a_secret_left_unset(setting: str) -> None:
    """Unset, an inbound secret would fall back to its sandbox value that the README prints."""
    env = {k: v for k, v in PRODUCTION.items() if k != setting}
    assert error_for(env).startswith(f"{setting}:")


@pytest.mark.parametrize("setting", SECRET_SETTINGS)
@pytest.mark.parametrize("published", sorted(set(PUBLISHED.values())) + ["admin-secret-0123456789"])
def test_production_refuses_any_published_sandbox_value_in_any_secret(setting: str, published: str) -> None:
    message = error_for({**PRODUCTION, setting: published})
    assert message.startswith(f"{setting}:") and "sandbox" in message and published not in message


@pytest.mark.parametrize("setting", SECRET_SETTINGS)
def test_production_refuses_a_weak_secret(setting: str) -> None:
    assert error_for({**PRODUCTION, setting: "x" * 15}).startswith(f"{setting}:")
    assert getattr(load({**PRODUCTION, setting: "x" * 16}), setting.removeprefix("HUB_").lower()) == "x" * 16


def test_production_refuses_the_readme_admin_key() -> None:
    assert error_for({**PRODUCTION, "HUB_BOOTSTRAP_ADMIN_KEY": "admin-secret-0123456789"}).startswith(
        "HUB_BOOTSTRAP_ADMIN_KEY:")
    assert load({**PRODUCTION, "HUB_BOOTSTRAP_ADMIN_KEY": "a-private-admin-key-42"}).bootstrap_admin_key


def test_the_sandbox_keeps_its_published_defaults() -> None:
    s = load()
    assert (s.wms_webhook_secret, s.erp_webhook_secret) == (SANDBOX_SECRETS["wms"], SANDBOX_SECRETS["erp"])


# -- whether HUB_SANDBOX was chosen (issue 10, defect 12) --------------------------------------

def test_sandbox_is_explicit_when_the_environment_the_file_or_an_override_sets_it(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text("sandbox = true\n")
    assert load().sandbox_explicit is False and load().sandbox is True
    assert load({"HUB_SANDBOX": "1"}).sandbox_explicit is True
    assert load({}, toml).sandbox_explicit is True
    assert load(sandbox=True).sandbox_explicit is True
    assert load(PRODUCTION).sandbox_explicit is True


def test_sandbox_explicit_is_not_a_setting(tmp_path: Path) -> None:
    assert load({"HUB_SANDBOX_EXPLICIT": "1"}).sandbox_explicit is False
    toml = tmp_path / "hub.toml"
    toml.write_text("sandbox_explicit = true\n")
    assert error_for({}, toml).startswith("HUB_SANDBOX_EXPLICIT:")


def test_reconciliation_can_be_left_to_operators() -> None:
    s = load({"HUB_RECONCILE_INTERVAL_SECONDS": "0"})
    assert (s.reconcile_interval_seconds, s.reconcile_stuck_after_seconds) == (0, 900)


def test_the_safety_buffer_per_channel_is_read_as_json_over_a_default() -> None:
    settings = load({"HUB_SAFETY_BUFFER": "1", "HUB_SAFETY_BUFFER_BY_CHANNEL": '{"shopify": 2, "partner": 0}',
                     "HUB_STOCK_STALE_SECONDS": "0"})
    assert (settings.safety_buffer, settings.safety_buffer_by_channel, settings.stock_stale_seconds) == (
        1, {"shopify": 2, "partner": 0}, 0.0)
