"""EDI settings (issue 13): trading partners from hub.toml tables or JSON, the sandbox's default
partner, and one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from commerce_hub.edi_role import trading_partners
from shared.settings import SettingsError, load_settings

TOML = """
edi_isa_id = "HUBPROD"

[edi_partners.acme]
isa_id = "ACMEBUYER"
customer_id = "CUST-ACME"

[edi_partners.bolt]
isa_qualifier = "01"
isa_id = "123456789"
gs_id = "BOLTGS"
customer_id = "CUST-BOLT"
version = "005010"
"""


def test_partners_come_from_hub_toml_tables(tmp_path: Path) -> None:
    (tmp_path / "hub.toml").write_text(TOML)
    settings = load_settings({}, toml_path=tmp_path / "hub.toml")
    partners = trading_partners(settings)
    assert partners.hub.isa_id == "HUBPROD"
    acme, bolt = partners.named("acme"), partners.named("bolt")
    assert (acme.ids.isa_qualifier, acme.ids.gs_id, acme.customer_id) == ("ZZ", "ACMEBUYER", "CUST-ACME")
    assert (bolt.ids.isa_qualifier, bolt.ids.gs_id, bolt.version) == ("01", "BOLTGS", "005010")
    assert partners.of_customer("CUST-BOLT") == ["bolt"]


def test_partners_come_from_json_in_the_environment_and_the_sandbox_has_one_by_default() -> None:
    env = {"HUB_EDI_PARTNERS": '{"zeta": {"isa_id": "ZETA", "customer_id": "CUST-Z"}}'}
    assert trading_partners(load_settings(env, toml_path="/nonexistent")).of_customer("CUST-Z") == ["zeta"]
    assert trading_partners(load_settings({}, toml_path="/nonexistent")).of_customer("CUST-ACME") == ["acme"]


@pytest.mark.parametrize(("env", "setting"), [
    ({"HUB_EDI_PARTNERS": "not json"}, "HUB_EDI_PARTNERS"),
    ({"HUB_EDI_PARTNERS": '{"a": {"isa_id": "A"}}'}, "HUB_EDI_PARTNERS"),
    ({"HUB_EDI_PARTNERS": '{"a": {"isa_id": "THIS-ID-IS-TOO-LONG", "customer_id": "C"}}'}, "HUB_EDI_PARTNERS"),
    ({"HUB_EDI_PARTNERS": '{"a": {"isa_id": "X", "customer_id": "C"}, "b": {"isa_id": "X", "customer_id": "D"}}'},
     "HUB_EDI_PARTNERS"),
    ({"HUB_EDI_POLL_SECONDS": "0"}, "HUB_EDI_POLL_SECONDS"),
    ({"HUB_EDI_ISA_ID": "A-VERY-LONG-HUB-ID"}, "HUB_EDI_ISA_ID"),
])
def test_a_wrong_edi_setting_is_one_line_naming_it(env: dict[str, str], setting: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env, toml_path="/nonexistent")
    assert str(caught.value).startswith(setting) and "\n" not in str(caught.value)
