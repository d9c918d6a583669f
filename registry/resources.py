"""What the public records' route factories share: their ACL, and the record the URL names,
loaded once (or a 404).

The record is loaded when the view first asks for it, after the permission check: the ACL needs no
record, so someone refused a form is refused whether or not the record exists (as before these
factories), and only those let in learn that it does not.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pyramid.authorization import ALL_PERMISSIONS, Allow, Everyone
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request

from registry.authnz import Permissions, Role, RootFactory, role_principal
from registry.integers import record_id

M = TypeVar("M")

# Suppliers, groups, buyers, frameworks and lots are public: everyone reads them and only admins
# change them. Nothing is denied here, so any other permission a page asks about (a link only
# officers see) is answered by the site-wide ACL, as on a page without a record.
PUBLIC_RECORD_ACL: list[tuple[Any, ...]] = [
    (Allow, role_principal(Role.admin), ALL_PERMISSIONS),
    (Allow, Everyone, Permissions.PublicRead),
]


class PublicRecordContext:
    """Base of a public record's route factory: the site above it, the public record's ACL.
    Subclasses load their record in a `functools.cached_property`."""

    __acl__ = PUBLIC_RECORD_ACL

    def __init__(self, request: Request) -> None:
        self.__parent__ = RootFactory(request)
        self.request = request


def record_or_404(request: Request, model: type[M], *options: Any) -> M:
    """The `model` record numbered {id} in the URL (with the loader `options`); a 404 when the id
    cannot be one or no record has it."""
    record = request.db.get(model, record_id(request), options=list(options))
    if record is None:
        raise HTTPNotFound()
    return record
