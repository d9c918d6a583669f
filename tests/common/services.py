"""What a feature's `includeme` registers, for its services' unit tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request, apply_request_extensions


def registered_service(includeme: Callable[[Configurator], None], interface: Any) -> Any:
    """The service a request finds for `interface` once the feature's `includeme` has run."""
    config = Configurator()
    config.include("pyramid_services")
    includeme(config)
    config.commit()
    request = Request.blank("/")
    request.registry = config.registry
    apply_request_extensions(request)
    request.db = None
    return request.find_service(interface, context=None)
