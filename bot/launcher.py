"""`helpline-rasa`: Rasa's own command line, with one fix to Rasa 3.6 applied first.

    helpline-rasa run --model models/helpline.tar.gz ...   (exactly the options of `rasa run`)

Rasa checks every response of the action server with `jsonschema.validate()`, which first
checks Rasa's own response schema against the JSON Schema meta-schema, then builds a new
validator: 15 ms per custom action with the locked jsonschema, half of Rasa's CPU time per
message here. The schema never changes, so `cache_action_response_validator()` builds the
validator once; responses are checked exactly as before (the same errors, the same message).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


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
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def main() -> None:
    """Runs Rasa's command line (arguments from sys.argv) with the fix applied."""
    cache_action_response_validator()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
