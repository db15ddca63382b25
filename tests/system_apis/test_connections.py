"""Connections as configuration: the default set, hub.toml's [connections.*] over it, one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import SettingsError, load_settings
from system_apis.connections import resolve_connections
from tests.production_env import PRODUCTION


def settings(tmp_path: Path, toml: str = "", env: dict[str, str] | None = None, **overrides: object):  # noqa: ANN201
    path = tmp_path / "hub.toml"
    path.write_text(toml)
    return load_settings(env or {}, path, **overrides)


def test_no_table_is_todays_five_sandbox_backends(tmp_path: Path) -> None:
    found = {c.name: c for c in resolve_connections(settings(tmp_path))}

    assert list(found) == ["erp", "wms", "pos", "shopify", "payments"]
    assert [found[n].kind for n in found] == ["clouderp", "shipworks", "storelink", "shopify", "stripe_like"]
    assert found["erp"].base_url == "http://sandbox/sandbox/erp" and found["erp"].serves.erp_role == "primary"
    assert found["shopify"].serves.channel == "shopify" and found["shopify"].credential == "shpat_sandbox"
    assert found["wms"].roles == ("stock", "fulfilment") and found["pos"].serves.locations == ("STORE-",)
    assert all(c.sandboxed for c in found.values())


def test_two_shops_at_once_each_with_its_own_credential(tmp_path: Path) -> None:
    toml = ('[connections.shop-eu]\nkind = "shopify"\nbase_url = "https://eu.example.com"\n'
            'credential_env = "SHOP_EU_TOKEN"\nconcurrency = 4\nrate_per_second = 2.0\n')
    found = {c.name: c for c in resolve_connections(settings(tmp_path, toml, {"SHOP_EU_TOKEN": "shpat_eu_private"}))}

    eu = found["shop-eu"]
    assert eu.serves.channel == "shop-eu" and eu.credential == "shpat_eu_private" and not eu.sandboxed
    assert eu.concurrency == 4 and eu.rate_per_second == 2.0 and "shopify" in found
    assert "shpat_eu_private" not in repr(load_settings({"SHOP_EU_TOKEN": "shpat_eu_private"}, tmp_path / "hub.toml"))


def test_a_declared_connection_replaces_the_default_of_its_name(tmp_path: Path) -> None:
    toml = '[connections.wms]\nkind = "shipworks"\nbase_url = "https://wms.example.com/"\nlocations = ["DC-"]\n'
    wms = next(c for c in resolve_connections(settings(tmp_path, toml)) if c.name == "wms")

    assert wms.base_url == "https://wms.example.com/" and not wms.sandboxed


def test_a_credential_file_is_read_at_start(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("shpat_from_file\n")
    toml = f'[connections.shop-b]\nkind = "shopify"\ncredential_file = "{secret}"\n'
    shop = next(c for c in resolve_connections(settings(tmp_path, toml)) if c.name == "shop-b")

    assert shop.credential == "shpat_from_file" and shop.base_url == "http://sandbox/sandbox/shopify"


@pytest.mark.parametrize(("toml", "line"), [
    ('[connections.x]\nkind = "nosuch"\n', "connections.x.kind: unknown kind 'nosuch'"),
    ('[connections.x]\nkind = "shopify"\nconcurrency = 0\n', "connections.x.concurrency: must be 1 to 1000"),
    ('[connections.x]\nkind = "shopify"\nbase_url = "ftp://h"\n', "connections.x.base_url: expected an http(s)"),
    ('[connections.x]\nkind = "shopify"\ncredential = "s"\n', "connections.x.credential: never in hub.toml"),
    ('[connections.x]\nkind = "shopify"\ncredential_env = "NOT_SET"\n', "connections.x.credential_env: the environment"),
    ('[connections.x]\nkind = "woocommerce"\nwebhook_secret = "s"\n', "connections.x.webhook_secret: never in hub"),
    ('[connections.x]\nkind = "woocommerce"\nwebhook_secret_env = "NOT_SET"\n',
     "connections.x.webhook_secret_env: the environment variable NOT_SET is not set"),
    ('[connections.x]\nkind = "woocommerce"\nwebhook_secret_env = "A"\nwebhook_secret_file = "/f"\n',
     "connections.x: name webhook_secret_env or webhook_secret_file, not both"),
    ('[connections.x]\nkind = "shopify"\ncredential_file = "/nonexistent/t"\n', "connections.x.credential_file: cannot"),
    ('[connections.x]\nkind = "shopify"\ncolour = "red"\n', "connections.x: Object contains unknown field `colour`"),
    ('[connections.X]\nkind = "shopify"\n', "connections.X: a connection name is lower case"),
    ('[connections.x]\nkind = "shopify"\nchannel = "shopify"\n', "connections.x.channel: 'shopify' is already served"),
    ('[connections.x]\nkind = "clouderp"\n', "connections.x.erp_role: 'primary' is already served by connections.erp"),
    ('[connections.x]\nkind = "storelink"\nchannel = "web"\n', "connections.x.channel: a storelink connection serves no"),
    ('[connections.x]\nkind = "shopify"\nerp_role = "legacy"\n', "connections.x.erp_role: expected one of primary"),
])
def test_each_mistake_is_one_line_naming_the_connection(tmp_path: Path, toml: str, line: str) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve_connections(settings(tmp_path, toml))

    assert str(caught.value).startswith(line) and "\n" not in str(caught.value)


def test_production_needs_a_base_url_and_a_private_credential(tmp_path: Path) -> None:
    prod = dict(PRODUCTION)
    with pytest.raises(SettingsError, match="connections.x.base_url: required when HUB_SANDBOX=0"):
        resolve_connections(settings(tmp_path, '[connections.x]\nkind = "shopify"\n', prod))
    with pytest.raises(SettingsError, match="connections.x.credential_env: a published sandbox value"):
        settings(tmp_path, '[connections.x]\nkind = "shopify"\nbase_url = "https://x"\ncredential_env = "T"\n',
                 {**prod, "T": "shpat_sandbox"})
    for weak in ("sandbox-woocommerce-secret", "short"):
        with pytest.raises(SettingsError, match="connections.w.webhook_secret_env: a published sandbox value or"):
            settings(tmp_path, '[connections.w]\nkind = "woocommerce"\nbase_url = "https://w"\ncredential_env = "T"\n'
                     'webhook_secret_env = "H"\n', {**prod, "T": "ck_live:cs_live_0123456789", "H": weak})
    no_url = {k: v for k, v in prod.items() if k != "HUB_ERP_URL"}
    toml = '[connections.erp]\nkind = "clouderp"\nbase_url = "https://erp.example.com"\n'
    assert [c.base_url for c in resolve_connections(settings(tmp_path, toml, no_url))][0] == "https://erp.example.com"


def test_every_hub_needs_an_erp(tmp_path: Path) -> None:
    from system_apis.connections import _check_serving

    with pytest.raises(SettingsError, match="no connection serves the erp role"):
        _check_serving([c for c in resolve_connections(settings(tmp_path)) if c.name != "erp"])


async def test_a_throttled_connection_spaces_its_requests() -> None:
    import httpx

    from system_apis.pacing import PacedTransport

    now, waits = [10.0], []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    inner = httpx.MockTransport(lambda request: httpx.Response(200))
    async with httpx.AsyncClient(transport=PacedTransport(inner, 2.0, clock=lambda: now[0], sleep=sleep)) as client:
        for _ in range(3):
            assert (await client.get("http://vendor/x")).status_code == 200
        assert waits == [0.5, 0.5]
        now[0] += 5.0  # idle: the next request leaves at once
        await client.get("http://vendor/x")
    assert waits == [0.5, 0.5]


def test_a_channel_connections_webhook_secret_is_its_own(tmp_path: Path) -> None:
    toml = ('[connections.woo-us]\nkind = "woocommerce"\nwebhook_secret_env = "WOO_HOOK"\n'
            '[connections.mage]\nkind = "magento"\n[connections.big]\nkind = "bigcommerce"\n')
    found = {c.name: c for c in resolve_connections(settings(tmp_path, toml, {"WOO_HOOK": "woo-private-secret-0123"}))}

    assert found["woo-us"].webhook_secret == "woo-private-secret-0123" and found["woo-us"].serves.channel == "woo-us"
    assert found["big"].webhook_secret == "sandbox-bigcommerce-secret"  # HUB_SANDBOX=1: the kind's published one
    assert found["mage"].webhook_secret == "" and found["shopify"].webhook_secret == "sandbox-shopify-secret"
    assert "woo-private-secret-0123" not in repr(load_settings({"WOO_HOOK": "woo-private-secret-0123"},
                                                              tmp_path / "hub.toml"))
