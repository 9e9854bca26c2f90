"""The cluster's lock store: one replica at a time processes a conversation, for real.

Rasa 3.6's RedisLockStore issues its tickets by reading the lock, adding a ticket and writing it
back, not atomically: two replicas taking a ticket for one new conversation at the same instant
both write a lock with one ticket, so both process the message at once, or the one whose ticket
was overwritten finds the lock gone and fails with LockError (the message is answered with an
apology and never stored). Here the lock is Redis's own atomic one (SET NX with an expiry,
released by a script that checks the owner): not first-come first-served, but exclusive.

The lock's lifetime (TICKET_LOCK_LIFETIME) bounds how long a killed replica blocks its
conversations, not how long a turn may take: while a turn runs, the lock is renewed every third
of its lifetime. Under a burst a turn can take longer than the lifetime; an expired lock would
let a second replica process the same conversation at once (two session starts for one new
sender in the race of tests/test_cluster.py). A message waits up to HELPLINE_TURN_WAIT seconds
(bot/settings.py) for its turn.

Waiting is cheap: the turns of one conversation in one replica queue on an asyncio lock, in the
order they came (only the first asks Redis), and that one asks again after a pause that doubles
up to half a second. Polling every few milliseconds, as redis-py's lock does, let a burst of
waiting messages take the CPU from the turns they were waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis import asyncio as aioredis
from redis.exceptions import LockError as RedisLockError
from redis.exceptions import RedisError

from bot import settings

logger = logging.getLogger(__name__)
FIRST_PAUSE, LONGEST_PAUSE = 0.01, 0.5  # seconds between asking Redis for a held lock


class HelplineLockStore(RedisLockStore):
    """`lock_store: type: bot.lock_store.HelplineLockStore` with `url` (the host), `port`, `db`."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options: dict[str, Any] = dict(endpoint_config.kwargs)
        host, port = endpoint_config.url or "localhost", int(options.get("port", 6379))
        db, prefix = int(options.get("db", 1)), options.get("key_prefix")
        super().__init__(host=host, port=port, db=db, password=options.get("password"), key_prefix=prefix)
        self.client = aioredis.Redis(host=host, port=port, db=db, password=options.get("password"))
        self._local = _LocalQueues()

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(settings.turn_wait_seconds(), lock_lifetime)
        async with self._local.hold(conversation_id, deadline - loop.time()):
            lock = self.client.lock(f"{self.key_prefix}mutex:{conversation_id}", timeout=lock_lifetime)
            await _acquire(lock, deadline, conversation_id)
            renewal = asyncio.create_task(_renew(lock, lock_lifetime / 3))
            try:
                yield
            finally:
                renewal.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewal
                with contextlib.suppress(RedisLockError):  # lost (Redis restarted): nothing to release
                    await lock.release()


class _LocalQueues:
    """One asyncio lock per conversation with turns waiting in this process; dropped when none is."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str, wait: float) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            try:
                await asyncio.wait_for(lock.acquire(), timeout=max(wait, 0))
            except asyncio.TimeoutError:
                raise LockError(f"Could not acquire lock for conversation_id '{key}'.") from None
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


async def _acquire(lock: Any, deadline: float, conversation_id: str) -> None:
    """Takes Redis's lock, asking again after pauses that double, until `deadline` (loop time)."""
    loop, pause = asyncio.get_running_loop(), FIRST_PAUSE
    while not await lock.acquire(blocking=False):
        if loop.time() + pause > deadline:
            raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
        await asyncio.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)


async def _renew(lock: Any, every: float) -> None:
    """Resets the lock's expiry to its full lifetime every `every` seconds while the turn runs."""
    while True:
        await asyncio.sleep(every)
        try:
            await lock.reacquire()
        except RedisLockError:  # no longer ours: the turn goes on, as it would have without renewal
            logger.warning("a conversation's lock expired before its turn ended")
            return
        except RedisError:
            logger.warning("a conversation's lock could not be renewed: Redis unreachable")
