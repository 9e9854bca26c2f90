"""Rate limits per sender, per client address and overall, shared by every process and channel.

A message counts against up to three limits within a sliding window (bot/settings.py): its sender
id (so one conversation cannot be flooded), its client address (so rotating sender ids does not
escape the first limit; messaging providers send for everyone from a few addresses, so their
channels pass no address), and everyone together (so a flood from many addresses cannot fill
the storage). A message over any limit is refused and counts against none, so a flood does not
lock a person out for longer than the window.

With HELPLINE_REDIS_URL the counts live in Redis, one sorted set of message times per key,
checked and updated by one Lua script (atomic, so two replicas cannot both take the last place),
on Redis's clock (so replicas need not agree on the time). Keys are keyed hashes
(bot.privacy.keyed_hash): Redis never holds a sender id or an address. Without Redis, or while
it does not answer, the same windows are kept in this process: limits then hold per process,
never refuse everyone, and Redis is tried again every RETRY_AFTER seconds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from redis.asyncio import Redis
from redis.asyncio.connection import parse_url
from redis.exceptions import RedisError

from bot import settings
from bot.privacy import keyed_hash

logger = logging.getLogger(__name__)
KEY_PREFIX = "helpline:limit:"
SEP = "\x1f"  # between the parts of a hashed key
RETRY_AFTER = 5.0  # seconds before a Redis that failed is asked again
REDIS_TIMEOUT = 0.5  # seconds; a message must not wait long for a limit
MAX_LOCAL_KEYS = 100_000  # idle keys are forgotten past this many, rather than grow without bound

# KEYS: the windows to check; ARGV: the window in microseconds, a unique member, then each
# key's limit. Returns 0 when the message is allowed (and counted in every window), else the
# 1-based index of the first full window (and counts nothing).
SLIDING_WINDOWS = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local window = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now_us - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then
    return i
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now_us, ARGV[2])
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
end
return 0
"""


def redis_address(url: str) -> str:
    """Where a Redis URL points, for the log (never its password); ValueError names the setting."""
    try:
        parts = parse_url(url)
    except ValueError as error:
        raise ValueError(f"HELPLINE_REDIS_URL: {error}") from None
    return str(parts.get("path") or f"{parts.get('host', 'localhost')}:{parts.get('port', 6379)}")


@dataclass(frozen=True)
class Window:
    """One limit that applies to a message: its scope ("sender", "address", "overall"), the
    hashed key it counts under, and how many messages it allows per window."""

    scope: str
    key: str
    limit: int


def address_key(address: str) -> str:
    """What one client is counted by: an IPv4 address, or an IPv6 address's /64 (one household or
    phone gets a whole /64, so rotating within it must not escape the limit)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class LocalWindows:
    """Sliding windows of message times in this process (embedded mode, or Redis down)."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}

    def hit(self, windows: Sequence[Window], window: float, now: float | None = None) -> Window | None:
        now = time.monotonic() if now is None else now
        for rule in windows:
            times = self._seen.get(rule.key)
            while times and now - times[0] > window:
                times.popleft()
            if times is not None and len(times) >= rule.limit:
                return rule
        for rule in windows:
            self._seen.setdefault(rule.key, deque()).append(now)
        if len(self._seen) > MAX_LOCAL_KEYS:
            self._seen = {k: t for k, t in self._seen.items() if t and now - t[-1] <= window}
        return None


class RateLimits:
    """The limits of bot/settings.py; one object per process (`shared_limits()`), or per test."""

    def __init__(self, per_sender: int, per_address: int, overall: int, window: float,
                 redis_url: str = "") -> None:
        self.per_sender, self.per_address, self.overall = per_sender, per_address, overall
        self.window = window
        self.redis_url = redis_url
        self.redis_where = redis_address(redis_url) if redis_url else ""
        self.local = LocalWindows()
        self._redis: tuple[asyncio.AbstractEventLoop, Any] | None = None  # (its loop, its script)
        self._redis_down_until = 0.0
        self.retry_after = RETRY_AFTER
        self._overall_logged = -float("inf")
        self._redis_failing = False

    @classmethod
    def from_settings(cls) -> RateLimits:
        return cls(settings.limit_per_sender(), settings.limit_per_address(), settings.limit_overall(),
                   float(settings.limit_window()), settings.redis_url())

    @classmethod
    def unlimited(cls) -> RateLimits:
        """No limit at all (benchmarks measure the assistant, not its refusals)."""
        return cls(0, 0, 0, 1.0)

    def windows(self, sender: str, address: str | None) -> list[Window]:
        """The limits that apply to a message, most specific first."""
        candidates = [("sender", self.per_sender, f"sender:{keyed_hash(f'sender{SEP}{sender}')}"),
                      ("overall", self.overall, "overall")]
        if address:
            candidates.insert(1, ("address", self.per_address,
                                  f"address:{keyed_hash(f'address{SEP}{address_key(address)}')}"))
        return [Window(scope, KEY_PREFIX + key, limit) for scope, limit, key in candidates if limit > 0]

    async def refused(self, sender: str, address: str | None = None) -> str | None:
        """The scope of the first limit the message is over, or None (and the message counted)."""
        windows = self.windows(sender, address)
        if not windows:
            return None
        shared = await self._redis_hit(windows) if self.redis_url else False
        # embedded, or Redis did not answer: this process's own windows
        full = self.local.hit(windows, self.window) if shared is False else shared
        if full and full.scope == "overall":
            self._overall_reached()
        return full.scope if full else None

    def _overall_reached(self) -> None:
        """Everyone is being refused: worth a line in the log, once per window, not per message."""
        now = time.monotonic()
        if now - self._overall_logged >= self.window:
            self._overall_logged = now
            logger.warning("rate limits: the overall limit (%d messages in %.0f s) is reached; "
                           "messages are refused until the count falls", self.overall, self.window)

    async def _redis_hit(self, windows: list[Window]) -> Window | Literal[False] | None:
        """The first full window by Redis, None when none is, False when Redis did not answer."""
        now = time.monotonic()
        if now < self._redis_down_until:
            return False
        try:
            script = self._script()
            index = await script(keys=[w.key for w in windows],
                                 args=[int(self.window * 1_000_000), uuid.uuid4().hex,
                                       *(w.limit for w in windows)])
        except (RedisError, OSError, asyncio.TimeoutError) as error:
            self._redis_down_until = now + self.retry_after
            if not self._redis_failing:
                logger.warning("rate limits: Redis at %s does not answer (%s); each process keeps its "
                               "own limits until it does", self.redis_where, type(error).__name__)
            self._redis_failing = True
            return False
        if self._redis_failing:
            logger.warning("rate limits: Redis at %s answers again; the limits are shared again",
                           self.redis_where)
            self._redis_failing = False
        return windows[int(index) - 1] if int(index) else None

    def _script(self) -> Any:
        """The limits' script on a client of this event loop (a client is bound to its loop)."""
        loop = asyncio.get_running_loop()
        if self._redis is None or self._redis[0] is not loop:
            client = Redis.from_url(self.redis_url, socket_timeout=REDIS_TIMEOUT,
                                    socket_connect_timeout=REDIS_TIMEOUT)
            self._redis = (loop, client.register_script(SLIDING_WINDOWS))
        return self._redis[1]


@lru_cache(maxsize=1)
def shared_limits() -> RateLimits:
    """The process's limits, shared by all its channels (made on first use, from the settings)."""
    return RateLimits.from_settings()
