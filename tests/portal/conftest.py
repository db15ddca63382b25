"""One real hub process (the ``all`` role on SQLite, sandbox backends) for the portal tests,
and a sandbox key made with its admin API."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.e2e.conftest import Process, free_port

ADMIN_KEY = "portal-admin-key-0123456789"


class Hub:
    def __init__(self, process: Process) -> None:
        self.url = process.url
        self.process = process

    def new_key(self, *scopes: str) -> str:
        answer = httpx.post(f"{self.url}/admin/v1/keys", headers={"X-API-Key": ADMIN_KEY},
                            json={"consumer": "portal-test", "scopes": list(scopes)}, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()["key"]


@pytest.fixture(scope="package")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    workdir: Path = tmp_path_factory.mktemp("portal-hub")
    process = Process("all", free_port(), {"HUB_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY, "HUB_SANDBOX": "1",
                                           "HUB_SANDBOX_AUTOSHIP_SECONDS": "0"}, workdir)
    try:
        process.wait_ready(60)
        yield Hub(process)
    finally:
        process.stop()
