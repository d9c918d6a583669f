"""Login and logout. Failed logins are audited and rate-limited per e-mail address."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.security import forget, remember
from pyramid.view import view_config, view_defaults

from registry.accounts.forms import LoginForm
from registry.accounts.interfaces import IUserService
from registry.authnz import Permissions
from registry.forms import safe_next_url


@view_defaults(
    route_name="accounts.login", renderer="accounts/login.html", permission=Permissions.PublicRead
)
class LoginViews:
    _form_class = LoginForm

    def __init__(self, request: Request) -> None:
        self.request = request
        self.user_service = request.find_service(IUserService, context=None)

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        form = self._form_class(next=safe_next_url(self.request.params.get("next")))
        return {"form": form}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        request = self.request
        form = self._form_class(request.POST)
        if not form.validate():
            request.response.status = 400
            return {"form": form}
        if self.user_service.is_rate_limited(form.email.data):
            request.response.status = 429
            form.form_errors.append(
                "Too many failed sign-in attempts for this e-mail address. Wait 15 minutes and try again."
            )
            return {"form": form}
        user = self.user_service.authenticate(
            form.email.data, form.password.data, remote_addr=request.remote_addr
        )
        if user is None:
            request.response.status = 400
            form.form_errors.append("The e-mail address or password is not right")
            return {"form": form}
        # A fresh session (and CSRF token) on every sign-in.
        request.session.invalidate()
        headers = remember(request, str(user.id))
        request.session.flash(f"Signed in as {user.email}", queue="success")
        return HTTPSeeOther(safe_next_url(form.next.data), headers=headers)


@view_config(route_name="accounts.logout", request_method="POST", permission=Permissions.PublicRead)
def logout(request: Request) -> HTTPSeeOther:
    headers = forget(request)
    request.session.invalidate()
    return HTTPSeeOther(request.route_path("home"), headers=headers)


@view_config(
    route_name="accounts.logout",
    request_method="GET",
    renderer="accounts/logout.html",
    permission=Permissions.PublicRead,
)
def logout_confirm(request: Request) -> dict[str, Any]:
    return {}
