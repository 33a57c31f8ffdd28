"""Validate action-server responses with a validator built once, instead of once per call.

Rasa 3.6 checks every response of the action server with `jsonschema.validate(result, schema)`. That helper
first checks the schema itself against the JSON Schema 2020-12 metaschema, then builds a new validator, on
every call: about 20 ms of CPU per custom action on a 2-core machine, more than half of all the work Rasa did
per message in `make bench`. The schema is a constant (`RemoteAction.action_response_format_spec()`), so it is
checked once and the same validator is reused. What is accepted or rejected, and the error message, stay
exactly as in Rasa.

`install()` is called when the Neuvo channel is imported (credentials.yml loads it in every Rasa process).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def response_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    error = best_match(response_validator().iter_errors(result))  # what jsonschema.validate raises
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
