"""SMS through Twilio at /webhooks/twilio/webhook.

Rasa's own connector checks no signature and crashes on an empty body. Here the request must
carry `X-Twilio-Signature`: the Base64 HMAC-SHA1, keyed with the auth token, of the URL Twilio
called (TWILIO_PUBLIC_URL behind a proxy, which changes what the server sees) followed by every
form parameter's name and value, sorted by name. Deduplicated by `MessageSid`. SMS has no
buttons: options are numbered lines, and a reply of just "2" chooses the second option offered
last (kept in the database). Messages are short; the reply is sent through the REST API, and
the webhook is answered with empty TwiML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qs

import aiohttp
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import (
    Button,
    ChannelOutput,
    Incoming,
    Limits,
    Malformed,
    MessagingInput,
    check_secret,
    hmac_base64,
    shorten,
)

API_URL = "https://api.twilio.com"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def signature(token: str, url: str, params: dict[str, list[str]]) -> str:
    """Twilio's request signature (as its helper library computes it)."""
    signed = url + "".join(name + value for name in sorted(params) for value in sorted(set(params[name])))
    return hmac_base64(token, signed.encode(), "sha1")


def numbered(buttons: Sequence[Button], title: int) -> str:
    return "\n".join(f"{i}. {shorten(b.title, title)}" for i, b in enumerate(buttons, 1))


def _options_scope(sender: str) -> str:
    return f"sms-options:{sender}"


class TwilioOutput(ChannelOutput):
    # a Twilio message may hold 1,600 characters; an SMS segment holds 67 of Albanian text
    limits = Limits(text=480, text_with_buttons=240, buttons=9, title=40)

    async def send_text(self, recipient: str, text: str) -> None:
        config = self.channel.config
        await self.post(f"{config['TWILIO_API_URL']}/2010-04-01/Accounts/{config['TWILIO_ACCOUNT_SID']}/Messages.json",
                        form={"To": recipient, "From": config["TWILIO_FROM_NUMBER"], "Body": text},
                        auth=aiohttp.BasicAuth(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]))

    async def send_buttons(self, recipient: str, text: str, buttons: list[Button]) -> None:
        shown = buttons[:self.limits.buttons]
        await self.channel.run_db(self.channel.state.remember, _options_scope(recipient), ["options"],
                                  [json.dumps([b.payload for b in shown])])
        options = numbered(shown, self.limits.title)
        await self.send_text(recipient, f"{text}\n\n{options}" if text else options)


class TwilioInput(MessagingInput):
    """Twilio Programmable Messaging (SMS) webhook."""

    settings: ClassVar[dict[str, str | None]] = {
        "TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None, "TWILIO_FROM_NUMBER": None,
        "TWILIO_API_URL": API_URL, "TWILIO_PUBLIC_URL": ""}
    output_class = TwilioOutput

    @classmethod
    def name(cls) -> str:
        return "twilio"

    def verify(self, request: Request, body: bytes) -> None:
        url = self.config["TWILIO_PUBLIC_URL"] or request.url
        try:
            params = _form(body)
        except Malformed:  # no signature Twilio made can match a body that is not a form
            params = {"": [body.hex()]}
        check_secret(request.headers.get("X-Twilio-Signature"),
                     signature(self.config["TWILIO_AUTH_TOKEN"], url, params), "X-Twilio-Signature")

    def parse(self, request: Request, body: bytes) -> list[Incoming]:
        form = {name: values[0] for name, values in _form(body).items()}
        sid, sender = form.get("MessageSid") or form.get("SmsSid"), form.get("From")
        if not sid or not sender:
            raise Malformed("no MessageSid or From")
        text = form.get("Body", "")
        if not text.strip():
            return [Incoming(message_id=sid, sender=sender, kind="other")]
        return [Incoming(message_id=sid, sender=sender, kind="text", text=text)]

    def acknowledge(self) -> HTTPResponse:
        return response.text(EMPTY_TWIML, content_type="text/xml")

    async def prepare(self, incoming: Incoming) -> str:
        """A reply of just a number chooses that option of the last ones offered."""
        match = _CHOICE.match(incoming.text)
        if not match:
            return incoming.text
        stored = await self.run_db(self.state.recall, _options_scope(incoming.sender), "options")
        options: list[Any] = json.loads(stored) if stored else []
        index = int(match.group(1))
        return str(options[index - 1]) if 1 <= index <= len(options) else incoming.text


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise Malformed("the body is not a form") from None
