"""A Pyramid 2 security policy: the user id lives in the signed session, permissions in ACLs."""

from __future__ import annotations

from typing import Any

from pyramid.authentication import SessionAuthenticationHelper
from pyramid.authorization import ACLHelper, Everyone
from pyramid.request import Request

from registry.accounts.interfaces import IUserService


class RegistrySecurityPolicy:
    def __init__(self) -> None:
        self.helper = SessionAuthenticationHelper()
        self.acl = ACLHelper()

    def identity(self, request: Request) -> Any:
        if request.environ.get("registry.database_unavailable"):
            return None  # the 503 page is drawn as for a visitor: the user cannot be loaded
        userid = self.helper.authenticated_userid(request)
        if userid is None:
            return None
        try:
            user_id = int(userid)
        except (TypeError, ValueError):
            return None
        return request.find_service(IUserService, context=None).get_user(user_id)

    def authenticated_userid(self, request: Request) -> str | None:
        user = request.identity
        return None if user is None else str(user.id)

    def permits(self, request: Request, context: Any, permission: str) -> Any:
        user = request.identity
        principals = [Everyone] if user is None else user.principals()
        return self.acl.permits(context, principals, permission)

    def remember(self, request: Request, userid: Any, **kw: Any) -> list[tuple[str, str]]:
        return self.helper.remember(request, userid, **kw)

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        return self.helper.forget(request, **kw)
