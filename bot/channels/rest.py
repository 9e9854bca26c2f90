"""REST channel (`/webhooks/rest/webhook`) with request validation and the message guard.

Plain Rasa answers HTTP 500 to a body that is empty, `null` or a list, and files every request
without a sender under one shared "default" conversation. Here such requests get HTTP 400 with
a clear message, so strangers' messages never mix. A body may carry a web chat session's
`token` (bot/sessions.py) with the session id as `sender`: the widget's fallback continues the
socket's conversation that way; a wrong or expired token gets HTTP 403. REST only answers requests, so an operator's
reply in a live handoff goes out with the user's next response (bot/channels/relay.py). The
client's address (bot/channels/address.py) is set for each request, for the per-address limit.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic.exceptions import Forbidden, InvalidUsage, PayloadTooLarge
from sanic.request import Request

from bot import sessions
from bot.channels.address import CLIENT_ADDRESS, client_address
from bot.channels.guard import MAX_CHARS, MAX_MESSAGE_BODY, OnNewMessage, guard
from bot.channels.relay import Deliverer, relay

_SENDER = re.compile(r"^[\w.:@+-]{1,128}$")
TOKEN_KEY = "session_token"  # the metadata key the body's `token` travels under to the guard


def _body(request: Request) -> dict[str, Any]:
    if len(request.body or b"") > MAX_MESSAGE_BODY:
        raise PayloadTooLarge(f"The body is over {MAX_MESSAGE_BODY // 1024} kB; a message has "
                              f"{MAX_CHARS} characters at most.")
    body = request.json  # Sanic answers 400 itself when this is not JSON at all
    if not isinstance(body, dict):
        raise InvalidUsage('The body must be a JSON object: {"sender": "...", "message": "..."}.')
    return body


class HardenedRestInput(RestInput):
    """Rasa's REST channel, refusing malformed requests and guarding every message."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> str:
        body = _body(req)
        sender, token = body.get("sender"), body.get("token")
        if not isinstance(sender, str) or not _SENDER.match(sender):
            raise InvalidUsage("'sender' is required: 1-128 letters, digits or . : @ + - _")
        if token is not None and not sessions.valid(sender, token):
            raise Forbidden("'token' is not this web chat session's (or it expired): open the chat "
                            "again for a new session, or send without a token for a REST conversation.")
        return sender

    def _extract_message(self, req: Request) -> str:
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("'message' is required and must be a string.")
        return message

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        body = _body(request)
        metadata = body.get("metadata")
        metadata = {k: v for k, v in metadata.items() if k != TOKEN_KEY} if isinstance(metadata, dict) else {}
        if isinstance(body.get("token"), str):  # checked by _extract_sender; dropped by the guard
            metadata[TOKEN_KEY] = body["token"]
        return metadata or None

    def blueprint(self, on_new_message: OnNewMessage) -> Any:
        relay.register(self.name(), Deliverer(MAX_CHARS, None))
        blueprint = super().blueprint(guard(on_new_message, namespace=conversation_channel))

        @blueprint.middleware("request")
        async def remember_address(request: Request) -> None:
            # every request sets it: a kept-alive connection's task must not keep the last one's
            CLIENT_ADDRESS.set(client_address(request.ip, request.headers.getall("x-forwarded-for", [])))

        return blueprint


def conversation_channel(message: UserMessage) -> str:
    """A web chat session's conversation when the message carries the session's token (the
    widget's REST fallback), else a REST conversation of its own: a REST sender equal to a
    session id without its token never writes into that session."""
    token = (message.metadata or {}).get(TOKEN_KEY)
    return sessions.CHANNEL if sessions.valid(message.sender_id, token) else "rest"
