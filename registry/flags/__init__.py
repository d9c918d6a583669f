"""Lock-in detectors and the flags they raise, with their evidence."""

import dataclasses
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request

# A large group has hundreds of flags: its page lists the first ones and links to the rest.
SUBJECT_FLAGS_SHOWN = 20


@dataclasses.dataclass
class SubjectFlags:
    shown: list[Any]
    more: bool  # more than those shown: the page links to /flags filtered by the subject


def subject_flags(request: Request, **subject: Any) -> SubjectFlags:
    """The flags about a supplier group, buyer or framework, for the partial
    templates/flags/_subject_flags.html that their pages include."""
    from registry.flags.services import flags_for

    found = flags_for(request.db, **subject, limit=SUBJECT_FLAGS_SHOWN + 1)
    return SubjectFlags(found[:SUBJECT_FLAGS_SHOWN], len(found) > SUBJECT_FLAGS_SHOWN)


def includeme(config: Configurator) -> None:
    from registry.flags.detectors import load_settings

    # Thresholds are checked at start-up: a bad one stops the app, naming the setting.
    config.registry["registry.detection"] = load_settings(config.get_settings())
    config.add_request_method(subject_flags, "subject_flags")
