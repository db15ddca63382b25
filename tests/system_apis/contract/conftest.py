"""The contract suites' fixtures: one run per adapter of the port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.system_apis.contract.erp_harness import KINDS, ErpUnderTest


@pytest.fixture(params=KINDS, ids=[k.name for k in KINDS])
async def erp(request: pytest.FixtureRequest) -> AsyncIterator[ErpUnderTest]:
    under_test = ErpUnderTest(request.param)
    yield under_test
    await under_test.aclose()
