"""The cluster's lock store (bot/lock_store.py) against a real Redis (scripts/test.sh starts one):
one holder of a conversation's lock at a time, also when a turn outlasts the lock's lifetime."""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse

import redis
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


def redis_calls(url: str, command: str) -> int:
    """How many times Redis has run `command` since it started (INFO commandstats)."""
    client = redis.Redis.from_url(url)
    try:
        return int(client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))
    finally:
        client.close()


def test_waiting_turns_queue_in_their_replica_and_do_not_poll_redis_hard() -> None:
    # 40 turns of one conversation over two replicas, 50 ms each: two seconds of waiting. Polled
    # every 20 ms by every waiter, as redis-py's lock does, that was thousands of SETs.
    url = shared_test_redis()
    before = redis_calls(url, "set")
    most, ran = asyncio.run(contend([store(url), store(url)], holders=40, hold=0.05, lifetime=5))
    assert (most, ran) == (1, 40)
    assert redis_calls(url, "set") - before < 40 * 6


def test_the_turns_of_a_conversation_in_one_replica_run_in_the_order_they_came() -> None:
    url = shared_test_redis()
    replica, order = store(url), []

    async def turns() -> None:
        async def turn(i: int) -> None:
            async with replica.lock("conversation-order", lock_lifetime=5):
                order.append(i)
                await asyncio.sleep(0.01)

        tasks = []
        for i in range(10):
            tasks.append(asyncio.create_task(turn(i)))
            await asyncio.sleep(0)  # each turn starts waiting before the next comes
        await asyncio.gather(*tasks)

    asyncio.run(turns())
    assert order == list(range(10))
