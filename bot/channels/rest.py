"""REST channel (`/webhooks/rest/webhook`) with request validation and the message guard.

Plain Rasa answers HTTP 500 to a body that is empty, `null` or a list, and files every request
without a sender under one shared "default" conversation. Here such requests get HTTP 400 with
a clear message, so strangers' messages never mix. REST only answers requests, so an operator's
reply in a live handoff goes out with the user's next response (bot/channels/relay.py). The
client's address (bot/channels/address.py) is set for each request, for the per-address limit.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

from bot.channels.address import CLIENT_ADDRESS, client_address
from bot.channels.guard import MAX_CHARS, MAX_MESSAGE_BODY, OnNewMessage, guard
from bot.channels.relay import Deliverer, relay

_SENDER = re.compile(r"^[\w.:@+-]{1,128}$")


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
        sender = _body(req).get("sender")
        if not isinstance(sender, str) or not _SENDER.match(sender):
            raise InvalidUsage("'sender' is required: 1-128 letters, digits or . : @ + - _")
        return sender

    def _extract_message(self, req: Request) -> str:
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("'message' is required and must be a string.")
        return message

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = _body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: OnNewMessage) -> Any:
        relay.register(self.name(), Deliverer(MAX_CHARS, None))
        blueprint = super().blueprint(guard(on_new_message))

        @blueprint.middleware("request")
        async def remember_address(request: Request) -> None:
            # every request sets it: a kept-alive connection's task must not keep the last one's
            CLIENT_ADDRESS.set(client_address(request.ip, request.headers.getall("x-forwarded-for", [])))

        return blueprint
