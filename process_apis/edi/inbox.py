"""The drop folder (``HUB_EDI_INBOX_DIR``): interchanges a partner (or its VAN, or an SFTP
server) leaves as files, taken by the workers.

    <inbox>/PO-123.x12 ──rename──> <inbox>/processing/ ──receive──> <inbox>/done/
                                                                └──> <inbox>/failed/ (+ .reason.txt)

A file is claimed by renaming it into ``processing/`` (atomic: of several workers
one wins), then received exactly as an upload is, without a customer check (the
folder is trusted; the ISA sender names the partner). An interchange rejected as
a whole (or unreadable, or from an unknown partner) goes to ``failed/`` with the
reason beside it; any other to ``done/``, its 997 and 855 in the outbound folder
and the documents list. Hidden files and ``*.tmp`` are not taken (write, then
rename into the folder). A file left in ``processing/`` by a worker that died is
taken again after ``STALE_SECONDS``: receiving is idempotent per interchange.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

from process_apis.edi.port import EdiPort
from shared.errors import BackendUnavailable, HubError

log = logging.getLogger(__name__)
STALE_SECONDS = 300.0


class DropFolder:
    def __init__(self, edi: EdiPort, inbox: str, *, every: float = 2.0) -> None:
        self._edi = edi
        self._inbox = Path(inbox)
        self._every = every
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        for name in ("processing", "done", "failed"):
            (self._inbox / name).mkdir(parents=True, exist_ok=True)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
            except OSError as exc:  # the folder went away or is not writable: say so, look again later
                log.warning("edi: drop folder %s: %s", self._inbox, exc)
            except Exception:  # noqa: BLE001 - the poller outlives one bad round; the file stays claimed
                log.exception("edi: drop folder %s: a round failed", self._inbox)
            await asyncio.sleep(self._every)

    async def poll(self) -> int:
        """Take every waiting file once; the number taken."""
        taken = 0
        for path in self._waiting():
            claimed = self._inbox / "processing" / path.name
            try:
                if path != claimed:
                    os.replace(path, claimed)
                else:
                    os.utime(claimed)  # a stale claim, taken again: fresh for the others
            except FileNotFoundError:
                continue  # another worker took it
            taken += 1
            await self._take(claimed)
        return taken

    def _waiting(self) -> list[Path]:
        fresh = [p for p in sorted(self._inbox.iterdir()) if p.is_file() and not p.name.startswith(".")
                 and not p.name.endswith(".tmp")]
        stale = [p for p in sorted((self._inbox / "processing").iterdir())
                 if p.is_file() and time.time() - p.stat().st_mtime > STALE_SECONDS]
        return fresh + stale

    async def _take(self, path: Path) -> None:
        try:
            receipt = await self._edi.receive(path.read_bytes())
        except BackendUnavailable:
            return  # the database is away: the file stays claimed and is taken again when stale
        except HubError as exc:
            self._finish(path, "failed", f"{exc.code}: {exc.detail}")
            return
        if receipt.status == "rejected":
            self._finish(path, "failed", f"rejected at {receipt.error_segment}: {receipt.detail}")
        else:
            self._finish(path, "done", None)

    def _finish(self, path: Path, where: str, reason: str | None) -> None:
        target = self._inbox / where / path.name
        os.replace(path, target)
        if reason is not None:
            target.with_name(target.name + ".reason.txt").write_text(reason + "\n")
        log.info("edi: %s -> %s%s", path.name, where, f" ({reason})" if reason else "")
