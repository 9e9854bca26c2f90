"""`helpline channels …`: which messaging channels start, and registering their webhooks.

    helpline channels status                 each channel: started, or which variables are missing
    helpline channels set-webhook NAME URL   Telegram (setWebhook with the secret token), Viber (set_webhook)

The channel classes (and so Rasa) are imported only when a command runs.
"""

from __future__ import annotations

from typing import Any

import requests
import typer

from bot import settings

app = typer.Typer(help="The messaging channels (Viber, WhatsApp, Messenger, Telegram, SMS).",
                  no_args_is_help=True)
REGISTER_ELSEWHERE = {
    "whatsapp": "in the Meta app dashboard (WhatsApp > Configuration > Webhook), with WHATSAPP_VERIFY_TOKEN",
    "messenger": "in the Meta app dashboard (Messenger > Settings > Webhooks), with MESSENGER_VERIFY_TOKEN",
    "twilio": "in the Twilio console (Phone Numbers > your number > Messaging > A message comes in)",
}
TIMEOUT = 20


def messaging_channels() -> dict[str, Any]:
    """The guarded messaging channel classes by name."""
    from bot.channels.messenger import MessengerInput
    from bot.channels.telegram import TelegramInput
    from bot.channels.twilio import TwilioInput
    from bot.channels.viber import ViberInput
    from bot.channels.whatsapp import WhatsAppInput

    return {c.name(): c for c in (ViberInput, WhatsAppInput, MessengerInput, TelegramInput, TwilioInput)}


@app.command()
def status() -> None:
    """Say which messaging channels start with the current environment, and why others do not."""
    for name, channel in messaging_channels().items():
        missing = channel.status()
        typer.echo(f"{name}: " + (f"started at /webhooks/{name}/webhook" if not missing
                                  else f"not started: {', '.join(missing)} not set"))


def _setting(channel: Any, name: str) -> str:
    return settings.get(name, channel.settings[name] or "")


def _register(name: str, url: str) -> tuple[bool, str]:
    """Calls the provider's registration API; (accepted, what it said)."""
    channel = messaging_channels()[name]
    if name == "telegram":
        reply = requests.post(
            f"{_setting(channel, 'TELEGRAM_API_URL')}/bot{_setting(channel, 'TELEGRAM_BOT_TOKEN')}/setWebhook",
            json={"url": url, "secret_token": _setting(channel, "TELEGRAM_SECRET_TOKEN"),
                  "allowed_updates": ["message", "callback_query"]}, timeout=TIMEOUT)
        body = reply.json() if reply.headers.get("content-type", "").startswith("application/json") else {}
        return bool(body.get("ok")), str(body.get("description") or f"HTTP {reply.status_code}")
    from bot.channels.viber import EVENT_TYPES

    reply = requests.post(f"{_setting(channel, 'VIBER_API_URL')}/set_webhook",
                          headers={"X-Viber-Auth-Token": _setting(channel, "VIBER_AUTH_TOKEN")},
                          json={"url": url, "event_types": EVENT_TYPES, "send_name": False, "send_photo": False},
                          timeout=TIMEOUT)
    body = reply.json() if reply.headers.get("content-type", "").startswith("application/json") else {}
    return body.get("status") == 0, str(body.get("status_message") or f"HTTP {reply.status_code}")


@app.command("set-webhook")
def set_webhook(name: str = typer.Argument(..., help="telegram or viber"),
                url: str = typer.Argument(..., help="The public https URL of /webhooks/NAME/webhook.")) -> None:
    """Register the webhook URL with the provider (Telegram, Viber)."""
    channels = messaging_channels()
    if name in REGISTER_ELSEWHERE:
        typer.echo(f"error: {name} has no API for this; register {url} {REGISTER_ELSEWHERE[name]}", err=True)
        raise typer.Exit(2)
    if name not in channels:
        typer.echo(f"error: unknown channel {name!r}; one of: {', '.join(channels)}", err=True)
        raise typer.Exit(2)
    missing = channels[name].status()
    if missing:
        typer.echo(f"error: set {', '.join(missing)} first", err=True)
        raise typer.Exit(2)
    if not url.startswith("https://"):
        typer.echo("error: the providers call only https:// URLs", err=True)
        raise typer.Exit(2)
    try:
        accepted, said = _register(name, url)
    except (requests.RequestException, ValueError) as error:
        typer.echo(f"error: {name} could not be reached: {type(error).__name__}", err=True)
        raise typer.Exit(1) from None
    if not accepted:
        typer.echo(f"error: {name} refused the webhook: {said}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{name}: webhook set to {url} ({said})")
