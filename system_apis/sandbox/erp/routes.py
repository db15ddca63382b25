"""CloudERP over HTTP: its vendor API (``/sandbox/erp/api/v1``), price control and spec."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put
from litestar.params import Parameter

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox import erp_controls
from system_apis.sandbox.control_errors import ControlNotFound
from system_apis.sandbox.erp.state import ErpBackend
from system_apis.sandbox.erp.errors import ErpUserError, RecordNotFound
from system_apis.sandbox.erp.order_routes import TRANSACTION_API, TRANSACTION_VIEWS, record_not_found, user_error
from system_apis.sandbox.erp.schemas import (
    THROTTLED,
    CustomerItemPrices,
    CustomerItemPricesPage,
    ErpCustomer,
    ErpCustomerPage,
    ErpError,
    ErpErrorDetail,
    ErpItem,
    ErpItemPage,
)


@get("/items/{item_id:str}")
async def get_item(erp: ErpBackend, item_id: str) -> ErpItem:
    """One item of the item master."""
    return erp.item(item_id)


@get("/items")
async def list_items(
    erp: ErpBackend,
    offset: int = Parameter(default=0, ge=0),
    limit: int = Parameter(default=100, ge=1, le=1000),
) -> ErpItemPage:
    """A page of the item master, sorted by ``itemId``."""
    return erp.item_page(offset, limit)


@get("/customers")
async def list_customers(
    erp: ErpBackend,
    offset: int = Parameter(default=0, ge=0),
    limit: int = Parameter(default=100, ge=1, le=1000),
) -> ErpCustomerPage:
    """A page of the customer master, sorted by ``customerId``."""
    return erp.customer_page(offset, limit)


@get("/item-prices")
async def list_item_prices(
    erp: ErpBackend,
    offset: int = Parameter(default=0, ge=0),
    limit: int = Parameter(default=100, ge=1, le=1000),
) -> CustomerItemPricesPage:
    """A page of every customer's contract price list, sorted by ``customerId``."""
    return erp.item_prices_page(offset, limit)


@get("/customers/{customer_id:str}")
async def get_customer(erp: ErpBackend, customer_id: str) -> ErpCustomer:
    """One customer with terms, credit limit and hold."""
    return erp.customer(customer_id)


@get("/customers/{customer_id:str}/item-prices")
async def get_item_prices(erp: ErpBackend, customer_id: str) -> CustomerItemPrices:
    """The customer's contract prices (possibly none)."""
    return erp.item_prices(customer_id)


@put("/items/{sku:str}/price", status_code=200)
async def set_price(request: Request[Any, Any, Any], erp: ErpBackend, sku: str) -> ErpItem:
    """Control: change an item's list price; the ERP announces it. Answers the item."""
    item = erp.change_price(sku, erp_controls.list_price(await request.body()))
    if item is None:
        raise ControlNotFound(f"unknown sku {sku}")
    return item


@put("/customers/{customer_id:str}/credit", status_code=200)
async def set_credit(request: Request[Any, Any, Any], erp: ErpBackend, customer_id: str) -> ErpCustomer:
    """Control: set a customer's credit hold and/or limit; the ERP announces it. Answers the customer."""
    customer = erp.change_credit(customer_id, *erp_controls.credit(await request.body()))
    if customer is None:
        raise ControlNotFound(f"unknown customer {customer_id}")
    return customer


@put("/customers/{customer_id:str}/item-prices/{sku:str}", status_code=200)
async def set_contract_price(
    request: Request[Any, Any, Any], erp: ErpBackend, customer_id: str, sku: str
) -> CustomerItemPrices:
    """Control: set (or, with ``null``, remove) a customer's contract price; the ERP announces it."""
    price = erp_controls.contract_price(await request.body())
    if sku not in erp.item_ids():
        raise ControlNotFound(f"unknown sku {sku}")
    prices = erp.change_contract_price(customer_id, sku, price)
    if prices is None:
        raise ControlNotFound(f"unknown customer {customer_id}")
    return prices


ERP = BackendSpec(
    name="erp",
    api_path="/api/v1",
    api_handlers=(get_item, list_items, list_customers, list_item_prices, get_customer, get_item_prices, *TRANSACTION_API),
    build=ErpBackend,
    throttle_body=THROTTLED,
    control_handlers=(set_price, set_credit, set_contract_price, *TRANSACTION_VIEWS),
    api_exception_handlers={RecordNotFound: record_not_found, ErpUserError: user_error},
)
