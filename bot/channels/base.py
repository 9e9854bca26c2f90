"""The base of every messaging channel (Viber, WhatsApp, Messenger, Telegram, SMS).

Rasa's own connectors verify little, crash on odd bodies and answer retries twice; here the
order of work is fixed once for all of them:
1. refuse a body that is too large (413), then verify the request (401 without a signature,
   403 with a wrong one, compared in constant time) before anything is parsed or stored; a
   refusal is logged without the body;
2. parse the provider's format into `Incoming` messages (400 for a body that is not the
   provider's format; events that are not messages, such as delivery receipts, are ignored);
3. claim each provider message id in the database (bot.channels.state), so a retried webhook
   yields no second reply and no second event, across restarts and processes;
4. acknowledge at once, and process in a background task: text and button payloads go through
   the same guard as REST and socketio (bot.channels.guard), which is part of this class, not
   of each channel; other messages (images, voice, stickers, locations) get a short answer in
   the user's language that only text is understood, with the emergency numbers from the
   knowledge store;
5. reply through a `ChannelOutput`, which splits long answers at paragraph boundaries, keeps
   buttons within the channel's limits, respects the 24-hour window of WhatsApp and Messenger,
   and retries a send on 429, 5xx or a lost connection (never on another 4xx); a failure is
   logged without the message text;
6. an operator's reply in a live handoff is sent with the same output (`deliver_operator_reply`),
   one message within the channel's limit and window, or a clear refusal for the operator.

A channel whose required variables are not set is not started: Rasa starts without it and
logs which variables are missing (`status()` says the same for scripts/run.sh).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, Literal

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot import settings
from bot.channels.guard import OnNewMessage, guard, safety_line
from bot.channels.relay import Deliverer, relay
from bot.channels.state import ChannelState
from bot.emergency_reply import safety_note
from bot.handoff_client import HandoffError
from bot.knowledge.store import KnowledgeStore
from bot.limits import RateLimits, shared_limits
from bot.phones import unmark
from bot.privacy import hash_sender
from bot.text import Lang, as_language

logger = logging.getLogger(__name__)

LANGUAGE_SLOT = "language"  # domain.yml
MAX_BODY = 256 * 1024  # bytes; no provider sends a message webhook near this size
SEND_ATTEMPTS = 4
BACKOFF = 0.5  # seconds before the first retry; doubled each time
MAX_RETRY_AFTER = 30.0  # a provider's Retry-After is honoured up to this many seconds
SEND_TIMEOUT = aiohttp.ClientTimeout(total=15)
NON_TEXT = {
    "sq": "Për momentin kuptoj vetëm mesazhe me shkrim. Ju lutem shkruani pyetjen tuaj me fjalë.",
    "en": "For now I can only read text messages. Please type your question in words.",
}
Kind = Literal["text", "button", "other"]


class Rejected(Exception):
    """The request failed verification: 401 (no credentials) or 403 (wrong ones)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class Malformed(Exception):
    """The (verified) body is not in the provider's format."""


class SendFailed(Exception):
    """The provider did not accept a message after every allowed attempt."""


@dataclass(frozen=True)
class Incoming:
    """One message from a person, as every channel parses it."""

    message_id: str  # the provider's id, for deduplication
    sender: str  # the provider's id of the person (chat id, phone number, PSID)
    kind: Kind
    text: str = ""  # the text typed, or the payload of the button tapped
    language: Lang | None = None  # the provider's hint (Telegram, Viber), for non-text answers
    sent_at: float | None = None  # when the person sent it (seconds), for the 24-hour window
    context: Mapping[str, Any] = field(default_factory=dict)  # what a channel needs to reply


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Limits:
    """What one message of a channel may hold."""

    text: int  # characters of a text message
    text_with_buttons: int  # characters of the text that carries the buttons
    buttons: int  # buttons shown
    title: int  # characters of a button title


# ---------------------------------------------------------------------------------------------
# Pure helpers, shared by the channels (unit-tested in tests/test_channel_helpers.py)


def hmac_digest(key: str, body: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key.encode(), body, getattr(hashlib, algorithm)).digest()


def hmac_hex(key: str, body: bytes, algorithm: str = "sha256") -> str:
    return hmac_digest(key, body, algorithm).hex()


def hmac_base64(key: str, body: bytes, algorithm: str = "sha1") -> str:
    return base64.b64encode(hmac_digest(key, body, algorithm)).decode()


def check_secret(given: str | None, expected: str, what: str) -> None:
    """Raises Rejected unless `given` equals `expected` (constant time)."""
    if not given:
        raise Rejected(401, f"no {what}")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Rejected(403, f"wrong {what}")


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or Malformed."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("the body is not JSON") from None
    if not isinstance(parsed, dict):
        raise Malformed("the body is not a JSON object")
    return parsed


def mapping(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty one (for optional nested fields)."""
    return value if isinstance(value, dict) else {}


def listed(value: Any) -> list[Any]:
    """The value when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text_id(value: Any) -> str | None:
    """A provider id (a non-empty string or an integer) as text, else None."""
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        return None
    return str(value)


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph cut to fit: at line ends, then sentence ends, then spaces, then anywhere."""
    if len(paragraph) <= limit:
        return [paragraph]
    for separator in ("\n", ". ", " "):
        cut = paragraph.rfind(separator, 0, limit + 1 - (len(separator) - 1))
        if cut > 0:
            head = paragraph[:cut + len(separator)].rstrip()
            return [head, *_pieces(paragraph[cut + len(separator):].lstrip(), limit)]
    return [paragraph[:limit], *_pieces(paragraph[limit:], limit)]


def split_text(text: str, limit: int) -> list[str]:
    """The text as messages of at most `limit` characters, cut between paragraphs where
    possible; paragraphs that fit together share a message; the order is kept."""
    parts: list[str] = []
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", text)):
        for piece in _pieces(paragraph, limit) if paragraph else []:
            if parts and len(parts[-1]) + 2 + len(piece) <= limit:
                parts[-1] = f"{parts[-1]}\n\n{piece}"
            else:
                parts.append(piece)
    return parts


def shorten(title: str, limit: int) -> str:
    """A title of at most `limit` characters, with an ellipsis when it was cut."""
    title = " ".join(title.split())
    return title if len(title) <= limit else title[:limit - 1].rstrip() + "…"


def buttons_of(message: Mapping[str, Any]) -> list[Button]:
    """The buttons (or quick replies) of a Rasa bot message that have a title and a payload."""
    found = message.get("buttons") or message.get("quick_replies") or []
    return [Button(str(b["title"]), str(b["payload"])) for b in found
            if isinstance(b, dict) and b.get("title") and b.get("payload")]


def missing_settings(variables: Mapping[str, str | None], environ: Mapping[str, str] | None = None) -> list[str]:
    """The required variables (those without a default) that are not set."""
    return [name for name, default in variables.items() if default is None and not settings.get(name, "", environ)]


# ---------------------------------------------------------------------------------------------
# Sending


class ChannelOutput(OutputChannel):
    """Replies to one incoming message, within the channel's limits; one per message."""

    limits: ClassVar[Limits]

    def __init__(self, channel: MessagingInput, incoming: Incoming) -> None:
        self.channel = channel
        self.incoming = incoming

    def name(self) -> str:  # the channel's name, per instance
        return self.channel.name()

    # What each channel implements: one message on the wire.
    async def send_text(self, recipient: str, text: str) -> None:
        raise NotImplementedError

    async def send_buttons(self, recipient: str, text: str, buttons: list[Button]) -> None:
        raise NotImplementedError

    # What Rasa and the guard call.
    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Sends a bot message's text (split) and its buttons (within limits); never raises."""
        text = self.channel.render_text(str(message.get("text") or ""))
        buttons = buttons_of(message)
        if not text and not buttons:
            logger.info("%s: a bot message without text or buttons was not sent", self.name())
            return
        if not self.within_window():
            logger.warning("%s: a reply was dropped: the person's last message is older than the "
                           "provider's 24-hour window", self.name())
            return
        parts = split_text(text, self.limits.text)
        if buttons:
            last = split_text(parts.pop(), self.limits.text_with_buttons) if parts else [""]
            parts, carrier = [*parts, *last[:-1]], last[-1]
        try:
            for part in parts:
                await self.send_text(recipient_id, part)
            if buttons:
                await self.send_buttons(recipient_id, carrier, buttons)
        except SendFailed as failure:
            logger.error("%s: a reply was not delivered: %s", self.name(), failure)

    def within_window(self) -> bool:
        """False when the channel has a reply window and the person wrote longer ago."""
        window = self.channel.reply_window
        sent_at = self.incoming.sent_at
        return window is None or sent_at is None or time.time() - sent_at <= window

    async def post(self, url: str, *, json_body: Any = None, form: Mapping[str, str] | None = None,
                   headers: Mapping[str, str] | None = None, auth: aiohttp.BasicAuth | None = None) -> Any:
        """POSTs to the provider; retries on 429, 5xx and lost connections with backoff."""
        session = self.channel.http()
        for attempt in range(SEND_ATTEMPTS):
            status: int | None = None
            body: Any = None
            retry_after: str | None = None
            try:
                async with session.post(url, json=json_body, data=form, headers=headers, auth=auth) as reply:
                    status, retry_after = reply.status, reply.headers.get("Retry-After")
                    try:
                        body = await reply.json(content_type=None)
                    except ValueError:
                        body = None
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                problem = f"connection failed ({type(error).__name__})"
            else:
                refusal = self.channel.refusal(status, body)
                if refusal is None:
                    return body
                problem = refusal
            if not self.channel.retryable(status, body) or attempt == SEND_ATTEMPTS - 1:
                raise SendFailed(f"{problem}, after {attempt + 1} attempt(s)")
            logger.warning("%s: sending failed (%s); retrying", self.name(), problem)
            await asyncio.sleep(_delay(attempt, retry_after, body))
        raise AssertionError("unreachable")  # the loop returns or raises


def _delay(attempt: int, retry_after: str | None, body: Any) -> float:
    """Backoff, or the provider's own wait (Retry-After, Telegram's parameters.retry_after)."""
    hinted: Any = retry_after
    if isinstance(body, dict) and isinstance(body.get("parameters"), dict):
        hinted = body["parameters"].get("retry_after", hinted)
    try:
        return min(float(hinted), MAX_RETRY_AFTER)
    except (TypeError, ValueError):
        return BACKOFF * 2 ** attempt


def error_code(body: Any) -> str:
    """The provider's error code in a response body, without any message text it may echo."""
    if isinstance(body, dict):
        error = body.get("error")
        inner = error if isinstance(error, dict) else body
        for key in ("code", "error_code", "status"):
            if isinstance(inner.get(key), int | str):
                return f", provider code {inner[key]}"
    return ""


# ---------------------------------------------------------------------------------------------
# Receiving


class MessagingInput(InputChannel):
    """A guarded, verified, deduplicated messaging channel at /webhooks/<name>/webhook."""

    # Environment variables: name -> default (None: required).
    settings: ClassVar[dict[str, str | None]]
    output_class: ClassVar[type[ChannelOutput]]
    reply_window: ClassVar[float | None] = None  # seconds after the person's message, if any

    def __init__(self, config: Mapping[str, str] | None = None, state: ChannelState | None = None,
                 rate_limits: RateLimits | None = None) -> None:
        self.config = dict(config or {})
        self.missing = missing_settings(self.settings, self.config)
        self.rate_limits = rate_limits or shared_limits()
        self._state = state
        self._http: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MessagingInput:
        """Reads the channel's variables from the environment (credentials.yml holds no secret)."""
        return cls({name: settings.get(name, default or "") for name, default in cls.settings.items()})

    @classmethod
    def status(cls, environ: Mapping[str, str] | None = None) -> list[str]:
        """The required variables not set; an empty list means the channel starts."""
        return missing_settings(cls.settings, environ)

    # What each channel implements.
    def verify(self, request: Request, body: bytes) -> None:
        """Raises Rejected unless the request comes from the provider."""
        raise NotImplementedError

    def parse(self, request: Request, body: bytes) -> list[Incoming]:
        """The messages of a verified body; Malformed when it is not the provider's format."""
        raise NotImplementedError

    def acknowledge(self) -> HTTPResponse:
        """The provider's expected answer to an accepted webhook."""
        return response.json({"ok": True})

    async def handshake(self, request: Request) -> HTTPResponse:
        """Answers a GET on the webhook (the providers with a subscription check override it)."""
        return response.text("Method not allowed", status=405)

    async def prepare(self, incoming: Incoming) -> str:
        """The text to process for a message: by default as received (Telegram and SMS resolve
        their button keys here)."""
        return incoming.text

    def render_text(self, text: str) -> str:
        """A reply's text as the channel shows it. The apps make the numbers in plain text
        tap-to-call themselves and show no Markdown links, so the marks are removed."""
        return unmark(text)

    @staticmethod
    def refusal(status: int | None, body: Any) -> str | None:
        """Why the provider did not accept a send, or None when it did."""
        if status is not None and status < 400:
            return None
        return f"HTTP {status}{error_code(body)}"

    @staticmethod
    def retryable(status: int | None, body: Any) -> bool:
        """A refused send is tried again only on 429, 5xx or a lost connection (None)."""
        return status is None or status == 429 or status >= 500

    # Shared machinery.
    @property
    def state(self) -> ChannelState:
        if self._state is None:
            self._state = ChannelState()
        return self._state

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=SEND_TIMEOUT)
        return self._http

    async def run_db(self, function: Callable[..., Any], *args: Any) -> Any:
        """Runs a (synchronous) database call without blocking the event loop."""
        return await asyncio.to_thread(function, *args)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        name = self.name()
        hook = Blueprint(f"guarded_{name}_webhook", __name__)
        handle = guard(on_new_message, self.rate_limits, by_address=False)  # the provider's address is everyone's

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if not self.missing else "not configured"})

        if self.missing:
            logger.warning("%s channel not started: %s not set", name, ", ".join(self.missing))
            return hook
        logger.info("%s channel started at /webhooks/%s/webhook", name, name)
        relay.register(name, Deliverer(self.output_class.limits.text, self.deliver_operator_reply))

        @hook.route("/webhook", methods=["GET"])
        async def subscribe(request: Request) -> HTTPResponse:
            return await self.handshake(request)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, handle, getattr(request.app.ctx, "agent", None))

        @hook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            if self._http is not None:
                await self._http.close()

        return hook

    async def deliver_operator_reply(self, recipient: str, text: str, last_user_at: float | None) -> None:
        """An operator's reply, as one message; HandoffError when the provider will not take it."""
        output = self.output_class(self, Incoming("", recipient, "text", sent_at=last_user_at))
        if not output.within_window():
            raise HandoffError(f"The user last wrote more than {int((self.reply_window or 0) // 3600)} hours "
                               f"ago; {self.name()} does not allow a reply now.")
        try:
            await output.send_text(recipient, self.render_text(text))
        except SendFailed as failure:
            raise HandoffError(f"{self.name()} did not accept the reply ({failure}); please try again.") from None

    async def receive(self, request: Request, handle: OnNewMessage, agent: Any = None) -> HTTPResponse:
        """Verify, parse, deduplicate, acknowledge; the messages are processed afterwards.
        `agent` is Rasa's, whose tracker store knows the language of a conversation."""
        name = self.name()
        body = request.body or b""
        if len(body) > MAX_BODY:
            logger.warning("%s: request refused (413: %d bytes)", name, len(body))
            return response.text("Payload too large", status=413)
        try:
            self.verify(request, body)
        except Rejected as rejected:
            logger.warning("%s: request refused (%d: %s)", name, rejected.status, rejected.reason)
            return response.text("Unauthorized" if rejected.status == 401 else "Forbidden",
                                 status=rejected.status)
        try:
            messages = self.parse(request, body)
        except Malformed as malformed:
            logger.warning("%s: malformed request (%s)", name, malformed)
            return response.text(f"Bad request: {malformed}", status=400)
        fresh: list[Incoming] = []
        unavailable = False
        try:
            for incoming in messages:
                if await self.run_db(self.state.claim, name, incoming.message_id):
                    fresh.append(incoming)
                else:
                    logger.info("%s: a repeated delivery of a message was ignored", name)
        except SQLAlchemyError as error:
            logger.error("%s: the database is unavailable (%s); the provider will deliver again", name,
                         type(error).__name__)
            unavailable = True
        if fresh:  # the ones claimed are processed; a redelivery skips exactly those
            task = asyncio.create_task(self._process(fresh, handle, agent))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if unavailable:
            return response.text("Service unavailable", status=503)
        return self.acknowledge()

    async def _process(self, messages: Sequence[Incoming], handle: OnNewMessage, agent: Any) -> None:
        """One request's messages, in order (a batch may hold several from one person)."""
        for incoming in messages:
            output = self.output_class(self, incoming)
            try:
                if incoming.kind == "other":
                    await self._answer_non_text(incoming, output, agent)
                    continue
                text = await self.prepare(incoming)
                await handle(UserMessage(text, output, incoming.sender, input_channel=self.name()))
            except Exception:  # one message failing must not stop the others
                logger.exception("%s: processing a message failed", self.name())

    async def _answer_non_text(self, incoming: Incoming, output: ChannelOutput, agent: Any) -> None:
        """In the conversation's language, else the app's (a provider's hint), else Albanian."""
        if await self.rate_limits.refused(incoming.sender):
            return
        conversation = hash_sender(incoming.sender, self.name())
        language = await _conversation_language(agent, conversation) or incoming.language or "sq"
        note = await self.run_db(_safety_note, language)
        await output.send_text_message(incoming.sender, f"{NON_TEXT[language]}\n\n{note}")


async def _conversation_language(agent: Any, conversation: str) -> Lang | None:
    """The `language` slot of the person's conversation (stored as `conversation`), if there is one."""
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    try:
        tracker = await store.retrieve(conversation)
    except Exception:  # the language is a nicety; the numbers must still go out
        logger.exception("the conversation's language could not be read")
        return None
    return as_language(tracker.get_slot(LANGUAGE_SLOT)) if tracker else None


@lru_cache(maxsize=1)
def _knowledge() -> KnowledgeStore:
    """The process's knowledge store, made on first use (nothing is connected at import)."""
    return KnowledgeStore()


def _safety_note(language: Lang) -> str:
    """The emergency numbers from the knowledge store; the domain's line if it cannot be read."""
    try:
        return safety_note(_knowledge().snapshot(), language)
    except Exception:  # the store is down: the domain's numbers, which tests keep equal to it
        logger.exception("the knowledge store could not be read for the emergency numbers")
        return safety_line()


def language_hint(code: Any) -> Lang | None:
    """A provider's language code ("en", "en-GB", "sq") as a supported language."""
    return as_language(str(code or "")[:2].lower())


# ---------------------------------------------------------------------------------------------
# Meta (WhatsApp Cloud API and Messenger share the signature and the subscription check)


GRAPH_API_URL = "https://graph.facebook.com/v21.0"  # Meta's Graph API: WhatsApp and Messenger


class MetaInput(MessagingInput):
    """X-Hub-Signature-256 verification and the GET subscription handshake."""

    secret_setting: ClassVar[str]  # the app secret's variable
    verify_setting: ClassVar[str]  # the verify token's variable
    reply_window = 24 * 3600.0

    def verify(self, request: Request, body: bytes) -> None:
        header = request.headers.get("X-Hub-Signature-256") or ""
        given = header[len("sha256="):] if header.startswith("sha256=") else header
        check_secret(given, hmac_hex(self.config[self.secret_setting], body), "X-Hub-Signature-256")

    async def handshake(self, request: Request) -> HTTPResponse:
        args = request.args
        token = args.get("hub.verify_token") or ""
        if args.get("hub.mode") != "subscribe" or not token:
            return response.text("Bad request", status=400)
        try:
            check_secret(token, self.config[self.verify_setting], "hub.verify_token")
        except Rejected as rejected:
            logger.warning("%s: subscription refused (%s)", self.name(), rejected.reason)
            return response.text("Forbidden", status=403)
        return response.text(args.get("hub.challenge") or "")

    def acknowledge(self) -> HTTPResponse:
        return response.text("EVENT_RECEIVED")

    @staticmethod
    def entries(payload: Mapping[str, Any], product: str) -> list[dict[str, Any]]:
        """The `entry` list of a delivery for `product` ("page", "whatsapp_business_account")."""
        entries = payload.get("entry")
        if payload.get("object") != product or not isinstance(entries, list):
            raise Malformed(f"expected object {product!r} with an entry list")
        return [e for e in entries if isinstance(e, dict)]
