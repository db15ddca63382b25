"""Issue 13's "done when": a newcomer swaps every connection for another vendor by editing
hub.toml and following the README, without touching code. The README's "Swap a vendor" section
runs as written in a fresh directory holding the shipped example (deploy/examples/hub.swapped.toml,
its ERP `kind` changed as the README says for the legacy SOAP ERP): its commands before
`./hub serve`, then the hub, then the WHOLE walkthrough as written, then the section's own
commands (a WooCommerce order, an EDI 850). Every curl succeeds (but the README's one error), and
what was booked is in the swapped vendors' sandboxes, never in the defaults'."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import HUB, Process, free_port
from tests.e2e import readme_support as readme
from tests.e2e.readme_support import ADMIN, SERVE, readme_commands, run_shell

pytestmark = pytest.mark.e2e
EXAMPLE = readme.README.parent / "deploy" / "examples" / "hub.swapped.toml"
SWAP = ("Swap a vendor: edit hub.toml",)


def the_example(directory: Path, erp_kind: str) -> None:
    """The shipped file where the README's `cp` finds it, with the ERP's kind as the README says."""
    (directory / "deploy" / "examples").mkdir(parents=True)
    text = EXAMPLE.read_text()
    assert text.count('kind = "quickbooks"') == 1
    (directory / "deploy" / "examples" / EXAMPLE.name).write_text(
        text.replace('kind = "quickbooks"', f'kind = "{erp_kind}"'))


def test_the_section_starts_a_hub_and_names_every_swap() -> None:
    swap = readme_commands(SWAP)
    assert swap.index(SERVE) > 0 and "cp deploy/examples/hub.swapped.toml hub.toml" in swap[:swap.index(SERVE)]
    text = EXAMPLE.read_text()
    assert all(f'kind = "{kind}"' in text for kind in ("quickbooks", "counterpoint", "threepl", "woocommerce"))


@pytest.mark.parametrize("erp_kind", ["quickbooks", "legacy_erp", "netsuite"])
def test_the_whole_walkthrough_runs_on_the_swapped_vendors(tmp_path: Path, erp_kind: str) -> None:
    swap = readme_commands(SWAP)
    before, after = swap[:swap.index(SERVE)], swap[swap.index(SERVE) + 1:]
    walkthrough = [line for line in readme_commands() if line.strip() != SERVE]
    port = free_port()
    readme.install_hub_script(tmp_path, HUB)
    the_example(tmp_path, erp_kind)
    assert run_shell(before, tmp_path, port).done.returncode == 0
    hub = Process("all", port, {"HUB_BOOTSTRAP_ADMIN_KEY": ADMIN}, tmp_path)
    try:
        hub.wait_ready(60)
        ran = run_shell(walkthrough + after, tmp_path, port, timeout=300)
        readme.assert_every_call_succeeded(ran, port, hub.log)
        assert f"/sandbox/{erp_kind} /sandbox/counterpoint\n" in ran.done.stdout

        def items(path: str) -> list[dict]:
            answer = httpx.get(f"{hub.url}{path}", headers={"X-API-Key": ADMIN}, timeout=10)
            assert answer.status_code == 200, answer.text
            return answer.json()["items"]

        kinds = {c["backend"]: c["kind"] for c in items("/admin/v1/connections")}
        assert kinds == {"erp": erp_kind, "wms": "shipworks", "pos": "counterpoint", "shopify": "shopify",
                         "payments": "stripe_like", "tpl": "threepl", "woo": "woocommerce"}
        booked = Counter(o["external_ref"] for o in items(f"/sandbox/{erp_kind}/sales-orders"))
        # WEB-5531, the card order, PO-7001, PO-8001, the WooCommerce order, PO-8002: each exactly once
        assert len(booked) == 6 and set(booked.values()) == {1}, booked
        assert len(items(f"/sandbox/{erp_kind}/credit-memos")) == 1
        assert items("/sandbox/erp/sales-orders") == []  # nothing reached the default ERP
        (shipped,) = items("/sandbox/woocommerce/fulfillments")
        assert shipped["note"].startswith("Shipped")
    finally:
        hub.stop()
