"""The admin form pattern every feature shares, in one place.

GET shows the form; POST validates it and calls `save`, which calls the service and returns
the redirect. A service refuses with an error carrying (field, message) pairs: they go on the
form's fields and the page is shown again with status 400 (the service wrote nothing then).
`form_views` registers a subclass's `show` (GET) and `submit` (POST) on its route: venusian does
not register a base class's decorated methods for its subclasses. `post_form` is the same POST
for a form posted from a page that shows several (a user's page, a product's page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from registry.forms import Form
from registry.problems import ServiceError

V = TypeVar("V", bound=type)


def post_form(
    form: Form,
    save: Callable[[], Any],
    refuse: Callable[[], Any],
    *,
    error_class: type[ServiceError] = ServiceError,
    valid: bool | None = None,
) -> Any:
    """Validate the posted form (or take `valid`, when the view checked more than the form) and
    call `save`, which calls the service and returns the redirect. On a problem, or the service's
    refusal (its errors go on the form's fields), return `refuse()`: the page again, status 400."""
    if form.validate() if valid is None else valid:
        try:
            return save()
        except error_class as error:
            form.add_errors(error.errors)
    return refuse()


class FormView:
    service_interface: ClassVar[Any] = None  # the zope interface of the feature's service
    error_class: ClassVar[type[ServiceError]] = ServiceError  # what the service raises to refuse
    form_class: ClassVar[type[Form]] = Form

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service: Any = (
            request.find_service(self.service_interface) if self.service_interface else None
        )

    def form(self, formdata: Any = None) -> Form:
        return self.form_class(formdata)

    def validate(self, form: Any) -> bool:
        return bool(form.validate())

    def save(self, form: Any) -> Any:
        """Call the service with the valid form; return the redirect (`done`)."""
        raise NotImplementedError

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {"form": form, **extra}

    def invalid(self, form: Form, **extra: Any) -> Any:
        self.request.response.status = 400
        return self.page(form, **extra)

    def done(self, message: str, url: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(url)

    def show(self) -> Any:
        return self.page(self.form())

    def submit(self) -> Any:
        form = self.form(self.request.POST)
        return post_form(
            form,
            lambda: self.save(form),
            lambda: self.invalid(form),
            error_class=self.error_class,
            valid=self.validate(form),
        )


def form_views(route_name: str, renderer: str, permission: str) -> Callable[[V], V]:
    """Class decorator: the view class's `show` answers GET and its `submit` answers POST."""

    def register(cls: V) -> V:
        for method, attr in (("GET", "show"), ("POST", "submit")):
            # _depth=1: venusian files the view under the module that uses the decorator.
            view_config(
                route_name=route_name,
                renderer=renderer,
                permission=permission,
                request_method=method,
                attr=attr,
                _depth=1,
            )(cls)
        return cls

    return register
