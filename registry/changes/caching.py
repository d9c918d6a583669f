"""Cacheable public pages (issue 21): an anonymous reader's public page carries
`Cache-Control: public, max-age=N` and an ETag made from the data version and what else the
response varies on; asked again with that ETag, it is answered 304 before the view runs.

Only public views (`Permissions.PublicRead`), only GET and HEAD, only for a reader with no session
cookie and no API token: a signed-in user's pages stay `private, no-store` (registry.headers). A
response that sets a cookie after all (a page drawing a form to post makes a CSRF token) is made
private again as it leaves, so no shared cache ever stores a cookie.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import secrets
from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import IViewDeriverInfo
from pyramid.request import Request
from pyramid.response import Response

from registry.authnz import Permissions
from registry.changes.version import current_version
from registry.db import anonymous_reader
from registry.errors.views import is_api
from registry.headers import SIGNED_IN_CACHE_CONTROL

MAX_AGE_SETTING = "registry.cache.max_age"
DEFAULT_MAX_AGE = 300
CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
View = Callable[[Any, Request], Response]


def release(settings: dict[str, Any]) -> str:
    """What the code that draws the pages is: the package's version; in development, this process
    too, so an edited template is never hidden behind an old ETag."""
    version = importlib.metadata.version("supplier-accountability-registry")
    if settings.get("registry.environment") == "development":
        return f"{version}+{secrets.token_hex(4)}"
    return version


def max_age(settings: dict[str, Any]) -> int:
    value = settings.get(MAX_AGE_SETTING, DEFAULT_MAX_AGE)
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        seconds = -1
    if seconds < 0:
        raise ConfigurationError(
            f"{MAX_AGE_SETTING} must be a whole number of seconds, not {value!r}"
        )
    return seconds


def public_reader(request: Request) -> bool:
    """A reader whose page any other anonymous reader may be given: no cookie, no API token."""
    return (
        request.method in CACHEABLE_METHODS
        and anonymous_reader(request)
        and request.authorization is None
    )


def entity_tag(request: Request, code_release: str, version: int) -> str:
    """The page's validator: the data version, the code, the address asked for (query string
    included), and the date (pages say what is open, due or overdue today)."""
    parts = [
        code_release,
        str(version),
        datetime.datetime.now(datetime.UTC).date().isoformat(),
        request.application_url,
        request.path_qs,
        request.headers.get("Accept", "") if is_api(request) else "",
    ]
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
    return f'W/"{digest}"'


def matches(request: Request, tag: str) -> bool:
    """If-None-Match holds the tag (compared weakly, as RFC 9110 says for this header). Not "*":
    whether the page exists is known only once the view has run, and a page this app gave a tag
    to can only be named by that tag."""
    header = request.headers.get("If-None-Match", "")
    opaque = tag.removeprefix("W/")
    return any(c.strip().removeprefix("W/") == opaque for c in header.split(","))


def _public_headers(response: Response, tag: str, seconds: int, api: bool) -> None:
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    # A signed-in reader's request (it has a cookie) must never be answered from this copy.
    response.headers["Vary"] = "Cookie, Authorization" + (", Accept" if api else "")


def _private_if_cookie(request: Request, response: Response) -> None:
    # Runs after the session's own callback has set its cookie, if it did.
    if "Set-Cookie" in response.headers:
        response.headers["Cache-Control"] = SIGNED_IN_CACHE_CONTROL
        response.headers.pop("ETag", None)


def cached_view(view: View, info: IViewDeriverInfo) -> View:
    if info.exception_only or info.options.get("permission") != Permissions.PublicRead:
        return view
    settings = info.registry.settings
    code_release = settings["registry.cache.release"]
    seconds = max_age(settings)

    def conditional_view(context: Any, request: Request) -> Response:
        if not public_reader(request):
            return view(context, request)
        tag = entity_tag(request, code_release, request.data_version)
        api = is_api(request)
        if matches(request, tag):
            not_modified = Response(status=304)
            _public_headers(not_modified, tag, seconds, api)
            return not_modified
        response = view(context, request)
        if response.status_code == 200:
            _public_headers(response, tag, seconds, api)
            request.add_response_callback(_private_if_cookie)
        return response

    return conditional_view


def data_version(request: Request) -> int:
    return current_version(request.db)


def includeme(config: Configurator) -> None:
    config.add_request_method(data_version, "data_version", reify=True)
    settings = config.get_settings()
    max_age(settings)  # a bad value stops start-up, naming the setting
    settings.setdefault("registry.cache.release", release(settings))
    # Inside the permission check and CSRF, around the renderer: the view's Response comes back.
    config.add_view_deriver(cached_view, under="decorated_view", over="rendered_view")
