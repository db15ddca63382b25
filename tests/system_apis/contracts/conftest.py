"""One contract suite per port, run over every registered adapter of its role against that
adapter's own sandbox backend (seed data of CONTRACT section 9), in process, and over the
port's fake (tests/fakes/) where the behaviour is meaningful for a fake.

A test asks for its port by fixture name (``erp``, ``stock``, ``fulfilment``, ``payments``,
``channel``: the registry's roles) and runs once per kind of ``system_apis/registry.py``
serving that role: a new kind joins with no test edit. Tests marked ``sandbox_only`` read the
sandbox (views, faults, lost answers) and skip the fake.

Where a kind needs a harness hook (its vendor's own words for a refusal and a throttle, what
its sandbox holds and how a count is changed there), it lives in ``HOOKS`` below, one entry
per kind; a test needing a hook a kind lacks fails naming the hook.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from shared.models import StockLevel
from system_apis.legacy_erp import soap
from system_apis.netsuite import client as netsuite
from system_apis.quickbooks import client as quickbooks
from system_apis.registry import KINDS, ROLES
from tests.fakes.backoffice import FakeFulfilment
from tests.fakes.erp import FakeErp
from tests.fakes.stock import FakeStock
from tests.system_apis.contracts.harness import FakeUnderTest, UnderTest

VENDOR_SECRET = "vendor-internal-text-7f3a"
Count = Callable[[httpx.AsyncClient, str, str, int], Awaitable[httpx.Response]]
Row = tuple[str, str, int, int]


@dataclass(frozen=True, kw_only=True)
class Hooks:
    name: str
    refusal: httpx.Response | None = None
    """An ERP's permanent refusal in its own words, with ``VENDOR_SECRET`` in its text."""
    throttle_in_body: httpx.Response | None = None
    """An ERP's throttle in its own words (a body, maybe no Retry-After)."""
    throttle_default_wait: float | None = None
    """The wait the adapter takes when that throttle names none."""
    seeded: tuple[Row, ...] | None = None
    """The stock the sandbox holds at the seed: (sku, location, on hand, available), SKU then location order."""
    location: str = ""
    """A stock location of the sandbox's (``set_count`` changes a count there)."""
    set_count: Count | None = None

    def need(self, hook: str) -> object:
        value = getattr(self, hook)
        if value is None:
            pytest.fail(f"kind {self.name!r}: add `{hook}` to its entry in HOOKS (tests/system_apis/contracts/conftest.py)")
        return value


def _qbo_fault(status: int, code: str, type_: str) -> httpx.Response:
    error = {"Message": f"Business Validation Error {VENDOR_SECRET}", "Detail": VENDOR_SECRET, "code": code}
    return httpx.Response(status, json={"Fault": {"Error": [error], "type": type_}, "time": "2026-12-06T10:00:00-08:00"})


def _netsuite_error(status: int, code: str) -> httpx.Response:
    detail = {"detail": f"Error while accessing a resource. {VENDOR_SECRET}", "o:errorCode": code}
    return httpx.Response(status, json={"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
                                        "title": "Bad Request", "status": status, "o:errorDetails": [detail]})


def _soap_fault(who: str, code: str) -> httpx.Response:
    return httpx.Response(500, content=soap.fault(who, VENDOR_SECRET, code), headers={"Content-Type": "text/xml"})


async def _shared_stock_count(control: httpx.AsyncClient, sku: str, location: str, on_hand: int) -> httpx.Response:
    return await control.post("/sandbox/wms/stock", json={"sku": sku, "location": location, "on_hand": on_hand})


async def _counterpoint_count(control: httpx.AsyncClient, sku: str, location: str, on_hand: int) -> httpx.Response:
    return await control.put(f"/sandbox/counterpoint/inventory/{location.removeprefix('STORE-')}/{sku}",
                             json={"on_hand": on_hand})


async def _threepl_count(control: httpx.AsyncClient, sku: str, location: str, on_hand: int) -> httpx.Response:
    return await control.put(f"/sandbox/threepl/inventory/{sku}", json={"on_hand": on_hand})


STORE: tuple[Row, ...] = (("SKU-1002", "STORE-NYC", 3, 3),)
DCS: tuple[Row, ...] = (("SKU-1001", "DC-EAST", 40, 40), ("SKU-1001", "DC-WEST", 10, 10),
                        ("SKU-1002", "DC-WEST", 5, 5), ("SKU-1003", "DC-EAST", 500, 500))
HOOKS: dict[str, Hooks] = {hooks.name: hooks for hooks in (
    Hooks(name="clouderp",
          refusal=httpx.Response(400, json={"error": {"code": "INVALID_FLD_VALUE", "message": VENDOR_SECRET}}),
          throttle_in_body=httpx.Response(400, json={"error": {"code": "SSS_REQUEST_LIMIT_EXCEEDED",
                                                               "message": VENDOR_SECRET}})),
    Hooks(name="quickbooks", refusal=_qbo_fault(400, "6000", "ValidationFault"),
          throttle_in_body=_qbo_fault(429, "003001", "ThrottlingFault"),
          throttle_default_wait=quickbooks.THROTTLE_WINDOW),
    Hooks(name="legacy_erp", refusal=_soap_fault("Client", "INVALID_FIELD"),
          throttle_in_body=_soap_fault("Server", "SESSION_LIMIT_REACHED")),
    Hooks(name="netsuite", refusal=_netsuite_error(400, "USER_ERROR"),
          throttle_in_body=_netsuite_error(429, "CONCURRENCY_LIMIT_EXCEEDED"),
          throttle_default_wait=netsuite.THROTTLE_WAIT),
    Hooks(name="shipworks", seeded=DCS, location="DC-WEST", set_count=_shared_stock_count),
    Hooks(name="storelink", seeded=STORE, location="STORE-NYC", set_count=_shared_stock_count),
    Hooks(name="counterpoint", seeded=STORE, location="STORE-NYC", set_count=_counterpoint_count),
    # The 3PL's sandbox holds stock at its own fulfilment centre (docs/vendors/threepl.md).
    Hooks(name="threepl", seeded=(("SKU-1001", "3PL-MV", 25, 25), ("SKU-1003", "3PL-MV", 120, 120)),
          location="3PL-MV", set_count=_threepl_count),
    Hooks(name="fake", seeded=DCS, location="DC-WEST"),
)}


def _fake_stock() -> FakeStock:
    return FakeStock(*(StockLevel(sku=s, location=loc, on_hand=on, available=av, sequence=1,
                                  as_of=datetime.now(UTC))
                       for s, loc, on, av in DCS))


# One fake per port (tests/fakes/); payments and channel suites read sandbox views only.
FAKES: dict[str, Callable[[], object]] = {"erp": FakeErp.seeded, "stock": _fake_stock, "fulfilment": FakeFulfilment}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for role in ROLES:
        if role not in metafunc.fixturenames:
            continue
        params = [pytest.param(kind.name, id=kind.name) for kind in KINDS.values() if role in kind.adapters]
        if role in FAKES and metafunc.definition.get_closest_marker("sandbox_only") is None:
            params.append(pytest.param("fake", id="fake"))
        metafunc.parametrize(role, params, indirect=True)


def _port_fixture(role: str) -> Callable[..., AsyncIterator[UnderTest | FakeUnderTest]]:
    """The fixture named ``role``: that role's adapter of the kind (or the fake) it is parametrized with."""

    @pytest.fixture(name=role)
    async def port(request: pytest.FixtureRequest) -> AsyncIterator[UnderTest | FakeUnderTest]:
        name: str = request.param
        hooks = HOOKS.get(name, Hooks(name=name))
        under = FakeUnderTest(FAKES[role](), hooks) if name == "fake" else UnderTest(name, role, hooks)
        yield under
        await under.aclose()

    return port


for _role in ROLES:  # a role the registry gains gets its fixture with no edit here
    globals()[_role] = _port_fixture(_role)
