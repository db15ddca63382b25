"""Admin API: keys (CONTRACT section 7). Scope `admin`; secrets appear only when made."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post

from gateway.keys.schemas import KeyCreate, KeyCreated, KeyList, KeyRotate, KeyView
from gateway.keys.service import KeyService
from shared.problems import strict_body
from experience_apis.http import INJECTED
from experience_apis.operations.guards import ADMIN


Keys = Annotated[KeyService, INJECTED]


class KeysController(Controller):
    path = "/admin/v1/keys"
    tags = ["keys"]
    guards = [ADMIN]

    @post("/", operation_id="createKey", status_code=201, before_request=strict_body(KeyCreate))
    async def create(self, data: KeyCreate, keys: Keys) -> KeyCreated:
        """A new key; the `key` secret is shown only in this answer."""
        return await keys.create(data)

    @get("/", operation_id="listKeys")
    async def list_keys(self, keys: Keys) -> KeyList:
        return KeyList(items=await keys.list())

    @get("/{key_id:str}", operation_id="getKey")
    async def get_key(self, key_id: str, keys: Keys) -> KeyView:
        return await keys.get(key_id)

    @post("/{key_id:str}/rotate", operation_id="rotateKey", status_code=200)
    async def rotate(self, key_id: str, keys: Keys, data: KeyRotate | None = None) -> KeyCreated:
        """A new secret; the old one keeps working for `grace_seconds` (default 3600)."""
        return await keys.rotate(key_id, (data or KeyRotate()).grace_seconds)

    @delete("/{key_id:str}", operation_id="revokeKey", status_code=200)
    async def revoke(self, key_id: str, keys: Keys) -> KeyView:
        """Revoked at once on this instance, within 1 s on every other."""
        return await keys.revoke(key_id)
