"""The NetSuite sandbox as one ``BackendSpec``: registered in ``sandbox.app.BACKENDS``."""

from __future__ import annotations

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.netsuite.controls import CONTROLS
from system_apis.sandbox.netsuite.account import NetSuiteAccount, NetSuiteError
from system_apis.sandbox.netsuite.routes import API, THROTTLED, VIEWS, render_error
from system_apis.sandbox.quickbooks.limits import realm_limits

NETSUITE = BackendSpec(
    name="netsuite",
    api_path="/services/rest",
    api_handlers=API,
    build=NetSuiteAccount,
    throttle_body=THROTTLED,
    throttle_retry_after="1",
    control_handlers=(*VIEWS, *CONTROLS),
    api_exception_handlers={NetSuiteError: render_error},
    api_middleware=lambda account: realm_limits(account, THROTTLED),
)
