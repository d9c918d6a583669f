"""Cacheable public pages (issue 21): an anonymous reader's public page carries
`Cache-Control: public, max-age=N` and an ETag made from the data version and what else the
response varies on; asked again with that ETag, it is answered 304 before the view runs.

Only public views (`Permissions.PublicRead`), only GET and HEAD, only for a reader with no session
cookie and no API token: a signed-in user's pages stay `private, no-store` (registry.headers). A
response that sets a cookie after all (a page drawing a form to post makes a CSRF token) is made
private again as it leaves, so no shared cache ever stores a cookie.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import secrets
import time
import weakref
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import IRoutesMapper, IViewDeriverInfo
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy.engine import Engine

from registry import clock
from registry.authnz import Permissions
from registry.changes.version import (
    LocalBumps,
    current_version,
    version_on,
    version_on_driver,
)
from registry.db import anonymous_reader, reads_from_replica
from registry.headers import SIGNED_IN_CACHE_CONTROL

MAX_AGE_SETTING = "registry.cache.max_age"
DEFAULT_MAX_AGE = 300
CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
ROUTES = "registry.cache.public_routes"  # route name: every GET view on it is public
# Pages read from the embedded search index, which is brought up to date just after the commit
# that moves the data version: a tag made between the two would vouch for old results for as
# long as nothing else is written. They are public for max-age, without a tag to revalidate.
INDEXED_ROUTES = frozenset({"search", "api.search"})
# A revalidation reads the version at most once a second per process (engine): a write made in
# another process is seen within a second, one made here at once (LocalBumps).
VERSION_SECONDS = 1.0
_KEPT: weakref.WeakKeyDictionary[Engine, tuple[float, int, int]] = weakref.WeakKeyDictionary()
View = Callable[[Any, Request], Response]
Handler = Callable[[Request], Response]


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


def api_request(request: Request) -> bool:
    # errors.views.is_api's test, on the raw path: this runs on every revalidation.
    return str(request.environ.get("PATH_INFO", "")).startswith("/api/")


def entity_tag(request: Request, code_release: str, version: int) -> str:
    """The page's validator: the data version, the code, the address asked for (query string
    included), and the date (pages say what is open, due or overdue today)."""
    environ = request.environ
    parts = [
        code_release,
        str(version),
        clock.today().isoformat(),
        request.host_url,
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("HTTP_ACCEPT", "") if api_request(request) else "",
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


def _public_headers(response: Response, tag: str | None, seconds: int, api: bool) -> None:
    if tag is not None:
        response.headers["ETag"] = tag
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    # A signed-in reader's request (it has a cookie) must never be answered from this copy.
    response.headers["Vary"] = "Cookie, Authorization" + (", Accept" if api else "")


def _private_if_cookie(request: Request, response: Response) -> None:
    # Runs after the session's own callback has set its cookie, if it did.
    if "Set-Cookie" in response.headers:
        response.headers["Cache-Control"] = SIGNED_IN_CACHE_CONTROL
        response.headers.pop("ETag", None)


def _answers_get(request_method: Any) -> bool:
    if request_method is None:
        return True
    methods = (request_method,) if isinstance(request_method, str) else tuple(request_method)
    return "GET" in methods


def _note_route(info: IViewDeriverInfo, public: bool) -> None:
    """Routes whose every GET view is public: the tween may answer them 304 before routing."""
    route = info.options.get("route_name")
    if info.exception_only or route is None or not _answers_get(info.options.get("request_method")):
        return
    found = info.registry.setdefault(ROUTES, {})
    found[route] = found.get(route, True) and public and route not in INDEXED_ROUTES


def cached_view(view: View, info: IViewDeriverInfo) -> View:
    public = info.options.get("permission") == Permissions.PublicRead
    _note_route(info, public)
    if info.exception_only or not public:
        return view
    settings = info.registry.settings
    code_release = settings["registry.cache.release"]
    seconds = max_age(settings)

    revalidated = info.options.get("route_name") not in INDEXED_ROUTES

    def conditional_view(context: Any, request: Request) -> Response:
        if not public_reader(request):
            return view(context, request)
        tag = entity_tag(request, code_release, request.data_version) if revalidated else None
        api = api_request(request)
        if tag is not None and matches(request, tag):
            not_modified = Response(status=304)
            _public_headers(not_modified, tag, seconds, api)
            return not_modified
        response = view(context, request)
        if response.status_code == 200:
            _public_headers(response, tag, seconds, api)
            request.add_response_callback(_private_if_cookie)
        return response

    return conditional_view


def _read_version(request: Request) -> int:
    """The version where the page would be read from (a replica, for a visitor), without a
    session or a transaction manager: one statement on a pooled connection."""
    replica = reads_from_replica(request)
    given = request.environ.get("registry.db_connection")  # tests: the fixture's connection
    if replica and "registry.db_read_connection" in request.environ:
        given = request.environ["registry.db_read_connection"]
    if given is not None:
        return version_on(given)
    engine = request.registry["sqlalchemy.read_engine" if replica else "sqlalchemy.engine"]
    kept = _KEPT.get(engine)
    now = time.monotonic()
    if kept is not None and kept[0] > now and kept[1] == LocalBumps.count:
        return kept[2]
    version = version_on_driver(engine)
    _KEPT[engine] = (now + VERSION_SECONDS, LocalBumps.count, version)
    return version


def conditional_get_tween_factory(handler: Handler, registry: Registry) -> Handler:
    """A revalidation answered before the transaction, the route's factory and the view: what
    a cache asks most often, at little more than the cost of routing and one indexed read."""
    code_release = registry.settings["registry.cache.release"]
    seconds = max_age(registry.settings)
    mapper = registry.getUtility(IRoutesMapper)

    def conditional_get_tween(request: Request) -> Response:
        if "If-None-Match" not in request.headers or not public_reader(request):
            return handler(request)
        route = mapper(request)["route"]
        if route is None or not registry.get(ROUTES, {}).get(route.name):
            return handler(request)
        try:
            version = _read_version(request)
        except sa.exc.SQLAlchemyError:
            return handler(request)  # the page's own error handling says what went wrong
        tag = entity_tag(request, code_release, version)
        if not matches(request, tag):
            return handler(request)
        not_modified = Response(status=304)
        _public_headers(not_modified, tag, seconds, api_request(request))
        return not_modified

    return conditional_get_tween


def data_version(request: Request) -> int:
    return current_version(request.db)


def includeme(config: Configurator) -> None:
    config.add_request_method(data_version, "data_version", reify=True)
    settings = config.get_settings()
    max_age(settings)  # a bad value stops start-up, naming the setting
    settings.setdefault("registry.cache.release", release(settings))
    # Inside the permission check and CSRF, around the renderer: the view's Response comes back.
    config.add_view_deriver(cached_view, under="decorated_view", over="rendered_view")
    config.add_tween(
        "registry.changes.caching.conditional_get_tween_factory",
        under="registry.headers.security_headers_tween_factory",
        over="pyramid_tm.tm_tween_factory",
    )
