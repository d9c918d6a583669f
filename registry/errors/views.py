from __future__ import annotations

import logging

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPException,
    HTTPForbidden,
    HTTPNotFound,
    HTTPSeeOther,
)
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)

TITLES = {
    400: "There is a problem with the request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "That method is not allowed here",
    409: "Someone else changed this first",
    410: "This page has been withdrawn",
    413: "The upload is too large",
    429: "Too many requests",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}
# Set on a request whose database has gone away: its error page must not touch the database
# again (the security policy reads it to show who is signed in).
DATABASE_UNAVAILABLE = "registry.database_unavailable"


def is_api(request: Request) -> bool:
    return request.path.startswith("/api/")


def error_response(request: Request, status: int, message: str) -> Response:
    if is_api(request):
        response = Response(json_body={"error": {"status": status, "message": message}})
        response.status = status
        return response
    title = TITLES.get(status, "Error")
    try:
        response = render_to_response(
            "errors/error.html",
            {"status": status, "title": title, "message": message},
            request=request,
        )
    except Exception:
        # The page itself could not be drawn (the database may be what failed): plain text, still
        # without a traceback.
        log.exception("could not render the %s page", status)
        response = Response(f"{title}\n\n{message}\n", content_type="text/plain")
    response.status = status
    return response


@notfound_view_config()
def not_found(exc: HTTPNotFound, request: Request) -> Response:
    message = "If you typed the web address, check it is correct. If you pasted it, check you copied all of it."
    if is_api(request):
        message = f"No resource at {request.path}"
    return error_response(request, 404, message)


@forbidden_view_config()
def forbidden(exc: HTTPForbidden, request: Request) -> Response:
    if request.identity is None and not is_api(request) and request.method == "GET":
        return HTTPSeeOther(request.route_path("accounts.login", _query={"next": request.path_qs}))
    return error_response(request, 403, "Your account does not have the role this needs.")


@exception_view_config(BadCSRFToken)
def bad_csrf(exc: BadCSRFToken, request: Request) -> Response:
    return error_response(
        request,
        400,
        "The form had expired or did not come from this site. Go back, reload the page and try again.",
    )


@exception_view_config(UnicodeDecodeError)
def bad_encoding(exc: UnicodeDecodeError, request: Request) -> Response:
    return error_response(request, 400, "The request was not valid UTF-8 text.")


@exception_view_config(HTTPException)
def http_exception(exc: HTTPException, request: Request) -> Response:
    if exc.status_int < 400:
        return exc
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else exc.explanation
    return error_response(request, exc.status_int, message)


@exception_view_config(HTTPBadRequest)
def bad_request(exc: HTTPBadRequest, request: Request) -> Response:
    return http_exception(exc, request)


@exception_view_config(DBAPIError)
def database_error(exc: DBAPIError, request: Request) -> Response:
    """The database refused a connection or dropped it: a 503 to try again, not a traceback.
    pool_pre_ping replaces a server's dead connections (a SQLite file has none to lose), so the
    app recovers when the database returns."""
    if not (isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated):
        return server_error(exc, request)
    log.error("database unavailable on %s %s: %s", request.method, request.path, exc.orig)
    request.environ[DATABASE_UNAVAILABLE] = True
    response = error_response(
        request,
        503,
        "The register cannot reach its database just now. Nothing you sent was saved. "
        "Try again in a few minutes.",
    )
    response.headers["Retry-After"] = "60"
    return response


@exception_view_config(Exception)
def server_error(exc: Exception, request: Request) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(
        request, 500, "Try again later. The error has been logged; nothing you sent was saved."
    )
