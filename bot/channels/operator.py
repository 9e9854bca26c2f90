"""The operator console's routes, served by the Rasa process at /webhooks/operator/...

An input channel only in name: it takes no user messages, but it runs inside Rasa, beside the
tracker store, the lock store and the other channels' outputs, which a handoff needs
(bot/channels/relay.py). Every route wants `Authorization: Bearer <HELPLINE_CONSOLE_TOKEN>`
(401 without it, 403 with a wrong one, compared in constant time); with no token configured the
routes do not exist (404). The console calls them only through bot/handoff_client.py.

    GET  /queue                        waiting and held handoffs, danger first, then the oldest
    POST /handoffs/<id>/take           {"operator"}          exactly one operator wins
    GET  /handoffs/<id>/history
    POST /handoffs/<id>/send           {"operator", "text"}  delivered once on the user's channel
    POST /handoffs/<id>/release|close  {"operator"}
    POST /presence                     {"operator", "online"}
    GET  /summary?start=ISO&end=ISO    counts only
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.channels.base import Rejected, check_secret
from bot.channels.relay import relay, store
from bot.handoff_client import BadRequest, HandoffError, error_json

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


def authorise(request: Request) -> None:
    """Raises Rejected unless the request carries the console's token."""
    header = request.headers.get("Authorization") or ""
    check_secret(header[len("Bearer "):] if header.startswith("Bearer ") else "", settings.console_token(),
                 "console token")


def _body(request: Request) -> dict[str, Any]:
    if len(request.body or b"") > MAX_BODY:
        raise BadRequest("The request is too large.")
    try:
        body = request.json
    except Exception:  # Sanic raises its own error for a body that is not JSON
        body = None
    if not isinstance(body, dict):
        raise BadRequest('The body must be a JSON object, e.g. {"operator": "ana"}.')
    return body


def _moment(value: str | None, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        raise BadRequest(f"'{name}' must be a date and time (ISO 8601).") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


Handler = Callable[..., Awaitable[dict[str, Any]]]


class OperatorInput(InputChannel):
    """The token-protected routes of the live handoff."""

    @classmethod
    def name(cls) -> str:
        return "operator"

    def blueprint(self, on_new_message: Callable[..., Awaitable[Any]]) -> Blueprint:
        routes = Blueprint("handoff_operator", __name__)

        @routes.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            relay.app = app

        def route(path: str, method: str) -> Callable[[Handler], Handler]:
            def register(handler: Handler) -> Handler:
                async def guarded(request: Request, **kwargs: Any) -> HTTPResponse:
                    if not settings.console_token():
                        return response.json({"error": "unauthorized", "message": "The assistant has no operator "
                                              "routes: HELPLINE_CONSOLE_TOKEN is not set there."}, status=404)
                    try:
                        authorise(request)
                        return response.json(await handler(request, **kwargs))
                    except Rejected as rejected:
                        logger.warning("operator route refused (%d: %s)", rejected.status, rejected.reason)
                        said = "missing" if rejected.status == 401 else "was refused"
                        return response.json({"error": "unauthorized", "message": f"The console's token {said} "
                                              "(HELPLINE_CONSOLE_TOKEN)."}, status=rejected.status)
                    except HandoffError as error:
                        return response.json(error_json(error), status=error.status)
                    except Exception:  # never a traceback to the console; the log has it
                        logger.exception("operator route %s failed", path)
                        return response.json({"error": "refused", "message": "The assistant could not do "
                                              "this just now; please try again."}, status=500)
                routes.add_route(guarded, path, methods=[method], name=f"{method}_{handler.__name__}")
                return handler
            return register

        @route("/queue", "GET")
        async def queue(_: Request) -> dict[str, Any]:
            return {"items": [item.as_json() for item in await relay.queue()]}

        @route("/handoffs/<handoff_id>/take", "POST")
        async def take(request: Request, handoff_id: str) -> dict[str, Any]:
            return {"item": (await relay.take(handoff_id, _body(request).get("operator"))).as_json()}

        @route("/handoffs/<handoff_id>/history", "GET")
        async def history(_: Request, handoff_id: str) -> dict[str, Any]:
            return {"turns": [turn.as_json() for turn in await relay.history(handoff_id)]}

        @route("/handoffs/<handoff_id>/send", "POST")
        async def send(request: Request, handoff_id: str) -> dict[str, Any]:
            body = _body(request)
            await relay.send(handoff_id, body.get("operator"), body.get("text"))
            return {"sent": True}

        @route("/handoffs/<handoff_id>/release", "POST")
        async def release(request: Request, handoff_id: str) -> dict[str, Any]:
            await relay.end(handoff_id, _body(request).get("operator"), "released")
            return {"state": "released"}

        @route("/handoffs/<handoff_id>/close", "POST")
        async def close(request: Request, handoff_id: str) -> dict[str, Any]:
            await relay.end(handoff_id, _body(request).get("operator"), "closed")
            return {"state": "closed"}

        @route("/presence", "POST")
        async def presence(request: Request) -> dict[str, Any]:
            body = _body(request)
            if not isinstance(body.get("online"), bool):
                raise BadRequest("'online' must be true or false.")
            await relay.db(store().heartbeat, body.get("operator"), body["online"])
            return {"online": body["online"]}

        @route("/summary", "GET")
        async def summary(request: Request) -> dict[str, Any]:
            start = _moment(request.args.get("start"), "start")
            end = _moment(request.args.get("end"), "end")
            return {"summary": await relay.db(store().summary, start, end)}

        return routes
