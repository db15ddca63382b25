"""Where outbound documents are dropped off (issue 13): a partner's own folder, else the shared
one per partner, else nowhere; always whole files, and a folder that cannot be written never
fails the document (it is stored; the API lists it)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from process_apis.edi.outbound import Outbound, Partners
from process_apis.edi.schemas import DocumentView, TradingPartner
from system_apis.edi.port import PartnerIds

HUB = PartnerIds(isa_qualifier="ZZ", isa_id="COMMERCEHUB", gs_id="COMMERCEHUB")


def partners(own: Path | None) -> Partners:
    return Partners([
        TradingPartner(name="acme", ids=PartnerIds(isa_qualifier="ZZ", isa_id="A", gs_id="A"), customer_id="C1",
                       outbox_dir=str(own) if own else None),
        TradingPartner(name="bolt", ids=PartnerIds(isa_qualifier="ZZ", isa_id="B", gs_id="B"), customer_id="C2"),
    ], HUB)


def doc(partner: str, number: str) -> DocumentView:
    return DocumentView(id=1, partner=partner, direction="out", doc_type="997", interchange_control=number,
                        status="sent", created_at=datetime.now(UTC), raw="ISA*...~\n")


def test_a_partners_own_folder_wins_over_the_shared_one(tmp_path: Path) -> None:
    own, shared = tmp_path / "acme-sftp", tmp_path / "out"
    Outbound(partners(own), str(shared)).drop_off([doc("acme", "000000001"), doc("bolt", "000000002"), None])
    assert [p.name for p in own.iterdir()] == ["997-000000001.x12"]
    assert [p.name for p in (shared / "bolt").iterdir()] == ["997-000000002.x12"]
    assert not (shared / "acme").exists()


def test_no_folder_writes_nothing_and_an_unwritable_one_is_only_logged(tmp_path: Path) -> None:
    Outbound(partners(None)).drop_off([doc("bolt", "000000003")])
    assert not list(tmp_path.iterdir())
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    Outbound(partners(blocked / "sub")).drop_off([doc("acme", "000000004")])  # no exception
