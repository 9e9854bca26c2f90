"""The cluster's lock store: one replica at a time processes a conversation, for real.

Rasa 3.6's RedisLockStore issues its tickets by reading the lock, adding a ticket and writing it
back, not atomically: two replicas taking a ticket for one new conversation at the same instant
both write a lock with one ticket, so both process the message at once, or the one whose ticket
was overwritten finds the lock gone and fails with LockError (the message is answered with an
apology and never stored). Here the lock is Redis's own atomic one (SET NX with an expiry,
released by a script that checks the owner): not first-come first-served, but exclusive.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis import asyncio as aioredis
from redis.exceptions import LockError as RedisLockError


class HelplineLockStore(RedisLockStore):
    """`lock_store: type: bot.lock_store.HelplineLockStore` with `url` (the host), `port`, `db`."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options: dict[str, Any] = dict(endpoint_config.kwargs)
        host, port = endpoint_config.url or "localhost", int(options.get("port", 6379))
        db, prefix = int(options.get("db", 1)), options.get("key_prefix")
        super().__init__(host=host, port=port, db=db, password=options.get("password"), key_prefix=prefix)
        self.client = aioredis.Redis(host=host, port=port, db=db, password=options.get("password"))

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[None]:
        lock = self.client.lock(f"{self.key_prefix}mutex:{conversation_id}", timeout=lock_lifetime,
                                sleep=0.02, blocking_timeout=lock_lifetime + 5)
        if not await lock.acquire():
            raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
        try:
            yield
        finally:
            with contextlib.suppress(RedisLockError):  # held past its lifetime: already released
                await lock.release()
