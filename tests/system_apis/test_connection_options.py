"""A connection's ``options``: the vendor parameters its adapters take, checked per kind in hub.toml,
reaching the adapters, listed (never a secret)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commerce_hub.ops_role import connection_facts
from shared.errors import BackendError
from shared.settings import SettingsError, load_settings
from system_apis.adapter_options import make_adapters, option_types
from system_apis.connections import resolve_connections
from system_apis.registry import KINDS
from tests.system_apis.contracts.harness import UnderTest
from tests.system_apis.contracts.test_erp_port import ORDER

QBO = '[connections.erp]\nkind = "quickbooks"\n[connections.erp.options]\n'


def connections(tmp_path: Path, toml: str) -> dict:
    path = tmp_path / "hub.toml"
    path.write_text(toml)
    settings = load_settings({}, path)
    return {c.name: c for c in resolve_connections(settings)}


def test_options_are_converted_to_the_adapters_types(tmp_path: Path) -> None:
    toml = (QBO + 'realm_id = "4620816365"\nminor_version = "73"\n'
            '[connections.tpl]\nkind = "threepl"\nlocations = ["3PL-"]\noptions = { facility_id = 229, '
            'facilities = { "229" = "3PL-EAST" } }\n'
            '[connections.pos]\nkind = "counterpoint"\nlocations = ["STORE-"]\noptions = { locations = ["NYC", "BOS"] }\n')
    found = connections(tmp_path, toml)

    assert found["erp"].options == {"realm_id": "4620816365", "minor_version": 73}
    assert found["tpl"].options == {"facility_id": 229, "facilities": {229: "3PL-EAST"}}
    assert found["pos"].options == {"locations": ["NYC", "BOS"]}
    assert found["wms"].options == {}


@pytest.mark.parametrize(("toml", "line"), [
    (QBO + 'realm = "1"\n', "connections.erp.options.realm: unknown option for a quickbooks connection; known: "
                            "currency, minor_version, realm_id, refund_account_id"),
    (QBO + 'minor_version = "seventy"\n', "connections.erp.options.minor_version: Expected `int`, got `str`"),
    ('[connections.erp]\nkind = "legacy_erp"\noptions = { password = "hunter2" }\n',
     "connections.erp.options.password: a secret never goes in options; name credential_env or credential_file"),
    (QBO + 'client_secret = "x"\n', "connections.erp.options.client_secret: a secret never goes in options"),
    ('[connections.erp]\nkind = "clouderp"\noptions = { region = "eu" }\n',
     "connections.erp.options.region: unknown option for a clouderp connection; known: none"),
    ('[connections.erp]\nkind = "clouderp"\noptions = 3\n', "connections.erp: options: Expected `object`, got `int`"),
])
def test_each_option_mistake_is_one_line_naming_connection_and_option(tmp_path: Path, toml: str, line: str) -> None:
    with pytest.raises(SettingsError) as caught:
        connections(tmp_path, toml)
    assert str(caught.value).startswith(line) and "\n" not in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_every_kind_s_options_are_its_adapters_keywords_bar_its_credential() -> None:
    assert set(option_types(KINDS["legacy_erp"])) == {"username", "service_path", "exports_path"}
    assert set(option_types(KINDS["threepl"])) == {"facility_id", "facilities", "version"}
    assert set(option_types(KINDS["netsuite"])) == {"guest_customer", "price_level", "currency"}
    assert option_types(KINDS["shopify"]) == {}


def test_the_listing_shows_options_and_no_credential(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('[connections.erp]\nkind = "legacy_erp"\ncredential_env = "LEGACY_PW"\n'
                    'options = { username = "HUBSVC" }\n')
    facts = {f.name: f for f in connection_facts(load_settings({"LEGACY_PW": "pw-private-42"}, path))}

    assert facts["erp"].options == {"username": "HUBSVC"}
    assert "pw-private-42" not in repr(facts)


async def test_the_options_reach_the_adapter_s_calls() -> None:
    under = UnderTest("threepl", "stock", facilities={228: "3PL-EAST"})
    try:
        levels = await under.port.get_stock(["SKU-1001"])
    finally:
        await under.aclose()
    assert [(lv.location, lv.on_hand) for lv in levels] == [("3PL-EAST", 25)]


async def test_a_credential_travelling_in_the_body_comes_from_the_connection_s_credential() -> None:
    under = UnderTest("legacy_erp", "erp")
    try:
        assert (await under.port.get_customer("CUST-ACME")).customer_id == "CUST-ACME"
        wrong = make_adapters(under.kind, under.port._http, {"username": "HUBSVC"}, "not-the-password")["erp"]
        with pytest.raises(BackendError):
            await wrong.post_sales_order(ORDER)
    finally:
        await under.aclose()
