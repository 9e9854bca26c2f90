"""helpline-rasa's fix to Rasa: action server responses are checked exactly as Rasa checks them,
with the validator built once."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import launcher

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
