"""Telegram (Bot API) at /webhooks/telegram/webhook.

Verified by `X-Telegram-Bot-Api-Secret-Token`, the `secret_token` given to setWebhook
(`helpline channels set-webhook telegram URL`); deduplicated by `update_id`. Private chats only:
the assistant is not meant for groups. A button is an inline keyboard button; its tap arrives
as a `callback_query`, answered at once with answerCallbackQuery (or the app keeps spinning).
A payload longer than `callback_data`'s 64 bytes travels as a short key kept in the database.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, ClassVar

from sanic.request import Request

from bot.channels.base import (
    Button,
    ChannelOutput,
    Incoming,
    Limits,
    Malformed,
    MessagingInput,
    SendFailed,
    check_secret,
    json_object,
    language_hint,
    mapping,
    shorten,
    text_id,
)

logger = logging.getLogger(__name__)
API_URL = "https://api.telegram.org"
CALLBACK_BYTES = 64
KEY_PREFIX = "k:"  # callback_data that stands for a payload kept in the database
NON_TEXT = ("photo", "voice", "audio", "video", "video_note", "sticker", "animation", "document",
            "location", "venue", "contact", "poll", "dice")


def callback_data(payload: str) -> tuple[str, bool]:
    """The callback_data for a payload, and whether it is a key to keep in the database."""
    if len(payload.encode()) <= CALLBACK_BYTES:
        return payload, False
    return KEY_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:24], True


class TelegramOutput(ChannelOutput):
    limits = Limits(text=4096, text_with_buttons=4096, buttons=25, title=64)

    @property
    def base(self) -> str:
        return f"{self.channel.config['TELEGRAM_API_URL']}/bot{self.channel.config['TELEGRAM_BOT_TOKEN']}"

    async def send_text(self, recipient: str, text: str) -> None:
        await self.post(f"{self.base}/sendMessage", json_body={"chat_id": recipient, "text": text})

    async def send_buttons(self, recipient: str, text: str, buttons: list[Button]) -> None:
        shown = buttons[:self.limits.buttons]
        data = [callback_data(b.payload) for b in shown]
        keyed = [(key, b.payload) for (key, is_key), b in zip(data, shown, strict=True) if is_key]
        if keyed:
            await self.channel.run_db(self.channel.state.remember, "telegram",
                                      [k for k, _ in keyed], [p for _, p in keyed])
        keyboard = [[{"text": shorten(b.title, self.limits.title), "callback_data": key}]
                    for b, (key, _) in zip(shown, data, strict=True)]
        await self.post(f"{self.base}/sendMessage", json_body={
            "chat_id": recipient, "text": text or "…", "reply_markup": {"inline_keyboard": keyboard}})


class TelegramInput(MessagingInput):
    """Telegram Bot API webhook."""

    settings: ClassVar[dict[str, str | None]] = {
        "TELEGRAM_BOT_TOKEN": None, "TELEGRAM_SECRET_TOKEN": None, "TELEGRAM_API_URL": API_URL}
    output_class = TelegramOutput

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def verify(self, request: Request, body: bytes) -> None:
        check_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                     self.config["TELEGRAM_SECRET_TOKEN"], "secret token")

    def parse(self, request: Request, body: bytes) -> list[Incoming]:
        update = json_object(body)
        raw_id = update.get("update_id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, int):
            raise Malformed("no update_id")
        update_id = str(raw_id)
        if isinstance(update.get("callback_query"), dict):
            return _callback(update_id, update["callback_query"])
        message = update.get("message")
        if not isinstance(message, dict):
            return []  # edited messages, channel posts, member updates: not messages to answer
        chat, person = message.get("chat"), message.get("from")
        if not isinstance(chat, dict) or text_id(chat.get("id")) is None:
            raise Malformed("a message without chat.id")
        if chat.get("type") != "private":
            return []
        language = language_hint(mapping(person).get("language_code"))
        common: dict[str, Any] = {"message_id": update_id, "sender": str(chat["id"]),
                                  "language": language}
        if isinstance(message.get("text"), str):
            return [Incoming(kind="text", text=message["text"], **common)]
        if any(kind in message for kind in NON_TEXT):
            return [Incoming(kind="other", **common)]
        return []

    async def prepare(self, incoming: Incoming) -> str:
        """Answers a tap's callback query first, then resolves a kept payload."""
        if incoming.kind != "button":
            return incoming.text
        output = TelegramOutput(self, incoming)
        try:
            await output.post(f"{output.base}/answerCallbackQuery",
                              json_body={"callback_query_id": incoming.context["callback_id"]})
        except SendFailed as failure:  # the tap is still answered by the reply itself
            logger.warning("telegram: answerCallbackQuery failed: %s", failure)
        if incoming.text.startswith(KEY_PREFIX):
            return await self.run_db(self.state.recall, "telegram", incoming.text) or ""
        return incoming.text


def _callback(update_id: str, query: dict[str, Any]) -> list[Incoming]:
    message, person = query.get("message"), query.get("from")
    chat = message.get("chat") if isinstance(message, dict) else None
    if not text_id(query.get("id")) or not isinstance(chat, dict) or text_id(chat.get("id")) is None:
        raise Malformed("a callback_query without id or message.chat.id")
    if chat.get("type") != "private" or not isinstance(query.get("data"), str):
        return []
    language = language_hint(mapping(person).get("language_code"))
    return [Incoming(message_id=update_id, sender=str(chat["id"]), kind="button", text=query["data"],
                     language=language, context={"callback_id": str(query["id"])})]
