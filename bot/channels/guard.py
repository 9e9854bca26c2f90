"""Checks every user message before Rasa sees it, on every channel.

Each channel module wraps Rasa's `on_new_message` with `guard()`, so the same rules hold on the
web widget, REST and any messaging channel added later:
- the conversation is stored under a keyed hash of the channel and the sender id, never the id
  itself (a REST message with a web session's token continues that session's conversation);
- control characters are removed, and personal identifiers (phone numbers, e-mail addresses,
  passport/ID numbers, IBANs) are replaced, so they are never stored or logged (bot/privacy.py);
- a message over MAX_CHARS gets a short reply (with the emergency numbers) and is not processed;
- a message over a rate limit (per sender, per client address, overall; shared by every
  process and channel through Redis, bot/limits.py) gets a polite "slow down" and is not
  processed; messaging channels pass no address (their provider sends for everyone);
- either refusal becomes the emergency answer when the message signals danger;
- metadata is cut to a short allow-list (small_metadata);
- a few turns are worked on at once per process, the others wait in order; a message that
  signals danger never waits (bot/admission.py);
- a turn that produced no reply (the action server or the database failed) gets a short
  apology with the helpline, never silence; a message that signals danger gets the emergency
  numbers instead (the domain's `utter_emergency`, which needs neither the action server nor the
  database);
- a conversation in a live handoff (bot/channels/relay.py) is paused on purpose, so its silence
  is no failure: it gets the emergency answer when the message signals danger, once the note
  that an operator will answer here while none has yet, and (on REST) the operator's replies;
- "/intent{json}" is accepted only when it is a button payload the assistant offers (the
  domain's, or the choice of an answer card or topic, which only shows what anyone may read);
  typed by hand it is treated as plain text, so nobody can set slots or trigger internal intents.

The texts sent here are the domain's bilingual variations (`utter_emergency` and
`utter_service_unavailable` without a language condition, their variations in the language of a
handoff, and `utter_handoff_waiting`) plus the two lines below; the phone
numbers in all of them are checked against the knowledge store by tests/test_domain.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.admission import Admission, process_admission
from bot.channels.address import CLIENT_ADDRESS
from bot.channels.relay import relay, store
from bot.emergency import danger_signals
from bot.handoff import Handoff
from bot.limits import RateLimits, shared_limits
from bot.privacy import hash_sender, redact
from bot.text import clean

ROOT = Path(__file__).resolve().parents[2]
logger = logging.getLogger(__name__)
MAX_CHARS = 2000
# A REST or socket.io request's body: a message of MAX_CHARS fits many times over, in any encoding.
MAX_MESSAGE_BODY = 64 * 1024
TOO_LONG = ("Mesazhi është shumë i gjatë. Ju lutem shkruani shkurt çfarë ju duhet.\n"
            "Your message is too long. Please write briefly what you need.")
TOO_FAST = "Ju lutem prisni pak para mesazhit tjetër. / Please wait a moment before your next message."
# Payloads of the buttons the actions build (bot/answers.py): a card or a topic to show.
_CHOICE_PAYLOAD = re.compile(r'^/(?:choose_card\{"card":"[a-z][a-z0-9_]{1,79}"\}|'
                             r'choose_topic\{"topic":"[a-z][a-z0-9_]{1,39}"\})$')

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
DANGER_SCAN_CHARS = 4 * MAX_CHARS  # of a refused message, the part read for danger
# The only metadata a message keeps (it is stored with every event): short strings of these keys.
ALLOWED_METADATA = frozenset({"language", "channel"})
MAX_METADATA_CHARS = 32


def refusal_text(raw: str, refusal: str) -> str:
    """The answer to a message that is not processed (TOO_LONG, TOO_FAST): the refusal with the
    numbers, or the emergency answer when the message signals danger."""
    if danger_signals(clean(raw[:DANGER_SCAN_CHARS])):
        return bilingual_text("utter_emergency")
    return f"{refusal}\n{safety_line()}"


def small_metadata(metadata: Any) -> dict[str, str]:
    """The allowed keys of a message's metadata with short string values; the rest is dropped,
    so a client cannot store phone numbers, e-mails or megabytes beside its messages."""
    if not isinstance(metadata, dict):
        return {}
    return {key: value for key, value in metadata.items()
            if key in ALLOWED_METADATA and isinstance(value, str) and len(value) <= MAX_METADATA_CHARS}


@lru_cache(maxsize=1)
def _domain(domain_path: Path = ROOT / "domain.yml") -> dict[str, Any]:
    return yaml.safe_load(domain_path.read_text(encoding="utf-8"))


def bilingual_text(response: str) -> str:
    """The variation of a domain response without a language condition (both languages)."""
    variations = _domain()["responses"][response]
    return next(v["text"] for v in variations if "condition" not in v)


def domain_text(response: str, language: str) -> str:
    """The variation of a domain response for a language (the bilingual one if it has none)."""
    variations = _domain()["responses"][response]
    return next((v["text"] for v in variations if any(c.get("value") == language for c in v.get("condition") or [])),
                bilingual_text(response))


def safety_line() -> str:
    """The numbers for a person in danger, as the language chooser gives them (both languages)."""
    return next(line for line in bilingual_text("utter_choose_language").splitlines() if "112" in line)


@lru_cache(maxsize=1)
def offered_payloads() -> frozenset[str]:
    """Every button payload in the domain's responses, as the user's client sends it back."""
    domain = _domain()
    payloads = {
        button["payload"].replace("{{", "{").replace("}}", "}")
        for variations in (domain.get("responses") or {}).values()
        for variation in variations
        for button in variation.get("buttons") or []
    }
    return frozenset(payloads)


def sanitise(text: Any, offered: frozenset[str]) -> str:
    """The text Rasa may process: cleaned, redacted, a hand-typed "/command" made plain text."""
    text = clean(text if isinstance(text, str) else "")
    if text in offered or _CHOICE_PAYLOAD.match(text):
        return text
    return redact(text.lstrip("/ ").strip() if text.startswith("/") else text)


class CountingOutput(OutputChannel):
    """Passes every reply on to the real output channel, addressed to the real sender, and
    counts them (Rasa itself only knows the hashed sender id)."""

    def __init__(self, inner: OutputChannel, recipient_id: str) -> None:
        self.inner = inner
        self.recipient_id = recipient_id
        self.sent = 0

    def name(self) -> str:  # the wrapped channel's name, per instance
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(self.recipient_id, message)


def channel_of(message: UserMessage) -> str:
    """The namespace a message's conversation is stored in: its channel's (bot/privacy.py)."""
    return message.input_channel or ""


def guard(on_new_message: OnNewMessage, limits: RateLimits | None = None, *, by_address: bool = True,
          namespace: Callable[[UserMessage], str] = channel_of,
          admission: Admission | None = None) -> OnNewMessage:
    """Wraps a channel's message handler with the checks above. `by_address`: the channel sets
    CLIENT_ADDRESS for each message (REST and socket.io; not the messaging channels' webhooks).
    `namespace` says whose conversation a message continues (REST may continue a web session's,
    given its token). `admission` bounds the turns in flight (the process's, by default)."""
    limits = limits or shared_limits()

    async def guarded(message: UserMessage) -> Any:
        raw = message.text if isinstance(message.text, str) else ""
        refusal = TOO_LONG if len(raw) > MAX_CHARS else None
        address = CLIENT_ADDRESS.get() if by_address else None
        if refusal is None and await limits.refused(str(message.sender_id), address):
            refusal = TOO_FAST
        if refusal:  # not processed; a person in danger still gets the emergency answer
            await message.output_channel.send_text_message(message.sender_id, refusal_text(raw, refusal))
            return None
        message.text = sanitise(raw, offered_payloads())
        conversation = namespace(message)  # before the metadata it may read is dropped
        message.metadata = small_metadata(message.metadata)
        sender = str(message.sender_id)
        output = message.output_channel = CountingOutput(message.output_channel, sender)
        message.sender_id = hash_sender(sender, conversation)
        urgent = bool(danger_signals(message.text))
        try:
            async with (admission or process_admission()).turn(urgent):
                result = await on_new_message(message)
        except Exception:  # whatever failed, the person must not be left unanswered
            logger.exception("processing a message failed")
            result = None
        handoff = await _handoff_of(message.input_channel, sender, message.sender_id)
        if handoff is not None and handoff.open:
            if output.sent == 0:  # paused on purpose: not a failure
                try:
                    await _while_paused(handoff, urgent, output, sender)
                except Exception:  # a flag not stored must not lose the message's answer
                    logger.exception("a paused conversation's message was not fully handled")
        elif output.sent == 0:  # every turn of this assistant answers; silence means a failure
            fallback = "utter_emergency" if urgent else "utter_service_unavailable"
            await output.inner.send_text_message(sender, bilingual_text(fallback))
        if handoff is not None:
            try:
                await relay.deliver_pending(handoff, output, sender)
            except Exception:  # the reply stays in the tracker; the next message tries again
                logger.exception("delivering an operator's reply failed")
        return result

    return guarded


async def _handoff_of(channel: str | None, sender: str, conversation: str) -> Handoff | None:
    """The conversation's handoff, if any; a database failure leaves it an ordinary turn."""
    try:
        return await relay.turn(channel, sender, conversation)
    except Exception:
        logger.exception("the handoffs could not be read")
        return None


async def _while_paused(handoff: Handoff, danger: bool, output: CountingOutput, sender: str) -> None:
    """Danger (the message signals it) beats everything and puts the conversation first in the
    queue; otherwise, once, while nobody has answered: an operator will write here."""
    if danger:
        await output.send_response(sender, {"text": domain_text("utter_emergency", handoff.language)})
        await relay.db(store().flag, handoff.id, danger=True)
    elif handoff.state == "waiting" and not handoff.reminded:
        await output.send_response(sender, {"text": domain_text("utter_handoff_waiting", handoff.language)})
        await relay.db(store().flag, handoff.id, reminded=True)
