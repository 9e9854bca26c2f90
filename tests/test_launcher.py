"""helpline-rasa's fixes to Rasa: action server responses are checked exactly as Rasa checks them,
with the validator built once; telemetry off, a body limit, no version on `GET /`; and the
project's endpoints.yml reaching the action server of ACTION_PORT."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import rasa.core.run
import rasa.server
from rasa.core.actions.action import RemoteAction
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig

from bot import launcher

ROOT = Path(__file__).resolve().parents[1]
VALID = {"events": [{"event": "slot", "name": "language", "value": "sq", "timestamp": None}],
         "responses": [{"text": "Përshëndetje!"}, {"response": "utter_fallback"}]}
INVALID = [
    {"events": [{"event": "slot"}]},  # a slot event without its name
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": [42]},
]


def _action() -> RemoteAction:
    return RemoteAction("action_answer_question", EndpointConfig("http://127.0.0.1:1/webhook"))


def _rasas_own_error(result: dict[str, Any]) -> str:
    with pytest.raises(jsonschema.ValidationError) as caught:
        RemoteAction._validate_action_result(_action(), result)
    return caught.value.message


def test_a_valid_response_passes() -> None:
    assert launcher.validate_action_result(_action(), VALID) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_response_fails_with_rasas_own_message(result: dict[str, Any]) -> None:
    expected = _rasas_own_error(result)
    with pytest.raises(jsonschema.ValidationError) as caught:
        launcher.validate_action_result(_action(), result)
    assert caught.value.message == expected
    assert "Failed to validate Action server response" in expected


def test_the_fix_applies_to_every_remote_action(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    launcher.cache_action_response_validator()
    assert RemoteAction._validate_action_result is launcher.validate_action_result
    assert _action()._validate_action_result(VALID) is True
    with pytest.raises(jsonschema.ValidationError):
        _action()._validate_action_result(INVALID[0])


@pytest.fixture
def rasa_as_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Restores what apply_fixes() replaces afterwards, so that the other tests see Rasa as shipped."""
    monkeypatch.setattr(rasa.server, "add_root_route", rasa.server.add_root_route)
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(rasa.core.run, "configure_app", rasa.core.run.configure_app)


def test_the_fixes_turn_telemetry_off_and_limit_bodies_unless_configured(monkeypatch: pytest.MonkeyPatch,
                                                                          rasa_as_shipped: None) -> None:
    monkeypatch.delenv("RASA_TELEMETRY_ENABLED", raising=False)
    monkeypatch.setenv("SANIC_REQUEST_MAX_SIZE", "1000")
    monkeypatch.delenv("SANIC_BACKLOG", raising=False)
    launcher.apply_fixes()
    assert os.environ["RASA_TELEMETRY_ENABLED"] == "false"
    assert os.environ["SANIC_REQUEST_MAX_SIZE"] == "1000"  # an operator's setting wins
    assert int(os.environ["SANIC_BACKLOG"]) >= 1024  # Rasa reads it; its own default, 100, refused a burst
    assert rasa.server.add_root_route is launcher.add_root_route


def test_the_projects_endpoints_reach_the_action_server_of_action_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_PORT", "5999")
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    assert endpoints.action is not None and endpoints.action.url == "http://127.0.0.1:5999/webhook"


def test_messages_waiting_their_turn_outlast_sanics_60_seconds(monkeypatch: pytest.MonkeyPatch,
                                                                 rasa_as_shipped: None) -> None:
    # without Rasa's HTTP API, Sanic's default 60 s cancelled messages queued by a burst
    monkeypatch.delenv("SANIC_RESPONSE_TIMEOUT", raising=False)
    monkeypatch.setenv("HELPLINE_TURN_WAIT", "300")
    launcher.apply_fixes()
    app = rasa.core.run._create_app_without_api()
    assert app.config.RESPONSE_TIMEOUT == 360 > 300
