"""The cluster's lock store (bot/lock_store.py) against a real Redis (scripts/test.sh starts one):
one holder of a conversation's lock at a time, also when a turn outlasts the lock's lifetime."""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse

from rasa.utils.endpoints import EndpointConfig
from test_limits import shared_test_redis

from bot.lock_store import HelplineLockStore


def store(url: str) -> HelplineLockStore:
    """A lock store as a replica makes it from endpoints.cluster.yml."""
    parsed = urlparse(url)
    return HelplineLockStore(EndpointConfig(url=parsed.hostname, port=parsed.port, db=0, key_prefix="test",
                                            type="bot.lock_store.HelplineLockStore"))


async def contend(stores: list[HelplineLockStore], holders: int, hold: float, lifetime: float) -> tuple[int, int]:
    """`holders` turns of one conversation at once, spread over `stores` (as over replicas):
    (the most turns ever inside at once, the turns that ran)."""
    inside, most, ran = 0, 0, 0

    async def turn(i: int) -> None:
        nonlocal inside, most, ran
        async with stores[i % len(stores)].lock("conversation-1", lock_lifetime=lifetime):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(hold)
            inside -= 1
            ran += 1

    await asyncio.gather(*(turn(i) for i in range(holders)))
    return most, ran


def test_one_turn_of_a_conversation_at_a_time_across_replicas() -> None:
    url = shared_test_redis()
    most, ran = asyncio.run(contend([store(url), store(url)], holders=20, hold=0.02, lifetime=5))
    assert (most, ran) == (1, 20)


def test_a_turn_longer_than_the_locks_lifetime_keeps_it() -> None:
    # lifetime 0.6 s, turns of 1.5 s: without the renewal the second turn would start at 0.6 s
    url = shared_test_redis()
    most, ran = asyncio.run(contend([store(url), store(url)], holders=2, hold=1.5, lifetime=0.6))
    assert (most, ran) == (1, 2)
