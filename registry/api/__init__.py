"""The JSON API under /api/v1, with its OpenAPI document and API tokens."""

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from registry.api.validation import SPEC_PATH, openapi


def includeme(config: Configurator) -> None:
    # A broken OpenAPI document stops the app at start-up, not at the first request.
    try:
        openapi()
    except Exception as exc:
        raise ConfigurationError(f"the OpenAPI document {SPEC_PATH} is not valid: {exc}") from exc
