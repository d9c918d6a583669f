"""Lock-in detectors and the flags they raise, with their evidence."""

from pyramid.config import Configurator

# A large group has hundreds of flags: its page lists the first ones and links to the rest.
SUBJECT_FLAGS_SHOWN = 20


def includeme(config: Configurator) -> None:
    # Thresholds are checked at start-up: a bad one stops the app, naming the setting.
    config.include("registry.flags.detectors")
    # Named, not imported: importing the package (for its models) must not load the detectors.
    config.add_request_method("registry.flags.services.subject_flags", "subject_flags")
