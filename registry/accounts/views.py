"""Sign-in and sign-out. Failed sign-ins are audited and throttled per client and per account
(`registry.accounts.throttle`); a sign-in starts a database session, sign-out ends them all."""

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

SIGNED_IN = "signed_in"


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
        refusal = self.user_service.sign_in_refusal(form.email.data, request.remote_addr)
        if refusal:
            request.response.status = 429
            form.form_errors.append(refusal)
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
        headers = remember(request, user)
        # The page says whom as; the cookie carries no e-mail (base.html reads this queue).
        request.session.flash("", queue=SIGNED_IN)
        return HTTPSeeOther(safe_next_url(form.next.data), headers=headers)


@view_config(route_name="accounts.logout", request_method="POST", permission=Permissions.PublicRead)
def logout(request: Request) -> HTTPSeeOther:
    headers = forget(request)  # ends every session of the user
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
