"""``erp_role = "secondary"`` and ``[erp_routing]`` in hub.toml: one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import SettingsError
from system_apis.connections import resolve_connections
from system_apis.wiring import assemble
from tests.system_apis.test_connections import settings

QBO = '[connections.qbo]\nkind = "quickbooks"\nerp_role = "secondary"\n'


def test_a_secondary_erp_beside_the_primary(tmp_path: Path) -> None:
    toml = QBO + ('[erp_routing]\nmode = "shadow"\nshadow_timeout_seconds = 0.3\n'
                  'rules = [{customer = "CUST-ACME", connection = "qbo"}, {percent = 10, connection = "erp"}]\n')
    loaded = settings(tmp_path, toml)
    found = {c.name: c for c in resolve_connections(loaded)}
    assert found["qbo"].serves.erp_role == "secondary" and found["erp"].serves.erp_role == "primary"
    assert loaded.erp_routing.rules[0].customer == "CUST-ACME" and loaded.erp_routing.shadow_timeout_seconds == 0.3
    ports = assemble(list(found.values()), {name: {role: f"{name}.{role}" for role in c.roles}
                                            for name, c in found.items()})
    assert (ports.erp, ports.erp_secondary) == ("erp.erp", "qbo.erp")
    assert "erp.secondary" not in ports.slots() and ports.backends["erp.secondary"] == "qbo"


@pytest.mark.parametrize(("toml", "line"), [
    (QBO + '[connections.ns]\nkind = "netsuite"\nerp_role = "secondary"\n',
     "connections.ns.erp_role: 'secondary' is already served by connections.qbo"),
    ('[connections.erp]\nkind = "quickbooks"\nerp_role = "secondary"\n', "connections: no connection has erp_role"),
    (QBO + '[erp_routing]\nmode = "mirror"\n', "erp_routing.mode: expected one of shadow, route"),
    (QBO + '[erp_routing]\nshadow_timeout_seconds = 0\n', "erp_routing.shadow_timeout_seconds: must be more"),
    (QBO + '[erp_routing]\nsamples = 0\n', "erp_routing.samples: must be 1 to 1000"),
    (QBO + '[erp_routing]\nrules = [{connection = "qbo"}]\n', "erp_routing.rules[0]: name exactly one of"),
    (QBO + '[erp_routing]\nrules = [{sku = "S", percent = 5, connection = "qbo"}]\n', "erp_routing.rules[0]: name"),
    (QBO + '[erp_routing]\nrules = [{percent = 101, connection = "qbo"}]\n', "erp_routing.rules[0].percent: must"),
    (QBO + '[erp_routing]\nrules = [{sku = "S", connection = "wms"}]\n',
     "erp_routing.rules[0].connection: 'wms' is not an ERP connection; one of erp, qbo"),
    (QBO + '[erp_routing]\ncolour = "red"\n', "erp_routing: Object contains unknown field `colour`"),
    (QBO + '[erp_routing]\nrules = [{sku = 3, connection = "qbo"}]\n', "erp_routing.rules[0].sku: Expected `str | null`, got `int`"),
])
def test_each_routing_mistake_is_one_line(tmp_path: Path, toml: str, line: str) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve_connections(settings(tmp_path, toml))
    assert str(caught.value).startswith(line) and "\n" not in str(caught.value), str(caught.value)
