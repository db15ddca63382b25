"""Spawning real `hub serve` processes and waiting for them to be ready."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

HUB = str(Path(sys.executable).with_name("hub"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    def __init__(self, role: str, port: int, env: dict[str, str], cwd: Path) -> None:
        self.role, self.port = role, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = cwd / f"{role}-{port}.log"
        full_env = {**os.environ, **env, "HUB_PORT": str(port), "HUB_LOG_LEVEL": "warning"}
        self.proc = subprocess.Popen(
            [HUB, "serve", "--role", role], env=full_env, cwd=cwd,
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.role} exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling for a condition, bounded by the deadline
        raise AssertionError(f"{self.role} not ready in {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def spawn(tmp_path: Path):
    started: list[Process] = []

    def _spawn(role: str, env: dict[str, str], port: int | None = None) -> Process:
        process = Process(role, port or free_port(), env, tmp_path)
        started.append(process)
        return process

    yield _spawn
    for process in reversed(started):
        process.stop()
