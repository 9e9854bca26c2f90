"""How many turns one process works on at once.

Rasa starts every message it receives at once. Under a burst, hundreds of turns then share one
event loop: each advances a little at a time and none finishes, so every turn takes about as long
as the whole burst, conversations' locks are held for minutes and the messages waiting for them
give up. Bounding the turns in flight keeps each turn short; the others wait their turn in order,
without holding anything. A message that signals danger never waits: it is taken at once, even
past the bound, so the emergency answer is never behind a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from functools import lru_cache

from bot import settings


class Admission:
    """At most `size` ordinary turns in flight; `turn(urgent=True)` is always admitted."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"turns in flight must be 1 or more, not {size}")
        self._free = asyncio.Semaphore(size)
        self.waiting = 0  # ordinary turns waiting to start
        self.urgent = 0  # urgent turns in flight

    @contextlib.asynccontextmanager
    async def turn(self, urgent: bool = False) -> AsyncIterator[None]:
        if urgent:
            self.urgent += 1
            try:
                yield
            finally:
                self.urgent -= 1
            return
        self.waiting += 1
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._free.release()


@lru_cache(maxsize=1)
def process_admission() -> Admission:
    """The process's bound, shared by all its channels (HELPLINE_TURNS_IN_FLIGHT)."""
    return Admission(settings.turns_in_flight())
