"""The QuickBooks Online sandbox as one ``BackendSpec``: registered in ``sandbox.app.BACKENDS``."""

from __future__ import annotations

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.quickbooks.company import QboFault, QuickBooksBackend
from system_apis.sandbox.quickbooks.controls import CONTROLS
from system_apis.sandbox.quickbooks.limits import realm_limits
from system_apis.sandbox.quickbooks.routes import API, THROTTLED, VIEWS, render_fault

QUICKBOOKS = BackendSpec(
    name="quickbooks",
    api_path="/v3/company",
    api_handlers=API,
    build=QuickBooksBackend,
    throttle_body=THROTTLED,
    throttle_retry_after="1",
    control_handlers=(*VIEWS, *CONTROLS),
    api_exception_handlers={QboFault: render_fault},
    api_middleware=lambda company: realm_limits(company, THROTTLED),
)
