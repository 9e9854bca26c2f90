"""`helpline-rasa`: Rasa's own command line, with a few fixes to Rasa 3.6 applied first.

    helpline-rasa run --model models/helpline.tar.gz ...   (exactly the options of `rasa run`)

- Telemetry is off (Rasa would otherwise send usage and crash reports to a third party).
- A request body over the messaging channels' limit (bot.channels.base.MAX_BODY) is refused with
  413 before it is read (Sanic's default is 100 MB: a few such bodies took Rasa's memory past a
  gigabyte); REST and socket.io allow less (bot.channels.guard.MAX_MESSAGE_BODY).
- A message waiting for its turn is not cancelled after Sanic's default 60 s (RESPONSE_TIMEOUT;
  Rasa raises it only with its HTTP API on): a burst queues messages for longer
  (bot.settings.response_seconds); the listening socket's backlog holds a burst's connections.
- `GET /` answers without Rasa's version (it tells an attacker which advisories apply).
- The origins given with `--cors` are recorded in CORS_ORIGINS, for the socket.io channel's
  Origin check (Rasa applies them to HTTP only).
- Action responses are validated by a validator built once, as below.

Rasa checks every response of the action server with `jsonschema.validate()`, which first
checks Rasa's own response schema against the JSON Schema meta-schema, then builds a new
validator: 15 ms per custom action with the locked jsonschema, half of Rasa's CPU time per
message here. The schema never changes, so `cache_action_response_validator()` builds the
validator once; responses are checked exactly as before (the same errors, the same message).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jsonschema
import rasa.core.run
import rasa.server
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.channels.base import MAX_BODY

# Connections the kernel holds for Rasa before it accepts them (Rasa's default is 100): a burst of
# a few hundred at once otherwise has some refused before Rasa sees them.
BACKLOG = 2048
CORS_ORIGINS: list[str] | None = None  # Rasa's --cors, once it has configured its app


@lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """Rasa's action response schema, compiled once (it is checked against the meta-schema here)."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the compiled validator."""
    error = best_match(action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (". Failed to validate Action server response from API, make sure your "
                      "response from the Action endpoint is valid. For more information about "
                      f"the format visit {DOCS_BASE_URL}/custom-actions")
    raise error


def cache_action_response_validator() -> None:
    """Makes every RemoteAction validate with the compiled validator."""
    RemoteAction._validate_action_result = validate_action_result


def add_root_route(app: Sanic) -> None:
    """Rasa's `GET /` for health checks, without the version."""

    @app.get("/")
    async def hello(_request: Request) -> HTTPResponse:
        return response.text("ok")


def record_cors(configure_app: Callable[..., Any]) -> Callable[..., Any]:
    """rasa.core.run.configure_app, keeping its `cors` argument in CORS_ORIGINS first."""

    @functools.wraps(configure_app)
    def configure(input_channels: Any = None, cors: str | list[str] | None = None, *args: Any,
                  **kwargs: Any) -> Any:
        global CORS_ORIGINS
        CORS_ORIGINS = [cors] if isinstance(cors, str) else list(cors or [])
        return configure_app(input_channels, cors, *args, **kwargs)

    return configure


def apply_fixes() -> None:
    """The fixes above, before Rasa reads its environment or builds its server."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(MAX_BODY))
    os.environ.setdefault("SANIC_RESPONSE_TIMEOUT", str(settings.response_seconds()))
    os.environ.setdefault("SANIC_BACKLOG", str(BACKLOG))
    rasa.server.add_root_route = add_root_route
    rasa.core.run.configure_app = record_cors(rasa.core.run.configure_app)
    cache_action_response_validator()


def main() -> None:
    """Runs Rasa's command line (arguments from sys.argv) with the fixes applied."""
    apply_fixes()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
