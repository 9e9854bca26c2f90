"""Socket.IO channel (the web widget's) with the message guard."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.socketio import SocketIOInput

from bot.channels.guard import OnNewMessage, guard


class HardenedSocketIOInput(SocketIOInput):
    """Rasa's socketio channel; every message passes the same guard as on REST."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: OnNewMessage) -> Any:
        return super().blueprint(guard(on_new_message))
