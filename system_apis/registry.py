"""The vendor kinds a connection may name, registered in one place.

A kind is one vendor package under ``system_apis/<vendor>/``: the ports its
adapters serve (a role -> an adapter class taking one ``VendorHttp``), the
classifier that judges its answers, how many calls it takes at once, how its
credential travels, and the sandbox ``BackendSpec`` that imitates it. A new
vendor is its package (its adapters, one of them with a health ``probe``), its
sandbox under ``system_apis/sandbox/<vendor>/``, and one ``VendorKind`` in
``KINDS`` below; ``hub.toml`` then names it as the ``kind`` of a connection
(docs/connections.md).

The roles are what the process layer asks for, in canonical terms:

    erp         ErpPort              items, customers, prices, sales orders, credit memos
    stock       StockPort            stock by location (warehouses, stores)
    fulfilment  FulfilmentPort       order releases, expected returns, inspections
    payments    PaymentsPort         authorizations and refunds
    channel     ChannelPlatformPort  a sales channel: fulfilments, levels and refunds back to it
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from system_apis.counterpoint.client import CounterpointStockAdapter
from system_apis.counterpoint.client import auth_headers as counterpoint_headers
from system_apis.counterpoint.client import classify as counterpoint_classify
from system_apis.erp.client import ErpHttpAdapter
from system_apis.erp.client import classify as erp_classify
from system_apis.legacy_erp.client import SANDBOX_PASSWORD as LEGACY_SANDBOX_PASSWORD
from system_apis.legacy_erp.client import LegacyErpAdapter
from system_apis.legacy_erp.client import classify as legacy_erp_classify
from system_apis.netsuite.client import SANDBOX_ACCESS_TOKEN as NETSUITE_SANDBOX_TOKEN
from system_apis.netsuite.client import NetSuiteErpAdapter
from system_apis.netsuite.client import classify as netsuite_classify
from system_apis.payments.client import PaymentsHttpAdapter
from system_apis.payments.client import classify as payments_classify
from system_apis.pos.client import PosHttpAdapter
from system_apis.pos.client import classify as pos_classify
from system_apis.quickbooks.client import SANDBOX_ACCESS_TOKEN as QUICKBOOKS_SANDBOX_TOKEN
from system_apis.quickbooks.client import QuickBooksErpAdapter
from system_apis.quickbooks.client import classify as quickbooks_classify
from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.counterpoint.store import COUNTERPOINT
from system_apis.sandbox.erp.routes import ERP
from system_apis.sandbox.legacy_erp.routes import LEGACY_ERP
from system_apis.sandbox.netsuite.spec import NETSUITE
from system_apis.sandbox.payments.routes import PAYMENTS
from system_apis.sandbox.pos.state import POS
from system_apis.sandbox.quickbooks.spec import QUICKBOOKS
from system_apis.sandbox.shopify.routes import SHOPIFY
from system_apis.sandbox.threepl.routes import THREEPL
from system_apis.sandbox.wms.routes import WMS
from system_apis.shopify.client import ACCESS_TOKEN_HEADER, ShopifyHttpAdapter
from system_apis.shopify.client import classify as shopify_classify
from system_apis.shopify.webhooks import INBOUND as SHOPIFY_INBOUND
from system_apis.channel.inbound import ChannelInbound
from system_apis.sandbox.woocommerce.routes import WOOCOMMERCE
from system_apis.sandbox.magento.routes import MAGENTO
from system_apis.sandbox.bigcommerce.routes import BIGCOMMERCE
from system_apis.sandbox.amazon.routes import AMAZON
from system_apis.amazon.client import SANDBOX_ACCESS_TOKEN as AMAZON_SANDBOX_TOKEN
from system_apis.amazon.client import AmazonAdapter, access_token as amazon_access_token
from system_apis.amazon.limits import classify as amazon_classify
from system_apis.bigcommerce.client import AUTH_HEADER as BIGCOMMERCE_AUTH
from system_apis.bigcommerce.client import BigCommerceAdapter
from system_apis.bigcommerce.client import classify as bigcommerce_classify
from system_apis.bigcommerce.webhooks import INBOUND as BIGCOMMERCE_INBOUND
from system_apis.magento.client import MagentoAdapter
from system_apis.magento.client import classify as magento_classify
from system_apis.woocommerce.client import WooCommerceAdapter, basic_auth
from system_apis.woocommerce.client import classify as woocommerce_classify
from system_apis.woocommerce.webhooks import INBOUND as WOOCOMMERCE_INBOUND
from system_apis.threepl.client import ThreePlFulfilmentAdapter, ThreePlStockAdapter
from system_apis.threepl.client import auth_headers as threepl_headers
from system_apis.threepl.client import classify as threepl_classify
from system_apis.vendor_http import VendorHttp
from system_apis.wms.client import WmsHttpAdapter
from system_apis.wms.client import classify as wms_classify
from system_apis.wms.fulfilment_client import WmsFulfilmentAdapter

ROLES = ("erp", "stock", "fulfilment", "payments", "channel")


def no_credential(credential: str) -> dict[str, str]:
    return {}


def bearer(credential: str) -> dict[str, str]:
    """``Authorization: Bearer <credential>`` (most cloud APIs)."""
    return {"Authorization": f"Bearer {credential}"} if credential else {}


def header(name: str) -> Callable[[str], dict[str, str]]:
    """The credential in a vendor header of its own (Shopify's ``X-Shopify-Access-Token``)."""
    return lambda credential: {name: credential} if credential else {}


def counterpoint_auth(credential: str) -> dict[str, str]:
    """Counterpoint's two credentials in one: ``<company>.<user>:<password>;<api key>``."""
    if not credential:
        return {}
    login, _, api_key = credential.rpartition(";")
    company_user, _, password = login.partition(":")
    company, _, user = company_user.partition(".")
    return counterpoint_headers(company, user, password, api_key)


def threepl_auth(credential: str) -> dict[str, str]:
    """The 3PL's token and the channel it acts for: ``<token>;<channel id>``."""
    if not credential:
        return {}
    token, _, channel = credential.partition(";")
    return threepl_headers(token, channel)


@dataclass(frozen=True, kw_only=True)
class VendorKind:
    """One vendor: what a connection of this kind is built from."""

    name: str
    adapters: Mapping[str, Callable[[VendorHttp], object]]
    """Role (``ROLES``) -> the adapter serving it over the connection's one ``VendorHttp``."""
    classify: Callable[[httpx.Response], None]
    concurrency: int
    """Calls in flight at once unless the connection says otherwise (its bulkhead and pool)."""
    sandbox: BackendSpec
    """The sandbox backend imitating this vendor; a sandbox connection's base URL is its path."""
    auth: Callable[[str], dict[str, str]] = no_credential
    """The headers that carry the connection's credential on every call."""
    sandbox_credential: str = ""
    """What the sandbox accepts when the connection names no credential (HUB_SANDBOX=1 only)."""
    credential_option: str | None = None
    """The adapter keyword the credential goes to when it travels inside each call, not in a header
    (``system_apis/adapter_options.py``: an adapter's other keywords are the connection's ``options``)."""
    inbound: ChannelInbound | None = None
    """A channel kind's order webhooks: verified and read at ``/hooks/channels/<connection>``."""
    probe_role: str = ""
    """The role whose adapter probes the connection's health (``system_apis.probing.Probe``, one cheap
    read-only vendor call); default: its first role. Every kind has one
    (tests/system_apis/contracts/test_probe_contract.py)."""

    @property
    def prober(self) -> str:
        return self.probe_role or next(iter(self.adapters))


# The ERP is the scarcest backend (vendors cap concurrent sessions); WMS and POS are roomier.
# Shopify's bucket refills at 2 calls/s, so a few calls at once are plenty; payments sit between.
KINDS: dict[str, VendorKind] = {kind.name: kind for kind in (
    VendorKind(name="clouderp", adapters={"erp": ErpHttpAdapter}, classify=erp_classify, concurrency=16, sandbox=ERP),
    VendorKind(name="shipworks", adapters={"stock": WmsHttpAdapter, "fulfilment": WmsFulfilmentAdapter},
               classify=wms_classify, concurrency=32, sandbox=WMS),
    VendorKind(name="storelink", adapters={"stock": PosHttpAdapter}, classify=pos_classify, concurrency=32,
               sandbox=POS),
    VendorKind(name="shopify", adapters={"channel": ShopifyHttpAdapter}, classify=shopify_classify, concurrency=8,
               sandbox=SHOPIFY, auth=header(ACCESS_TOKEN_HEADER), sandbox_credential="shpat_sandbox",
               inbound=SHOPIFY_INBOUND),
    VendorKind(name="woocommerce", adapters={"channel": WooCommerceAdapter}, classify=woocommerce_classify,
               concurrency=4, sandbox=WOOCOMMERCE, auth=basic_auth, inbound=WOOCOMMERCE_INBOUND,
               sandbox_credential="ck_sandbox:cs_sandbox"),
    # Magento sends no webhooks (open source): its orders are polled (system_apis/channel/polling.py).
    VendorKind(name="magento", adapters={"channel": MagentoAdapter}, classify=magento_classify, concurrency=4,
               sandbox=MAGENTO, auth=bearer, sandbox_credential="magento-sandbox-integration-token"),
    VendorKind(name="bigcommerce", adapters={"channel": BigCommerceAdapter}, classify=bigcommerce_classify,
               concurrency=4, sandbox=BIGCOMMERCE, auth=header(BIGCOMMERCE_AUTH), inbound=BIGCOMMERCE_INBOUND,
               sandbox_credential="bigcommerce-sandbox-token"),
    # Amazon sends no order webhooks to a seller's hub: its orders are polled (getOrders), within its usage plans.
    # Its credential also goes to the adapter: an LWA refresh token it exchanges (system_apis/amazon/lwa.py).
    VendorKind(name="amazon", adapters={"channel": AmazonAdapter}, classify=amazon_classify, concurrency=2,
               sandbox=AMAZON, auth=amazon_access_token, sandbox_credential=AMAZON_SANDBOX_TOKEN,
               credential_option="credential"),
    VendorKind(name="stripe_like", adapters={"payments": PaymentsHttpAdapter}, classify=payments_classify,
               concurrency=16, sandbox=PAYMENTS),
    VendorKind(name="quickbooks", adapters={"erp": QuickBooksErpAdapter}, classify=quickbooks_classify, concurrency=10,
               sandbox=QUICKBOOKS, auth=bearer, sandbox_credential=QUICKBOOKS_SANDBOX_TOKEN),
    VendorKind(name="netsuite", adapters={"erp": NetSuiteErpAdapter}, classify=netsuite_classify, concurrency=5,
               sandbox=NETSUITE, auth=bearer, sandbox_credential=NETSUITE_SANDBOX_TOKEN),
    # The legacy ERP's credential travels inside each SOAP envelope (WS-Security), not in a header.
    VendorKind(name="legacy_erp", adapters={"erp": LegacyErpAdapter}, classify=legacy_erp_classify, concurrency=4,
               sandbox=LEGACY_ERP, credential_option="password", sandbox_credential=LEGACY_SANDBOX_PASSWORD),
    VendorKind(name="counterpoint", adapters={"stock": CounterpointStockAdapter},
               classify=counterpoint_classify, concurrency=4, sandbox=COUNTERPOINT, auth=counterpoint_auth,
               sandbox_credential="DEMOGOLF.HUB:sandbox-password;counterpoint-sandbox-api-key"),
    VendorKind(name="threepl", adapters={"fulfilment": ThreePlFulfilmentAdapter,
                                         "stock": ThreePlStockAdapter},
               classify=threepl_classify, concurrency=2, sandbox=THREEPL, auth=threepl_auth,
               sandbox_credential="threepl_sandbox_pat;100100"),
)}


def sandbox_specs() -> tuple[BackendSpec, ...]:
    """Every registered kind's sandbox backend, once each (the sandbox app serves these)."""
    specs: dict[str, BackendSpec] = {}
    for kind in KINDS.values():
        specs.setdefault(kind.sandbox.name, kind.sandbox)
    return tuple(specs.values())
