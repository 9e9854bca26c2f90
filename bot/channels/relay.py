"""The Rasa process's side of a live handoff: the operator's words to the user, and back.

Only the Rasa process can reach a user: the guard stores conversations under a keyed hash, and
each channel's own output needs the real address, which this process sees only while it handles
a message from that user. So the guard calls `turn()` after each message: for a conversation in
an open handoff it records the (encrypted) address and reports the handoff, so the guard sends no
"something failed" fallback to a conversation that is paused on purpose.

Each channel registers a `Deliverer` when its blueprint is made: socket.io emits `bot_uttered` to
the session's room, a messaging channel sends with its own API (within its limits and 24-hour
window), REST is request/response, so an operator's reply waits in the tracker and goes out with
the user's next REST response (`deliver_pending`). An operator's reply is appended to the tracker
as a `BotUttered` whose metadata names the handoff and the operator, under the conversation's
lock, the way Rasa's own events endpoint does; release and close append `ConversationResumed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rasa.core.channels.channel import OutputChannel
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed, Event, UserUttered

from bot.handoff import Handoff, HandoffStore, utc
from bot.handoff_client import Gone, HandoffError, QueueItem, TooLong, Turn
from bot.text import clean

logger = logging.getLogger(__name__)
HANDOFF_KEY = "handoff"  # BotUttered metadata: the handoff an operator's reply belongs to
OPERATOR_KEY = "operator"


@dataclass(frozen=True)
class Deliverer:
    """How one channel reaches a user outside a turn."""

    limit: int  # characters of one message on this channel
    send: Callable[[str, str, float | None], Awaitable[None]] | None  # (address, text, last_user_at);
    # None: the channel can only answer a request (REST), so replies wait for the next one


@lru_cache(maxsize=1)
def store() -> HandoffStore:
    """The process's handoff store, made on first use (nothing is connected at import)."""
    return HandoffStore()


class Relay:
    """One per process: the channels' deliverers and Rasa's agent (set when the server starts)."""

    def __init__(self) -> None:
        self.deliverers: dict[str, Deliverer] = {}
        self.app: Any = None

    def register(self, channel: str, deliverer: Deliverer) -> None:
        self.deliverers[channel] = deliverer

    @property
    def agent(self) -> Any:
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if agent is None or agent.processor is None:
            raise HandoffError("The assistant is still starting; please try again in a moment.")
        return agent

    @staticmethod
    async def db(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(function, *args, **kwargs)

    # -- the user's side (called by the guard) --------------------------------------------------

    async def turn(self, channel: str | None, sender: str, conversation: str) -> Handoff | None:
        """The conversation's open handoff (or one with REST replies still to deliver), after
        recording where this user can be reached; None for an ordinary conversation."""
        handoff = await self.db(store().latest_for, conversation)
        if handoff is None:
            return None
        if handoff.open and channel:
            await self.db(store().seen, handoff.id, channel, sender)
        return handoff

    async def deliver_pending(self, handoff: Handoff, output: OutputChannel, recipient: str) -> None:
        """REST: the operator's replies not delivered yet go out with this response, once."""
        if self.deliverers.get(handoff.channel, Deliverer(0, None)).send is not None:
            return
        tracker = await self.agent.tracker_store.retrieve(handoff.conversation)
        pending = [e for e in (tracker.events if tracker else []) if isinstance(e, BotUttered)
                   and e.metadata.get(HANDOFF_KEY) == handoff.id and e.timestamp > handoff.delivered_until]
        if pending and await self.db(store().mark_delivered, handoff.id, handoff.delivered_until,
                                     pending[-1].timestamp):
            for event in pending:
                await output.send_response(recipient, {"text": event.text or ""})

    # -- the operator's side (called by bot/channels/operator.py) -------------------------------

    async def _append(self, conversation: str, events: list[Event]) -> None:
        """Appends events to the conversation under its lock, as Rasa's events endpoint does;
        Gone when the conversation no longer exists (deleted)."""
        agent = self.agent
        async with agent.lock_store.lock(conversation):
            tracker = await agent.tracker_store.retrieve(conversation)
            if tracker is None or not tracker.events:
                raise Gone("The user deleted this conversation.")
            for event in events:
                tracker.update(event, agent.domain)
            await agent.tracker_store.save(tracker)

    async def queue(self) -> list[QueueItem]:
        return [await self._item(h) for h in await self.db(store().queue)]

    async def _item(self, handoff: Handoff) -> QueueItem:
        """As the console shows it: with the last user message and the channel's reply limit."""
        deliverer = self.deliverers.get(handoff.channel)
        return handoff.item(await self._last_user_text(handoff.conversation), deliverer.limit if deliverer else None)

    async def _last_user_text(self, conversation: str) -> str | None:
        tracker = await self.agent.tracker_store.retrieve(conversation)
        texts = [e.text for e in (tracker.events if tracker else []) if isinstance(e, UserUttered) and e.text]
        return texts[-1] if texts else None

    async def take(self, handoff_id: str, operator: Any) -> QueueItem:
        return await self._item(await self.db(store().take, handoff_id, operator))

    async def history(self, handoff_id: str) -> list[Turn]:
        handoff = await self.db(store().get, handoff_id)
        if not handoff.open:
            raise Gone("The user deleted this conversation." if handoff.deleted
                       else "This conversation is no longer in the queue.")
        tracker = await self.agent.tracker_store.retrieve_full_tracker(handoff.conversation)
        if tracker is None or not tracker.events:
            raise Gone("The user deleted this conversation.")
        return [turn for event in tracker.events if (turn := _turn(event))]

    async def send(self, handoff_id: str, operator: Any, text: Any) -> None:
        """Checks everything before sending anything: the holder, the text, the channel's limit."""
        if not isinstance(text, str) or not clean(text).strip():
            raise HandoffError("Write a reply first: it is empty.")
        text = clean(text).strip()
        handoff = await self.db(store().holding, handoff_id, operator)
        deliverer = self.deliverers.get(handoff.channel)
        if deliverer is None:
            raise HandoffError(f"Replies cannot be sent on the user's channel ({handoff.channel}) from this server.")
        if len(text) > deliverer.limit:
            raise TooLong(f"The reply has {len(text)} characters; {handoff.channel} allows {deliverer.limit}.",
                          deliverer.limit, length=len(text))
        if deliverer.send is not None:
            if not handoff.address:
                raise HandoffError("The user cannot be reached yet: wait for their next message.")
            await self._ensure_exists(handoff.conversation)
            await deliverer.send(handoff.address, text, handoff.last_user_at)
        reply = BotUttered(text, {}, {HANDOFF_KEY: handoff.id, OPERATOR_KEY: handoff.held_by})
        await self._append(handoff.conversation, [reply])
        if deliverer.send is None:  # goes out with the user's next request, even after a release
            await self.db(store().replied, handoff.id, reply.timestamp)

    async def _ensure_exists(self, conversation: str) -> None:
        tracker = await self.agent.tracker_store.retrieve(conversation)
        if tracker is None or not tracker.events:
            raise Gone("The user deleted this conversation.")

    async def end(self, handoff_id: str, operator: Any, state: str) -> None:
        """Release or close: the assistant answers the next message again (an `action_listen`
        after the resume, so its rules see a turn that starts as usual)."""
        handoff = await self.db(store().end, handoff_id, operator, state)
        try:
            await self._append(handoff.conversation, [ConversationResumed(), ActionExecuted(ACTION_LISTEN_NAME)])
        except Gone:  # deleted meanwhile: nothing to resume
            logger.info("a handoff ended after its conversation was deleted")


def _turn(event: Event) -> Turn | None:
    if isinstance(event, UserUttered) and event.text:
        return Turn("user", event.text, utc(event.timestamp))
    if isinstance(event, BotUttered) and event.text:
        who = "operator" if (event.metadata or {}).get(HANDOFF_KEY) else "assistant"
        return Turn(who, event.text, utc(event.timestamp))
    return None


relay = Relay()
