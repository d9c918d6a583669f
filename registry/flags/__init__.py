"""Lock-in detectors and the flags they raise, with their evidence."""

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request


def subject_flags(request: Request, **subject: Any) -> list[Any]:
    """The flags about a supplier group, buyer or framework, for the partial
    templates/flags/_subject_flags.html that their pages include."""
    from registry.flags.services import flags_for

    return flags_for(request.db, **subject)


def includeme(config: Configurator) -> None:
    from registry.flags.detectors import load_settings

    # Thresholds are checked at start-up: a bad one stops the app, naming the setting.
    config.registry["registry.detection"] = load_settings(config.get_settings())
    config.add_request_method(subject_flags, "subject_flags")
